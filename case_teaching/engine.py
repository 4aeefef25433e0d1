"""The case engine: a pure function (case, learner progress, action) -> (progress, events,
response).

The XBlock stores `CaseProgress` as JSON in a user-state field, parses the handler's JSON
with `parse_action`, calls `apply_action`, saves the new progress, publishes the events and
returns the response. The engine never mutates its inputs; an action it refuses raises
`CaseError` and changes nothing. Every action carries the `step` the learner's page was at,
so a replayed or duplicated submission is refused instead of counted twice.
"""

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from .learner_view import learner_view
from .messages import CaseError
from .schema import Case, Identifier, Question, Stage, question_points, text_excerpt
from .scoring import (
    AnswerGiven,
    answer_credit,
    check_answer,
    killer_chosen,
    max_score,
    route,
)

EVENT_PREFIX = "cme.case."


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ---- actions (handler JSON) -----------------------------------------------------------------


class RequestFinding(_Strict):
    """Ask for a history item, an examination or a test offered by the current stage."""

    kind: Literal["request_finding"]
    step: int = Field(ge=0)
    finding: Identifier


class SubmitAnswer(_Strict):
    """Answer a question of the current stage (one attempt)."""

    kind: Literal["submit_answer"]
    step: int = Field(ge=0)
    question: Identifier
    answer: AnswerGiven


class ContinueCase(_Strict):
    """Leave the current stage (routing by branches), or finish the case at an ending."""

    kind: Literal["continue"]
    step: int = Field(ge=0)


class RestartCase(_Strict):
    """Start again from the first stage, when the case's scoring policy allows it."""

    kind: Literal["restart"]
    step: int = Field(ge=0)


Action = Annotated[
    RequestFinding | SubmitAnswer | ContinueCase | RestartCase, Field(discriminator="kind")
]
_ACTION = TypeAdapter(Action)


def parse_action(data: str | bytes | dict[str, Any]) -> Action:
    """Handler JSON (text or decoded) -> an action; pydantic ValidationError if malformed."""
    if isinstance(data, dict):
        return _ACTION.validate_python(data)
    return _ACTION.validate_json(data)


# ---- learner progress -----------------------------------------------------------------------


class AnswerRecord(_Strict):
    """Every attempt at one question; the last attempt counts. `closed` once the answer is
    final (full credit, attempts used up, or the learner moved on): only then is the expert
    commentary earned."""

    question: Identifier
    stage: Identifier
    attempts: list[AnswerGiven]
    credit: float = Field(ge=0, le=1)
    points: float = Field(ge=0)
    closed: bool = False
    #: The answer that counts chose an option marked harmful: the case is not passed.
    harmful: bool = False


class CaseProgress(_Strict):
    """One learner's way through one case, JSON-serializable for an XBlock user-state field.

    `case_fingerprint` is the case it was started on (see `reconcile`); `log` holds the
    accepted actions since the last (re)start so that progress can be replayed on an edited
    case.
    """

    case_id: str
    case_version: str
    case_fingerprint: str
    step: int = Field(default=0, ge=0)
    path: list[Identifier] = Field(min_length=1)
    findings: list[Identifier] = Field(default_factory=list)
    answers: list[AnswerRecord] = Field(default_factory=list)
    completed: bool = False
    score: float = Field(default=0, ge=0)
    max_score: float = Field(ge=0)
    pass_threshold: float = Field(ge=0, le=1)
    log: list[Action] = Field(default_factory=list)

    @property
    def current_stage(self) -> str:
        return self.path[-1]

    @property
    def is_complete(self) -> bool:
        return self.completed

    @property
    def fraction(self) -> float:
        """Score as a fraction of the maximum (1.0 for a completed ungraded case)."""
        if self.max_score > 0:
            return min(1.0, self.score / self.max_score)
        return 1.0 if self.completed else 0.0

    @property
    def harmful_choice(self) -> bool:
        """An answer that counts chose a harmful (killer) option."""
        return any(a.harmful for a in self.answers)

    @property
    def passed(self) -> bool:
        """Completed at the pass mark, and no harmful choice among the answers that count:
        whatever the points, a case is never passed after harming the patient."""
        return (
            self.completed
            and self.fraction >= self.pass_threshold - 1e-9
            and not self.harmful_choice
        )

    def answer(self, question_id: str) -> AnswerRecord | None:
        return next((a for a in self.answers if a.question == question_id), None)


