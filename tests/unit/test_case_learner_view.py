"""The learner view and every action response hold only what the learner has earned.

Two scans: hypothesis cases whose every secret carries a unique token, walked by random
learners (valid and invalid actions); and every path of every demo case, with and without
requesting findings, looking for the demo's own secret texts.
"""

import itertools
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from case_teaching import (
    AnswerGiven,
    Case,
    CaseError,
    CaseProgress,
    demo_case_names,
    expert_route,
    learner_view,
    load_demo_case,
    start,
)
from tests.unit.test_case_strategies import act, cases, dumped, random_answer, two_stage_case

#: Keys that would carry an answer key or the case's routing.
FORBIDDEN_KEYS = {"correct", "harmful", "votes", "correct_order", "branches", "next_stage", "to"}


def keys_in(data) -> set[str]:
    found: set[str] = set()
    if isinstance(data, dict):
        for key, value in data.items():
            found.add(key)
            found |= keys_in(value)
    elif isinstance(data, list):
        for value in data:
            found |= keys_in(value)
    return found


def secrets(case: Case, progress: CaseProgress) -> list[str]:
    """Every text the learner has not earned at `progress` (once the case is over, the
    expert's answers and commentary on the stages they went through are earned)."""
    hidden = []
    visited = set(progress.path)
    expert_titles = {s.stage for s in expert_route(case)} if progress.completed else set()
    for stage in case.stages:
        if stage.id not in visited:
            hidden.append(stage.content)
            if stage.id not in expert_titles:
                hidden.append(stage.title)
        for finding in stage.findings:
            if finding.id not in progress.findings:
                hidden += [finding.result, finding.feedback]
        for score in stage.scores:
            if stage.id not in visited or not set(score.findings) <= set(progress.findings):
                hidden.append(score.feedback)
        for question in stage.questions:
            record = progress.answer(question.id)
            if stage.id not in visited:
                hidden.append(question.prompt)
            summarised = progress.completed and stage.id in visited
            if (record is None or not record.closed) and not summarised:
                hidden.append(question.commentary)
            if question.kind in ("reflection", "numeric"):
                continue
            chosen = {o for a in (record.attempts if record else []) for o in a.options}
            hidden += [o.feedback for o in question.options if o.id not in chosen]
    return [text for text in hidden if text]


def keys_revealed_early(data, completed: bool) -> list[str]:
    """Answer keys where they do not belong: a numeric `key` in an answer that is not final,
    an `expert` answer before the case is over."""
    found = []
    if isinstance(data, dict):
        if "key" in data and "closed" in data and not data["closed"]:
            found.append("key")
        if "expert" in data and not completed:
            found.append("expert")
        data = list(data.values())
    if isinstance(data, list):
        for value in data:
            found += keys_revealed_early(value, completed)
    return found


def assert_nothing_unearned(case: Case, progress: CaseProgress, payload, texts=None) -> None:
    text = dumped(payload)
    assert not keys_in(payload) & FORBIDDEN_KEYS, keys_in(payload) & FORBIDDEN_KEYS
    assert not keys_revealed_early(payload, progress.completed)
    for secret in texts if texts is not None else secrets(case, progress):
        assert dumped(secret)[1:-1] not in text, f"unearned text shown: {secret!r}"


# ---- hypothesis: random cases, random learners ----------------------------------------------


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases(), st.data())
def test_a_random_learner_never_sees_anything_unearned(case, data):
    result = start(case)
    assert_nothing_unearned(case, result.progress, result.response)
    for _ in range(25):
        progress = result.progress
        stage = case.stage(progress.current_stage)
        choice = data.draw(st.sampled_from(["finding", "answer", "continue", "stray"]))
        try:
            if choice == "finding":
                every = [f.id for s in case.stages for f in s.findings] or ["none"]
                finding = data.draw(st.sampled_from(every))
                result = act(case, progress, kind="request_finding", finding=finding)
            elif choice == "answer" and stage.questions:
                question = data.draw(st.sampled_from(stage.questions))
                answer = random_answer(data.draw, question)
                result = act(
                    case,
                    progress,
                    kind="submit_answer",
                    question=question.id,
                    answer=answer.model_dump(),
                )
            elif choice == "stray":  # a question of another stage
                others = [q.id for s in case.stages for q in s.questions] or ["none"]
                result = act(
                    case,
                    progress,
                    kind="submit_answer",
                    question=data.draw(st.sampled_from(others)),
                    answer={"options": ["o0"]},
                )
            else:
                result = act(case, progress, kind="continue")
        except CaseError:
            continue
        assert_nothing_unearned(case, result.progress, result.response)
        assert_nothing_unearned(case, result.progress, learner_view(case, result.progress))
        if result.progress.completed:
            break


