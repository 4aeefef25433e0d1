"""The referral exercise as a pure state machine: `(exercise, progress, action) -> Step`.

Phases: `presentation` (decide) -> `declined` (the chosen hospital cannot take the patient:
redirect) -> `plan` (set the follow-up plan after downward referral) -> `visit` (one choice per
visit: continue / adjust / re-refer) -> `completed`.

Every action carries the `step` it was taken at. A replayed or out-of-sequence action, or input
the consortium or rule set does not allow, raises `ReferralError` and changes nothing: the
progress passed in is never mutated. `learner_view` shows only what the learner has earned:
the rule set's answer, the rubric and the receiving hospital's reply appear after the decision;
a visit shows only the items the plan monitors.
"""

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, TypeAdapter

from .messages import ReferralError
from .rules import (
    ExpectedDecision,
    RubricItem,
    RubricResult,
    decline_reason,
    expected_decision,
    score_decision,
)
from .schema import (
    CAPABILITIES,
    LETTER_ITEMS,
    LETTER_SIZE_LIMIT,
    TIER_RANK,
    Authored,
    Code,
    Consortium,
    FollowUpPlan,
    Identifier,
    Institution,
    ReferralDecision,
    ReferralScenario,
    RuleSet,
    VisitChoice,
)
from .vocabulary import misspelt, require_known

EVENT_PREFIX = "cme.referral."

Phase = Literal["presentation", "declined", "plan", "visit", "completed"]


# ---- the exercise ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PageCodes:
    """What the learner's page calls the patient's findings and the red-flag candidates.

    A finding's id is often a red flag's id (the finding "vomiting" is the red flag
    "vomiting"): sent as they are, matching the two lists would give away which red flags
    are present, the answer the rubric scores. The page gets numbers in two separate series
    instead (findings in the scenario's order, candidates in the rule set's), and the server
    maps them back (`learner_action`).
    """

    #: page id -> finding id, and page id -> red-flag code
    findings: dict[str, str]
    red_flags: dict[str, str]

    @classmethod
    def of(cls, scenario: ReferralScenario, ruleset: RuleSet) -> "PageCodes":
        return cls(
            findings={f"finding_{n}": f.id for n, f in enumerate(scenario.findings, 1)},
            red_flags={f"red_flag_{n}": t.id for n, t in enumerate(ruleset.red_flags, 1)},
        )

    def page_finding(self, finding_id: str) -> str:
        return next((k for k, v in self.findings.items() if v == finding_id), finding_id)

    def page_red_flag(self, code: str) -> str:
        return next((k for k, v in self.red_flags.items() if v == code), code)


@dataclass(frozen=True)
class Exercise:
    """A scenario with the rule set and consortium it is played in, checked to fit together.

    Build it with `build_exercise`; the adapter keeps the three parts in content fields.
    """

    scenario: ReferralScenario
    ruleset: RuleSet
    consortium: Consortium
    institution: Institution
    expected: ExpectedDecision
    max_score: float
    codes: PageCodes


def _check_scenario_codes(scenario: ReferralScenario, ruleset: RuleSet) -> None:
    """Refuse a measure or monitoring item the rule set lacks, and a finding id that is nearly
    one of its codes (a misspelt red flag would silently change the rule set's answer)."""
    codes = ruleset.red_flag_ids | {t.id for t in ruleset.findings}
    measures = {m.id for m in ruleset.measures}
    for finding in scenario.findings:
        close = [] if finding.id in codes else misspelt(finding.id, codes)
        if close:
            raise ReferralError(
                "scenario_misspelt_finding",
                finding=finding.id,
                ruleset=ruleset.id,
                nearest=", ".join(f'"{code}"' for code in close),
            )
        for measure in finding.measures:
            require_known(
                measure,
                measures,
                ReferralError,
                "scenario_unknown_measure",
                finding=finding.id,
                measure=measure,
                ruleset=ruleset.id,
            )
    for visit in scenario.visits:
        for finding in visit.findings:
            require_known(
                finding.item,
                ruleset.follow_up.monitoring_ids,
                ReferralError,
                "visit_unknown_item",
                day=visit.day,
                item=finding.item,
                ruleset=ruleset.id,
            )


