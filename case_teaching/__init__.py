"""Case-based clinical teaching: the pure domain of the `cme_case` block.

No `xblock`, no `django`: usable from a plain Python prompt.

The adapter's API, in the order a handler uses it::

    from case_teaching import (
        Case, CaseProgress, CaseError, parse_action, start, apply_action, reconcile,
        learner_view, max_score, case_to_xml, case_from_xml, load_demo_case,
    )

    case = Case.model_validate_json(self.case_json)        # Scope.content; a ValidationError
                                                           # refuses the Studio save
    if self.progress_json:                                 # Scope.user_state (JSON)
        progress = CaseProgress.model_validate_json(self.progress_json)
        progress, notice = reconcile(case, progress)       # was the case edited mid-way?
        # notice: None | "case_updated_progress_kept" | "case_changed_restarted" (MESSAGES)
    else:
        first = start(case)                                # publish first.events too
        progress = first.progress
    view = learner_view(case, progress)                    # the page / view_data handler
    overview = case_overview(case)                         # student_view_data (no learner)

    result = apply_action(case, progress, request_json)    # CaseError / ValidationError -> 400
    # save result.progress.model_dump_json(); publish each of result.events
    #   ({"name": "cme.case.<what>", "data": {...}});
    # grade: result.progress.score out of result.progress.max_score (== max_score(case));
    # completion: result.progress.is_complete; passed: result.progress.passed;
    # return result.response == {"view": learner_view(...), "outcome": {...} | None}.

`learner_view(case, progress)` is the only learner-specific thing to send to a browser or the
mobile app (its `view_data` handler); `case_overview(case)`, the same for every learner, is
what `student_view_data` gives the app's course structure. Neither holds option scores,
correct flags, feedback of options not chosen, results of findings not requested, stages not
reached or branch targets.

Actions (JSON; `step` = the view's `step`, so replays are refused):
{"kind": "request_finding", "step", "finding"}, {"kind": "submit_answer", "step", "question",
"answer": {"options": [...]} | {"order": [...]} | {"value": 1.5} | {"text": "..."}},
{"kind": "continue", "step"} (at an ending: finish), {"kind": "restart", "step"} (if the
scoring policy allows).

Authoring: `default_stages()` for a new case; `sanitize_html()` is applied to every author HTML
field on validation; `case_to_xml` / `case_from_xml` (OLX, CaseError naming line and field);
`demo_case_names()` / `load_demo_case(name)` / `demo_case_xml(name)` for the five demo cases;
`spoiler_warnings(case)`: where the summary or objectives may give an answer away (warnings).
Staff: free-text reflections are in `progress.answers` (kind "reflection"); the expert path is
`expert_route(case)`.

Errors: `CaseError(code, **params)` and pydantic errors with codes from `messages.MESSAGES`;
translate by code. Default stage titles: `messages.DEFAULT_STAGE_TITLES`.
"""

from .catalog import (
    CHINESE_DEMO_CASES,
    DEMO_CASES,
    ENGLISH,
    demo_case_names,
    demo_case_xml,
    load_demo_case,
)
from .engine import (
    Action,
    ActionResult,
    AnswerRecord,
    CaseProgress,
    ContinueCase,
    RequestFinding,
    RestartCase,
    SubmitAnswer,
    apply_action,
    new_progress,
    parse_action,
    reconcile,
    start,
)
from .learner_view import case_overview, learner_view
from .messages import DEFAULT_STAGE_TITLES, MESSAGES, CaseError
from .schema import (
    Branch,
    Case,
    ComputedScore,
    DoseFormula,
    Finding,
    FindingCost,
    GuidelineReference,
    KeyFeatureQuestion,
    MediaItem,
    MultipleChoiceQuestion,
    NumericQuestion,
    Option,
    PatientProfile,
    Question,
    RankingQuestion,
    ReflectionQuestion,
    ScoreInput,
    ScoringPolicy,
    ScriptConcordanceQuestion,
    SingleChoiceQuestion,
    Stage,
    default_stages,
    sanitize_html,
)
from .scoring import AnswerGiven, ExpertStep, answer_credit, expert_route, max_score
from .spoilers import SpoilerWarning, spoiler_warnings
from .xml_mapping import case_from_xml, case_to_element, case_to_xml

__all__ = [
    "CHINESE_DEMO_CASES",
    "DEFAULT_STAGE_TITLES",
    "DEMO_CASES",
    "ENGLISH",
    "MESSAGES",
    "Action",
    "ActionResult",
    "AnswerGiven",
    "AnswerRecord",
    "Branch",
    "Case",
    "CaseError",
    "CaseProgress",
    "ComputedScore",
    "ContinueCase",
    "DoseFormula",
    "ExpertStep",
    "Finding",
    "FindingCost",
    "GuidelineReference",
    "KeyFeatureQuestion",
    "MediaItem",
    "MultipleChoiceQuestion",
    "NumericQuestion",
    "Option",
    "PatientProfile",
    "Question",
    "RankingQuestion",
    "ReflectionQuestion",
    "RequestFinding",
    "RestartCase",
    "ScoreInput",
    "ScoringPolicy",
    "ScriptConcordanceQuestion",
    "SingleChoiceQuestion",
    "SpoilerWarning",
    "Stage",
    "SubmitAnswer",
    "answer_credit",
    "apply_action",
    "case_from_xml",
    "case_overview",
    "case_to_element",
    "case_to_xml",
    "default_stages",
    "demo_case_names",
    "demo_case_xml",
    "expert_route",
    "learner_view",
    "load_demo_case",
    "max_score",
    "new_progress",
    "parse_action",
    "reconcile",
    "sanitize_html",
    "spoiler_warnings",
    "start",
]