class ActionResult(BaseModel):
    """What `apply_action` returns: the new progress, events to publish (each a dict with
    `name` and `data`) and the response for the learner (see `learner_view`)."""

    progress: CaseProgress
    events: list[dict[str, Any]]
    response: dict[str, Any]


# ---- helpers --------------------------------------------------------------------------------


def _event(name: str, case: Case, **data: Any) -> dict[str, Any]:
    return {"name": EVENT_PREFIX + name, "data": {"case_id": case.id, **data}}


def _score(case: Case, answers: list[AnswerRecord], findings: list[str]) -> float:
    total = sum(a.points for a in answers)
    for finding_id in findings:
        located = case.finding(finding_id)
        if located is not None:
            finding = located[1]
            total += finding.points - finding.cost.penalty
    return round(max(0.0, total), 6)


def _place(stage: Stage, question: Question) -> dict[str, Any]:
    """How a learner is told which question an error is about: its number in the stage, an
    excerpt of its prompt and the stage's title (what their page shows; never an id)."""
    return {
        "question": question.id,  # for the adapter and logs, not for the sentence
        "number": stage.questions.index(question) + 1,
        "prompt": text_excerpt(question.prompt, 60),
        "stage_title": stage.title,
    }


def _route(stage: Stage, progress: CaseProgress) -> str | None:
    chosen = {a.question: set(a.attempts[-1].options) for a in progress.answers}
    return route(stage, chosen, progress.score)


def new_progress(case: Case, step: int = 0) -> CaseProgress:
    """A learner at the first stage, nothing requested or answered."""
    return CaseProgress(
        case_id=case.id,
        case_version=case.version,
        case_fingerprint=case.fingerprint,
        step=step,
        path=[case.start_stage.id],
        max_score=max_score(case),
        pass_threshold=case.scoring.pass_threshold,
    )


def _result(case: Case, progress: CaseProgress, events: list, outcome: dict | None):
    response = {"view": learner_view(case, progress), "outcome": outcome}
    return ActionResult(progress=progress, events=events, response=response)


def start(case: Case, step: int = 0) -> ActionResult:
    """Begin the case: progress at the first stage and its `stage_reached` event.

    `step`: where the step counter begins (the adapter passes the first step its durable
    action receipts have not used, so a learner whose state was deleted is not refused)."""
    progress = new_progress(case, step=step)
    event = _event("stage_reached", case, stage=case.start_stage.id, position=1)
    return _result(case, progress, [event], None)


# ---- the engine -----------------------------------------------------------------------------


def apply_action(
    case: Case, progress: CaseProgress, action: Action | dict[str, Any] | str
) -> ActionResult:
    """Apply one learner action. CaseError (with a code) if the action is not allowed now;
    `progress` is never modified. Call `reconcile` first if the case may have been edited."""
    if not isinstance(action, BaseModel):
        action = parse_action(action)
    if progress.case_id != case.id:
        raise CaseError("progress_other_case", progress_case=progress.case_id, case=case.id)
    if progress.case_fingerprint != case.fingerprint:
        raise CaseError("progress_outdated", case=case.id)
    if action.step < progress.step:
        raise CaseError("action_replayed", step=action.step, expected=progress.step)
    if action.step > progress.step:
        raise CaseError("action_out_of_sequence", step=action.step, expected=progress.step)
    if isinstance(action, RestartCase):
        return _restart(case, progress)
    if progress.completed:
        raise CaseError("case_completed")
    stage = case.stage(progress.current_stage)
    assert stage is not None  # fingerprints match, so the path is the case's
    if isinstance(action, RequestFinding):
        return _request_finding(case, stage, progress, action)
    if isinstance(action, SubmitAnswer):
        return _submit_answer(case, stage, progress, action)
    return _continue(case, stage, progress, action)