def build_exercise(
    scenario: ReferralScenario, ruleset: RuleSet, consortium: Consortium
) -> Exercise:
    """Check that scenario, rule set and consortium fit; raise ReferralError naming the misfit."""
    if scenario.ruleset_id != ruleset.id:
        raise ReferralError(
            "ruleset_mismatch",
            scenario=scenario.id,
            expected=scenario.ruleset_id,
            ruleset=ruleset.id,
        )
    if scenario.ruleset_version and scenario.ruleset_version != ruleset.version:
        raise ReferralError(
            "ruleset_version_unknown",
            ruleset=ruleset.id,
            version=scenario.ruleset_version,
            available=ruleset.version,
        )
    institution = consortium.institution(scenario.institution_id)
    _check_scenario_codes(scenario, ruleset)
    expected = expected_decision(ruleset, scenario, institution, consortium)
    response = scenario.receiving_response
    for decline in response.declines:
        consortium.institution(decline.institution_id)
    if expected.refers and all(
        response.scripted_decline(i) for i in expected.receiving_institutions
    ):
        raise ReferralError(
            "every_receiver_declines", scenario=scenario.id, rule=expected.deciding_rule
        )
    # The rubric's maximum is the rule set's: every decision is scored on the same lines,
    # whatever is decided and whatever the patient needs (it must not tell the answer).
    placeholder = ReferralDecision(disposition="manage_locally", priority="routine")
    decision_max = score_decision(
        ruleset, scenario, institution, placeholder, consortium
    ).max_points
    follow_up = ruleset.follow_up
    weights = ruleset.weights
    follow_up_max = (
        len(follow_up.required_monitoring) * weights.monitoring_item
        + len(follow_up.required_targets) * weights.target
        + len(follow_up.required_re_referral) * weights.re_referral_criterion
        + weights.closed_loop
        + len(scenario.visits) * weights.visit_choice
    )
    return Exercise(
        scenario=scenario,
        ruleset=ruleset,
        consortium=consortium,
        institution=institution,
        expected=expected,
        max_score=decision_max + follow_up_max,
        codes=PageCodes.of(scenario, ruleset),
    )


# ---- actions --------------------------------------------------------------------------------


class Decide(Authored):
    kind: Literal["decide"]
    step: int = Field(ge=0)
    decision: ReferralDecision


class Redirect(Authored):
    """After a decline: send the patient to another institution (the letter stays)."""

    kind: Literal["redirect"]
    step: int = Field(ge=0)
    target_institution_id: Identifier
    department: Code


class SetPlan(Authored):
    kind: Literal["set_plan"]
    step: int = Field(ge=0)
    plan: FollowUpPlan


class ChooseAtVisit(Authored):
    """At a visit: continue, adjust (optionally with a new plan from the next visit), re-refer."""

    kind: Literal["visit_choice"]
    step: int = Field(ge=0)
    choice: VisitChoice
    plan: FollowUpPlan | None = None
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)] = ""


Action = Annotated[Decide | Redirect | SetPlan | ChooseAtVisit, Field(discriminator="kind")]
ACTION = TypeAdapter(Action)


def parse_action(data: Any) -> Decide | Redirect | SetPlan | ChooseAtVisit:
    """Validate a learner's JSON action (raises pydantic.ValidationError)."""
    return ACTION.validate_python(data)


def _from_page(values: list, codes: dict[str, str], unknown: str, repeated: str) -> list[str]:
    seen: set[str] = set()
    out = []
    for value in values:
        if not isinstance(value, str) or value not in codes:
            raise ReferralError(unknown, code=str(value)[:64])
        if value in seen:
            raise ReferralError(repeated, code=value)
        seen.add(value)
        out.append(codes[value])
    return out


def learner_action(exercise: "Exercise", data: Any) -> Any:
    """An action as the learner's page posts it -> the same action in the domain's codes.

    The page names findings and red-flag candidates by `PageCodes` ids; an id the page did not
    offer raises ReferralError. Everything else passes unchanged (validate with
    `parse_action`)."""
    if not isinstance(data, dict) or data.get("kind") != "decide":
        return data
    decision = data.get("decision")
    if not isinstance(decision, dict):
        return data
    decision = dict(decision)
    codes = exercise.codes
    flags = decision.get("recognised_red_flags")
    if isinstance(flags, list):
        decision["recognised_red_flags"] = _from_page(
            flags, codes.red_flags, "unknown_red_flag", "duplicate_red_flag"
        )
    letter = decision.get("letter")
    if isinstance(letter, dict) and isinstance(letter.get("key_findings"), list):
        cited = _from_page(
            letter["key_findings"],
            codes.findings,
            "letter_unknown_finding",
            "duplicate_key_finding",
        )
        decision["letter"] = {**letter, "key_findings": cited}
    return {**data, "decision": decision}


