/* The referral exercise's form: once a receiving hospital is chosen (a radio button), the
 * department list offers only that hospital's departments (each option names the hospitals that
 * have it in data-at). Progressive enhancement: without this script every department is listed and the
 * server refuses one the chosen hospital lacks, naming both. No business rule here: which
 * referral is right is the server's answer. */
(function (global) {
  'use strict';
  if (global.CmeReferralDepartments) { return; }  /* several referral blocks on one page */

  var HOSPITAL = '.cme-referral input[name="target_institution_id"]';
  var DEPARTMENT = '.cme-referral select[name="department"]';

  function narrow(hospital) {
    var form = hospital.form;
    var department = form && form.querySelector('select[name="department"]');
    if (!department) { return; }
    var chosen = hospital.value;
    Array.prototype.forEach.call(department.options, function (option) {
      if (!option.value || option.dataset.at === undefined) { return; }
      var offered = !chosen || option.dataset.at.split(' ').indexOf(chosen) >= 0;
      option.hidden = !offered;
      option.disabled = !offered;
    });
    var current = department.options[department.selectedIndex];
    if (current && current.disabled) { department.value = ''; }
  }

  document.addEventListener('change', function (event) {
    if (event.target.matches && event.target.matches(HOSPITAL)) { narrow(event.target); }
  });
  /* A hospital the browser restored after a reload is narrowed when the list is reached. */
  document.addEventListener('focusin', function (event) {
    var target = event.target;
    if (!target.matches || !target.matches(DEPARTMENT) || !target.form) { return; }
    var hospital = target.form.querySelector('input[name="target_institution_id"]:checked');
    if (hospital) { narrow(hospital); }
  });

  global.CmeReferralDepartments = {narrow: narrow};
}(window));
