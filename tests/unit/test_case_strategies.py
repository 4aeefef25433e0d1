"""Builders, hypothesis strategies and learner walkers shared by the case tests.

Generated cases carry a unique token in every secret (stage titles and content, finding
results and feedback, option feedback, expert commentary, computed scores' feedback) so that
a leak scan can look for exactly what a learner has not earned yet; numeric keys are checked
by structure (`key` only in a final answer, `expert` only in the end summary).
"""

import json
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from case_teaching import (
    AnswerGiven,
    Case,
    CaseError,
    CaseProgress,
    apply_action,
    case_from_xml,
    case_to_xml,
    expert_route,
    learner_view,
    max_score,
    start,
)

PATIENT = {"age_years": 58, "sex": "male", "weight_kg": 64, "setting": "Township health centre"}


def case_dict(stages: list[dict[str, Any]], **fields: Any) -> dict[str, Any]:
    """A valid case around `stages` (plain data, for model_validate)."""
    return {
        "id": "test-case",
        "title": "A test case",
        "discipline": "General practice",
        "patient": PATIENT,
        "stages": stages,
        **fields,
    }


def single_choice(qid: str, points: float = 2, correct: str = "a", **fields: Any) -> dict:
    return {
        "kind": "single_choice",
        "id": qid,
        "prompt": f"<p>Question {qid}?</p>",
        "points": points,
        "options": [
            {"id": "a", "text": "Option A", "correct": correct == "a", "feedback": f"fb {qid} a"},
            {"id": "b", "text": "Option B", "correct": correct == "b", "feedback": f"fb {qid} b"},
            {"id": "c", "text": "Option C", "feedback": f"fb {qid} c"},
        ],
        **fields,
    }


def two_stage_case(**question_fields: Any) -> Case:
    """Stage "start" asks one single-choice question "q" (a is right) and leads to "end"."""
    return Case.model_validate(
        case_dict(
            [
                {
                    "id": "start",
                    "title": "Start",
                    "next_stage": "end",
                    "questions": [single_choice("q", **question_fields)],
                },
                {"id": "end", "title": "End", "ending": True},
            ]
        )
    )


# ---- secrets --------------------------------------------------------------------------------


def token(*parts: str) -> str:
    return "@" + ".".join(parts) + "@"


@st.composite
def question_data(draw, qid: str, routing: bool = False) -> dict[str, Any]:
    kinds = (
        ["single_choice"]
        if routing
        else [
            "single_choice",
            "multiple_choice",
            "key_feature",
            "ranking",
            "script_concordance",
            "numeric",
            "reflection",
        ]
    )
    kind = draw(st.sampled_from(kinds))
    base = {
        "kind": kind,
        "id": qid,
        "prompt": f"<p>Prompt {qid}</p>",
        "commentary": f"<p>{token(qid, 'commentary')}</p>",
        "required": draw(st.booleans()),
    }
    if kind == "reflection":
        return base
    if kind == "numeric":
        return base | numeric_key(draw)
    size = draw(st.integers(min_value=2, max_value=4 if kind != "key_feature" else 7))
    ids = [f"o{i}" for i in range(size)]
    options = [
        {"id": o, "text": f"Text {qid} {o}", "feedback": token(qid, o, "feedback")} for o in ids
    ]
    base["points"] = draw(st.sampled_from([0.5, 1, 2, 3]))
    base["max_attempts"] = draw(st.sampled_from([None, 1, 2]))
    if kind == "single_choice":
        right = draw(st.sampled_from(ids))
        for option in options:
            if option["id"] == right:
                option["correct"] = True
            elif draw(st.booleans()):
                option["credit"] = draw(st.sampled_from([0.25, 0.5]))
    elif kind in ("multiple_choice", "key_feature"):
        correct = draw(st.sets(st.sampled_from(ids), min_size=1, max_size=size - 1))
        wrong = [o for o in options if o["id"] not in correct]
        for option in options:
            option["correct"] = option["id"] in correct
            # Any wrong option but the first may be a killer: one safe distractor remains.
            if option in wrong[1:] and draw(st.booleans()):
                option["harmful"] = True
        if kind == "key_feature":
            safe = sum(not o.get("harmful") for o in options)
            base["max_selections"] = draw(
                st.integers(len(correct), min(safe - 1, 2 * len(correct)))
            )
        if kind == "multiple_choice":
            base["partial_credit"] = draw(
                st.sampled_from(["all_or_nothing", "right_minus_wrong", "per_option"])
            )
    elif kind == "ranking":
        key = draw(st.permutations(ids))
        assume(list(key) != ids)
        base["correct_order"] = list(key)
    else:
        base["max_attempts"] = draw(st.sampled_from([None, 1]))
        votes = draw(st.lists(st.integers(0, 9), min_size=size, max_size=size))
        assume(sum(votes) > 0)
        for option, count in zip(options, votes, strict=True):
            option["votes"] = count
    base["options"] = options
    return base


