"""`cme_referral`: a graded-referral exercise, from the referral decision to the last follow-up.

The block only adapts `referral_tracking` to Open edX: it loads its fields, calls the engine,
saves, publishes and renders. What the browser receives is always built from
`referral_tracking.learner_view`, which holds only what the learner has earned.
"""

import csv
import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, Literal

from django.utils import translation
from django.utils.safestring import mark_safe
from lxml import etree
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from web_fragments.fragment import Fragment
from webob import Response
from xblock.core import XBlock
from xblock.fields import Float, Scope, String
from xblock.scorable import Score

from referral_tracking import (
    DEMO_SCENARIOS,
    MAX_XML_BYTES,
    ChartLabels,
    Consortium,
    Exercise,
    LetterChartLabels,
    Progress,
    ReferralError,
    ReferralScenario,
    RuleSet,
    aggregate,
    apply,
    build_exercise,
    decision_record,
    demo_scenario_xml,
    exercise_overview,
    learner_action,
    learner_view,
    letter_items_to_svg,
    load_demo_consortium,
    load_demo_scenario,
    load_ruleset,
    parse_action,
    pin_ruleset_version,
    referral_bundle,
    report_to_csv_rows,
    report_to_svg,
    scenario_from_xml,
    scenario_to_xml,
    score_decision,
    shipped_ruleset_versions,
)

from .base import STAFF_ONLY, add_assets, digest, json_action, json_response, script_json
from .exercise import ExerciseMixin, StrictRequest, StudioSaveRequest, ViewDataRequest
from .messages import (
    N_,
    describe_field,
    field_label,
    translate_code,
    translate_domain_error,
    translate_validation_error,
)
from .olx import parse_safely
from .referral_editor import editor_config, suggestions
from .referral_view import DISPOSITIONS, PRIORITY_SHORT, TIERS, ReferralViewModel
from .templates_engine import render_template

DEFAULT_SCENARIO = "hypertension_township"
SCENARIO_TAG = "referral-scenario"
RULESET_TAG = "ruleset"
CONSORTIUM_TAG = "consortium"
#: A field of the scenario as the XML reader names it ("visits[0].findings[1].text").
FIELD_PATH = re.compile(r"[a-z_]+(\[\d+\]|\.[a-z_]+)*")
FIELD_PART = re.compile(r"([a-z_]+)|\[(\d+)\]")
#: The whole block's OLX, as a course export writes it (an XML declaration may come first).
BLOCK_OLX_START = re.compile(r"(<\?xml[^>]*\?>\s*)?<cme_referral[\s>/]")
#: Learners listed one by one in the staff view (all of them are in the CSV).
LEARNER_ROWS_SHOWN = 50
#: Learners whose usernames one query looks up (a database bounds the parameters of one query).
NAMES_PER_QUERY = 500

ANNOUNCE = {
    "accepted": N_("Decision recorded. {institution} accepted the patient; the feedback is shown."),
    "declined": N_("{institution} declined the referral. Choose another hospital."),
    "kept": N_("Decision recorded. The feedback is shown; now plan the follow-up."),
    "planned": N_("Follow-up plan saved. Visit 1: day {day}."),
    "visit": N_("Visit {number}: day {day}."),
    "completed": N_("Exercise complete. Your summary is shown."),
}
#: What the learner's form calls the fields the domain names (problems are told in these words).
FORM_FIELDS = {
    "decision.disposition": N_("What do you do?"),
    "decision.priority": N_("How urgent is it?"),
    "decision.recognised_red_flags": N_("Red flags"),
    "decision.target_institution_id": N_("Receiving hospital"),
    "decision.department": N_("Department"),
    "decision.letter.reason": N_("Reason for referral"),
    "decision.letter.history": N_("History"),
    "decision.letter.key_findings": N_("Key findings"),
    "decision.letter.treatment_given": N_("Treatment given"),
    "decision.letter.question": N_("Your specific question for the receiving doctor"),
    "decision.letter.supporting_info": N_("Supporting information"),
    "decision.letter": N_("Referral letter"),
    "decision": N_("Your decision"),
    "plan.interval_days": N_("Days until the first follow-up visit"),
    "plan.monitoring": N_("What you monitor at each visit"),
    "plan.targets": N_("Targets"),
    "plan.re_referral_criteria": N_("When to refer upward again"),
    "plan": N_("Follow-up plan"),
    "choice": N_("What do you do now?"),
    "note": N_("Your note"),
    "target_institution_id": N_("Receiving hospital"),
    "department": N_("Department"),
}
#: A rule-set version's status, as the staff notice says it.
RULESET_STATUS = {
    "superseded": N_("superseded by a newer version"),
    "withdrawn": N_("withdrawn for safety"),
}
CHART_METRICS = {
    "over_referral_rate": N_("Over-referral"),
    "under_referral_rate": N_("Under-referral"),
    "critical_under_triage_rate": N_("Critical under-triage"),
    "urgency_error_rate": N_("Urgency errors"),
    "follow_up_adherence": N_("Follow-up on time"),
}
#: Short enough to sit under a group of bars.
CHART_TIERS = {
    "primary": N_("Primary / community"),
    "secondary": N_("Secondary / county"),
    "tertiary": N_("Tertiary"),
}
#: Letter items as the letter-item chart names them (short enough for its left column).
CHART_LETTER_ITEMS = {
    "reason": N_("Reason for referral"),
    "history": N_("History"),
    "key_findings": N_("Key findings"),
    "treatment_given": N_("Treatment given"),
    "question": N_("Question for the receiving doctor"),
    "supporting_info": N_("Supporting information"),
}
#: Between groups of a list that hold lists themselves ("；" in Chinese).
GROUP_SEPARATOR = N_("; ")
NOT_SAVED = N_("The referral exercise was not saved: fix the problems listed.")
#: The learner kept the patient: their decision has no referral to download.
NO_REFERRAL_TO_DOWNLOAD = N_(
    "You managed the patient at your own institution: there is no referral to download."
)


# ---- content --------------------------------------------------------------------------------


class StoredContent(BaseModel):
    """What the block's content field holds: the scenario and, when the author has their own,
    the rule set and the consortium (None: the shipped rule set the scenario names, the demo
    consortium). One field, so that a handler reads its content in one store round-trip."""

    model_config = ConfigDict(extra="forbid")

    scenario: ReferralScenario
    ruleset: RuleSet | None = None
    consortium: Consortium | None = None


@dataclass(frozen=True)
class Content:
    """The block's exercise, validated, and fingerprints of it: `structure` changes only when a
    learner's progress no longer fits (another patient, institution, rule set or visit days);
    `full` changes with any edit."""

    stored: StoredContent
    exercise: Exercise
    structure: str
    full: str

    @property
    def key(self) -> str:
        return f"{self.structure}:{self.full}"


def fit(stored: StoredContent) -> Exercise:
    """The exercise the stored content describes (ReferralError when its parts misfit)."""
    scenario = stored.scenario
    return build_exercise(
        scenario,
        stored.ruleset or load_ruleset(scenario.ruleset_id, scenario.ruleset_version),
        stored.consortium or load_demo_consortium(),
    )