# ---- exhaustive: every path of every demo case ----------------------------------------------


def unique_secrets(case: Case, progress: CaseProgress) -> list[str]:
    """Demo secrets that cannot be confused with a text the learner may see: not a short
    generic phrase like "Right.", and not contained in any other text of the case."""
    all_texts = []
    for stage in case.stages:
        all_texts += [stage.title, stage.content]
        for f in stage.findings:
            all_texts += [f.label, f.result, f.feedback]
        for q in stage.questions:
            all_texts += [q.prompt, q.commentary]
            for o in getattr(q, "options", []):
                all_texts += [o.text, o.feedback]
    keep = []
    for secret in secrets(case, progress):
        containing = [t for t in all_texts if secret in t]
        if len(secret) >= 20 and len(containing) == 1:
            keep.append(secret)
    return keep


def routing_choices(case: Case) -> list[tuple[str, list[str]]]:
    """The questions that route, with the options to try (one per distinct route)."""
    found = []
    for stage in case.stages:
        for branch in stage.branches:
            question = case.question(branch.question)[1]
            found.append((question.id, [o.id for o in question.options]))
    return found


def walk(case: Case, decisions: dict[str, str], request_findings: bool):
    """A learner who takes `decisions` at routing questions, answers everything else as the
    expert would (reflections written), requests every finding or none; yields every state."""
    ideal = {qid: a for step in expert_route(case) for qid, a in step.answers.items()}
    result = start(case)
    yield result
    while not result.progress.completed:
        stage = case.stage(result.progress.current_stage)
        if request_findings:
            for finding in stage.findings:
                result = act(case, result.progress, kind="request_finding", finding=finding.id)
                yield result
        for question in stage.questions:
            if question.id in decisions:
                answer = AnswerGiven(options=[decisions[question.id]])
            elif question.kind == "reflection":
                answer = AnswerGiven(text="Next time I will look for danger signs first.")
            else:
                answer = ideal.get(question.id) or _any_answer(question)
            result = act(
                case,
                result.progress,
                kind="submit_answer",
                question=question.id,
                answer=answer.model_dump(),
            )
            yield result
        result = act(case, result.progress, kind="continue")
        yield result


def _any_answer(question) -> AnswerGiven:
    if question.kind == "numeric":
        return AnswerGiven(value=1)
    ids = [o.id for o in question.options]
    return AnswerGiven(order=ids) if question.kind == "ranking" else AnswerGiven(options=ids[:1])


@pytest.mark.parametrize("name", demo_case_names())
def test_every_path_of_every_demo_case_reveals_only_what_was_earned(name):
    case = load_demo_case(name)
    questions = routing_choices(case)
    paths = set()
    for combination in itertools.product(*(options for _, options in questions)):
        decisions = dict(zip((qid for qid, _ in questions), combination, strict=True))
        for request_findings in (True, False):
            for result in walk(case, decisions, request_findings):
                progress = result.progress
                texts = unique_secrets(case, progress)
                assert_nothing_unearned(case, progress, result.response, texts)
            paths.add(tuple(progress.path))
    assert len(paths) >= 2, "the walk should cover the branch as well as the expert path"


# ---- what the view shows, step by step ------------------------------------------------------


def test_before_answering_no_option_shows_feedback_or_correctness():
    case = two_stage_case()
    view = learner_view(case, start(case).progress)
    question = view["stage"]["questions"][0]
    assert question["options"] == [
        {"id": "a", "text": "Option A"},
        {"id": "b", "text": "Option B"},
        {"id": "c", "text": "Option C"},
    ]
    assert question["answer"] is None
    assert "fb q" not in json.dumps(view)