def numeric_key(draw) -> dict[str, Any]:
    """A fixed value or a per-kg formula (capped or not), with a tolerance."""
    key: dict[str, Any] = {"unit": "mg", "points": draw(st.sampled_from([1, 2]))}
    if draw(st.booleans()):
        key["value"] = draw(st.sampled_from([0.5, 12.5, 250, 1000]))
    else:
        key["formula"] = {"per_kg": 15, "maximum": draw(st.sampled_from([None, 500, 1000]))}
    key["tolerance_percent"] = draw(st.sampled_from([0, 5, 10]))
    key["max_attempts"] = draw(st.sampled_from([None, 1, 2]))
    return key


def computed_score(draw, sid: str, findings: list[dict]) -> dict[str, Any]:
    """A GCS whose components are revealed by some of the stage's findings."""
    ids = [None] + [f["id"] for f in findings]
    return {
        "id": f"{sid}-gcs",
        "kind": "gcs",
        "inputs": [
            {"criterion": name, "value": value, "finding": draw(st.sampled_from(ids))}
            for name, value in (("eye", 3), ("verbal", 4), ("motor", 6))
        ],
        "feedback": f"<p>{token(sid, 'score')}</p>",
    }


@st.composite
def cases(draw) -> Case:
    """A chain of stages s0..sN (the last an ending), each with findings and questions, plus
    an optional detour ending "d" reached by a wrong answer or a low score."""
    count = draw(st.integers(min_value=2, max_value=5))
    stages = []
    for index in range(count):
        sid = f"s{index}"
        findings = []
        for f in range(draw(st.integers(0, 3))):
            fid = f"{sid}-f{f}"
            relevance = draw(st.sampled_from(["essential", "useful", "unnecessary", "harmful"]))
            scores = relevance in ("essential", "useful")
            findings.append(
                {
                    "id": fid,
                    "kind": draw(st.sampled_from(["history", "examination", "investigation"])),
                    "label": f"Label {fid}",
                    "relevance": relevance,
                    "points": draw(st.sampled_from([0, 0.5, 1])) if scores else 0,
                    "cost": {
                        "minutes": draw(st.integers(0, 30)),
                        "money": draw(st.sampled_from([0, 20, 150])),
                        "penalty": draw(st.sampled_from([0, 0.5, 2])),
                    },
                    "result": f"<p>{token(fid, 'result')}</p>",
                    "feedback": f"<p>{token(fid, 'feedback')}</p>",
                }
            )
        questions = [draw(question_data(f"{sid}-q{q}")) for q in range(draw(st.integers(0, 2)))]
        stage = {
            "id": sid,
            "title": token(sid, "title"),
            "content": f"<p>{token(sid, 'content')}</p>",
            "findings": findings,
            "questions": questions,
        }
        if draw(st.booleans()):
            stage["scores"] = [computed_score(draw, sid, findings)]
        if index == count - 1:
            stage["ending"] = True
        else:
            stage["next_stage"] = f"s{index + 1}"
        stages.append(stage)
    detour_from = draw(st.one_of(st.none(), st.integers(0, count - 2)))
    if detour_from is not None:
        origin = stages[detour_from]
        routing = draw(question_data(f"s{detour_from}-route", routing=True))
        origin["questions"].append(routing)
        wrong = [o["id"] for o in routing["options"] if not o.get("correct")]
        branch = {"id": "detour", "to": "d", "question": routing["id"], "options": wrong[:1]}
        if draw(st.booleans()):
            branch = {"id": "detour", "to": "d", "score_below": draw(st.sampled_from([0.5, 1]))}
        origin["branches"] = [branch]
        stages.append(
            {
                "id": "d",
                "title": token("d", "title"),
                "content": f"<p>{token('d', 'content')}</p>",
                "ending": True,
                "questions": [{"kind": "reflection", "id": "d-reflect", "prompt": "<p>Why?</p>"}],
            }
        )
    policy = {
        "max_attempts": draw(st.sampled_from([1, 2])),
        "allow_restart": draw(st.booleans()),
        "pass_threshold": draw(st.sampled_from([0, 0.5, 0.8])),
    }
    try:
        return Case.model_validate(case_dict(stages, scoring=policy))
    except ValidationError:
        assume(False)
        raise


