"""How answers earn credit, and the best score a case allows.

Credit is a fraction of a question's points (0 to 1). The maximum score of a case is the best
total over its paths: a stage contributes its questions' points and the net points of its
findings, where the decision that routes the learner onwards is limited to the answers that
actually take that route (a harmful choice that leads to a deterioration stage cannot also
earn the full credit of the good choice). Score conditions on branches are taken as
satisfiable, so `max_score` is never below anything a learner can earn.
"""

from dataclasses import dataclass, field
from itertools import combinations

from pydantic import BaseModel, ConfigDict, Field

from .messages import CaseError
from .schema import (
    Case,
    Identifier,
    KeyFeatureQuestion,
    MultipleChoiceQuestion,
    NumericQuestion,
    PatientProfile,
    Question,
    RankingQuestion,
    ReflectionQuestion,
    ScriptConcordanceQuestion,
    SingleChoiceQuestion,
    Stage,
    question_points,
)


class AnswerGiven(BaseModel):
    """A learner's answer: `options` for choice questions, `order` for ranking, `value` for a
    numeric question, `text` for a reflection. Which one applies is checked against the
    question by `check_answer`."""

    model_config = ConfigDict(extra="forbid")

    options: list[Identifier] = Field(default_factory=list, max_length=40)
    order: list[Identifier] = Field(default_factory=list, max_length=10)
    value: float | None = Field(default=None, ge=-1_000_000_000, le=1_000_000_000)
    text: str = Field(default="", max_length=20_000)


def check_answer(question: Question, answer: AnswerGiven) -> None:
    """Refuse an answer that does not fit the question (CaseError names the question)."""
    qid = question.id
    if isinstance(question, NumericQuestion):
        if answer.value is None or answer.options or answer.order or answer.text:
            raise CaseError("answer_needs_number", question=qid)
        return
    number = answer.value is not None
    if isinstance(question, ReflectionQuestion):
        if answer.options or answer.order or number:
            raise CaseError("answer_needs_text", question=qid)
        length = len(answer.text.strip())
        if length < question.min_chars:
            raise CaseError("reflection_too_short", length=length, min_chars=question.min_chars)
        if length > question.max_chars:
            raise CaseError("reflection_too_long", length=length, max_chars=question.max_chars)
        return
    if isinstance(question, RankingQuestion):
        if answer.options or answer.text or number:
            raise CaseError("answer_needs_order", question=qid)
        _check_known(question.option_ids, answer.order, qid)
        if len(answer.order) != len(question.options):
            raise CaseError("answer_order_incomplete", question=qid, count=len(question.options))
        return
    if answer.order or answer.text or number:
        raise CaseError("answer_needs_choice", question=qid)
    if not answer.options:
        raise CaseError("answer_needs_choice", question=qid)
    _check_known(question.option_ids, answer.options, qid)
    if isinstance(question, SingleChoiceQuestion | ScriptConcordanceQuestion):
        limit = 1
    else:
        limit = question.selection_limit
    if len(answer.options) > limit:
        if limit == 1:
            raise CaseError("answer_needs_one_choice", question=qid)
        raise CaseError(
            "answer_too_many_options",
            question=qid,
            max_selections=limit,
            count=len(answer.options),
        )


def _check_known(known: list[str], chosen: list[str], question: str) -> None:
    seen: set[str] = set()
    for option in chosen:
        if option not in known:
            raise CaseError("answer_unknown_option", question=question, option=option)
        if option in seen:
            raise CaseError("answer_duplicate_option", option=option)
        seen.add(option)


def over_limit(question: Question, answer: AnswerGiven) -> bool:
    """A key-feature answer choosing more than the limit (it scores zero)."""
    return isinstance(question, KeyFeatureQuestion) and (
        len(answer.options) > question.max_selections
    )


def killer_chosen(question: Question, chosen: set[str]) -> bool:
    """Does the answer include an option marked harmful (a killer option)?"""
    return any(o.harmful and o.id in chosen for o in getattr(question, "options", []))


