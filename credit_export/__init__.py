"""CME credits (继续医学教育学分): activities, rules, learner profiles, the award and its exports.

No `xblock`, no `django`: usable from a plain Python prompt. The adapter's API, in the order a
handler uses it::

    activity = CreditActivity.model_validate_json(...)   # or activity_from_xml / demo
    rule = CreditRule.model_validate_json(...)           # or rule_from_xml
    minutes = study_minutes(action_times)                # when the rule has min_minutes
    result = evaluate_rule(rule, outcomes, evaluation_done, minutes)
    record = award(activity, result, profile, learner_id, now)   # CreditError if not met
    revoked = revoke(record, reason, by, now)                    # a new record

    stored_record(row_json)                 # a ledger row read back for the exports (stored.py)
    iter_csv(records, gettext)              # registration CSV (BOM, formula-safe), streamed
    iter_xml(records)  / validate_xml(..)   # XML valid against schemas/cme_credits.xsd
    write_valid_xml(records, file)          # written, then validated: what exports hand over
    statement_for(record, platform_iri=.., homepage=..)   # xAPI 1.0.3 (xapi.py: the IRIs)
    open_badge(record, activity, issuer)    # Open Badges 3.0 credential, unsigned
    credit_report(records) -> report_csv_rows / report_to_svg   # the CME office's report

    policy = load_policy("national-2006")   # a province's policy (schemas/policies/*.json)
    activity_problems(activity, policy)     # what the policy refuses: class, rate, cap
    rule_problems(rule, kind_of, timed)     # a minimum study time on untimed components
    annual_summary(records, policy, year, title=.., tier=..)   # a learner's year
    iter_summary_csv(learner_summaries(records, policy, year))  # one row per learner

Errors: `CreditError(code, **params)` and pydantic errors with codes from
`messages.MESSAGES`; translate by code.
"""

from .annual import AnnualSummary, annual_summary, learner_summaries
from .badges import IssuerProfile, open_badge
from .catalog import (
    DEMO_ACTIVITIES,
    demo_activity,
    demo_rule_json,
    load_demo_activity,
    load_demo_rule,
)
from .csv_export import (
    BOM,
    COLUMNS,
    FORMULA_STARTS,
    iter_csv,
    iter_summary_csv,
    safe_cell,
    write_csv,
)
from .messages import MESSAGES, CreditError
from .policy import (
    DEFAULT_POLICY_ID,
    CreditPolicy,
    PolicyProblem,
    activity_problems,
    load_policy,
    rule_problems,
    shipped_policies,
    speaker_credits,
)
from .report import CreditReport, Group, credit_report, report_csv_rows, report_to_svg
from .rules import Missing, RuleResult, award, evaluate_rule, revoke, study_minutes
from .schema import (
    ActivityEvaluation,
    ComponentRequirement,
    CreditActivity,
    CreditRecord,
    CreditRule,
    CreditSettings,
    HoursConversion,
    LearnerProfile,
    Outcome,
    clean_text,
    credits_for_hours,
)
from .xapi import iter_statements, statement_for, statement_id, statements_for
from .xml_export import iter_xml, validate_xml, write_valid_xml
from .xml_mapping import (
    activity_from_xml,
    activity_to_xml,
    rule_from_xml,
    rule_to_xml,
    settings_from_xml,
    settings_to_xml,
)

__all__ = [
    "BOM",
    "COLUMNS",
    "DEFAULT_POLICY_ID",
    "DEMO_ACTIVITIES",
    "FORMULA_STARTS",
    "MESSAGES",
    "ActivityEvaluation",
    "AnnualSummary",
    "ComponentRequirement",
    "CreditActivity",
    "CreditError",
    "CreditPolicy",
    "CreditRecord",
    "CreditReport",
    "CreditRule",
    "CreditSettings",
    "Group",
    "HoursConversion",
    "IssuerProfile",
    "LearnerProfile",
    "Missing",
    "Outcome",
    "PolicyProblem",
    "RuleResult",
    "activity_from_xml",
    "activity_problems",
    "activity_to_xml",
    "annual_summary",
    "award",
    "clean_text",
    "credit_report",
    "credits_for_hours",
    "demo_activity",
    "demo_rule_json",
    "evaluate_rule",
    "iter_csv",
    "iter_statements",
    "iter_summary_csv",
    "iter_xml",
    "learner_summaries",
    "load_demo_activity",
    "load_demo_rule",
    "load_policy",
    "open_badge",
    "report_csv_rows",
    "report_to_svg",
    "revoke",
    "rule_from_xml",
    "rule_problems",
    "rule_to_xml",
    "safe_cell",
    "settings_from_xml",
    "settings_to_xml",
    "shipped_policies",
    "speaker_credits",
    "statement_for",
    "statement_id",
    "statements_for",
    "study_minutes",
    "validate_xml",
    "write_csv",
    "write_valid_xml",
]
