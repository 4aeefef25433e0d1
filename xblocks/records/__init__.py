"""Durable records of consortium-cme-xblocks: a Django plugin app for the LMS and CMS.

Anything that must never be lost or duplicated lives here in real tables (see
ARCHITECTURE.md): learner outcomes that serve as evidence for credit, and, as the blocks
land, referral decisions and the credit ledger. In Open edX the app registers through the
platform's plugin entry points (`lms.djangoapp`, `cms.djangoapp`) and its migrations run with
the platform's; in the workbench our settings install it directly.
"""