# ---- progress -------------------------------------------------------------------------------


class Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ReferralContact(Frozen):
    """One attempt to hand the patient over, and the receiving side's answer."""

    institution_id: str
    department: str
    status: Literal["accepted", "declined"]
    reason: dict[str, str] | None = None


class VisitRecord(Frozen):
    day: int
    choice: VisitChoice
    expected_choice: VisitChoice
    monitored: list[str]
    seen: list[str]
    missed: list[str]
    missed_abnormal: list[str]
    points: float
    max_points: float
    note: str = ""


class Progress(Frozen):
    """A learner's state in one exercise (stored in the block's user-state field as JSON)."""

    step: int = 0
    phase: Phase = "presentation"
    decision: ReferralDecision | None = None
    rubric: RubricResult | None = None
    contacts: tuple[ReferralContact, ...] = ()
    plan: FollowUpPlan | None = None
    first_plan: FollowUpPlan | None = None
    follow_up_items: tuple[RubricItem, ...] = ()
    visits: tuple[VisitRecord, ...] = ()
    re_referred_on_day: int | None = None
    #: The day of the next visit, from the learner's plan (see `_visit_day`).
    next_visit_day: int | None = None
    #: Was the first follow-up within the rule set's closed-loop days? None until planned.
    closed_loop_met: bool | None = None

    @property
    def score(self) -> float:
        decision = self.rubric.points if self.rubric else 0.0
        return (
            decision
            + sum(i.points for i in self.follow_up_items)
            + sum(v.points for v in self.visits)
        )


class Event(Frozen):
    name: str
    data: dict[str, Any]


@dataclass(frozen=True)
class Step:
    """What an action produced: the new progress, events to publish, the learner's view."""

    progress: Progress
    events: list[Event]
    response: dict[str, Any]


def new_progress() -> Progress:
    return Progress()


# ---- the machine ----------------------------------------------------------------------------

PHASE_OF_ACTION = {
    "decide": ("presentation",),
    "redirect": ("declined",),
    "set_plan": ("plan",),
    "visit_choice": ("visit",),
}


def apply(exercise: Exercise, progress: Progress, action: Any) -> Step:
    """Take one learner action. Raises ReferralError (nothing changed) when it is not allowed."""
    if not isinstance(action, Decide | Redirect | SetPlan | ChooseAtVisit):
        action = parse_action(action)
    if progress.phase == "completed":
        raise ReferralError("exercise_completed")
    if action.step < progress.step:
        raise ReferralError("action_replayed", step=action.step, expected=progress.step)
    if action.step > progress.step:
        raise ReferralError("action_out_of_sequence", step=action.step, expected=progress.step)
    if progress.phase not in PHASE_OF_ACTION[action.kind]:
        raise ReferralError("action_not_expected", action=action.kind, phase=progress.phase)
    match action:
        case Decide():
            progress, events = _decide(exercise, progress, action.decision)
        case Redirect():
            progress, events = _redirect(exercise, progress, action)
        case SetPlan():
            progress, events = _set_plan(exercise, progress, action.plan)
        case ChooseAtVisit():
            progress, events = _visit(exercise, progress, action)
    progress = progress.model_copy(update={"step": progress.step + 1})
    return Step(progress=progress, events=events, response=learner_view(exercise, progress))


def _event(name: str, exercise: Exercise, **data: Any) -> Event:
    base = {
        "scenario_id": exercise.scenario.id,
        "ruleset_id": exercise.ruleset.id,
        "ruleset_version": exercise.ruleset.version,
        "institution_id": exercise.institution.id,
        "tier": exercise.institution.tier,
    }
    return Event(name=EVENT_PREFIX + name, data={**base, **data})


