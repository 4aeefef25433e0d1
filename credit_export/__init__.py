"""CME credits: activities, rules, learner profiles, the award and its export.

No `xblock`, no `django`: usable from a plain Python prompt. The adapter reads the learner's
outcomes, calls `evaluate_rule`, then `award` (CreditError with the missing items when the
rule is not met), stores the record once per learner and activity, and exports with
`iter_csv`.
"""

from .catalog import demo_activity
from .csv_export import COLUMNS, iter_csv, safe_cell
from .messages import MESSAGES, CreditError
from .rules import Missing, RuleResult, award, evaluate_rule, revoke
from .schema import (
    ActivityEvaluation,
    ComponentRequirement,
    CreditActivity,
    CreditRecord,
    CreditRule,
    HoursConversion,
    LearnerProfile,
    Outcome,
)
from .xml_export import iter_xml, validate_xml

__all__ = [
    "COLUMNS",
    "MESSAGES",
    "ActivityEvaluation",
    "ComponentRequirement",
    "CreditActivity",
    "CreditError",
    "CreditRecord",
    "CreditRule",
    "HoursConversion",
    "LearnerProfile",
    "Missing",
    "Outcome",
    "RuleResult",
    "award",
    "demo_activity",
    "evaluate_rule",
    "iter_csv",
    "iter_xml",
    "revoke",
    "safe_cell",
    "validate_xml",
]