def test_after_a_wrong_answer_only_the_chosen_options_feedback_is_shown():
    case = two_stage_case(max_attempts=2)
    result = act(
        case, start(case).progress, kind="submit_answer", question="q", answer={"options": ["b"]}
    )
    answer = result.response["view"]["stage"]["questions"][0]["answer"]
    assert answer["attempts"] == [
        {"options": ["b"], "feedback": [{"option": "b", "text": "Option B", "feedback": "fb q b"}]}
    ]
    assert answer["closed"] is False
    assert "commentary" not in answer  # a second attempt is still open
    text = json.dumps(result.response)
    assert "fb q a" not in text and "fb q c" not in text


def test_the_expert_commentary_appears_once_the_answer_is_final():
    case = two_stage_case(commentary="<p>Experts choose A.</p>")
    result = act(
        case, start(case).progress, kind="submit_answer", question="q", answer={"options": ["b"]}
    )
    answer = result.response["view"]["stage"]["questions"][0]["answer"]
    assert answer["closed"] is True
    assert answer["commentary"] == "<p>Experts choose A.</p>"


def test_requestable_findings_show_label_time_and_money_but_not_result_relevance_or_penalty():
    case = load_demo_case("chest_pain_gp")
    result = start(case)
    for _ in range(3):  # presentation -> history -> examination -> investigations
        stage = case.stage(result.progress.current_stage)
        for question in stage.questions:
            answer = {"options": [question.options[0].id]}
            if question.kind == "ranking":
                answer = {"order": [o.id for o in question.options]}
            result = act(
                case, result.progress, kind="submit_answer", question=question.id, answer=answer
            )
        result = act(case, result.progress, kind="continue")
    offered = {f["id"]: f for f in result.response["view"]["stage"]["findings_available"]}
    assert offered["inv-treadmill"] == {
        "id": "inv-treadmill",
        "kind": "investigation",
        "label": "Exercise treadmill test",
        "minutes": 30,
        "money": 0,
    }
    assert "Booked at the county hospital" not in json.dumps(result.response)
    result = act(case, result.progress, kind="request_finding", finding="inv-treadmill")
    obtained = result.response["view"]["stage"]["findings_obtained"]
    assert obtained[0]["relevance"] == "harmful" and obtained[0]["penalty"] == 2
    assert "Booked at the county hospital" in obtained[0]["result"]


def test_a_stage_not_reached_does_not_appear_even_by_title():
    case = load_demo_case("acute_limb_ischaemia")
    text = json.dumps(start(case).response)
    for title in ("The next morning", "After the embolectomy", "Outcome after amputation"):
        assert title not in text


def test_the_end_summary_sets_the_path_taken_beside_the_expert_path():
    case = load_demo_case("child_pneumonia")
    decisions = {"treatment": "no-antibiotic"}
    *_, last = walk(case, decisions, request_findings=False)
    summary = last.response["view"]["summary"]
    assert [s["id"] for s in summary["path"]][-2:] == ["deterioration", "outcome-referred"]
    assert [s["id"] for s in summary["expert_path"]][-2:] == ["follow-up", "outcome"]
    assert summary["followed_expert_path"] is False
    assert summary["passed"] is False
    missed = {f["id"] for f in summary["essential_findings_missed"]}
    assert {"ex-respiratory-rate", "ex-spo2", "hx-danger-signs"} <= missed
    treatment = next(d for d in summary["decisions"] if d["question"] == "treatment")
    assert treatment["points"] == 0 and treatment["max_points"] == 10
    assert "Cough syrups do not help" in treatment["answer"]["feedback"][0]["feedback"]
    assert "WHO 2014 recommends oral amoxicillin" in treatment["commentary"]
    assert last.response["view"]["stage"] is None


def test_the_progress_indicator_counts_the_stages_still_ahead():
    case = load_demo_case("hypertensive_emergency")
    progress = start(case).response["view"]["progress"]
    assert progress["position"] == 1
    assert progress["total"] == 7  # the shortest way to an ending from the presentation
    assert progress["score"] == 0 and progress["max_score"] == 36