def _check_target(exercise: Exercise, institution_id: str, department: str) -> Institution:
    own = exercise.institution
    target = exercise.consortium.institution(institution_id)
    if target.id == own.id:
        raise ReferralError("target_is_own_institution", institution=own.id)
    if target.tier == "primary" or TIER_RANK[target.tier] < TIER_RANK[own.tier]:
        raise ReferralError(
            "target_not_upward", institution=target.id, target_tier=target.tier, own_tier=own.tier
        )
    if department not in target.departments:
        raise ReferralError("unknown_department", department=department, institution=target.id)
    return target


def _check_decision(exercise: Exercise, decision: ReferralDecision) -> None:
    red_flags = exercise.ruleset.red_flag_ids
    for code in decision.recognised_red_flags:
        if code not in red_flags:
            raise ReferralError("unknown_red_flag", code=code)
    if not decision.refers:
        return
    _check_target(exercise, decision.target_institution_id or "", decision.department or "")
    findings = exercise.scenario.finding_ids
    for code in decision.letter.key_findings if decision.letter else ():
        if code not in findings:
            raise ReferralError("letter_unknown_finding", code=code)


def _hand_over(
    exercise: Exercise, progress: Progress, institution_id: str, department: str
) -> tuple[Progress, list[Event]]:
    target = exercise.consortium.institution(institution_id)
    reason = decline_reason(target, exercise.expected)
    scripted = exercise.scenario.receiving_response.scripted_decline(target.id)
    if reason is None and scripted:
        reason = {"code": "declined_by_receiver", "institution": target.name, "reason": scripted}
    status = "declined" if reason else "accepted"
    contact = ReferralContact(
        institution_id=target.id,
        department=department,
        status=status,
        reason={k: str(v) for k, v in reason.items()} if reason else None,
    )
    events = [
        _event(
            f"referral_{status}",
            exercise,
            target_institution_id=target.id,
            target_tier=target.tier,
            department=department,
            reason=reason["code"] if reason else None,
        )
    ]
    if reason is None:
        events.append(_event("downward_referral_received", exercise, from_institution_id=target.id))
    progress = progress.model_copy(
        update={
            "contacts": (*progress.contacts, contact),
            "phase": "declined" if reason else "plan",
        }
    )
    return progress, events


def _decide(
    exercise: Exercise, progress: Progress, decision: ReferralDecision
) -> tuple[Progress, list[Event]]:
    _check_decision(exercise, decision)
    rubric = score_decision(
        exercise.ruleset, exercise.scenario, exercise.institution, decision, exercise.consortium
    )
    progress = progress.model_copy(update={"decision": decision, "rubric": rubric, "phase": "plan"})
    events = [
        _event(
            "decision_made",
            exercise,
            disposition=decision.disposition,
            priority=decision.priority,
            target_institution_id=decision.target_institution_id,
            department=decision.department,
            expected_disposition=rubric.expected.disposition,
            expected_priority=rubric.expected.priority,
            classification=rubric.classification,
            urgency_error=rubric.urgency_error,
            missing_letter_items=rubric.missing_letter_items,
            points=rubric.points,
            max_points=rubric.max_points,
        )
    ]
    if decision.refers:
        progress, handed = _hand_over(
            exercise, progress, decision.target_institution_id or "", decision.department or ""
        )
        events += handed
    return progress, events


def _redirect(
    exercise: Exercise, progress: Progress, action: Redirect
) -> tuple[Progress, list[Event]]:
    target = _check_target(exercise, action.target_institution_id, action.department)
    if any(contact.institution_id == target.id for contact in progress.contacts):
        # Each hospital answers once: the contacts stay as few as the consortium's members.
        raise ReferralError("already_asked", institution=target.id)
    return _hand_over(exercise, progress, action.target_institution_id, action.department)


def _check_plan(exercise: Exercise, plan: FollowUpPlan) -> None:
    rules = exercise.ruleset.follow_up
    if not rules.min_interval_days <= plan.interval_days <= rules.max_interval_days:
        raise ReferralError(
            "interval_out_of_bounds",
            interval=plan.interval_days,
            ruleset=exercise.ruleset.id,
            min_days=rules.min_interval_days,
            max_days=rules.max_interval_days,
        )
    for unknown, chosen, offered in (
        ("unknown_monitoring_item", plan.monitoring, rules.monitoring_items),
        ("unknown_target", plan.targets, rules.targets),
        ("unknown_re_referral_criterion", plan.re_referral_criteria, rules.re_referral_criteria),
    ):
        ids = {t.id for t in offered}
        for code in chosen:
            if code not in ids:
                raise ReferralError(unknown, code=code)


