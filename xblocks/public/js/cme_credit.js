/* The credit block: cme_common.js wires its forms (profile, evaluation, the staff's report,
 * push and revoke); this adds what only the credit block does.
 * - An award made as the learner opened the block (the rule was met): the certificate is in
 *   the page, and the block's live region says so once the page has settled (a live region's
 *   content at load is not read out).
 * - The staff's downloads (a[data-download]): still links (keyboard, screen readers, and
 *   without this script a plain download), but fetched here so that an answer that is not a
 *   file (403, the 422 of an XML export that does not validate) shows its sentence beside the
 *   link instead of a failed download, and so that the panel says what the file holds: the
 *   number of credit records (X-CME-Records), and when there are none.
 * - Progress made elsewhere: when a sibling block of the page reports progress (the suite's
 *   `cme:progress` event), and when the page comes back into view or focus (another tab, the
 *   mobile app's web view), the view is re-read from `view_data` and swapped in; a form the
 *   learner is typing in is kept (only the list of what the credit needs is replaced).
 * No business rule here: whether the credit is awarded is the server's answer. */
(function (global) {
  'use strict';

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (whole, key) {
      return key in values ? String(values[key]) : whole;
    });
  }

  /* Words this script shows, translated by the server on the element's data-*-text. */
  function text(element, name, english) {
    var given = element && element.dataset[name];
    if (given) { return given; }
    return typeof global.gettext === 'function' ? global.gettext(english) : english;
  }

  function announceOnLoad(root) {
    var message = root.dataset.announce;
    var live = root.querySelector('[data-region="announce"]');
    if (!message || !live) { return; }
    global.setTimeout(function () { live.textContent = ''; live.textContent = message; }, 300);
  }

  function fileName(disposition, fallback) {
    var match = /filename="?([^";]+)"?/i.exec(disposition || '');
    return match ? match[1] : fallback;
  }

  /* Hand the fetched file to the browser as a download of its own name. */
  function save(blob, name) {
    var url = URL.createObjectURL(blob);
    var link = document.createElement('a');
    link.href = url;
    link.download = name;
    link.hidden = true;
    document.body.appendChild(link);
    link.click();
    link.remove();
    global.setTimeout(function () { URL.revokeObjectURL(url); }, 60000);
  }

  function wireDownloads(root) {
    root.addEventListener('click', function (event) {
      var link = event.target.closest('a[data-download]');
      if (!link || !root.contains(link) || !global.fetch || !global.URL) { return; }
      event.preventDefault();
      if (link.getAttribute('aria-busy') === 'true') { return; }
      var area = link.closest('[data-downloads]') || root;
      var texts = link.closest('[data-download-texts]') || root.querySelector('[data-download-texts]');
      var status = area.querySelector('[data-role="download-status"]');
      var error = area.querySelector('[data-role="download-error"]');
      function say(message) { if (status) { status.textContent = message; } }
      function fail(message) {
        say('');
        if (error) { error.textContent = message; error.hidden = false; }
      }
      if (error) { error.textContent = ''; error.hidden = true; }
      say(text(texts, 'busyText', 'Preparing the file…'));
      link.setAttribute('aria-busy', 'true');
      fetch(link.href, {credentials: 'same-origin'})
        .then(function (response) {
          var disposition = response.headers.get('Content-Disposition') || '';
          if (!response.ok || !/attachment/i.test(disposition)) {
            return response.json().catch(function () { return {}; }).then(function (body) {
              fail(body.error || text(root, 'errorText', 'That did not work. Please try again.'));
            });
          }
          var name = fileName(disposition, link.getAttribute('download') || 'download');
          var count = response.headers.get('X-CME-Records');
          return response.blob().then(function (blob) {
            save(blob, name);
            if (count === '0') {
              say(fill(text(texts, 'emptyText', 'Downloaded: {name}. It holds no credit record: ' +
                'no credit of this activity is awarded yet (revoked credits are not exported).'),
                {name: name}));
            } else if (count !== null) {
              say(fill(text(texts, 'recordsText',
                'Downloaded: {name}, with {count} credit record(s).'), {name: name, count: count}));
            } else {
              say(fill(text(texts, 'doneText', 'Downloaded: {name}.'), {name: name}));
            }
          });
        })
        .catch(function () {
          fail(text(root, 'networkErrorText',
            'The server could not be reached. Check your connection and try again.'));
        })
        .then(function () { link.removeAttribute('aria-busy'); });
    });
  }

  /* Swap in the view the server answered, keeping a form being typed in (see the module). */
  function swapView(root, body) {
    var view = root.querySelector('[data-region="view"]');
    if (!view || typeof body.html !== 'string' || view.dataset.html === body.html) { return; }
    if (root.dataset.typing === 'true') {
      var fresh = document.createElement('div');
      fresh.innerHTML = body.html;
      var list = fresh.querySelector('.cme-credit-progress');
      var old = view.querySelector('.cme-credit-progress');
      if (list && old) { old.replaceWith(list); }
      return;
    }
    view.innerHTML = body.html;
    view.dataset.html = body.html;
    var live = root.querySelector('[data-region="announce"]');
    if (live && body.announce) { live.textContent = ''; live.textContent = body.announce; }
  }

  /* Re-read the view when progress may have been made elsewhere (see the module). */
  function wireRefresh(runtime, element, root) {
    var timer = null;
    var url = runtime.handlerUrl(element, 'view_data');
    function refresh() {
      global.clearTimeout(timer);
      timer = global.setTimeout(function () {
        global.CmeBlocks.postJSON(url, {}).then(function (result) {
          if (result.ok) { swapView(root, result.body); }
        }).catch(function () { /* offline: the next signal tries again */ });
      }, 250);
    }
    root.addEventListener('input', function () { root.dataset.typing = 'true'; });
    root.addEventListener('submit', function () { delete root.dataset.typing; });
    document.addEventListener('cme:progress', function (event) {
      if (!event.detail || event.detail.element !== element) { refresh(); }
    });
    document.addEventListener('visibilitychange', function () {
      if (document.visibilityState === 'visible') { refresh(); }
    });
    global.addEventListener('focus', refresh);
  }

  /* The block's initializer (initialize_js): the shared forms, then the credit's own parts. */
  global.CmeCreditBlockInit = function (runtime, element) {
    global.CmeBlocks.init(runtime, element, 'act');
    element = element && element.jquery ? element[0] : element;
    var root = element.querySelector('[data-cme-root]') || element;
    announceOnLoad(root);
    wireDownloads(root);
    wireRefresh(runtime, element, root);
  };
}(window));