def _advance(progress: CaseProgress, action: Action, **changes: Any) -> CaseProgress:
    """A new progress one step on, with `action` logged; the old one is left untouched."""
    data = progress.model_dump()
    data.update(changes)
    data["step"] = progress.step + 1
    data["log"] = [*progress.log, action]
    return CaseProgress.model_validate(data)


def _request_finding(
    case: Case, stage: Stage, progress: CaseProgress, action: RequestFinding
) -> ActionResult:
    located = case.finding(action.finding)
    if located is None:
        raise CaseError("unknown_finding", finding=action.finding)
    owner, finding = located
    if owner.id != stage.id:
        raise CaseError(
            "finding_not_available", finding=finding.id, stage=stage.id, stage_title=stage.title
        )
    if finding.id in progress.findings:
        raise CaseError("finding_already_requested", finding=finding.id, label=finding.label)
    findings = [*progress.findings, finding.id]
    new = _advance(
        progress,
        action,
        findings=findings,
        score=_score(case, progress.answers, findings),
    )
    event = _event(
        "finding_requested",
        case,
        stage=stage.id,
        finding=finding.id,
        finding_kind=finding.kind,
        relevance=finding.relevance,
        minutes=finding.cost.minutes,
        money=finding.cost.money,
        penalty=finding.cost.penalty,
        points=finding.points,
    )
    return _result(case, new, [event], {"kind": "finding", "finding": finding.id})


def _submit_answer(
    case: Case, stage: Stage, progress: CaseProgress, action: SubmitAnswer
) -> ActionResult:
    located = case.question(action.question)
    if located is None or located[0].id != stage.id:
        raise CaseError(
            "question_not_available",
            question=action.question,
            stage=stage.id,
            stage_title=stage.title,
        )
    question = located[1]
    place = _place(stage, question)
    record = progress.answer(question.id)
    allowed = case.attempts_allowed(question)
    if record is not None and len(record.attempts) >= allowed:
        raise CaseError("attempts_exhausted", attempts=allowed, **place)
    if record is not None and record.closed:
        raise CaseError("question_closed", **place)
    try:
        check_answer(question, action.answer)
    except CaseError as error:  # say which question as the learner sees it
        raise CaseError(error.code, **{**error.params, **place}) from None
    credit = round(answer_credit(question, action.answer, case.patient), 6)
    attempts = [*(record.attempts if record else []), action.answer]
    updated = AnswerRecord(
        question=question.id,
        stage=stage.id,
        attempts=attempts,
        credit=credit,
        points=round(credit * question_points(question), 6),
        closed=(len(attempts) >= allowed or credit >= 1.0 or question.kind == "reflection"),
        harmful=killer_chosen(question, set(getattr(action.answer, "options", None) or ())),
    )
    if record is None:
        answers = [*progress.answers, updated]
    else:
        answers = [updated if a.question == question.id else a for a in progress.answers]
    new = _advance(
        progress, action, answers=answers, score=_score(case, answers, progress.findings)
    )
    data: dict[str, Any] = {
        "stage": stage.id,
        "question": question.id,
        "question_kind": question.kind,
        "attempt": len(attempts),
        "credit": updated.credit,
        "points": updated.points,
        "max_points": question_points(question),
        "closed": updated.closed,
    }
    if question.kind == "reflection":
        data["length"] = len(action.answer.text.strip())  # the text stays in user state
    elif question.kind == "numeric":
        data["value"] = action.answer.value
    else:
        data["options"] = list(action.answer.options or action.answer.order)
    event = _event("answer_submitted", case, **data)
    return _result(case, new, [event], {"kind": "answer", "question": question.id})