def answer_credit(
    question: Question, answer: AnswerGiven, patient: PatientProfile | None = None
) -> float:
    """The fraction of the question's points this (already checked) answer earns (a numeric
    question needs the case's `patient` for a formula)."""
    chosen = set(answer.options)
    if isinstance(question, NumericQuestion):
        assert patient is not None and answer.value is not None
        return 1.0 if question.accepts(answer.value, patient) else 0.0
    if killer_chosen(question, chosen) or over_limit(question, answer):
        return 0.0
    if isinstance(question, SingleChoiceQuestion):
        option = question.option(answer.options[0])
        assert option is not None
        return 1.0 if option.correct else option.credit or 0.0
    if isinstance(question, ScriptConcordanceQuestion):
        option = question.option(answer.options[0])
        assert option is not None
        return (option.votes or 0) / question.modal_votes
    if isinstance(question, MultipleChoiceQuestion):
        correct = {o.id for o in question.options if o.correct}
        if question.partial_credit == "all_or_nothing":
            return 1.0 if chosen == correct else 0.0
        if question.partial_credit == "right_minus_wrong":
            return max(0.0, (len(chosen & correct) - len(chosen - correct)) / len(correct))
        judged_right = sum((o.id in chosen) == o.correct for o in question.options)
        return judged_right / len(question.options)
    if isinstance(question, KeyFeatureQuestion):
        correct = {o.id for o in question.options if o.correct}
        return len(chosen & correct) / len(correct)
    if isinstance(question, RankingQuestion):
        if question.partial_credit == "all_or_nothing":
            return 1.0 if answer.order == question.correct_order else 0.0
        rank = {option: index for index, option in enumerate(answer.order)}
        key = question.correct_order
        pairs = [(a, b) for i, a in enumerate(key) for b in key[i + 1 :]]
        return sum(rank[a] < rank[b] for a, b in pairs) / len(pairs)
    return 0.0  # reflections are ungraded


# ---- the best path --------------------------------------------------------------------------


@dataclass
class _Constraint:
    """What a route demands of one question's answer: hit each `include` set, avoid `exclude`."""

    include: list[frozenset[str]] = field(default_factory=list)
    exclude: set[str] = field(default_factory=set)

    def allows(self, options: set[str]) -> bool:
        return not (options & self.exclude) and all(options & need for need in self.include)


@dataclass(frozen=True)
class ExpertStep:
    """One stage of the expert path with the answers and findings that earn its maximum."""

    stage: str
    points: float
    answers: dict[str, AnswerGiven]
    findings: list[str]


def _ideal_answer(question: Question, patient: PatientProfile) -> AnswerGiven | None:
    if isinstance(question, ReflectionQuestion):
        return None
    if isinstance(question, NumericQuestion):
        return AnswerGiven(value=question.expected(patient)[0])
    if isinstance(question, RankingQuestion):
        return AnswerGiven(order=list(question.correct_order))
    if isinstance(question, ScriptConcordanceQuestion):
        modal = next(o for o in question.options if (o.votes or 0) == question.modal_votes)
        return AnswerGiven(options=[modal.id])
    return AnswerGiven(options=[o.id for o in question.options if o.correct])


def _candidates(question: Question, constraint: _Constraint) -> list[list[str]]:
    ids = [o.id for o in question.options]  # type: ignore[union-attr]
    if isinstance(question, SingleChoiceQuestion | ScriptConcordanceQuestion):
        return [[i] for i in ids]
    if isinstance(question, KeyFeatureQuestion):
        ids, limit = _key_feature_relevant(question, constraint), question.max_selections
    else:
        limit = question.selection_limit  # type: ignore[union-attr]
    return [list(c) for size in range(1, limit + 1) for c in combinations(ids, size)]


def _key_feature_relevant(question: KeyFeatureQuestion, constraint: _Constraint) -> list[str]:
    """The options a best answer may need (a long list stays cheap): the keys, those a route
    demands, and one other allowed option for a route that excludes every key."""
    needed = set().union(*constraint.include) if constraint.include else set()
    relevant = [o.id for o in question.options if o.correct or o.id in needed]
    spare = next(
        (
            o.id
            for o in question.options
            if o.id not in relevant and o.id not in constraint.exclude and not o.harmful
        ),
        None,
    )
    return relevant + ([spare] if spare else [])


def _best_answer(question: Question, constraint: _Constraint | None, patient: PatientProfile):
    """(credit, answer) of the best answer the constraint allows; None if none does."""
    ideal = _ideal_answer(question, patient)
    if constraint is None or ideal is None:
        return (1.0 if ideal is not None else 0.0), ideal
    best: tuple[float, AnswerGiven | None] | None = None
    for options in _candidates(question, constraint):
        if constraint.allows(set(options)):
            answer = AnswerGiven(options=options)
            credit = answer_credit(question, answer, patient)
            if best is None or credit > best[0]:
                best = (credit, answer)
    if best is None and not constraint.include and not question.required:
        return 0.0, None  # leaving an optional question unanswered avoids every exclusion
    return best


