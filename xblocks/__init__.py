"""The Open edX adapter of consortium-cme-xblocks.

The domain packages (`case_teaching`, `referral_tracking`, `credit_export`) hold the medicine
and the credit rules; this package adapts them to the XBlock runtime:

- the XBlock classes (registered as `xblock.v1` entry points `cme_case`, `cme_referral`,
  `cme_credit` as each lands), their `templates/`, `public/` assets and `translations/`;
- `records`: the Django plugin app holding durable records (learner outcomes, credit ledger),
  registered for the LMS and CMS through Open edX's plugin entry points;
- `workbench`: the settings and development helpers that turn xblock-sdk's workbench into our
  embedded Open edX for `make run` and the tests.
"""