def _plan_items(exercise: Exercise, plan: FollowUpPlan) -> tuple[RubricItem, ...]:
    rules, weights = exercise.ruleset.follow_up, exercise.ruleset.weights
    items = []
    for kind, required, chosen, weight in (
        ("monitoring", rules.required_monitoring, plan.monitoring, weights.monitoring_item),
        ("target", rules.required_targets, plan.targets, weights.target),
        (
            "re_referral",
            rules.required_re_referral,
            plan.re_referral_criteria,
            weights.re_referral_criterion,
        ),
    ):
        for code in required:
            items.append(
                RubricItem(
                    id=f"{kind}:{code}",
                    kind=kind,
                    subject=code,
                    points=weight if code in chosen else 0,
                    max_points=weight,
                )
            )
    on_time = plan.interval_days <= rules.closed_loop_days
    items.append(
        RubricItem(
            id="closed_loop",
            kind="closed_loop",
            subject=str(rules.closed_loop_days),
            points=weights.closed_loop if on_time else 0,
            max_points=weights.closed_loop,
        )
    )
    return tuple(items)


def _set_plan(
    exercise: Exercise, progress: Progress, plan: FollowUpPlan
) -> tuple[Progress, list[Event]]:
    _check_plan(exercise, plan)
    items = _plan_items(exercise, plan)
    progress = progress.model_copy(
        update={
            "plan": plan,
            "first_plan": plan,
            "follow_up_items": items,
            "closed_loop_met": plan.interval_days <= exercise.ruleset.follow_up.closed_loop_days,
            "next_visit_day": plan.interval_days,
            "phase": "visit",
        }
    )
    event = _event(
        "follow_up_planned",
        exercise,
        interval_days=plan.interval_days,
        monitoring=list(plan.monitoring),
        closed_loop_met=progress.closed_loop_met,
        points=sum(i.points for i in items),
        max_points=sum(i.max_points for i in items),
    )
    return progress, [event]


def _visit(
    exercise: Exercise, progress: Progress, action: ChooseAtVisit
) -> tuple[Progress, list[Event]]:
    if action.plan is not None:
        if action.choice != "adjust":
            raise ReferralError("plan_without_adjust")
        _check_plan(exercise, action.plan)
    index = len(progress.visits)
    visit = exercise.scenario.visits[index]
    day = _visit_day(exercise, progress)
    monitored = list(progress.plan.monitoring) if progress.plan else []
    weight = exercise.ruleset.weights.visit_choice
    record = VisitRecord(
        day=day,
        choice=action.choice,
        expected_choice=visit.expected_choice,
        monitored=monitored,
        seen=[f.item for f in visit.findings if f.item in monitored],
        missed=[f.item for f in visit.findings if f.item not in monitored],
        missed_abnormal=[f.item for f in visit.findings if f.item not in monitored and f.abnormal],
        points=weight if action.choice == visit.expected_choice else 0,
        max_points=weight,
        note=action.note,
    )
    visits = (*progress.visits, record)
    finished = action.choice == "re_refer" or len(visits) == len(exercise.scenario.visits)
    update: dict[str, Any] = {"visits": visits, "phase": "completed" if finished else "visit"}
    if action.plan is not None:
        update["plan"] = action.plan
    if action.choice == "re_refer":
        update["re_referred_on_day"] = day
    if not finished:
        gap = action.plan.interval_days if action.plan else _scenario_gap(exercise, index)
        update["next_visit_day"] = day + gap
    progress = progress.model_copy(update=update)
    events = [
        _event(
            "follow_up_visit",
            exercise,
            day=day,
            scenario_day=visit.day,
            choice=action.choice,
            expected_choice=visit.expected_choice,
            seen_items=record.seen,
            missed_items=record.missed,
            points=record.points,
        )
    ]
    if action.choice == "re_refer":
        events.append(_event("re_referred", exercise, day=day))
    if finished:
        events.append(_event("referral_completed", exercise, **_summary(exercise, progress)))
    return progress, events