def stored_content(content_json: str) -> StoredContent:
    """The content field as stored, validated but not yet built into an exercise (raises
    pydantic's ValidationError). Empty: the default demo scenario."""
    if content_json:
        return StoredContent.model_validate_json(content_json)
    return StoredContent(scenario=load_demo_scenario(DEFAULT_SCENARIO))


@lru_cache(maxsize=128)
def load_content(content_json: str) -> Content:
    """The content field -> the exercise, validated once per process per content (handlers of
    every learner of the same block reuse it). Empty: the default demo scenario."""
    stored = stored_content(content_json)
    exercise = fit(stored)
    scenario, ruleset, consortium = exercise.scenario, exercise.ruleset, exercise.consortium
    structure = digest(
        scenario.id,
        scenario.institution_id,
        ruleset.id,
        ruleset.version,
        " ".join(str(v.day) for v in scenario.visits),
    )
    full = digest(
        scenario.model_dump_json(), ruleset.model_dump_json(), consortium.model_dump_json()
    )
    return Content(stored=stored, exercise=exercise, structure=structure, full=full)


class SourceProblem(Exception):
    """Author input that cannot be used: `problems` as the Studio editor lists them."""

    def __init__(self, problems: list[dict[str, str]]):
        super().__init__(problems[0]["message"] if problems else "")
        self.problems = problems


def _json_object(text: str, what: str, gettext) -> dict:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        message = gettext("The JSON cannot be read (line {line}, column {column}): {problem}.")
        raise SourceProblem(
            [
                {
                    "field": what,
                    "message": message.format(line=exc.lineno, column=exc.colno, problem=exc.msg),
                }
            ]
        ) from exc
    if not isinstance(data, dict):
        raise SourceProblem(
            [{"field": what, "message": gettext("Give one JSON object with named fields.")}]
        )
    return data


def _domain_message(gettext, exc: ReferralError) -> str:
    """A domain problem for an author, with tiers, departments, capabilities and the field at
    fault in words (as the form labels it, not as a path of the schema)."""
    words = ReferralViewModel(gettext).in_words(exc.params)
    field = words.get("field")
    if isinstance(field, str) and FIELD_PATH.fullmatch(field):
        loc = [int(n) if n else name for name, n in FIELD_PART.findall(field)]
        words["field"] = describe_field(gettext, loc, "referral_tracking")
    return translate_domain_error(gettext, ReferralError(exc.code, **words))


def _validate(model: type[BaseModel], data: dict, what: str, gettext) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        words = ReferralViewModel(gettext).in_words
        problems = translate_validation_error(gettext, exc, "referral_tracking", words)
        for problem in problems:
            problem["field"] = f"{what}: {problem['field']}"
        raise SourceProblem(problems) from exc


def _scenario_source(text: str, gettext) -> ReferralScenario:
    """The scenario box's `<referral-scenario>` XML or JSON (SourceProblem when unusable)."""
    what = gettext("Scenario")
    if text.startswith("{"):
        return _validate(ReferralScenario, _json_object(text, what, gettext), what, gettext)
    try:
        return scenario_from_xml(text)
    except ReferralError as exc:
        raise SourceProblem([{"field": what, "message": _domain_message(gettext, exc)}]) from exc


def _json_source(source: str, model: type[BaseModel], what: str, gettext) -> Any:
    """A rule-set or consortium box: its JSON as `model`, None when empty."""
    if not source.strip():
        return None
    return _validate(model, _json_object(source, what, gettext), what, gettext)


def is_block_olx(text: str) -> bool:
    """Whether an author pasted the whole `<cme_referral>` (as a course export writes it)."""
    return BLOCK_OLX_START.match(text) is not None


def block_olx_parts(text: str) -> tuple[ReferralScenario, RuleSet | None, Consortium | None]:
    """The scenario, rule set and consortium of a whole `<cme_referral>` element; ReferralError
    names the line (counted in the whole text) and the element at fault."""
    raw = text.encode("utf-8")
    if len(raw) > MAX_XML_BYTES:
        raise ReferralError("xml_too_large", size=len(raw), limit=MAX_XML_BYTES)
    try:
        node = parse_safely(raw)
    except etree.XMLSyntaxError as exc:
        raise ReferralError("xml_syntax", line=exc.lineno or 0, problem=exc.msg) from exc
    docinfo = node.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise ReferralError("xml_doctype_forbidden")
    child = node.find(SCENARIO_TAG)
    if child is None:
        raise ReferralError("olx_without_scenario", line=node.sourceline or 1)
    try:
        scenario = scenario_from_xml(etree.tostring(child, encoding="utf-8"))
    except ReferralError as exc:
        raise _shift_line(exc, (child.sourceline or 1) - 1) from exc
    ruleset = _json_child(node, RULESET_TAG, RuleSet)
    return scenario, ruleset, _json_child(node, CONSORTIUM_TAG, Consortium)


def _block_source(
    text: str, ruleset_source: str, consortium_source: str, gettext
) -> tuple[ReferralScenario, RuleSet | None, Consortium | None]:
    """A pasted `<cme_referral>`: its parts, refused when a separate box says it again."""
    what = gettext("Scenario")
    try:
        scenario, ruleset, consortium = block_olx_parts(text)
    except ReferralError as exc:
        raise SourceProblem([{"field": what, "message": _domain_message(gettext, exc)}]) from exc
    for own, box, name in (
        (ruleset, ruleset_source, gettext("Rule set")),
        (consortium, consortium_source, gettext("Consortium")),
    ):
        if own is not None and box.strip():
            message = gettext(
                "The pasted <cme_referral> has its own <{element}>, and the box below holds one "
                "too: keep one of them (empty the box, or delete the element)."
            ).format(element=RULESET_TAG if own is ruleset else CONSORTIUM_TAG)
            raise SourceProblem([{"field": name, "message": message}])
    return scenario, ruleset, consortium


def read_sources(
    scenario_source: str, ruleset_source: str, consortium_source: str, gettext
) -> tuple[ReferralScenario, RuleSet | None, Consortium | None, Exercise]:
    """Author input from Studio: the scenario as readable XML or JSON, and optionally their own
    rule set and consortium as JSON (None: the shipped ones); or the whole `<cme_referral>` OLX
    holding all three. Raises SourceProblem."""
    text = scenario_source.strip()
    if is_block_olx(text):
        scenario, own_ruleset, own_consortium = _block_source(
            text, ruleset_source, consortium_source, gettext
        )
    else:
        scenario, own_ruleset, own_consortium = _scenario_source(text, gettext), None, None
    ruleset = own_ruleset or _json_source(ruleset_source, RuleSet, gettext("Rule set"), gettext)
    consortium = own_consortium or _json_source(
        consortium_source, Consortium, gettext("Consortium"), gettext
    )
    try:
        exercise = fit(StoredContent(scenario=scenario, ruleset=ruleset, consortium=consortium))
    except ReferralError as exc:
        message = _domain_message(gettext, exc)
        raise SourceProblem([{"field": "", "message": message}]) from exc
    return scenario, ruleset, consortium, exercise