# ---- learners -------------------------------------------------------------------------------


def random_answer(draw, question) -> AnswerGiven:
    """Any well-formed answer to `question` (right or wrong)."""
    if question.kind == "reflection":
        return AnswerGiven(text="I would count the breathing first. " + "x" * question.min_chars)
    if question.kind == "numeric":
        return AnswerGiven(value=draw(st.sampled_from([0.5, 12.5, 250, 960, 1000, -3])))
    ids = [o.id for o in question.options]
    if question.kind == "ranking":
        return AnswerGiven(order=list(draw(st.permutations(ids))))
    if question.kind in ("single_choice", "script_concordance"):
        return AnswerGiven(options=[draw(st.sampled_from(ids))])
    chosen = draw(
        st.lists(st.sampled_from(ids), min_size=1, max_size=question.selection_limit, unique=True)
    )
    return AnswerGiven(options=chosen)


def act(case: Case, progress: CaseProgress, **action: Any):
    """Apply an action at the progress' own step (the page is up to date)."""
    return apply_action(case, progress, {"step": progress.step, **action})


def play_expert(case: Case):
    """Follow the expert route: every finding that earns points, every answer at full credit,
    reflections written. Returns the list of results, the last one completed."""
    results = [start(case)]
    for step in expert_route(case):
        progress = results[-1].progress
        assert progress.current_stage == step.stage
        for finding in step.findings:
            results.append(act(case, results[-1].progress, kind="request_finding", finding=finding))
        stage = case.stage(step.stage)
        for question in stage.questions:
            answer = step.answers.get(question.id) or AnswerGiven(
                text="Count the breathing before deciding." * question.min_chars
            )
            results.append(
                act(
                    case,
                    results[-1].progress,
                    kind="submit_answer",
                    question=question.id,
                    answer=answer.model_dump(),
                )
            )
        results.append(act(case, results[-1].progress, kind="continue"))
    return results


def dumped(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False)


# ---- the strategies themselves --------------------------------------------------------------


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_generated_cases_are_valid_and_an_expert_earns_the_maximum(case):
    results = play_expert(case)
    progress = results[-1].progress
    assert progress.is_complete
    assert progress.score == max_score(case)
    assert progress.path == [step.stage for step in expert_route(case)]
    assert case_from_xml(case_to_xml(case)) == case


def test_act_refuses_what_the_engine_refuses():
    case = two_stage_case()
    progress = start(case).progress
    try:
        act(case, progress, kind="continue")
    except CaseError as error:
        assert error.code == "required_questions_open"
    else:
        raise AssertionError("continuing past an unanswered required question was accepted")
    assert learner_view(case, progress)["stage"]["can_continue"] is False