def _continue(
    case: Case, stage: Stage, progress: CaseProgress, action: ContinueCase
) -> ActionResult:
    missing = [q for q in stage.questions if q.required and progress.answer(q.id) is None]
    if missing:
        places = [_place(stage, q) for q in missing]
        raise CaseError(
            "required_questions_open",
            stage=stage.id,
            stage_title=stage.title,
            questions="; ".join(f"{p['number']}. {p['prompt']}" for p in places),
            question_ids=[q.id for q in missing],
        )
    answers = [
        a.model_copy(update={"closed": True}) if a.stage == stage.id else a
        for a in progress.answers
    ]
    if stage.ending:
        new = _advance(progress, action, answers=answers, completed=True)
        event = _event(
            "case_completed",
            case,
            stage=stage.id,
            score=new.score,
            max_score=new.max_score,
            fraction=round(new.fraction, 6),
            passed=new.passed,
            path=list(new.path),
        )
        return _result(case, new, [event], {"kind": "completed"})
    target = _route(stage, progress)
    assert target is not None  # validated: a stage that is no ending has a next stage
    new = _advance(progress, action, answers=answers, path=[*progress.path, target])
    event = _event("stage_reached", case, stage=target, previous=stage.id, position=len(new.path))
    return _result(case, new, [event], {"kind": "stage", "stage": target})


def _restart(case: Case, progress: CaseProgress) -> ActionResult:
    if not case.scoring.allow_restart:
        raise CaseError("restart_not_allowed")
    new = new_progress(case, step=progress.step + 1)
    events = [
        _event("restarted", case, previous_score=progress.score),
        _event("stage_reached", case, stage=case.start_stage.id, position=1),
    ]
    return _result(case, new, events, {"kind": "restarted"})


def reconcile(case: Case, progress: CaseProgress) -> tuple[CaseProgress, str | None]:
    """Fit saved progress to the case as it is now.

    Unchanged case: the progress as it is, no notice. Edited case: the learner's actions are
    replayed on it; if every one still applies the replayed progress is kept (notice
    "case_updated_progress_kept", scores recomputed with the new keys), otherwise the learner
    starts again (notice "case_changed_restarted") -- except a learner who had finished: the
    result they earned (graded, recorded) stays, shown with what of it the case still holds
    (notice "case_updated_result_kept"). The step counter only moves forward, so a page
    opened before the edit cannot submit into the new state.
    """
    if progress.case_id != case.id:
        return new_progress(case, step=progress.step + 1), "case_changed_restarted"
    if progress.case_fingerprint == case.fingerprint:
        return progress, None
    replayed = new_progress(case)
    try:
        for action in progress.log:
            moved = action.model_copy(update={"step": replayed.step})
            replayed = apply_action(case, replayed, moved).progress
    except CaseError:
        if progress.completed:
            return _completed_result_kept(case, progress), "case_updated_result_kept"
        return new_progress(case, step=progress.step + 1), "case_changed_restarted"
    if progress.completed and not replayed.completed:
        # The replay stopped short of the ending (e.g. a new required question): the learner
        # finished the case as it was; keep that result.
        return _completed_result_kept(case, progress), "case_updated_result_kept"
    return (
        replayed.model_copy(update={"step": progress.step + 1}),
        "case_updated_progress_kept",
    )


def _answer_fits(case: Case, record: AnswerRecord) -> bool:
    """Can this answer still be shown on the edited case (its question, stage, options)?"""
    located = case.question(record.question)
    if located is None or located[0].id != record.stage:
        return False
    question = located[1]
    options = {o.id for o in getattr(question, "options", [])}
    for given in record.attempts:
        if question.kind == "numeric":
            if given.value is None:
                return False
        elif given.value is not None:
            return False
        elif question.kind == "reflection":
            if given.options or given.order:
                return False
        elif question.kind == "ranking":
            if given.options or set(given.order) != options:
                return False
        elif given.order or not given.options or not set(given.options) <= options:
            return False
    return True


def _completed_result_kept(case: Case, progress: CaseProgress) -> CaseProgress:
    """A finished learner's progress on an edited case their actions no longer replay on: the
    score, maximum and verdict they earned are kept; what is shown of their path, findings and
    answers is what the case still has."""
    path = [s for s in progress.path if case.stage(s) is not None] or [case.start_stage.id]
    return progress.model_copy(
        update={
            "case_version": case.version,
            "case_fingerprint": case.fingerprint,
            "step": progress.step + 1,
            "path": path,
            "findings": [f for f in progress.findings if case.finding(f) is not None],
            "answers": [a for a in progress.answers if _answer_fits(case, a)],
        }
    )
