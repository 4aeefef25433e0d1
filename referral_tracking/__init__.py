"""Graded referral and follow-up (分级诊疗): the pure domain of the `cme_referral` block.

No `xblock`, no `django`: usable from a plain Python prompt.

The adapter's API, in the order a handler uses it::

    from referral_tracking import (
        Consortium, RuleSet, ReferralScenario,        # content fields (pydantic; JSON)
        build_exercise, new_progress, apply, learner_view, Progress, parse_action,
        decision_record, aggregate, report_to_csv_rows, report_to_svg,
        scenario_to_xml, scenario_from_xml, load_ruleset, load_demo_consortium,
        demo_exercise, letter_to_service_request, referral_bundle, ReferralError,
    )

    exercise = build_exercise(scenario, ruleset, consortium)   # ReferralError if they misfit
    progress = Progress.model_validate_json(self.progress_json) if saved else new_progress()
    action = learner_action(exercise, request_json)  # the page's finding/red-flag ids -> codes
    step = apply(exercise, progress, action)   # ReferralError / ValidationError -> 400
    # save step.progress.model_dump_json(); publish step.events (name, data);
    # grade: step.progress.score / exercise.max_score; complete when phase == "completed";
    # return step.response (== learner_view(exercise, step.progress)).
    # Mobile course structure (no learner): exercise_overview(exercise).

Actions (JSON, `step` = the view's `step`): {"kind": "decide", "decision": ReferralDecision},
{"kind": "redirect", "target_institution_id", "department"} after a decline,
{"kind": "set_plan", "plan": FollowUpPlan}, {"kind": "visit_choice", "choice":
"continue" | "adjust" | "re_refer", "plan": optional FollowUpPlan with "adjust"}.

The learner's own referral as FHIR R4 (a download after the decision):
`referral_bundle(exercise, progress, describe)` -> Bundle of ServiceRequest, Task(s), Patient,
Organization(s); ReferralError("referral_not_decided" / "no_referral") otherwise.

Rule sets: `load_ruleset(id, version)` (None: the newest shipped version),
`shipped_ruleset_versions()` for Studio's hint, `pin_ruleset_version(scenario)` to fix the
version a save is played with (see `catalog`).

Analytics: store `decision_record(exercise, progress, learner_id)` in the plugin app's table
after the decision and after the plan; the staff view calls `aggregate(records)` and renders
`report_to_svg(report)` / streams `report_to_csv_rows(report)`.

Errors: `ReferralError(code, **params)` and pydantic errors with codes from
`messages.MESSAGES`; translate by code. Rubric labels: `messages.RUBRIC_LABELS`.
"""

from .analytics import (
    ChartLabels,
    DecisionRecord,
    LetterChartLabels,
    Report,
    aggregate,
    decision_record,
    letter_items_to_svg,
    report_to_csv_rows,
    report_to_svg,
)
from .catalog import (
    DEMO_SCENARIOS,
    SHIPPED_RULESETS,
    RulesetCatalog,
    available_rulesets,
    demo_exercise,
    demo_scenario_xml,
    load_demo_consortium,
    load_demo_scenario,
    load_ruleset,
    pin_ruleset_version,
    ruleset_versions,
    shipped_ruleset_versions,
)
from .engine import (
    Event,
    Exercise,
    PageCodes,
    Progress,
    Step,
    apply,
    build_exercise,
    exercise_overview,
    learner_action,
    learner_view,
    new_progress,
    parse_action,
)
from .fhir import (
    TIER_EXTENSION_URL,
    fhir_priority,
    letter_to_service_request,
    referral_bundle,
)
from .messages import MESSAGES, RUBRIC_LABELS, ReferralError
from .rules import ExpectedDecision, RubricResult, expected_decision, score_decision
from .schema import (
    Consortium,
    FollowUpPlan,
    Institution,
    ReferralDecision,
    ReferralLetter,
    ReferralScenario,
    RuleSet,
)
from .xml_mapping import MAX_XML_BYTES, scenario_from_xml, scenario_to_xml

__all__ = [
    "DEMO_SCENARIOS",
    "MAX_XML_BYTES",
    "MESSAGES",
    "RUBRIC_LABELS",
    "SHIPPED_RULESETS",
    "TIER_EXTENSION_URL",
    "ChartLabels",
    "Consortium",
    "DecisionRecord",
    "Event",
    "Exercise",
    "ExpectedDecision",
    "FollowUpPlan",
    "Institution",
    "LetterChartLabels",
    "PageCodes",
    "Progress",
    "ReferralDecision",
    "ReferralError",
    "ReferralLetter",
    "ReferralScenario",
    "Report",
    "RubricResult",
    "RuleSet",
    "RulesetCatalog",
    "Step",
    "aggregate",
    "apply",
    "available_rulesets",
    "build_exercise",
    "decision_record",
    "demo_exercise",
    "demo_scenario_xml",
    "exercise_overview",
    "expected_decision",
    "fhir_priority",
    "learner_action",
    "learner_view",
    "letter_items_to_svg",
    "letter_to_service_request",
    "load_demo_consortium",
    "load_demo_scenario",
    "load_ruleset",
    "new_progress",
    "parse_action",
    "pin_ruleset_version",
    "referral_bundle",
    "report_to_csv_rows",
    "report_to_svg",
    "ruleset_versions",
    "scenario_from_xml",
    "scenario_to_xml",
    "score_decision",
    "shipped_ruleset_versions",
]
