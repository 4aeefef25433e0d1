"""What a learner may see: the only data the XBlock sends to a browser or the mobile app.

Built from an allow-list, field by field, so that nothing is shown by accident: no option
scores or correct flags, no feedback for options not chosen, no result of a finding not
requested, no stage not reached (not even its title), no branch target, no expert commentary
before the answer is final. Time and money of a finding are shown before it is requested (a
clinician knows them when ordering); its penalty and relevance are feedback, shown with the
result. A computed clinical score appears only once every finding it is computed from has
been requested; a numeric question's key only once its answer is final. On completion the
summary adds the expert path's stage titles beside the learner's and the expert's answer to
every question of the stages they went through.
"""

from collections import deque
from typing import TYPE_CHECKING, Any

from .clinical_scores import SCORES, score_band
from .schema import (
    Case,
    ComputedScore,
    Finding,
    KeyFeatureQuestion,
    MultipleChoiceQuestion,
    NumericQuestion,
    PatientProfile,
    Question,
    RankingQuestion,
    ReflectionQuestion,
    ScriptConcordanceQuestion,
    Stage,
    question_points,
)
from .scoring import AnswerGiven, expert_route, over_limit

if TYPE_CHECKING:
    from .engine import AnswerRecord, CaseProgress


def learner_view(case: Case, progress: "CaseProgress") -> dict[str, Any]:
    """The learner's page as JSON-ready data, exactly what they have earned so far."""
    visited = progress.path if progress.completed else progress.path[:-1]
    current = None if progress.completed else case.stage(progress.current_stage)
    return {
        "case": _header(case, revealed=progress.completed),
        "step": progress.step,
        "progress": _indicator(case, progress),
        "history": [_stage_view(case, progress, case.stage(s), current=False) for s in visited],
        "stage": _stage_view(case, progress, current, current=True) if current else None,
        "summary": _summary(case, progress) if progress.completed else None,
    }


def case_overview(case: Case) -> dict[str, Any]:
    """What any learner sees before starting, the same for everyone (the mobile apps' course
    structure, built without a learner): the case's header and its first stage's title, how
    many stages a learner meets at least, and the step a new learner starts at (0; the
    learner's own view, from the block's `view_data` handler, says where they are)."""
    return {
        "case": _header(case, revealed=False),
        "first_stage": {"id": case.start_stage.id, "title": case.start_stage.title},
        "stages_at_least": 1 + _stages_to_ending(case, case.start_stage.id),
    }


def _header(case: Case, revealed: bool) -> dict[str, Any]:
    """The case's header; the summary and objectives only once `revealed` (the case is done)
    when the author keeps them for the end."""
    patient = case.patient
    hidden = case.summary_after_case and not revealed
    return {
        "id": case.id,
        "version": case.version,
        "title": case.title,
        "summary": "" if hidden else case.summary,
        "summary_after_case": case.summary_after_case,
        "discipline": case.discipline,
        "target_tiers": list(case.target_tiers),
        "target_titles": list(case.target_titles),
        "learning_objectives": [] if hidden else list(case.learning_objectives),
        "competencies": list(case.competencies),
        "estimated_minutes": case.estimated_minutes,
        "authors": list(case.authors),
        "guidelines": [
            {
                "title": g.title,
                "issuer": g.issuer,
                "year": g.year,
                "section": g.section,
                "url": g.url,
            }
            for g in case.guidelines
        ],
        "patient": {
            "age_years": patient.age_years,
            "age_months": patient.age_months,
            "sex": patient.sex,
            "weight_kg": patient.weight_kg,
            "setting": patient.setting,
        },
        "currency": case.scoring.currency,
    }


def _stages_to_ending(case: Case, stage_id: str) -> int:
    """Fewest further stages from `stage_id` to an ending (breadth-first)."""
    queue = deque([(stage_id, 0)])
    seen = {stage_id}
    while queue:
        current, distance = queue.popleft()
        stage = case.stage(current)
        assert stage is not None
        if stage.ending:
            return distance
        for target in stage.targets:
            if target not in seen:
                seen.add(target)
                queue.append((target, distance + 1))
    raise AssertionError("validated cases end on every path")


def _indicator(case: Case, progress: "CaseProgress") -> dict[str, Any]:
    position = len(progress.path)
    remaining = 0 if progress.completed else _stages_to_ending(case, progress.current_stage)
    minutes, money = _spent(case, progress)
    return {
        "position": position,
        "total": position + remaining,
        "completed": progress.completed,
        "score": progress.score,
        "max_score": progress.max_score,
        "minutes_spent": minutes,
        "money_spent": money,
    }