def _shift_line(exc: ReferralError, offset: int) -> ReferralError:
    """The same error with its line counted from the start of the whole OLX file."""
    if offset <= 0 or "line" not in exc.params:
        return exc
    params = dict(exc.params)
    params["line"] = int(params["line"]) + offset
    return ReferralError(exc.code, **params)


# ---- handler requests (pydantic) ------------------------------------------------------------


def _code():
    return Field(default=None, max_length=64)


def _codes():
    return Field(default=None, max_length=100)


def _long_text():
    return Field(default=None, max_length=20_000)


class ReferralRequest(StrictRequest):
    """What the learner's page posts: the fields of one form, with the step it was rendered at.

    Limits here only bound the request; the domain's own limits (letter size, interval bounds,
    codes the consortium and rule set know) answer with their own sentences.
    """

    action: Literal["decide", "redirect", "set_plan", "visit_choice"]
    step: int = Field(ge=0)
    # decide
    disposition: str | None = _code()
    priority: str | None = _code()
    recognised_red_flags: list[str] | None = _codes()
    target_institution_id: str | None = _code()
    department: str | None = _code()
    letter_reason: str | None = _long_text()
    letter_history: str | None = _long_text()
    letter_key_findings: list[str] | None = _codes()
    letter_treatment_given: str | None = _long_text()
    letter_question: str | None = _long_text()
    letter_supporting_info: str | None = _long_text()
    # set_plan, and visit_choice with "adjust"
    interval_days: int | None = None
    monitoring: list[str] | None = _codes()
    targets: list[str] | None = _codes()
    re_referral_criteria: list[str] | None = _codes()
    # visit_choice
    choice: str | None = _code()
    note: str | None = Field(default=None, max_length=5000)

    def _plan(self) -> dict[str, Any]:
        plan: dict[str, Any] = {
            "monitoring": self.monitoring or [],
            "targets": self.targets or [],
            "re_referral_criteria": self.re_referral_criteria or [],
        }
        if self.interval_days is not None:
            plan["interval_days"] = self.interval_days
        return plan

    def _present(self, **values: Any) -> dict[str, Any]:
        """Only the values given (an unchosen select posts ""): the domain then says what is
        missing."""
        return {k: v for k, v in values.items() if v not in (None, "")}

    def to_domain(self) -> dict[str, Any]:
        """The form's flat fields as the domain's action JSON."""
        data: dict[str, Any] = {"kind": self.action, "step": self.step}
        if self.action == "decide":
            decision = self._present(disposition=self.disposition, priority=self.priority)
            decision["recognised_red_flags"] = self.recognised_red_flags or []
            # Referral fields count only for a referral: a learner who typed a letter and then
            # chose to manage locally is not refused for it.
            if self.disposition != "manage_locally":
                decision |= self._present(
                    target_institution_id=self.target_institution_id,
                    department=self.department,
                )
                decision["letter"] = {
                    "reason": self.letter_reason or "",
                    "history": self.letter_history or "",
                    "key_findings": self.letter_key_findings or [],
                    "treatment_given": self.letter_treatment_given or "",
                    "question": self.letter_question or "",
                    "supporting_info": [
                        line.strip()
                        for line in (self.letter_supporting_info or "").splitlines()
                        if line.strip()
                    ],
                }
            data["decision"] = decision
        elif self.action == "redirect":
            data |= self._present(
                target_institution_id=self.target_institution_id, department=self.department
            )
        elif self.action == "set_plan":
            data["plan"] = self._plan()
        else:
            data |= self._present(choice=self.choice)
            data["note"] = self.note or ""
            if self.choice == "adjust" and self.interval_days is not None:
                data["plan"] = self._plan()
        return data


class LearnerState(BaseModel):
    """What the block keeps per learner (one user-state field, read and written once per
    request): the attempt, the content the progress was made on (`Content.key`), the progress.
    """

    model_config = ConfigDict(extra="forbid")

    attempt: int = Field(default=1, ge=1)
    content_key: str = ""
    progress: Progress = Field(default_factory=Progress)


class StudioRequest(StudioSaveRequest):
    weight: float = Field(ge=0, le=1000)
    scenario_source: str = Field(min_length=1, max_length=2_000_000)
    ruleset_source: str = Field(default="", max_length=2_000_000)
    consortium_source: str = Field(default="", max_length=2_000_000)


class AnalyticsRequest(StrictRequest):
    action: Literal["analytics"] = "analytics"


class UpgradeRequest(StrictRequest):
    action: Literal["upgrade"] = "upgrade"
    version: str = Field(min_length=1, max_length=40)


# ---- the block ------------------------------------------------------------------------------


