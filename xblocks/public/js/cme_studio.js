/* Studio editor shared by the suite's blocks: the author edits readable XML (or pastes or
 * imports JSON), the server validates with the domain schema as they type and either saves or
 * lists each problem with the line or field at fault. Nothing is saved unless all is valid. */
(function (global) {
  'use strict';

  var LIVE_DELAY_MS = 700;

  function init(runtime, element) {
    element = element && element.jquery ? element[0] : element;
    var form = element.querySelector('form[data-cme-studio]');
    if (!form) { return; }
    var problems = form.querySelector('[data-role="problems"]');
    var status = form.querySelector('[data-role="status"]');
    var source = form.querySelector('[data-role="source"]');
    var timer = null;
    var sequence = 0;
    var editor = null;  // the structured form, when the block offers one

    /* A problem's sentence names its field as the form labels it (`label`); a source prefix
     * in the path ("Rule set: rules[0].id") says which of the block's texts it is in. */
    function describe(problem) {
      if (!problem.label) {
        return problem.field ? problem.field + ' — ' + problem.message : problem.message;
      }
      var source = /^([^.[]*): /.exec(problem.field || '');
      return (source ? source[1] + ' › ' : '') + problem.message;
    }

    function fillList(target, list) {
      target.innerHTML = '';
      list.forEach(function (problem) {
        var li = document.createElement('li');
        li.textContent = describe(problem);
        target.appendChild(li);
      });
    }

    function show(list, message) {
      fillList(problems, list);
      problems.hidden = list.length === 0;
      status.textContent = message || '';
    }

    /* Warnings (the content is valid, and saved on a save): what the author may want to
     * change, e.g. a summary that gives an answer away. */
    var warnings = form.querySelector('[data-role="warnings"]');
    function warn(list) {
      if (!warnings) { return; }
      fillList(warnings.querySelector('ul'), list || []);
      warnings.hidden = !(list && list.length);
    }

    /* live: validation while typing; no notifications and no focus moves. Resolves to the
     * response body when the content is valid, null otherwise. */
    function submit(mode, live) {
      var payload = global.CmeBlocks.formData(form);
      payload.mode = mode;
      var mine = ++sequence;
      if (!live && runtime.notify) {
        runtime.notify('save', {state: 'start', message: form.dataset.savingText});
      }
      return global.CmeBlocks.postJSON(runtime.handlerUrl(element, 'studio_submit'), payload)
        .then(function (result) {
          if (mine !== sequence) { return null; }  // an older answer arriving late
          if (result.ok) {
            show([], result.body.message);
            warn(result.body.warnings);
            var base = form.querySelector('[data-role="fingerprint"]');
            if (base && result.body.fingerprint) { base.value = result.body.fingerprint; }
            if (editor) { editor.mark([]); }
            if (mode === 'save' && runtime.notify) { runtime.notify('save', {state: 'end'}); }
            return result.body;
          }
          var list = result.body.problems || [{message: result.body.error || form.dataset.errorTitle}];
          show(list, result.body.error);
          warn([]);
          if (editor) { editor.mark(list); }
          if (live) { return null; }
          if (runtime.notify) {
            runtime.notify('error', {title: form.dataset.errorTitle, message: result.body.error});
          }
          var first = problems.querySelector('li');
          if (first) { first.setAttribute('tabindex', '-1'); first.focus(); }
          return null;
        })
        .catch(function () {
          status.textContent = form.dataset.networkErrorText;
          return null;
        });
    }

    /* The structured form and the XML (or JSON) source edit the same content; switching checks
     * it on the server, which answers with it as `data` (for the form) and `source` (XML). */
    var formPane = form.querySelector('[data-role="form-editor"]');
    var sourcePane = form.querySelector('[data-role="source-editor"]');
    var configNode = element.querySelector('script[data-role="editor-config"]');
    var dataNode = element.querySelector('script[data-role="editor-data"]');
    function showMode(mode) {
      formPane.hidden = mode !== 'form';
      sourcePane.hidden = mode === 'form';
      Array.prototype.forEach.call(form.querySelectorAll('[data-editor-mode]'), function (b) {
        b.setAttribute('aria-pressed', String(b.dataset.editorMode === mode));
      });
    }
    /* A pasted whole block's own parts go to their boxes before the scenario is split off. */
    function fillBoxes(boxes) {
      Object.keys(boxes).forEach(function (name) {
        var box = form.querySelector('textarea[name="' + name + '"]');
        if (box && boxes[name]) { box.value = boxes[name]; }
      });
    }
    function startForm(value) {
      editor = new global.CmeSchemaForm(formPane, JSON.parse(configNode.textContent), value,
        function (current) { source.value = JSON.stringify(current, null, 2); });
      source.value = JSON.stringify(value, null, 2);
    }
    if (formPane && sourcePane && configNode && dataNode && global.CmeSchemaForm) {
      startForm(JSON.parse(dataNode.textContent));
      showMode('form');
      form.addEventListener('click', function (event) {
        var button = event.target.closest('[data-editor-mode]');
        if (!button) { return; }
        event.preventDefault();
        var mode = button.dataset.editorMode;
        if ((mode === 'form') === !formPane.hidden) { return; }
        submit('validate', false).then(function (body) {
          if (!body) { return; }
          fillBoxes(body.boxes || {});
          if (mode === 'form') { startForm(body.data); } else { source.value = body.source; }
          showMode(mode);
        });
      });
    }

    form.addEventListener('submit', function (event) {
      event.preventDefault();
      clearTimeout(timer);
      submit(event.submitter && event.submitter.value === 'validate' ? 'validate' : 'save', false);
    });
    form.addEventListener('input', function () {
      clearTimeout(timer);
      timer = setTimeout(function () { submit('validate', true); }, LIVE_DELAY_MS);
    });
    var importer = form.querySelector('[data-role="import"]');
    if (importer && source) {
      importer.addEventListener('change', function () {
        var file = importer.files && importer.files[0];
        if (!file) { return; }
        file.text().then(function (text) {
          source.value = text;
          if (editor && formPane && !formPane.hidden) { showMode('source'); }
          submit('validate', false);
        });
      });
    }
    var cancel = form.querySelector('[data-role="cancel"]');
    if (cancel) {
      cancel.addEventListener('click', function (event) {
        event.preventDefault();
        if (runtime.notify) { runtime.notify('cancel', {}); }
      });
    }
  }

  global.CmeStudio = {init: init};
  global.CmeStudioInit = init;
}(window));