def _spent(case: Case, progress: "CaseProgress") -> tuple[int, float]:
    minutes, money = 0, 0.0
    for finding_id in progress.findings:
        located = case.finding(finding_id)
        if located is not None:
            minutes += located[1].cost.minutes
            money += located[1].cost.money
    return minutes, round(money, 2)


def _stage_view(
    case: Case, progress: "CaseProgress", stage: Stage | None, *, current: bool
) -> dict[str, Any]:
    assert stage is not None
    requested = set(progress.findings)
    view: dict[str, Any] = {
        "id": stage.id,
        "title": stage.title,
        "content": stage.content,
        "media": [
            {
                "kind": m.kind,
                "src": m.src,
                "alt": m.alt,
                "transcript": m.transcript,
                "caption": m.caption,
            }
            for m in stage.media
        ],
        "findings_obtained": [
            _finding_result(case, finding_id)
            for finding_id in progress.findings
            if any(f.id == finding_id for f in stage.findings)
        ],
        "scores": [
            _score_view(score, case.patient)
            for score in stage.scores
            if set(score.findings) <= requested
        ],
        "questions": [_question_view(case, progress, q) for q in stage.questions],
        "ending": stage.ending,
    }
    if current:
        view["findings_available"] = [
            {
                "id": f.id,
                "kind": f.kind,
                "label": f.label,
                "minutes": f.cost.minutes,
                "money": f.cost.money,
            }
            for f in stage.findings
            if f.id not in requested
        ]
        view["can_continue"] = all(
            progress.answer(q.id) is not None for q in stage.questions if q.required
        )
    return view


def _finding_result(case: Case, finding_id: str) -> dict[str, Any]:
    located = case.finding(finding_id)
    assert located is not None
    finding: Finding = located[1]
    return {
        "id": finding.id,
        "kind": finding.kind,
        "label": finding.label,
        "result": finding.result,
        "value": finding.value,
        "unit": finding.unit,
        "normal_range": finding.normal_range,
        "relevance": finding.relevance,
        "feedback": finding.feedback,
        "minutes": finding.cost.minutes,
        "money": finding.cost.money,
        "penalty": finding.cost.penalty,
    }


def _score_view(score: ComputedScore, patient: PatientProfile) -> dict[str, Any]:
    """A computed score item by item, its total and what the total means (English codes the
    adapter translates)."""
    definition = SCORES[score.kind]
    items = [
        (definition.criteria[i.criterion].label, definition.criteria[i.criterion].earned(i.value))
        for i in score.inputs
    ]
    items += definition.from_patient(patient.age, patient.sex)
    total = sum(points for _, points in items)
    ignored = sum(points for label, points in items if label in definition.band_ignores)
    return {
        "id": score.id,
        "kind": score.kind,
        "name": definition.name,
        "items": [{"label": label, "points": points} for label, points in items],
        "total": total,
        "meaning": score_band(definition, total - ignored),
        "feedback": score.feedback,
    }


def _question_view(case: Case, progress: "CaseProgress", question: Question) -> dict[str, Any]:
    record = progress.answer(question.id)
    view: dict[str, Any] = {
        "id": question.id,
        "kind": question.kind,
        "prompt": question.prompt,
        "points": question_points(question),
        "required": question.required,
        "attempts_allowed": case.attempts_allowed(question),
        "attempts_used": len(record.attempts) if record else 0,
    }
    if isinstance(question, ReflectionQuestion):
        view["min_chars"] = question.min_chars
        view["max_chars"] = question.max_chars
    elif isinstance(question, NumericQuestion):
        view["unit"] = question.unit
    else:
        view["options"] = [{"id": o.id, "text": o.text} for o in question.options]
        if isinstance(question, KeyFeatureQuestion):
            view["max_selections"] = question.max_selections
        elif isinstance(question, MultipleChoiceQuestion):
            view["max_selections"] = question.selection_limit
        elif not isinstance(question, RankingQuestion):
            view["max_selections"] = 1
        if isinstance(question, ScriptConcordanceQuestion):
            view["hypothesis"] = question.hypothesis
            view["new_information"] = question.new_information
    view["answer"] = _answer_view(case, question, record) if record else None
    return view


def _attempt_view(question: Question, answer: AnswerGiven) -> dict[str, Any]:
    if isinstance(question, ReflectionQuestion):
        return {"text": answer.text}
    if isinstance(question, NumericQuestion):
        return {"value": answer.value}
    if isinstance(question, RankingQuestion):
        return {"order": list(answer.order)}
    feedback = []
    for option_id in answer.options:
        option = question.option(option_id)
        assert option is not None
        feedback.append({"option": option.id, "text": option.text, "feedback": option.feedback})
    view = {"options": list(answer.options), "feedback": feedback}
    if over_limit(question, answer):
        view["over_limit"] = question.max_selections  # type: ignore[union-attr]
    return view