@XBlock.needs("i18n")
@XBlock.wants("user")
@XBlock.wants("studio_user_permissions")
class ReferralBlock(ExerciseMixin, XBlock):
    """A graded-referral exercise: decide, write the letter, follow up after downward referral."""

    display_name = String(
        display_name=N_("Display name"),
        scope=Scope.settings,
        default=N_("Referral exercise"),
    )
    weight = Float(
        display_name=N_("Problem weight"),
        help=N_("The exercise's share of the course grade; 0 makes it ungraded."),
        scope=Scope.settings,
        default=1.0,
        values={"min": 0},
    )
    content_json = String(
        help=N_(
            "The scenario, and the author's own rule set and consortium if any (validated "
            "JSON); edited in Studio."
        ),
        scope=Scope.content,
        default="",
    )
    #: `LearnerState` as JSON.
    state_json = String(scope=Scope.user_state, default="")
    raw_earned = Float(scope=Scope.user_state, default=None)
    raw_possible = Float(scope=Scope.user_state, default=None)

    block_type_name = "cme_referral"

    # ---- content ----------------------------------------------------------------------------
    @property
    def content(self) -> Content:
        """Read once per block instance (each field read is a store round-trip), validated once
        per process per content."""
        text = self._stored("content_json")
        cached = getattr(self, "_content_cache", None)
        if cached is None or cached[0] is not text:
            cached = (text, load_content(text))
            self._content_cache = cached
        return cached[1]

    @property
    def exercise(self) -> Exercise:
        return self.content.exercise

    @property
    def content_fingerprint(self) -> str:
        try:
            return self.content.full
        except (ReferralError, ValidationError):
            return digest(self.content_json)  # content an author must fix: still one version

    def max_score(self) -> float:
        try:
            return self.exercise.max_score
        except (ReferralError, ValidationError):
            # Content that no longer builds: the maximum this learner was last graded on.
            return self.raw_possible or 0.0

    def _content_problem(self, exc: Exception) -> str:
        """Why the stored content no longer builds, in the user's language."""
        if isinstance(exc, ReferralError):
            return _domain_message(self.gettext, exc)
        problems = translate_validation_error(self.gettext, exc, package="referral_tracking")
        return problems[0]["message"] if problems else self.gettext("its content is not valid.")

    def _unavailable(self, exc: Exception) -> str:
        return self.gettext("This exercise cannot be shown: {problem}").format(
            problem=self._content_problem(exc)
        )

    @property
    def chinese(self) -> bool:
        get_language = getattr(self.i18n, "get_language", None)
        language = get_language() if callable(get_language) else translation.get_language()
        return (language or "").lower().startswith("zh")

    # ---- learner state ----------------------------------------------------------------------
    @property
    def attempt(self) -> int:
        return self._stored_state().attempt

    def _stored_state(self) -> LearnerState:
        if not self._stored("state_json"):
            return LearnerState()
        return LearnerState.model_validate_json(self.state_json)

    def _load_state(self, check_reset: bool = False) -> tuple[LearnerState, str | None]:
        """The learner's state as it is now, and a notice for them: restarted if staff reset it
        (checked when a page opens), kept or restarted after the author edited the content."""
        notice = None
        if check_reset and self._apply_pending_reset():
            notice = "attempt_reset"
        if not self._stored("state_json"):
            state = self._fresh_state()
            self._save_state(state)
            return state, notice
        state = self._stored_state()
        progress, content = state.progress, self.content
        if state.content_key == content.key or progress.decision is None:
            return state, notice  # nothing decided yet: nothing to keep or lose
        if state.content_key.split(":")[0] == content.structure or progress.phase == "completed":
            # Finished attempts keep their result; a view that no longer fits starts again.
            try:
                learner_view(content.exercise, progress)
            except (IndexError, KeyError, ReferralError):
                pass
            else:
                state = state.model_copy(update={"content_key": content.key})
                self._save_state(state)
                return state, "content_updated"
        state = self._new_attempt(state)
        return state, "content_changed_restarted"

    def _new_attempt(self, state: LearnerState) -> LearnerState:
        """Start again; the step goes on counting, so a page of the old attempt is refused."""
        fresh = LearnerState(
            attempt=state.attempt + 1,
            content_key=self.content.key,
            progress=Progress(step=state.progress.step + 1),
        )
        self._save_state(fresh)
        return fresh

    def _fresh_state(self) -> LearnerState:
        """The state of a learner who has none: new here, or the platform deleted it ("Delete
        learner's state"). It goes on after what the durable records hold: the steps of their
        action receipts cannot be taken again, and the attempts with an outcome or a decision
        row are not written over (one query for the three tables)."""
        step, attempt = self._resume_point(decisions=True)
        return LearnerState(
            attempt=attempt, content_key=self.content.key, progress=Progress(step=step)
        )

    def _restart_for_reset(self) -> int:
        # Deleted by the platform: the fresh state is the new attempt.
        if not self._stored("state_json"):
            state = self._fresh_state()
            self._save_state(state)
            return state.attempt
        return self._new_attempt(self._stored_state()).attempt

    def _save_state(self, state: LearnerState) -> None:
        self.state_json = state.model_dump_json()

    # ---- rendering --------------------------------------------------------------------------
    def _view_context(
        self, progress: Progress, notice: str | None, view: dict | None = None
    ) -> dict[str, Any]:
        """Template context of the learner view (`view`: the engine's, when it has one)."""
        model = self._view_model()
        context = model.context(view or learner_view(self.exercise, progress), notice)
        context["uid"] = self.uid
        decision = progress.decision
        # The link only where the download has something: a referral made (kept: none).
        context["download_url"] = (
            self.runtime.handler_url(self, "download_referral")
            if decision is not None and decision.refers and progress.contacts
            else ""
        )
        return context

    @XBlock.supports("multi_device")
    def student_view(self, context=None) -> Fragment:
        try:
            state, notice = self._load_state(check_reset=True)
            view_context = self._view_context(state.progress, notice)
        except (ReferralError, ValidationError) as exc:
            # Content that no longer builds (a shipped rule set changed version under it).
            fragment = Fragment()
            fragment.add_content(
                render_template(
                    "referral/unavailable.html", {"message": self._unavailable(exc)}, self.i18n
                )
            )
            return fragment
        view_context["staff"] = self.user_is_staff
        view_context["ruleset_warning"] = self._ruleset_warning(self.exercise.ruleset)
        if view_context["staff"]:
            # Names this block's staff region: a page of several blocks has one of each.
            view_context["staff_title"] = self.gettext("Staff tools: {name}").format(
                name=self.display_name
            )
            view_context["csv_url"] = self.runtime.handler_url(self, "analytics_csv")
            view_context["ruleset_notice"] = self._ruleset_notice(self.exercise.ruleset)
            view_context["ruleset_upgrade"] = self._ruleset_upgrade()
        html = render_template("referral/student.html", view_context, self.i18n)
        fragment = Fragment(html)
        add_assets(
            fragment, css=("css/cme_common.css",), js=("js/cme_common.js", "js/cme_referral.js")
        )
        fragment.initialize_js("CmeReferralInit")
        return fragment

    def student_view_data(self, context=None) -> dict[str, Any]:
        """For the mobile apps' course structure. The platform collects it once for everyone,
        without a learner: only the exercise as any learner first sees it (no user state read
        or written, nothing published). The app then asks the `view_data` handler for the
        learner's own view and posts their actions to `act`. When the content no longer
        builds: `{"phase": "unavailable", "message": ...}` as the page says it."""
        try:
            overview = exercise_overview(self.exercise)
        except (ReferralError, ValidationError) as exc:
            return {"phase": "unavailable", "message": self._unavailable(exc)}
        return self._course_structure_data(overview)

    @json_action(ViewDataRequest)
    def view_data(self, data: ViewDataRequest, suffix: str = "") -> dict[str, Any]:
        """The learner's own view for the mobile app: what the page shows (nothing unearned),
        as data; opening it starts, resumes or restarts the exercise as opening the page
        does. Content that no longer builds: the view is `{"phase": "unavailable", ...}`."""
        try:
            state, notice = self._load_state(check_reset=True)
            view = learner_view(self.exercise, state.progress)
        except (ReferralError, ValidationError) as exc:
            return {
                "view": {"phase": "unavailable", "message": self._unavailable(exc)},
                "notice": "",
                "notice_text": "",
            }
        return {
            "view": view,
            "notice": notice or "",
            "notice_text": self._view_model().notice(notice),
        }

    # ---- the learner's actions --------------------------------------------------------------
    @json_action(ReferralRequest)
    def act(self, data: ReferralRequest, suffix: str = "") -> Response | dict[str, Any]:
        state, notice = self._load_state()
        exercise = self.exercise
        try:
            action = parse_action(learner_action(exercise, data.to_domain()))
            step = apply(exercise, state.progress, action)
        except ValidationError as exc:
            return self._invalid(exc, data.action)
        except ReferralError as exc:
            raise self._in_words(exc, exercise, state.progress) from exc
        if not self._take_step(data.step):
            raise ReferralError("action_replayed", step=data.step, expected=data.step + 1)
        state = state.model_copy(
            update={"progress": step.progress, "content_key": self.content.key}
        )
        self._save_state(state)
        for event in step.events:
            self.runtime.publish(self, event.name, event.data)
        if data.action in ("decide", "set_plan") or step.progress.phase == "completed":
            self._record_decision(exercise, step.progress, state.attempt)
        if step.progress.phase == "completed":
            self._complete(exercise, step.progress, state.attempt)
        html = render_template(
            "referral/view.html",
            self._view_context(step.progress, notice, step.response),
            self.i18n,
        )
        return {"html": html, "announce": self._announce(exercise, step.response, data.action)}

    @XBlock.handler
    def download_referral(self, request, suffix: str = "") -> Response:
        """The learner's own referral of their current attempt as a FHIR R4 Bundle, fetched by
        the page's link (GET). `referral_bundle` puts in only what they have earned: their
        letter, each hospital's answer as the page shows it (the diagnosis only once one has
        accepted), never the rule set's answer. 400 with a sentence before the decision and
        when they kept the patient."""
        _ = self.gettext
        try:
            exercise = self.exercise
            # A learner who never opened the exercise has decided nothing: told so, and no
            # state is made for them by a download.
            state = self._load_state()[0] if self._stored("state_json") else LearnerState()
        except (ReferralError, ValidationError) as exc:
            return json_response({"error": self._unavailable(exc)}, 400)
        try:
            bundle = referral_bundle(exercise, state.progress, self._decline_in_words(exercise))
        except ReferralError as exc:
            if exc.code == "no_referral":
                message = _(NO_REFERRAL_TO_DOWNLOAD)
            else:
                message = translate_domain_error(_, exc)
            return json_response({"error": message, "code": exc.code}, 400)
        body = json.dumps(bundle, ensure_ascii=False, indent=2).encode("utf-8")
        # The charset in the type itself: WebOb adds one only to types it knows as text.
        response = Response(body, content_type="application/fhir+json; charset=utf-8")
        name = "".join(
            c for c in exercise.scenario.id if c.isascii() and (c.isalnum() or c in "-_")
        )
        filename = f"{name[:64] or 'scenario'}-referral.json"
        response.content_disposition = f'attachment; filename="{filename}"'
        return response

    def _decline_in_words(self, exercise: Exercise) -> Callable[[str, dict[str, str]], str]:
        """A receiving hospital's reason to decline as the learner's page words it: in their
        language, the hospital by its name in that language, tiers and capabilities by their
        labels."""
        model = self._view_model()
        names = {
            i.name: (self.chinese and i.name_zh) or i.name for i in exercise.consortium.institutions
        }

        def describe(code: str, params: dict[str, str]) -> str:
            words = model.in_words(params)
            if params.get("institution") in names:
                words["institution"] = names[params["institution"]]
            return translate_code(
                self.gettext, code, words, default=code, package="referral_tracking"
            )

        return describe

    def _view_model(self) -> ReferralViewModel:
        i18n = self.i18n
        return ReferralViewModel(i18n.gettext, getattr(i18n, "ngettext", None), self.chinese)

    def _in_words(
        self, exc: ReferralError, exercise: Exercise, progress: Progress
    ) -> ReferralError:
        """The same refusal with hospitals, departments, tiers and choices named as the
        learner's page names them, never by their codes (translated by `json_action`)."""
        try:
            view = learner_view(exercise, progress)
        except (IndexError, KeyError, ReferralError):
            view = None
        return ReferralError(exc.code, **self._view_model().in_words(exc.params, view))

    def _invalid(self, exc: ValidationError, kind: str) -> Response:
        """400 with each problem told in the words of the learner's form."""
        _ = self.gettext
        problems = translate_validation_error(_, exc, package="referral_tracking")
        for problem in problems:
            raw = problem["field"]
            path = raw.removeprefix(kind + ".")
            known = [f for f in FORM_FIELDS if path == f or path.startswith((f + ".", f + "["))]
            if known:
                label = _(FORM_FIELDS[max(known, key=len)])
                # The sentence names the field by its path or by the path in words.
                for said in {problem.get("label") or raw, raw}:
                    problem["message"] = problem["message"].replace(said, label)
                problem["field"] = label
                if "label" in problem:
                    problem["label"] = label
        return json_response({"error": problems[0]["message"], "problems": problems}, 400)

    def _announce(self, exercise: Exercise, view: dict[str, Any], kind: str) -> str:
        _ = self.gettext
        phase = view["phase"]
        if phase == "completed":
            return self._announcement("completed")
        if kind in ("decide", "redirect"):
            contacts = view.get("contacts") or []
            if not contacts:
                return self._announcement("kept")
            last = exercise.consortium.institution(contacts[-1]["institution_id"])
            name = (self.chinese and last.name_zh) or last.name
            return self._announcement(contacts[-1]["status"]).format(institution=name)
        visit = view.get("current_visit")
        if visit is None:
            return ""
        if kind == "set_plan":
            return self._announcement("planned").format(day=visit["day"])
        return self._announcement("visit").format(number=visit["number"], day=visit["day"])

    def _announcement(self, kind: str) -> str:
        return self.gettext(ANNOUNCE[kind])

    def _record_decision(self, exercise: Exercise, progress: Progress, attempt: int) -> None:
        """The durable row the analytics read (one per learner, block and attempt)."""
        from .records.decisions import record_decision

        if not self.keeps_records:
            return
        record_decision(
            decision_record(exercise, progress, self.learner_id),
            usage_id=self.usage_key,
            course_id=self.course_key,
            attempt=attempt,
            now=datetime.now(UTC),
        )

    def _complete(self, exercise: Exercise, progress: Progress, attempt: int) -> None:
        """Grade (kept if higher than before), completion and the durable outcome row."""
        rubric = progress.rubric
        self._finish(
            attempt,
            progress.score,
            exercise.max_score,
            detail={
                "scenario_id": exercise.scenario.id,
                "ruleset_id": exercise.ruleset.id,
                "ruleset_version": exercise.ruleset.version,
                "institution_id": exercise.institution.id,
                "classification": rubric.classification if rubric else None,
                "decision": progress.decision.model_dump(mode="json")
                if progress.decision
                else None,
                "contacts": [c.model_dump(mode="json") for c in progress.contacts],
                "plan": progress.first_plan.model_dump(mode="json")
                if progress.first_plan
                else None,
                "visits": [
                    {"day": v.day, "choice": v.choice, "expected_choice": v.expected_choice}
                    for v in progress.visits
                ],
                "closed_loop_met": progress.closed_loop_met,
            },
        )

    # ---- ScorableXBlockMixin ----------------------------------------------------------------
    def has_submitted_answer(self) -> bool:
        return self._stored_state().progress.decision is not None

    def calculate_score(self) -> Score:
        """Rescoring: a finished attempt on the rules as they are now, as far as the state
        keeps what the learner did. The decision is stored whole, so it is scored again (a
        rubric of an earlier scoring, such as one without the "no referral needed" lines, is
        brought up to date); the follow-up plan's and the visits' points stay as given."""
        progress = self._stored_state().progress
        if progress.decision is None:
            return Score(raw_earned=0.0, raw_possible=self.max_score())
        if progress.phase != "completed":
            return self.get_score()
        return Score(raw_earned=self._rescored(progress), raw_possible=self.max_score())

    def _rescored(self, progress: Progress) -> float:
        try:
            exercise = self.exercise
            rubric = score_decision(
                exercise.ruleset,
                exercise.scenario,
                exercise.institution,
                progress.decision,
                exercise.consortium,
            )
        except (ReferralError, ValidationError):
            return progress.score  # the decision no longer fits the content: as it was scored
        before = progress.rubric.points if progress.rubric else 0.0
        return progress.score - before + rubric.points

    # ---- staff ------------------------------------------------------------------------------
    def _report(self):
        from .records.decisions import decision_records

        return aggregate(decision_records(self.course_key))

    def _chart_labels(self) -> ChartLabels:
        _ = self.gettext
        return ChartLabels(
            title=_("Referral decisions by tier of the learner's institution"),
            metrics={metric: _(label) for metric, label in CHART_METRICS.items()},
            tiers={tier: _(label) for tier, label in CHART_TIERS.items()},
            decisions=_("{count} decisions"),
            no_data=_("no data"),
        )

    @json_action(AnalyticsRequest, staff_only=True)
    def analytics(self, data: AnalyticsRequest, suffix: str = "") -> dict[str, Any]:
        """The course's referral decisions at a glance: a chart by tier and a table."""
        _ = self.gettext
        report = self._report()
        uid = self.uid
        tiers = {tier: _(label) for tier, label in CHART_TIERS.items()}
        try:  # names of the institutions, also when the exercise no longer builds
            known = stored_content(self.content_json).consortium or load_demo_consortium()
        except ValidationError:
            known = load_demo_consortium()
        consortium = {i.id: i for i in known.institutions}

        def row(group: str, stats) -> dict[str, Any]:
            def percent(value):
                return "–" if value is None else f"{round(value * 100)}%"

            return {
                "group": group,
                "decisions": stats.decisions,
                "over": percent(stats.over_referral_rate),
                "under": percent(stats.under_referral_rate),
                "critical": percent(stats.critical_under_triage_rate),
                "urgency": percent(stats.urgency_error_rate),
                "letters": stats.letters_with_gaps,
                "follow_up": percent(stats.follow_up_adherence),
            }

        rows = [row(_("All decisions"), report.overall)]
        for tier, label in tiers.items():
            if tier in report.by_tier:
                rows.append(row(label, report.by_tier[tier]))
        for institution_id in sorted(report.by_institution):
            known = consortium.get(institution_id)
            name = ((self.chinese and known.name_zh) or known.name) if known else institution_id
            rows.append(row(name, report.by_institution[institution_id]))
        learners = sorted(report.by_learner)
        names = self._learner_names(learners[:LEARNER_ROWS_SHOWN])
        for learner in learners[:LEARNER_ROWS_SHOWN]:
            rows.append(
                row(
                    _("Learner {learner}").format(learner=names.get(learner, learner)),
                    report.by_learner[learner],
                )
            )
        more = ""
        if len(learners) > LEARNER_ROWS_SHOWN:
            more = _("{count} more learners are in the CSV download.").format(
                count=len(learners) - LEARNER_ROWS_SHOWN
            )
        svg = report_to_svg(report, self._chart_labels(), id_prefix=f"cme-chart-{uid}")
        letters_svg = ""
        if report.overall.letters_with_gaps:
            letter_labels = LetterChartLabels(
                title=_("Referral letters: how often each item was missing"),
                items={item: _(label) for item, label in CHART_LETTER_ITEMS.items()},
                letters=lambda count: self.ngettext(
                    "{count} letter", "{count} letters", count
                ).format(count=count),
            )
            letters_svg = letter_items_to_svg(report, letter_labels, id_prefix=f"cme-letters-{uid}")
        html = render_template(
            "referral/analytics.html",
            {
                "heading": self.ngettext(
                    "{count} referral decision in this course",
                    "{count} referral decisions in this course",
                    report.overall.decisions,
                ).format(count=report.overall.decisions),
                "decisions": report.overall.decisions,
                "svg": mark_safe(svg),  # noqa: S308 (serialized by ElementTree: escaped)
                "letters_svg": mark_safe(letters_svg),  # noqa: S308 (as above)
                "rows": rows,
                "more_learners": more,
            },
            self.i18n,
        )
        return {"html": html}

    def _learner_names(self, learner_ids: list[str]) -> dict[str, str]:
        """Usernames of the learners the staff view lists, by learner id: the current user's
        from the user service, the others' from the platform's user table (in the LMS a
        learner id is the user's id; one query per NAMES_PER_QUERY learners). Not found: not
        listed."""
        names: dict[str, str] = {}
        username = self._user_attr("edx-platform.username")
        if username and self.learner_id in learner_ids:
            names[self.learner_id] = str(username)
        user_ids = [int(i) for i in learner_ids if i.isascii() and i.isdigit()]
        if user_ids:
            from django.contrib.auth import get_user_model

            users = get_user_model().objects
            for start in range(0, len(user_ids), NAMES_PER_QUERY):
                chunk = users.filter(pk__in=user_ids[start : start + NAMES_PER_QUERY])
                names |= {str(pk): name for pk, name in chunk.values_list("pk", "username")}
        return names

    @XBlock.handler
    def analytics_csv(self, request, suffix: str = "") -> Response:
        """The course's referral analytics as CSV (staff only): UTF-8 with a BOM so that
        spreadsheet software shows Chinese; each learner by the learner id the records hold and
        by username where it is known (as the staff table names them); cells that would start
        a formula are quoted by `report_to_csv_rows`."""
        if not self.user_is_staff:
            return json_response({"error": self.gettext(STAFF_ONLY)}, 403)
        buffer = io.StringIO()
        buffer.write("\ufeff")
        report = self._report()
        names = self._learner_names(sorted(report.by_learner))
        csv.writer(buffer).writerows(report_to_csv_rows(report, names))
        response = Response(buffer.getvalue(), content_type="text/csv", charset="utf8")
        response.content_disposition = 'attachment; filename="referral-analytics.csv"'
        return response

    # ---- Studio -----------------------------------------------------------------------------
    def studio_view(self, context=None) -> Fragment:
        """The editor, also (above all) when the stored content no longer builds: it opens on
        what is stored, says what is wrong, and a valid save repairs the exercise."""

        def render() -> str:
            problem = ""
            try:
                _content = self.content  # builds it, or says why not
            except (ReferralError, ValidationError) as exc:
                problem = self.gettext(
                    "This exercise no longer works as saved: {problem} Correct it here and save."
                ).format(problem=self._content_problem(exc))
            sources = _editor_sources(self.content_json)
            # The shipped version the scenario was saved with (none: the author's own rule set).
            version = None if sources["ruleset"] else sources["data"].get("ruleset_version")
            if not isinstance(version, str):
                version = None
            return render_template(
                "referral/studio.html",
                {
                    "display_name": self.display_name,
                    "weight": self.weight,
                    "fingerprint": self.content_fingerprint,
                    "problem": problem,
                    "scenario_source": sources["scenario"],
                    "ruleset_source": sources["ruleset"],
                    "consortium_source": sources["consortium"],
                    "ruleset_help": self._ruleset_help(sources["ruleset_id"], version),
                    "export_url": self.runtime.handler_url(self, "export_scenario"),
                    "editor_config_json": script_json(
                        editor_config(self.gettext, self._suggestions())
                    ),
                    "editor_data_json": script_json(sources["data"]),
                },
                self.i18n,
            )

        return self._studio_fragment(render)

    def _suggestions(self) -> dict[str, Any]:
        """The codes the Studio form offers, from the stored consortium and rule set (the demo
        consortium and no rule set's codes when the stored content cannot be read)."""
        try:
            stored = stored_content(self.content_json)
        except ValidationError:
            return suggestions(load_demo_consortium(), None, self.gettext, self.chinese)
        scenario = stored.scenario
        try:
            ruleset = stored.ruleset or load_ruleset(scenario.ruleset_id, scenario.ruleset_version)
        except ReferralError:
            ruleset = None
        consortium = stored.consortium or load_demo_consortium()
        return suggestions(consortium, ruleset, self.gettext, self.chinese)

    def _ruleset_warning(self, ruleset) -> str:
        """For learners: the answers follow a version withdrawn for safety (never silently)."""
        if not ruleset.withdrawn:
            return ""
        return self.gettext(
            "This exercise is scored with a rule-set version withdrawn for safety: do not rely "
            "on its answers in practice, and tell your course staff. {notice}"
        ).format(notice=(self.chinese and ruleset.notice_zh) or ruleset.notice)

    def _ruleset_notice(self, ruleset) -> str:
        """For staff and authors: why this rule-set version is withdrawn or superseded, and how
        to move the exercise to the newest version (empty for a current version)."""
        if ruleset.status == "current":
            return ""
        _ = self.gettext
        try:
            newest = shipped_ruleset_versions().get(ruleset.id, [ruleset.version])[-1]
        except ReferralError:
            newest = ruleset.version
        return _(
            'Rule set "{ruleset}" version {version} is {status}. {notice} To move this exercise '
            "to version {newest}, write {newest} as the rule set version in the editor and save "
            "(the learners' attempts then start again)."
        ).format(
            ruleset=ruleset.id,
            version=ruleset.version,
            status=_(RULESET_STATUS[ruleset.status]),
            notice=(self.chinese and ruleset.notice_zh) or ruleset.notice,
            newest=newest,
        )

    def _ruleset_upgrade(self) -> dict[str, str] | None:
        """The one-click move to the newest shipped version, for an exercise on an older one
        of a shipped rule set (None: nothing to move to, or the author's own rule set)."""
        stored = stored_content(self.content_json)
        ruleset = self.exercise.ruleset
        if stored.ruleset is not None or ruleset.status == "current":
            return None
        newest = shipped_ruleset_versions().get(ruleset.id, [ruleset.version])[-1]
        if newest == ruleset.version:
            return None
        label = self.gettext("Move this exercise to version {version}").format(version=newest)
        return {"version": newest, "label": label}

    @json_action(UpgradeRequest, author_only=True)
    def upgrade_ruleset(self, data: UpgradeRequest, suffix: str = "") -> Response | dict[str, Any]:
        """Move the exercise to the newest shipped version of its rule set (what the notice of a
        withdrawn or superseded version offers); learners part-way are told, as after a save."""
        done = self.gettext(
            "This exercise now uses version {version} of the rule set. Reload the page to see it."
        ).format(version=data.version)
        offer = self._ruleset_upgrade()
        if offer is None and self.exercise.ruleset.version == data.version:
            return {"message": done}  # moved already (a second click, another tab)
        if offer is None or offer["version"] != data.version:
            message = self.gettext(
                "This exercise cannot be moved to version {version}: reload the page to see the "
                "version it can move to."
            ).format(version=data.version)
            return json_response({"error": message}, 400)
        stored = stored_content(self.content_json)
        scenario = stored.scenario.model_copy(update={"ruleset_version": data.version})
        upgraded = StoredContent(scenario=scenario, ruleset=None, consortium=stored.consortium)
        fit(upgraded)
        self.content_json = upgraded.model_dump_json()
        return {"message": done}

    def _ruleset_help(self, ruleset_id: str, version: str | None = None) -> str:
        """What leaving the rule set empty means: the shipped one the scenario names, at the
        version it was saved with (`version`; None: the newest, which a save then pins), and
        every shipped rule set with its versions ("hypertension: 1.0, 1.1; stroke: 1.0")."""
        words = ReferralViewModel(self.gettext)
        available = self.gettext(GROUP_SEPARATOR).join(
            self.gettext("{ruleset}: {versions}").format(
                ruleset=shipped_id, versions=words.join(versions)
            )
            for shipped_id, versions in shipped_ruleset_versions().items()
        )
        try:
            shipped = load_ruleset(ruleset_id, version)
        except ReferralError:
            return self.gettext(
                "Leave empty to use the shipped rule set the scenario names, at the version the "
                "scenario is saved with: a version shipped later does not change its answers. "
                "Shipped rule sets and their versions: {available}."
            ).format(available=available)
        help_text = self.gettext(
            'Leave empty to use the shipped rule set "{ruleset}", version {version}: the '
            "scenario keeps the version it was saved with, also when a newer one ships. "
            "Shipped rule sets and their versions: {available}."
        ).format(ruleset=shipped.id, version=shipped.version, available=available)
        notice = self._ruleset_notice(shipped)
        return f"{notice} {help_text}" if notice else help_text

    @json_action(StudioRequest, author_only=True)
    def studio_submit(self, data: StudioRequest, suffix: str = "") -> Response | dict[str, Any]:
        """Validate (and on "save" store) the author's scenario, rule set and consortium.
        Nothing is stored unless all of it is valid and fits together; each problem comes back
        with its line or field."""
        _ = self.gettext
        try:
            scenario, ruleset, consortium, exercise = read_sources(
                data.scenario_source, data.ruleset_source, data.consortium_source, _
            )
        except SourceProblem as exc:
            return json_response({"error": _(NOT_SAVED), "problems": exc.problems}, status=400)
        summary = self._studio_summary(exercise)
        if data.mode == "validate":  # the editor carries the scenario between form and XML
            return {
                "message": _("The exercise is valid: {summary}").format(summary=summary),
                "data": json.loads(scenario.model_dump_json()),
                "source": scenario_to_xml(scenario),
                # The rule set's version it is played with (a save pins a shipped one).
                "ruleset_version": exercise.ruleset.version,
                # A pasted `<cme_referral>`'s own rule set and consortium, for their boxes.
                "boxes": {
                    "ruleset_source": _pretty(ruleset),
                    "consortium_source": _pretty(consortium),
                }
                if is_block_olx(data.scenario_source.strip())
                else {},
            }
        refused = self._refuse_stale_save(
            data.base_fingerprint,
            _(
                "Someone else saved this exercise after you opened it. Nothing was saved: "
                "copy your changes, reload the editor and apply them again."
            ),
        )
        if refused:
            return refused
        self.display_name = data.display_name.strip()
        self.weight = data.weight
        if ruleset is None:
            # The shipped version it is played with now, written into the scenario: a newer
            # version shipped later does not silently change a live exercise's answers.
            scenario = pin_ruleset_version(scenario)
        self.content_json = StoredContent(
            scenario=scenario, ruleset=ruleset, consortium=consortium
        ).model_dump_json()
        return {
            "message": _("Saved: {summary}").format(summary=summary),
            "fingerprint": self.content_fingerprint,
        }

    def _studio_summary(self, exercise: Exercise) -> str:
        """What the author most needs to check: the rule set's answer at this institution."""
        _ = self.gettext
        expected = exercise.expected
        answer = _("{disposition}, priority {priority}").format(
            disposition=_(DISPOSITIONS[expected.disposition]),
            priority=_(PRIORITY_SHORT[expected.priority]),
        )
        if expected.refers:
            answer = _("{answer}, to {tier}").format(
                answer=answer, tier=_(TIERS[expected.receiving_tier or expected.tier])
            )
        return _(
            "{findings} findings, {visits} visits, up to {points} points; the rule set's answer: "
            "{answer}."
        ).format(
            findings=len(exercise.scenario.findings),
            visits=len(exercise.scenario.visits),
            points=f"{exercise.max_score:g}",
            answer=answer,
        )

    @XBlock.handler
    def export_scenario(self, request, suffix: str = "") -> Response:
        """Download the scenario as JSON (authors only): it imports back in the Studio editor."""
        if not self.user_can_author:
            return json_response({"error": self.gettext(STAFF_ONLY)}, 403)
        # What is stored, even when it no longer builds: the author exports it to repair it.
        data = _editor_sources(self.content_json)["data"]
        if not data:
            message = self.gettext("The stored scenario cannot be read, so it cannot be exported.")
            return json_response({"error": message}, 400)
        body = json.dumps(data, ensure_ascii=False, indent=2)
        response = Response(body, content_type="application/json", charset="utf8")
        name = data.get("id") if isinstance(data.get("id"), str) else ""
        filename = "".join(c for c in name if c.isalnum() or c in "-_")[:64] or "scenario"
        response.content_disposition = f'attachment; filename="{filename}.json"'
        return response

    # ---- OLX --------------------------------------------------------------------------------
    @classmethod
    def parse_xml(cls, node, runtime, keys, id_generator=None):
        """`<cme_referral display_name=".." weight="..">` holding the scenario's readable XML
        (`<referral-scenario>`) and, when the author has their own, `<ruleset>` and
        `<consortium>` as JSON. Invalid content stops the import with the line at fault."""
        docinfo = node.getroottree().docinfo
        if docinfo.doctype or docinfo.internalDTD is not None:
            # The runtime's parser may already have expanded its entities: refuse the file.
            raise ReferralError("xml_doctype_forbidden")
        block = runtime.construct_xblock_from_class(cls, keys)
        cls._read_settings(block, node)
        scenario = node.find(SCENARIO_TAG)
        if scenario is None:
            return block  # the default scenario
        try:
            parsed = scenario_from_xml(etree.tostring(scenario, encoding="utf-8"))
        except ReferralError as exc:
            raise _shift_line(exc, (scenario.sourceline or 1) - 1) from exc
        ruleset = _json_child(node, RULESET_TAG, RuleSet)
        stored = StoredContent(
            # A shipped rule set's version pinned at import, as at a Studio save: an upgrade of
            # the suite that ships a newer one does not change a live course's answers.
            scenario=parsed if ruleset is not None else pin_ruleset_version(parsed),
            ruleset=ruleset,
            consortium=_json_child(node, CONSORTIUM_TAG, Consortium),
        )
        fit(stored)
        block.content_json = stored.model_dump_json()
        return block

    def add_xml_to_node(self, node) -> None:
        """Settings as attributes, the scenario as nested XML; never user state. (Content that
        validates but no longer fits its rule set is exported as it is, to be fixed.)"""
        stored = stored_content(self.content_json)
        self._write_settings(node)
        node.append(parse_safely(scenario_to_xml(stored.scenario)))
        for tag, model in ((RULESET_TAG, stored.ruleset), (CONSORTIUM_TAG, stored.consortium)):
            if model is not None:
                etree.SubElement(node, tag).text = _pretty(model)

    # ---- the workbench ----------------------------------------------------------------------
    @staticmethod
    def workbench_scenarios() -> list[tuple[str, str]]:
        scenarios = []
        for name in DEMO_SCENARIOS:
            scenario = parse_safely(demo_scenario_xml(name))
            title = scenario.findtext("title") or name
            root = etree.Element("cme_referral", {"display_name": title})
            root.append(scenario)
            scenarios.append((f"Referral: {title}", etree.tostring(root, encoding="unicode")))
        return scenarios


