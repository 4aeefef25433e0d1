/* Shared by the suite's blocks: forms post JSON to the block's handler, the server answers with
 * the re-rendered view (only what the learner has earned), and we swap it in, announce what
 * changed to screen readers and move the focus where the learner continues.
 * No framework, no CDN. Business rules live on the server, never here. */
(function (global) {
  'use strict';

  /* Words the script itself shows, in the user's language: the block's root carries them as
   * translated by the server (e.g. data-error-text); the platform's JavaScript catalog
   * (window.gettext, present in the LMS) translates the fallback. */
  function text(element, name, english) {
    var given = element && element.dataset[name];
    if (given) { return given; }
    return typeof global.gettext === 'function' ? global.gettext(english) : english;
  }

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (whole, key) {
      return key in values ? String(values[key]) : whole;
    });
  }

  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : '';
  }

  function postJSON(url, payload) {
    return fetch(url, {
      method: 'POST',
      credentials: 'same-origin',
      headers: {
        'Content-Type': 'application/json',
        'X-CSRFToken': csrfToken(),
        'X-Requested-With': 'XMLHttpRequest'
      },
      body: JSON.stringify(payload)
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (body) {
        return {ok: response.ok, status: response.status, body: body};
      });
    });
  }

  /* A form's fields as JSON: repeated names become lists, data-type="int|float" numbers,
   * ordered lists (ol[data-name]) the order of their items' data-value. */
  function formData(form) {
    var data = {};
    var fields = form.querySelectorAll('input, select, textarea');
    Array.prototype.forEach.call(fields, function (field) {
      if (!field.name || field.disabled) { return; }
      if ((field.type === 'checkbox' || field.type === 'radio') && !field.checked) {
        if (field.type === 'checkbox' && field.dataset.list === 'true' && !(field.name in data)) {
          data[field.name] = [];
        }
        return;
      }
      var value = field.value;
      if (field.dataset.type === 'int') { value = parseInt(value, 10); }
      if (field.dataset.type === 'float') { value = parseFloat(value); }
      if (field.dataset.list === 'true') {
        (data[field.name] = data[field.name] || []).push(value);
      } else {
        data[field.name] = value;
      }
    });
    Array.prototype.forEach.call(form.querySelectorAll('ol[data-name]'), function (list) {
      data[list.dataset.name] = Array.prototype.map.call(
        list.querySelectorAll('li[data-value]'), function (li) { return li.dataset.value; });
    });
    return data;
  }

  /* Up/down buttons for ranking lists: keyboard and screen-reader friendly ordering. */
  function moveItem(button) {
    var item = button.closest('li');
    var list = item && item.parentElement;
    if (!list) { return; }
    if (button.dataset.move === 'up' && item.previousElementSibling) {
      list.insertBefore(item, item.previousElementSibling);
    } else if (button.dataset.move === 'down' && item.nextElementSibling) {
      list.insertBefore(item.nextElementSibling, item);
    }
    button.focus();
    var live = list.closest('form').querySelector('[data-role="rank-status"]');
    if (live) {
      var position = Array.prototype.indexOf.call(list.children, item) + 1;
      live.textContent = fill(text(live, 'text', '{label}: now in place {position}'),
        {label: item.dataset.label || '', position: position});
    }
  }

  /* After a new view is swapped in: focus what the response names (`focus`: a data-focus-key
   * of the view, e.g. the result just received, so a phone keeps its place and a screen reader
   * goes on from there); without one, the view's [data-focus] element (its main heading). */
  function moveFocus(target, key) {
    var focus = null;
    if (typeof key === 'string' && key) {
      Array.prototype.some.call(target.querySelectorAll('[data-focus-key]'), function (el) {
        if (el.getAttribute('data-focus-key') === key) { focus = el; return true; }
        return false;
      });
    }
    focus = focus || target.querySelector('[data-focus]');
    if (!focus) { return; }
    if (!focus.hasAttribute('tabindex')) { focus.setAttribute('tabindex', '-1'); }
    focus.focus();
  }

  /* Wire one block: `element` is the block root, `runtime` the XBlock JS runtime. */
  function init(runtime, element, handlerName) {
    element = element && element.jquery ? element[0] : element;
    var root = element.querySelector('[data-cme-root]') || element;
    var busy = false;

    function region() { return root.querySelector('[data-region="view"]'); }
    function announce(text) {
      var live = root.querySelector('[data-region="announce"]');
      if (live && text) { live.textContent = ''; live.textContent = text; }
    }
    function showError(form, text) {
      var box = (form && form.querySelector('[data-role="error"]')) ||
        root.querySelector('[data-region="error"]');
      if (box) { box.textContent = text; box.hidden = !text; }
    }

    root.addEventListener('click', function (event) {
      if (event.target.closest('button[data-print-page]')) { window.print(); return; }
      var mover = event.target.closest('button[data-move]');
      if (mover && root.contains(mover)) { event.preventDefault(); moveItem(mover); }
    });

    root.addEventListener('submit', function (event) {
      var form = event.target.closest('form[data-action]');
      if (!form || !root.contains(form)) { return; }
      event.preventDefault();
      if (busy) { return; }
      busy = true;
      showError(form, '');
      var buttons = form.querySelectorAll('button');
      Array.prototype.forEach.call(buttons, function (b) { b.disabled = true; });
      form.setAttribute('aria-busy', 'true');
      var payload = formData(form);
      payload.action = form.dataset.action;
      postJSON(runtime.handlerUrl(element, form.dataset.handler || handlerName), payload)
        .then(function (result) {
          if (!result.ok) {
            showError(form, result.body.error ||
              text(root, 'errorText', 'That did not work. Please try again.'));
            return;
          }
          var target = form.dataset.target ?
            root.querySelector('[data-region="' + form.dataset.target + '"]') : region();
          if (typeof result.body.html === 'string' && target) {
            target.innerHTML = result.body.html;
            moveFocus(target, result.body.focus);
          }
          var status = form.isConnected && form.querySelector('[data-role="status"]');
          if (status && result.body.message) { status.textContent = result.body.message; }
          announce(result.body.announce || result.body.message);
          // The suite's progress signal: a block's state changed (the credit block re-reads).
          document.dispatchEvent(new CustomEvent('cme:progress', {detail: {element: element}}));
        })
        .catch(function () {
          showError(form, text(root, 'networkErrorText',
            'The server could not be reached. Check your connection and try again.'));
        })
        .then(function () {
          busy = false;
          if (form.isConnected) {
            form.removeAttribute('aria-busy');
            Array.prototype.forEach.call(buttons, function (b) { b.disabled = false; });
          }
        });
    });
  }

  global.CmeBlocks = {init: init, postJSON: postJSON, formData: formData};
  /* The initializers named by the blocks' fragments (initialize_js). */
  global.CmeCaseInit = function (runtime, element) { init(runtime, element, 'act'); };
  global.CmeReferralInit = function (runtime, element) { init(runtime, element, 'act'); };
}(window));
