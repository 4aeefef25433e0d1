"""The case engine: disclosure, scoring, branching, refusals, purity and edited cases."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from case_teaching import (
    AnswerGiven,
    Case,
    CaseError,
    CaseProgress,
    answer_credit,
    apply_action,
    learner_view,
    load_demo_case,
    max_score,
    parse_action,
    reconcile,
    start,
)
from case_teaching.schema import text_excerpt
from tests.unit.test_case_learner_view import walk
from tests.unit.test_case_strategies import (
    act,
    case_dict,
    cases,
    play_expert,
    random_answer,
    single_choice,
    two_stage_case,
)


def refused(code: str, case: Case, progress: CaseProgress, **action) -> CaseError:
    before = progress.model_dump()
    with pytest.raises(CaseError) as caught:
        apply_action(case, progress, {"step": progress.step, **action} | action)
    assert caught.value.code == code, str(caught.value)
    assert progress.model_dump() == before, "a refused action changed the progress"
    return caught.value


def at_stage(case: Case, stage_id: str, decisions=None):
    for result in walk(case, decisions or {}, request_findings=False):
        if result.progress.current_stage == stage_id:
            return result
    raise AssertionError(stage_id)


# ---- clinical scenarios ---------------------------------------------------------------------


def test_a_gp_who_gives_no_antibiotic_meets_the_child_again_with_severe_pneumonia():
    case = load_demo_case("child_pneumonia")
    result = at_stage(case, "management")
    result = act(
        case,
        result.progress,
        kind="submit_answer",
        question="treatment",
        answer={"options": ["no-antibiotic"]},
    )
    assert result.progress.answer("treatment").points == 0
    result = act(
        case,
        result.progress,
        kind="submit_answer",
        question="safety-net",
        answer={"options": ["breathing-harder", "not-drinking", "drowsy"]},
    )
    dose = {"value": 600}
    result = act(
        case, result.progress, kind="submit_answer", question="amoxicillin-dose", answer=dose
    )
    result = act(case, result.progress, kind="continue")
    assert result.progress.current_stage == "deterioration"
    assert result.events == [
        {
            "name": "cme.case.stage_reached",
            "data": {
                "case_id": "child-pneumonia",
                "stage": "deterioration",
                "previous": "management",
                "position": 7,
            },
        }
    ]


def test_a_gp_who_sends_chest_pain_home_with_omeprazole_faces_a_stemi_two_days_later():
    case = load_demo_case("chest_pain_gp")
    *_, last = walk(case, {"disposition": "omeprazole"}, request_findings=True)
    assert last.progress.path[-2:] == ["collapse", "outcome-stemi"]
    assert last.progress.is_complete and not last.progress.passed


def test_ordering_a_treadmill_test_in_unstable_angina_costs_penalty_points():
    case = load_demo_case("chest_pain_gp")
    result = at_stage(case, "investigations")
    before = result.progress.score
    result = act(case, result.progress, kind="request_finding", finding="inv-treadmill")
    assert result.progress.score == max(0.0, before - 2)
    assert result.events[0]["name"] == "cme.case.finding_requested"
    assert result.events[0]["data"]["relevance"] == "harmful"


def test_the_expert_earns_full_marks_along_the_expert_path_in_every_demo_case():
    for name in (
        "child_pneumonia",
        "chest_pain_gp",
        "hypertensive_emergency",
        "acute_limb_ischaemia",
    ):
        case = load_demo_case(name)
        last = play_expert(case)[-1]
        assert last.progress.score == max_score(case) > 0
        assert last.progress.passed and last.progress.fraction == 1.0
        assert last.events[-1]["name"] == "cme.case.case_completed"
        assert last.events[-1]["data"]["passed"] is True


def test_a_second_attempt_after_a_wrong_answer_counts_the_last_answer():
    case = load_demo_case("hypertensive_emergency")  # the policy allows two attempts
    result = at_stage(case, "investigations")
    first = act(
        case,
        result.progress,
        kind="submit_answer",
        question="diagnosis",
        answer={"options": ["stroke"]},
    )
    record = first.progress.answer("diagnosis")
    assert (record.points, record.closed, len(record.attempts)) == (0, False, 1)
    second = act(
        case,
        first.progress,
        kind="submit_answer",
        question="diagnosis",
        answer={"options": ["malignant"]},
    )
    record = second.progress.answer("diagnosis")
    assert (record.points, record.closed, len(record.attempts)) == (2, True, 2)
    refused(
        "attempts_exhausted",
        case,
        second.progress,
        kind="submit_answer",
        question="diagnosis",
        answer={"options": ["stroke"]},
    )


def test_a_right_first_answer_closes_the_question_even_with_attempts_left():
    case = load_demo_case("hypertensive_emergency")
    result = at_stage(case, "investigations")
    right = act(
        case,
        result.progress,
        kind="submit_answer",
        question="diagnosis",
        answer={"options": ["malignant"]},
    )
    assert right.progress.answer("diagnosis").closed
    refused(
        "question_closed",
        case,
        right.progress,
        kind="submit_answer",
        question="diagnosis",
        answer={"options": ["stroke"]},
    )


def test_attempts_beyond_the_limit_are_refused():
    case = two_stage_case(max_attempts=2)
    progress = start(case).progress
    for _ in range(2):
        progress = act(
            case, progress, kind="submit_answer", question="q", answer={"options": ["b"]}
        ).progress
    error = refused(
        "attempts_exhausted",
        case,
        progress,
        kind="submit_answer",
        question="q",
        answer={"options": ["a"]},
    )
    assert error.params == {
        "question": "q",
        "attempts": 2,
        "number": 1,
        "prompt": "Question q?",
        "stage_title": "Start",
    }
    assert str(error) == 'You have used all 2 attempts at question 1 of "Start" ("Question q?").'


# ---- refusals change nothing ----------------------------------------------------------------


def test_a_replayed_submission_is_refused():
    case = two_stage_case(max_attempts=3)
    progress = start(case).progress
    moved = act(case, progress, kind="submit_answer", question="q", answer={"options": ["b"]})
    error = refused(
        "action_replayed",
        case,
        moved.progress,
        step=0,
        kind="submit_answer",
        question="q",
        answer={"options": ["b"]},
    )
    assert error.params == {"step": 0, "expected": 1}
    refused("action_out_of_sequence", case, moved.progress, step=5, kind="continue")


def test_an_answer_for_a_stage_not_reached_is_refused():
    case = load_demo_case("chest_pain_gp")
    error = refused(
        "question_not_available",
        case,
        start(case).progress,
        kind="submit_answer",
        question="disposition",
        answer={"options": ["ambulance"]},
    )
    assert error.params["stage"] == "presentation"
    assert str(error) == (
        'That question is not part of the stage you are at ("Presentation"). Reload the page.'
    )


def test_findings_that_do_not_exist_belong_elsewhere_or_were_already_requested_are_refused():
    case = load_demo_case("chest_pain_gp")
    progress = at_stage(case, "history").progress
    refused("unknown_finding", case, progress, kind="request_finding", finding="mri-brain")
    error = refused(
        "finding_not_available", case, progress, kind="request_finding", finding="inv-ecg"
    )
    ecg = case.finding("inv-ecg")[1]
    assert "inv-ecg" not in str(error) and ecg.label not in str(error)  # not earned yet
    assert case.stage("history").title in str(error)
    progress = act(case, progress, kind="request_finding", finding="hx-pattern").progress
    error = refused(
        "finding_already_requested", case, progress, kind="request_finding", finding="hx-pattern"
    )
    assert "Previous episodes" in str(error)


def test_continuing_before_the_required_questions_are_answered_is_refused():
    case = load_demo_case("acute_limb_ischaemia")
    error = refused("required_questions_open", case, start(case).progress, kind="continue")
    assert error.params["question_ids"] == ["threatened-signs"]
    prompt = text_excerpt(case.question("threatened-signs")[1].prompt, 60)
    assert str(error) == (
        f'Answer these questions of "{case.start_stage.title}" before you continue: 1. {prompt}.'
    )


def test_malformed_answers_are_refused_naming_the_question_as_the_learner_sees_it():
    case = load_demo_case("acute_limb_ischaemia")
    progress = start(case).progress
    stage = case.start_stage
    prompt = text_excerpt(stage.questions[0].prompt, 60)
    for answer, code in (
        ({"options": ["gangrene"]}, "answer_unknown_option"),
        ({"options": ["pain", "pain"]}, "answer_duplicate_option"),
        ({"order": ["pain"]}, "answer_needs_choice"),
        ({"options": []}, "answer_needs_choice"),
    ):
        error = refused(
            code, case, progress, kind="submit_answer", question="threatened-signs", answer=answer
        )
        said = str(error)
        assert f'question 1 of "{stage.title}" ("{prompt}")'.lower() in said.lower(), said
        assert "threatened-signs" not in said and "gangrene" not in said


def test_a_finished_case_accepts_nothing_but_a_permitted_restart():
    case = load_demo_case("child_pneumonia")
    last = play_expert(case)[-1].progress
    refused("case_completed", case, last, kind="continue")
    refused("restart_not_allowed", case, last, kind="restart")
    permissive = case.model_copy(
        update={"scoring": case.scoring.model_copy(update={"allow_restart": True})}
    )
    progress, _ = reconcile(permissive, last)
    again = act(permissive, progress, kind="restart")
    assert again.progress.path == ["presentation"] and again.progress.score == 0
    assert again.progress.step == progress.step + 1
    assert [e["name"] for e in again.events] == ["cme.case.restarted", "cme.case.stage_reached"]


def test_handler_json_is_parsed_strictly():
    assert parse_action('{"kind": "continue", "step": 3}').step == 3
    for bad in (
        '{"kind": "peek", "step": 0}',
        '{"kind": "continue"}',
        "not json",
        '{"kind": "continue", "step": 0, "admin": true}',
        '{"kind": "request_finding", "step": 0, "finding": "<script>"}',
    ):
        with pytest.raises(ValidationError):
            parse_action(bad)


def test_progress_round_trips_through_json_for_the_user_state_field():
    case = load_demo_case("hypertensive_emergency")
    progress = play_expert(case)[-1].progress
    assert CaseProgress.model_validate_json(progress.model_dump_json()) == progress


# ---- scoring rules --------------------------------------------------------------------------


def credit(question, **answer) -> float:
    return answer_credit(question, AnswerGiven(**answer))


def test_multiple_choice_partial_credit_follows_the_authors_rule():
    case = load_demo_case("chest_pain_gp")
    question = case.question("acs-features")[1]  # correct: radiation, sweating, rest-pain
    assert credit(question, options=["radiation", "sweating"]) == pytest.approx(2 / 3)
    assert credit(question, options=["radiation", "burning"]) == 0
    strict = question.model_copy(update={"partial_credit": "all_or_nothing"})
    assert credit(strict, options=["radiation", "sweating"]) == 0
    assert credit(strict, options=["radiation", "sweating", "rest-pain"]) == 1
    per_option = question.model_copy(update={"partial_credit": "per_option"})
    assert credit(per_option, options=["radiation", "sweating"]) == pytest.approx(4 / 5)


def test_key_features_score_only_critical_decisions_and_a_harmful_choice_scores_zero():
    question = load_demo_case("chest_pain_gp").question("while-waiting")[1]
    assert credit(question, options=["monitor", "handover", "oxygen"]) == pytest.approx(2 / 3)
    assert credit(question, options=["monitor", "handover", "walk-down"]) == 0


def test_ranking_earns_the_share_of_pairs_in_the_right_order():
    question = load_demo_case("acute_limb_ischaemia").question("cause")[1]
    key = ["embolism", "thrombosis-in-situ", "popliteal-aneurysm", "dissection"]
    assert credit(question, order=key) == 1
    swapped = ["thrombosis-in-situ", "embolism", "popliteal-aneurysm", "dissection"]
    assert credit(question, order=swapped) == pytest.approx(5 / 6)
    assert credit(question, order=list(reversed(key))) == 0


def test_script_concordance_scores_the_share_of_the_modal_panel_answer():
    question = load_demo_case("chest_pain_gp").question("sct-reflux")[1]  # votes 11/5/1/0/0
    assert credit(question, options=["much-less"]) == 1
    assert credit(question, options=["less"]) == pytest.approx(5 / 11)
    assert credit(question, options=["much-more"]) == 0


# ---- a case edited while a learner is mid-way -----------------------------------------------


def test_an_unchanged_case_keeps_progress_without_a_notice():
    case = load_demo_case("child_pneumonia")
    progress = at_stage(case, "examination").progress
    assert reconcile(case, progress) == (progress, None)


def test_a_reworded_case_keeps_the_learners_progress_and_says_so():
    case = load_demo_case("child_pneumonia")
    progress = at_stage(case, "examination").progress
    edited = Case.model_validate(
        case.model_dump() | {"title": "Fast breathing in a 3-year-old", "version": "1.1"}
    )
    kept, notice = reconcile(edited, progress)
    assert notice == "case_updated_progress_kept"
    assert kept.path == progress.path and kept.score == progress.score
    assert kept.case_version == "1.1" and kept.step == progress.step + 1
    act(edited, kept, kind="request_finding", finding="ex-spo2")  # playable at once


def test_a_case_whose_visited_stage_was_removed_restarts_the_learner_with_a_message():
    case = two_stage_case()
    progress = act(
        case, start(case).progress, kind="submit_answer", question="q", answer={"options": ["c"]}
    ).progress
    data = case.model_dump()
    data["stages"][0]["questions"][0]["options"].pop()  # option "c" no longer exists
    edited = Case.model_validate(data)
    restarted, notice = reconcile(edited, progress)
    assert notice == "case_changed_restarted"
    assert restarted.path == ["start"] and restarted.answers == []
    assert restarted.step > progress.step  # a stale page cannot submit into the new state


def finished(case: Case, option: str) -> CaseProgress:
    progress = act(
        case, start(case).progress, kind="submit_answer", question="q", answer={"options": [option]}
    ).progress
    progress = act(case, progress, kind="continue").progress
    return act(case, progress, kind="continue").progress


def test_a_learner_who_finished_keeps_the_result_when_the_edited_case_no_longer_replays():
    case = two_stage_case()
    progress = finished(case, "a")
    assert progress.completed and progress.score == 2
    data = case.model_dump()
    data["stages"][0]["questions"][0]["options"].pop(0)  # option "a", their answer, is gone
    data["stages"][0]["questions"][0]["options"][0]["correct"] = True
    edited = Case.model_validate(data)

    kept, notice = reconcile(edited, progress)

    assert notice == "case_updated_result_kept"
    assert kept.completed and kept.passed
    assert (kept.score, kept.max_score) == (progress.score, progress.max_score)
    assert kept.path == ["start", "end"] and kept.step == progress.step + 1
    assert kept.answers == []  # the answer no longer fits the question: not shown
    view = learner_view(edited, kept)  # the summary is still there, nothing crashes
    assert view["summary"]["score"] == progress.score and view["stage"] is None
    assert reconcile(edited, kept) == (kept, None)
    refused("case_completed", edited, kept, kind="continue")


def test_a_learner_who_finished_keeps_the_result_when_their_ending_now_leads_on():
    case = two_stage_case()
    progress = finished(case, "b")  # no credit
    data = case.model_dump()
    data["stages"][1] |= {"ending": False, "next_stage": "follow-up"}
    data["stages"].append({"id": "follow-up", "title": "Follow-up", "ending": True})
    edited = Case.model_validate(data)

    kept, notice = reconcile(edited, progress)  # the replay stops short of an ending

    assert notice == "case_updated_result_kept"
    assert kept.completed and not kept.passed and kept.score == 0
    assert kept.path == ["start", "end"]
    assert [a.question for a in kept.answers] == ["q"]
    assert learner_view(edited, kept)["summary"]["decisions"][0]["question"] == "q"


def test_a_changed_answer_key_rescores_the_replayed_answers():
    case = two_stage_case()
    progress = act(
        case, start(case).progress, kind="submit_answer", question="q", answer={"options": ["b"]}
    ).progress
    assert progress.score == 0
    rekeyed = two_stage_case(correct="b")
    kept, notice = reconcile(rekeyed, progress)
    assert notice == "case_updated_progress_kept" and kept.score == 2


def test_progress_of_another_case_is_refused_by_the_engine_and_restarted_by_reconcile():
    case = two_stage_case()
    other = Case.model_validate(case.model_dump() | {"id": "other-case"})
    progress = start(case).progress
    refused("progress_other_case", other, progress, kind="continue")
    restarted, notice = reconcile(other, progress)
    assert notice == "case_changed_restarted" and restarted.case_id == "other-case"
    edited = Case.model_validate(case.model_dump() | {"title": "Renamed"})
    refused("progress_outdated", edited, progress, kind="continue")


# ---- properties -----------------------------------------------------------------------------


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases(), st.data())
def test_the_engine_never_mutates_its_input_and_never_exceeds_the_maximum(case, data):
    progress = start(case).progress
    ceiling = max_score(case)
    for _ in range(20):
        stage = case.stage(progress.current_stage)
        before = progress.model_dump()
        kinds = ["continue", "finding"] + (["answer"] * 3 if stage.questions else [])
        kind = data.draw(st.sampled_from(kinds))
        try:
            if kind == "finding" and stage.findings:
                finding = data.draw(st.sampled_from(stage.findings))
                result = act(case, progress, kind="request_finding", finding=finding.id)
            elif kind == "answer":
                question = data.draw(st.sampled_from(stage.questions))
                result = act(
                    case,
                    progress,
                    kind="submit_answer",
                    question=question.id,
                    answer=random_answer(data.draw, question).model_dump(),
                )
            else:
                result = act(case, progress, kind="continue")
        except CaseError:
            assert progress.model_dump() == before
            continue
        assert progress.model_dump() == before
        progress = result.progress
        assert 0 <= progress.score <= ceiling + 1e-9
        assert progress.step == before["step"] + 1
        if progress.completed:
            break


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases(), st.data())
def test_every_path_ends_for_a_learner_who_answers_what_is_required(case, data):
    progress = start(case).progress
    for _ in case.stages:
        stage = case.stage(progress.current_stage)
        for question in stage.questions:
            if question.required or data.draw(st.booleans()):
                progress = act(
                    case,
                    progress,
                    kind="submit_answer",
                    question=question.id,
                    answer=random_answer(data.draw, question).model_dump(),
                ).progress
        progress = act(case, progress, kind="continue").progress
        if progress.completed:
            break
    assert progress.is_complete
    assert case.stage(progress.path[-1]).ending
    at_the_mark = progress.fraction >= case.scoring.pass_threshold - 1e-9
    assert progress.passed == (at_the_mark and not progress.harmful_choice)


def test_a_refused_answer_after_a_given_one_leaves_the_learner_where_they_were():
    """A second answer to an answered question is refused and changes nothing: the first
    answer, the score and the step stay as they were."""
    case = two_stage_case()
    progress = act(
        case, start(case).progress, kind="submit_answer", question="q", answer={"options": ["a"]}
    ).progress
    before = progress.model_dump()
    with pytest.raises(CaseError):
        act(case, progress, kind="submit_answer", question="q", answer={"options": ["b"]})
    assert progress.model_dump() == before
    assert [a.options for a in progress.answers[0].attempts] == [["a"]]


def test_max_score_takes_the_best_path_without_paying_for_a_detour():
    case = Case.model_validate(
        case_dict(
            [
                {
                    "id": "decide",
                    "title": "Decide",
                    "next_stage": "good",
                    "questions": [
                        {
                            "kind": "single_choice",
                            "id": "route",
                            "prompt": "Which?",
                            "points": 4,
                            "options": [
                                {"id": "right", "text": "Right", "correct": True},
                                {"id": "harm", "text": "Harmful", "credit": 0.25},
                            ],
                        }
                    ],
                    "branches": [
                        {"id": "harmful", "to": "worse", "question": "route", "options": ["harm"]}
                    ],
                },
                {"id": "good", "title": "Good", "ending": True},
                {
                    "id": "worse",
                    "title": "Worse",
                    "ending": True,
                    "findings": [
                        {
                            "id": "lactate",
                            "kind": "investigation",
                            "label": "Lactate",
                            "relevance": "essential",
                            "points": 2,
                            "result": "4.1 mmol/L",
                        }
                    ],
                },
            ]
        )
    )
    # the detour earns at most 1 (partial credit) + 2 (lactate) = 3 < 4
    assert max_score(case) == 4


def test_a_harmful_choice_fails_the_case_whatever_the_points():
    """Nine points of ten are above the pass mark, but the tenth was a killer option: the case
    is not passed (a harmful choice never scores as a pass)."""
    harmful = single_choice("dose", points=1)
    harmful["options"][2]["harmful"] = True
    case = Case.model_validate(
        case_dict(
            [
                {
                    "id": "start",
                    "title": "Start",
                    "next_stage": "end",
                    "questions": [single_choice("plan", points=9), harmful],
                },
                {"id": "end", "title": "End", "ending": True},
            ]
        )
    )
    progress = start(case).progress
    progress = act(
        case, progress, kind="submit_answer", question="plan", answer={"options": ["a"]}
    ).progress
    progress = act(
        case, progress, kind="submit_answer", question="dose", answer={"options": ["c"]}
    ).progress
    while not progress.completed:
        progress = act(case, progress, kind="continue").progress
    assert progress.fraction >= progress.pass_threshold
    assert progress.harmful_choice and not progress.passed