def _option_only(branch) -> bool:
    return branch.question is not None and not branch.has_score_condition


def _transitions(stage: Stage) -> list[tuple[str, dict[str, _Constraint]]]:
    """Each way out of a stage with what it demands of the routing answers; the default next
    stage first, so that it wins ties for the expert path."""
    found = []
    if stage.next_stage:
        constraints: dict[str, _Constraint] = {}
        for branch in stage.branches:
            if _option_only(branch):
                constraints.setdefault(branch.question, _Constraint()).exclude |= set(
                    branch.options
                )
        found.append((stage.next_stage, constraints))
    for index, branch in enumerate(stage.branches):
        constraints = {}
        for earlier in stage.branches[:index]:
            if _option_only(earlier):
                constraints.setdefault(earlier.question, _Constraint()).exclude |= set(
                    earlier.options
                )
        if branch.question is not None:
            constraints.setdefault(branch.question, _Constraint()).include.append(
                frozenset(branch.options)
            )
        found.append((branch.to, constraints))
    return found


def _stage_best(
    stage: Stage, constraints: dict[str, _Constraint], patient: PatientProfile
) -> ExpertStep | None:
    points = 0.0
    answers: dict[str, AnswerGiven] = {}
    for question in stage.questions:
        best = _best_answer(question, constraints.get(question.id), patient)
        if best is None:
            return None
        credit, answer = best
        points += credit * question_points(question)
        if answer is not None:
            answers[question.id] = answer
    gains = [(f.id, f.points - f.cost.penalty) for f in stage.findings]
    findings = [finding for finding, gain in gains if gain > 0]
    points += sum(gain for _, gain in gains if gain > 0)
    return ExpertStep(stage=stage.id, points=points, answers=answers, findings=findings)


def route(stage: Stage, chosen: dict[str, set[str]], score: float) -> str | None:
    """Where a learner goes from `stage`: the first branch whose conditions all hold (an
    option of its question among `chosen[question]`, the score so far in range), else the
    stage's next stage (None at an ending)."""
    for branch in stage.branches:
        if branch.question is not None and not chosen.get(branch.question, set()) & set(
            branch.options
        ):
            continue
        if branch.score_at_least is not None and score < branch.score_at_least:
            continue
        if branch.score_below is not None and score >= branch.score_below:
            continue
        return branch.to
    return stage.next_stage


def expert_route(case: Case) -> list[ExpertStep]:
    """The path of a learner who answers every question with full credit and requests every
    finding that earns points: the expert path shown in the end summary."""
    steps: list[ExpertStep] = []
    score = 0.0
    stage: Stage | None = case.start_stage
    while stage is not None:
        step = _stage_best(stage, {}, case.patient)
        assert step is not None  # without routing constraints every answer is allowed
        steps.append(step)
        score += step.points
        chosen = {qid: set(answer.options) for qid, answer in step.answers.items()}
        target = route(stage, chosen, score)
        stage = case.stage(target) if target else None
    return steps


def best_route(case: Case) -> tuple[float, list[str]]:
    """The highest score any path allows, and that path's stages (default next stage first
    on ties). Score conditions are taken as satisfiable: this is an upper bound."""
    memo: dict[str, tuple[float, list[str]]] = {}

    def best_from(stage_id: str) -> tuple[float, list[str]]:
        if stage_id in memo:
            return memo[stage_id]
        stage = case.stage(stage_id)
        assert stage is not None
        result: tuple[float, list[str]] | None = None
        if stage.ending:
            step = _stage_best(stage, {}, case.patient)
            assert step is not None
            result = (step.points, [stage_id])
        for target, constraints in _transitions(stage):
            step = _stage_best(stage, constraints, case.patient)
            if step is None:
                continue
            rest_points, rest = best_from(target)
            total = step.points + rest_points
            if result is None or total > result[0] + 1e-9:
                result = (total, [stage_id, *rest])
        # The first branch only demands one of its own options, so some way out is possible.
        assert result is not None
        memo[stage_id] = result
        return result

    return best_from(case.start_stage.id)


def max_score(case: Case) -> float:
    """The best score over the case's paths (the grade's denominator). Case validation makes
    sure that the expert path reaches it. Computed once per validated case: every learner
    action needs it (new progress, grades) and a validated case does not change."""
    cached = case.__dict__.get("_max_score")
    if cached is None:
        cached = case.__dict__["_max_score"] = round(best_route(case)[0], 6)
    return cached