def _answer_view(case: Case, question: Question, record: "AnswerRecord") -> dict[str, Any]:
    view: dict[str, Any] = {
        "attempts": [_attempt_view(question, a) for a in record.attempts],
        "credit": record.credit,
        "points": record.points,
        "closed": record.closed,
    }
    if record.closed:
        view["commentary"] = question.commentary
        if isinstance(question, NumericQuestion):
            view["key"] = _numeric_key(question, case.patient)
    return view


def _numeric_key(question: NumericQuestion, patient: PatientProfile) -> dict[str, Any]:
    """The expected number, how it was computed and what was accepted."""
    value, capped = question.expected(patient)
    formula = question.formula
    return {
        "value": value,
        "unit": question.unit,
        "tolerance": question.tolerance,
        "tolerance_percent": question.tolerance_percent,
        "per_kg": formula.per_kg if formula else 0,
        "per_year": formula.per_year if formula else 0,
        "fixed": formula.fixed if formula else value,
        "maximum": formula.maximum if formula else None,
        "capped": capped,
        "weight_kg": patient.weight_kg,
        "age_years": round(patient.age, 2),
    }


def expert_answer(case: Case, question: Question) -> dict[str, Any] | None:
    """What the expert answers (shown after the case): the keyed options (and the harmful
    ones), the panel's votes, the expert order, or the expected number."""
    if isinstance(question, ReflectionQuestion):
        return None
    if isinstance(question, NumericQuestion):
        return {"number": _numeric_key(question, case.patient)}
    if isinstance(question, RankingQuestion):
        texts = {o.id: o.text for o in question.options}
        return {"order": [texts[o] for o in question.correct_order]}
    if isinstance(question, ScriptConcordanceQuestion):
        panel = [{"text": o.text, "experts": o.votes or 0} for o in question.options]
        modal = [o.text for o in question.options if (o.votes or 0) == question.modal_votes]
        return {"options": modal, "panel": panel}
    return {
        "options": [o.text for o in question.options if o.correct],
        "partial": [o.text for o in question.options if o.credit],
        "dangerous": [o.text for o in question.options if o.harmful],
    }


def _decision(
    case: Case, stage: Stage, question: Question, record: "AnswerRecord | None"
) -> dict[str, Any]:
    """One question in the end summary: the learner's last answer beside the expert's."""
    return {
        "stage": stage.id,
        "question": question.id,
        "kind": question.kind,
        "prompt": question.prompt,
        "credit": record.credit if record else 0.0,
        "points": record.points if record else 0.0,
        "max_points": question_points(question),
        "answer": _attempt_view(question, record.attempts[-1]) if record else None,
        "learner_order": _texts_in_order(question, record),
        "expert": expert_answer(case, question),
        "commentary": question.commentary,
    }


def _texts_in_order(question: Question, record: "AnswerRecord | None") -> list[str]:
    if not isinstance(question, RankingQuestion) or record is None:
        return []
    texts = {o.id: o.text for o in question.options}
    return [texts[o] for o in record.attempts[-1].order]


def _summary(case: Case, progress: "CaseProgress") -> dict[str, Any]:
    def titled(stage_ids: list[str]) -> list[dict[str, str]]:
        return [{"id": s, "title": case.stage(s).title} for s in stage_ids]  # type: ignore[union-attr]

    expert_path = [step.stage for step in expert_route(case)]
    visited = [case.stage(s) for s in progress.path]
    requested = set(progress.findings)
    offered = [f for stage in visited if stage for f in stage.findings]

    def labelled(findings: list[Finding]) -> list[dict[str, str]]:
        return [{"id": f.id, "label": f.label} for f in findings]

    decisions = [
        _decision(case, stage, question, progress.answer(question.id))
        for stage in visited
        if stage
        for question in stage.questions
        if not isinstance(question, ReflectionQuestion)
    ]
    minutes, money = _spent(case, progress)
    return {
        "score": progress.score,
        "max_score": progress.max_score,
        "fraction": round(progress.fraction, 6),
        "passed": progress.passed,
        "harmful_choice": progress.harmful_choice,
        "pass_threshold": progress.pass_threshold,
        "path": titled(progress.path),
        "expert_path": titled(expert_path),
        "followed_expert_path": progress.path == expert_path,
        "decisions": decisions,
        "essential_findings_missed": labelled(
            [f for f in offered if f.relevance == "essential" and f.id not in requested]
        ),
        "unnecessary_findings_requested": labelled(
            [f for f in offered if f.relevance == "unnecessary" and f.id in requested]
        ),
        "harmful_findings_requested": labelled(
            [f for f in offered if f.relevance == "harmful" and f.id in requested]
        ),
        "minutes_spent": minutes,
        "money_spent": money,
    }