def _visit_day(exercise: Exercise, progress: Progress) -> int:
    """The day (after the downward referral) of the learner's next visit.

    The first visit comes when the learner's plan says (a late one misses the closed loop);
    each later one keeps the scenario's spacing from the one before, unless the learner
    adjusts the plan at a visit: then its interval is the days until the next visit. (Progress
    saved before visit days followed the plan has none: the scenario's day.)"""
    if progress.next_visit_day is not None:
        return progress.next_visit_day
    return exercise.scenario.visits[len(progress.visits)].day


def _scenario_gap(exercise: Exercise, index: int) -> int | None:
    """Days between the scenario's visit `index` and the next one (None after the last)."""
    visits = exercise.scenario.visits
    return visits[index + 1].day - visits[index].day if index + 1 < len(visits) else None


# ---- what the learner may see ---------------------------------------------------------------


def _terms(terms) -> list[dict[str, str]]:
    return [{"id": t.id, "label": t.label, "label_zh": t.label_zh} for t in terms]


def _institution_view(institution: Institution) -> dict[str, Any]:
    return {
        "id": institution.id,
        "name": institution.name,
        "name_zh": institution.name_zh,
        "tier": institution.tier,
        "departments": sorted(institution.departments),
        "capabilities": sorted(institution.capabilities),
    }


def _summary(exercise: Exercise, progress: Progress) -> dict[str, Any]:
    rubric = progress.rubric
    return {
        "score": progress.score,
        "max_score": exercise.max_score,
        "classification": rubric.classification if rubric else None,
        "urgency_error": rubric.urgency_error if rubric else None,
        "missing_letter_items": list(rubric.missing_letter_items) if rubric else [],
        "closed_loop_met": progress.closed_loop_met,
        "closed_loop_days": exercise.ruleset.follow_up.closed_loop_days,
        "first_visit_day": progress.first_plan.interval_days if progress.first_plan else None,
        "re_referred_on_day": progress.re_referred_on_day,
        "missed_findings": [
            {"day": v.day, "item": item, "abnormal": item in v.missed_abnormal}
            for v in progress.visits
            for item in v.missed
        ],
    }


def _page_decision(codes: PageCodes, decision: ReferralDecision) -> dict[str, Any]:
    """The decision as the learner's page names its findings and red flags."""
    data = decision.model_dump()
    data["recognised_red_flags"] = [codes.page_red_flag(c) for c in decision.recognised_red_flags]
    if data.get("letter"):
        data["letter"]["key_findings"] = [
            codes.page_finding(c) for c in data["letter"]["key_findings"]
        ]
    return data


#: The parts of the learner view that are the same for every learner before deciding.
OVERVIEW_KEYS = ("max_score", "scenario", "institution", "ruleset", "options")


def exercise_overview(exercise: Exercise) -> dict[str, Any]:
    """What any learner sees before deciding, the same for everyone (the mobile apps' course
    structure, built without a learner): the patient, the learner's institution, the rule set,
    the choices and the maximum score (the rule set's, whatever the answer). Where a learner
    is, their score and their feedback come from their own `learner_view`."""
    view = learner_view(exercise, new_progress())
    return {key: view[key] for key in OVERVIEW_KEYS}


