/* Studio editor shared by the suite's blocks: the author edits readable XML (or pastes JSON),
 * the server validates with the domain schema and either saves or lists each problem with the
 * line or field at fault. Nothing is saved unless everything is valid. */
(function (global) {
  'use strict';

  function init(runtime, element) {
    var form = element.querySelector('form[data-cme-studio]');
    if (!form) { return; }
    var problems = form.querySelector('[data-role="problems"]');
    var status = form.querySelector('[data-role="status"]');

    function show(list, message) {
      problems.innerHTML = '';
      list.forEach(function (problem) {
        var li = document.createElement('li');
        li.textContent = problem.field ? problem.field + ' — ' + problem.message : problem.message;
        problems.appendChild(li);
      });
      problems.hidden = list.length === 0;
      status.textContent = message || '';
    }

    function submit(mode) {
      var payload = global.CmeBlocks.formData(form);
      payload.mode = mode;
      if (runtime.notify) { runtime.notify('save', {state: 'start', message: form.dataset.savingText}); }
      return global.CmeBlocks.postJSON(runtime.handlerUrl(element, 'studio_submit'), payload)
        .then(function (result) {
          if (result.ok) {
            show([], result.body.message);
            if (mode === 'save' && runtime.notify) { runtime.notify('save', {state: 'end'}); }
          } else {
            var list = result.body.problems || [{message: result.body.error || 'Error'}];
            show(list, result.body.error);
            if (runtime.notify) {
              runtime.notify('error', {title: form.dataset.errorTitle, message: result.body.error});
            }
            var first = problems.querySelector('li');
            if (first) { first.setAttribute('tabindex', '-1'); first.focus(); }
          }
        });
    }

    form.addEventListener('submit', function (event) {
      event.preventDefault();
      submit(event.submitter && event.submitter.value === 'validate' ? 'validate' : 'save');
    });
    var cancel = form.querySelector('[data-role="cancel"]');
    if (cancel) {
      cancel.addEventListener('click', function (event) {
        event.preventDefault();
        if (runtime.notify) { runtime.notify('cancel', {}); }
      });
    }
  }

  global.CmeStudio = {init: init};
}(window));