def _pretty(model: BaseModel | None) -> str:
    """A rule set or consortium as JSON indented for an author to read (None: empty)."""
    if model is None:
        return ""
    return json.dumps(model.model_dump(mode="json"), ensure_ascii=False, indent=2)


def _json_child(node, tag: str, model: type[BaseModel]):
    """`<ruleset>` / `<consortium>` of the block's OLX: the author's own, as JSON text.
    ReferralError names the element, the field and the line in the file."""
    child = node.find(tag)
    if child is None or not (child.text or "").strip():
        return None
    line = child.sourceline or 1
    try:
        data = json.loads(child.text)
    except json.JSONDecodeError as exc:
        raise ReferralError(
            "olx_json_syntax", line=line + exc.lineno - 1, element=tag, problem=exc.msg
        ) from exc
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        loc = [p for p in error["loc"] if not str(p).startswith("function-")]
        raise ReferralError(
            "xml_invalid",
            line=line,
            field=f"<{tag}> {field_label(loc)}".strip(),
            problem=error["msg"],
            error_code=error["type"],
            problem_params={k: str(v) for k, v in (error.get("ctx") or {}).items()},
        ) from exc


def _json_text(value: Any) -> str:
    return "" if value is None else json.dumps(value, ensure_ascii=False, indent=2)