def learner_view(exercise: Exercise, progress: Progress) -> dict[str, Any]:
    """Everything the learner has earned so far, as JSON-ready data (also for mobile).

    Before the decision: the patient, the learner's institution, the other institutions and
    the choices. Findings and red-flag candidates carry the page's ids (`PageCodes`), never
    the rule set's codes, so that the two lists cannot be matched. After it: the rubric, the
    rule set's answer and the receiving side's reply. Follow-up visits show only the findings
    of monitored items; the summary names the missed items (day, item, abnormal or not) but
    never their values.
    """
    scenario, ruleset = exercise.scenario, exercise.ruleset
    view: dict[str, Any] = {
        "phase": progress.phase,
        "step": progress.step,
        "score": progress.score,
        "max_score": exercise.max_score,
        "scenario": {
            "id": scenario.id,
            "title": scenario.title,
            "patient": scenario.patient.model_dump(),
            "presentation": scenario.presentation,
            "time_course": scenario.time_course,
            "arrived_by_downward_referral": scenario.arrived_by_downward_referral,
            "findings": [
                {"id": exercise.codes.page_finding(f.id), "label": f.label, "text": f.text}
                for f in scenario.findings
            ],
        },
        "institution": _institution_view(exercise.institution),
        "ruleset": {
            "id": ruleset.id,
            "version": ruleset.version,
            "title": ruleset.title,
            "title_zh": ruleset.title_zh,
            "provenance": ruleset.provenance.model_dump(),
            # "withdrawn": the answers follow a version withdrawn for safety (say so).
            "status": ruleset.status,
            "notice": ruleset.notice,
            "notice_zh": ruleset.notice_zh,
        },
        "options": {
            "dispositions": ["manage_locally", "refer_upward", "emergency_transfer"],
            "priorities": ["routine", "urgent", "emergency"],
            "red_flags": [
                {"id": page_id, "label": term.label, "label_zh": term.label_zh}
                for page_id, term in zip(exercise.codes.red_flags, ruleset.red_flags, strict=True)
            ],
            "institutions": [
                _institution_view(i)
                for i in exercise.consortium.institutions
                if i.id != exercise.institution.id
            ],
            "capabilities": dict(CAPABILITIES),
            "letter_items": list(LETTER_ITEMS),
            "letter_size_limit": LETTER_SIZE_LIMIT,
        },
    }
    if progress.decision is None:
        return view
    rubric = progress.rubric
    codes = exercise.codes
    view["decision"] = _page_decision(codes, progress.decision)
    if rubric:
        view["feedback"] = rubric.model_dump() | {
            "points": rubric.points,
            "max_points": rubric.max_points,
            "missed_red_flags": [codes.page_red_flag(c) for c in rubric.missed_red_flags],
            "overcalled_red_flags": [codes.page_red_flag(c) for c in rubric.overcalled_red_flags],
        }
    view["contacts"] = [c.model_dump() for c in progress.contacts]
    referred = any(c.status == "accepted" for c in progress.contacts)
    kept_when_needed = not progress.decision.refers and exercise.expected.refers
    if referred or kept_when_needed:
        kind = progress.decision.disposition
        view["receiving_response"] = scenario.receiving_response.answer_for(kind)
    if kept_when_needed and scenario.if_not_referred:
        view["if_not_referred"] = scenario.if_not_referred
    if progress.phase == "declined":
        return view
    follow_up = ruleset.follow_up
    view["follow_up_options"] = {
        "min_interval_days": follow_up.min_interval_days,
        "max_interval_days": follow_up.max_interval_days,
        "monitoring_items": _terms(follow_up.monitoring_items),
        "targets": _terms(follow_up.targets),
        "re_referral_criteria": _terms(follow_up.re_referral_criteria),
        "visit_choices": ["continue", "adjust", "re_refer"],
    }
    if progress.plan is None:
        return view
    view["plan"] = progress.plan.model_dump()
    view["plan_adjusted"] = progress.plan != progress.first_plan
    view["follow_up_feedback"] = [i.model_dump() for i in progress.follow_up_items]
    view["visits"] = [
        _visit_view(exercise, index, record.monitored, record.day)
        | {
            "choice": record.choice,
            "note": record.note,
            "expected_choice": record.expected_choice,
            "explanation": scenario.visits[index].explanation,
            "points": record.points,
        }
        for index, record in enumerate(progress.visits)
    ]
    if progress.phase == "visit":
        index = len(progress.visits)
        view["current_visit"] = _visit_view(
            exercise, index, list(progress.plan.monitoring), _visit_day(exercise, progress)
        ) | {"days_to_next_visit": _scenario_gap(exercise, index)}
    if progress.phase == "completed":
        view["summary"] = _summary(exercise, progress)
    return view


def _visit_view(exercise: Exercise, index: int, monitored: list[str], day: int) -> dict[str, Any]:
    visit = exercise.scenario.visits[index]
    return {
        "day": day,
        "number": index + 1,
        "of": len(exercise.scenario.visits),
        "findings": [
            {"item": f.item, "text": f.text, "abnormal": f.abnormal}
            for f in visit.findings
            if f.item in monitored
        ],
    }