def _editor_sources(content_json: str) -> dict[str, Any]:
    """What the Studio editor and the JSON export open on: the stored scenario as readable XML
    (or, when it no longer validates, the JSON it was saved as), the author's own rule set and
    consortium, the scenario as data for the form, and the rule set it names."""
    try:
        stored = stored_content(content_json)
    except ValidationError:
        try:
            raw = json.loads(content_json)
        except json.JSONDecodeError:
            raw = None
        if not isinstance(raw, dict):
            return {
                "scenario": content_json,
                "ruleset": "",
                "consortium": "",
                "data": {},
                "ruleset_id": "",
            }
        scenario = raw.get("scenario") if isinstance(raw.get("scenario"), dict) else {}
        return {
            "scenario": _json_text(raw.get("scenario")),
            "ruleset": _json_text(raw.get("ruleset")),
            "consortium": _json_text(raw.get("consortium")),
            "data": scenario,
            "ruleset_id": str(scenario.get("ruleset_id", "")),
        }
    scenario = stored.scenario
    return {
        "scenario": scenario_to_xml(scenario),
        "ruleset": _pretty(stored.ruleset),
        "consortium": _pretty(stored.consortium),
        "data": json.loads(scenario.model_dump_json()),
        "ruleset_id": stored.ruleset.id if stored.ruleset else scenario.ruleset_id,
    }
