"""Assessment methods as published: key features (Page & Bordage 1995), killer options on
every choice question, script concordance with one attempt (Charlin), numeric doses from the
patient's weight and age, computed clinical scores, and the expert's answers after the case."""

import pytest
from pydantic import ValidationError

from case_teaching import (
    AnswerGiven,
    Case,
    CaseError,
    case_from_xml,
    case_to_xml,
    learner_view,
    max_score,
    new_progress,
    start,
)
from tests.unit.test_case_strategies import act, case_dict, single_choice


def refusal(data: dict) -> tuple[str, str]:
    """(error code, English message) of the first problem pydantic reports."""
    with pytest.raises(ValidationError) as caught:
        Case.model_validate(data)
    error = caught.value.errors()[0]
    return error["type"], error["msg"]


def one_stage(patient: dict | None = None, **stage_fields) -> dict:
    data = case_dict([{"id": "only", "title": "Only", "ending": True, **stage_fields}])
    if patient:
        data["patient"] = data["patient"] | patient
    return data


def key_feature(keys: int, others: int, harmful: int = 0, **fields) -> dict:
    """A key-feature question: `keys` critical decisions, `others` safe distractors,
    `harmful` killer options."""
    options = [{"id": f"k{i}", "text": f"Key {i}", "correct": True} for i in range(keys)]
    options += [{"id": f"o{i}", "text": f"Other {i}"} for i in range(others)]
    options += [
        {"id": f"x{i}", "text": f"Killer {i}", "harmful": True, "feedback": f"Killer {i} harms"}
        for i in range(harmful)
    ]
    return {"kind": "key_feature", "id": "kf", "prompt": "<p>What do you do?</p>"} | {
        "points": 4,
        "options": options,
        **fields,
    }


def answered(case: Case, question: str, **answer):
    """The progress after one answer at the first stage."""
    result = act(case, start(case).progress, kind="submit_answer", question=question, answer=answer)
    return result.progress


# ---- key features ---------------------------------------------------------------------------


def test_a_limit_that_lets_a_learner_tick_every_safe_option_is_refused():
    # Three keys, one safe distractor, one killer: "choose up to 4" = tick every safe one.
    code, message = refusal(one_stage(questions=[key_feature(3, 1, 1, max_selections=4)]))
    assert code == "key_feature_limit_allows_everything"
    assert "up to 4" in message and "only 4 options that are not harmful" in message


def test_a_key_feature_question_must_say_how_many_to_choose():
    assert refusal(one_stage(questions=[key_feature(2, 3)]))[0] == "missing"


def test_a_limit_far_above_the_number_of_keys_is_refused():
    code, message = refusal(one_stage(questions=[key_feature(2, 8, max_selections=5)]))
    assert code == "key_feature_limit_not_close" and "at most 4" in message


def test_a_long_option_list_is_accepted_and_stays_cheap_to_score():
    question = key_feature(3, 30, 4, max_selections=4)
    stages = [
        {"id": "s", "title": "S", "questions": [question], "next_stage": "end"},
        {"id": "end", "title": "End", "ending": True},
    ]
    stages[0]["branches"] = [{"id": "b", "to": "bad", "question": "kf", "options": ["x0"]}]
    stages.append({"id": "bad", "title": "Bad", "ending": True})
    stages[0]["next_stage"] = "end"
    case = Case.model_validate(case_dict(stages))
    assert max_score(case) == 4


@pytest.mark.parametrize(
    ("chosen", "credit"),
    [
        (["k0", "k1", "k2"], 1.0),  # every key
        (["k0", "o0"], 1 / 3),  # one key of three, one distractor: per-key share
        (["k0", "k1", "k2", "o0"], 1.0),  # up to N
        (["k0", "k1", "k2", "o0", "o1"], 0.0),  # beyond N: zero
        (["k0", "k1", "x0"], 0.0),  # a killer option: zero
        (["k0", "k1", "k2", "o0", "o1", "o2", "o3"], 0.0),  # every safe option: zero
    ],
)
def test_key_features_score_each_key_and_zero_for_over_selection_or_a_killer(chosen, credit):
    case = Case.model_validate(one_stage(questions=[key_feature(3, 4, 1, max_selections=4)]))
    progress = answered(case, "kf", options=chosen)
    assert progress.answer("kf").credit == pytest.approx(credit, abs=1e-6)


def test_the_learner_is_told_they_chose_more_than_the_limit():
    case = Case.model_validate(one_stage(questions=[key_feature(3, 4, max_selections=4)]))
    progress = answered(case, "kf", options=["k0", "k1", "k2", "o0", "o1"])
    attempt = learner_view(case, progress)["stage"]["questions"][0]["answer"]["attempts"][0]
    assert attempt["over_limit"] == 4


# ---- killer options on single and multiple choice -------------------------------------------


def test_a_single_choice_option_can_be_marked_harmful_and_earns_nothing():
    question = single_choice("q")
    question["options"][2] |= {"harmful": True, "feedback": "Dangerous."}
    case = Case.model_validate(one_stage(questions=[question]))
    assert answered(case, "q", options=["c"]).answer("q").credit == 0


def test_choosing_a_harmful_multiple_choice_option_loses_the_question():
    question = single_choice("q") | {"kind": "multiple_choice", "partial_credit": "per_option"}
    question["options"][1]["correct"] = True
    question["options"].append({"id": "d", "text": "Option D"})
    question["options"][2]["harmful"] = True
    case = Case.model_validate(one_stage(questions=[question]))
    assert answered(case, "q", options=["a", "b", "c"]).answer("q").credit == 0
    assert answered(case, "q", options=["a", "b"]).answer("q").credit == 1


def test_a_harmful_option_cannot_also_earn_partial_credit():
    question = single_choice("q")
    question["options"][2] |= {"harmful": True, "credit": 0.5}
    assert refusal(one_stage(questions=[question]))[0] == "harmful_with_credit"


# ---- script concordance: one attempt --------------------------------------------------------


def sct(**fields) -> dict:
    question = single_choice("sct") | {
        "kind": "script_concordance",
        "hypothesis": "Asthma",
        "new_information": "<p>No wheeze</p>",
        **fields,
    }
    for option, votes in zip(question["options"], (9, 5, 1), strict=True):
        option.pop("correct", None)
        option["votes"] = votes
    return question


def test_a_script_concordance_question_allows_one_attempt_whatever_the_case_policy():
    data = one_stage(questions=[sct()])
    data["scoring"] = {"max_attempts": 3}
    case = Case.model_validate(data)
    progress = answered(case, "sct", options=["b"])
    assert progress.answer("sct").credit == pytest.approx(5 / 9)  # aggregate scoring stays
    assert progress.answer("sct").closed
    view = learner_view(case, progress)["stage"]["questions"][0]
    assert view["attempts_allowed"] == 1
    with pytest.raises(CaseError) as refused:
        act(case, progress, kind="submit_answer", question="sct", answer={"options": ["a"]})
    assert refused.value.code in ("attempts_exhausted", "case_completed")


def test_an_author_cannot_give_a_script_concordance_question_more_attempts():
    assert refusal(one_stage(questions=[sct(max_attempts=2)]))[0] == "sct_one_attempt"


# ---- numeric doses --------------------------------------------------------------------------


def numeric(**fields) -> dict:
    return {
        "kind": "numeric",
        "id": "dose",
        "prompt": "<p>Dose per administration?</p>",
        "unit": "mg",
        "points": 2,
        **fields,
    }


@pytest.mark.parametrize(("given", "credit"), [(600, 1), (630, 1), (631, 0), (60, 0)])
def test_a_per_kg_dose_is_computed_from_the_childs_weight_within_its_tolerance(given, credit):
    question = numeric(formula={"per_kg": 40}, tolerance_percent=5, decimals=0)
    case = Case.model_validate(one_stage({"age_years": 3, "weight_kg": 15}, questions=[question]))
    assert answered(case, "dose", value=given).answer("dose").credit == credit


def test_an_adult_maximum_caps_a_per_kg_dose():
    question = numeric(formula={"per_kg": 15, "maximum": 1000}, tolerance=50)
    case = Case.model_validate(one_stage({"weight_kg": 80}, questions=[question]))
    progress = answered(case, "dose", value=1000)
    assert progress.answer("dose").credit == 1
    key = learner_view(case, progress)["stage"]["questions"][0]["answer"]["key"]
    assert key["value"] == 1000 and key["capped"] is True and key["per_kg"] == 15


def test_a_per_age_formula_uses_the_patients_age_in_years_and_months():
    # APLS weight estimate: (age + 4) x 2 kg, for a child of 2 years 6 months: 13 kg.
    question = numeric(unit="kg", formula={"per_year": 2, "fixed": 8}, tolerance=0.5)
    patient = {"age_years": 2, "age_months": 6}
    case = Case.model_validate(one_stage(patient, questions=[question]))
    assert answered(case, "dose", value=13).answer("dose").credit == 1


def test_a_numeric_question_needs_exactly_one_key_and_a_weight_for_a_per_kg_formula():
    assert refusal(one_stage(questions=[numeric()]))[0] == "numeric_needs_one_key"
    both = numeric(value=5, formula={"per_kg": 1})
    assert refusal(one_stage(questions=[both]))[0] == "numeric_needs_one_key"
    data = one_stage(questions=[numeric(formula={"per_kg": 40})])
    data["patient"] = {k: v for k, v in data["patient"].items() if k != "weight_kg"}
    assert refusal(data)[0] == "numeric_formula_needs_weight"


def test_a_numeric_question_takes_a_number_and_nothing_else():
    case = Case.model_validate(one_stage(questions=[numeric(value=5)]))
    with pytest.raises(CaseError) as refused:
        answered(case, "dose", options=["a"])
    assert refused.value.code == "answer_needs_number"


def test_the_expected_dose_reaches_the_learner_only_once_the_answer_is_final():
    data = one_stage(questions=[numeric(value=250, max_attempts=2)])
    case = Case.model_validate(data)
    progress = answered(case, "dose", value=100)
    answer = learner_view(case, progress)["stage"]["questions"][0]["answer"]
    assert not answer["closed"] and "key" not in answer
    assert "250" not in str(learner_view(case, progress)["stage"])
    progress = act(case, progress, kind="submit_answer", question="dose", answer={"value": 200})
    answer = learner_view(case, progress.progress)["stage"]["questions"][0]["answer"]
    assert answer["closed"] and answer["key"]["value"] == 250


def test_a_numeric_question_and_its_formula_survive_the_xml_round_trip():
    question = numeric(formula={"per_kg": 42.5, "maximum": 1000}, tolerance_percent=6)
    case = Case.model_validate(one_stage(questions=[question]))
    xml = case_to_xml(case)
    assert '<question id="dose" kind="numeric"' in xml and '<formula per-kg="42.5"' in xml
    assert case_from_xml(xml) == case


# ---- computed clinical scores ---------------------------------------------------------------


def finding(fid: str) -> dict:
    return {
        "id": fid,
        "kind": "examination",
        "label": f"Look at {fid}",
        "relevance": "useful",
        "result": f"<p>{fid} done</p>",
    }


def curb65(**extra) -> dict:
    return {
        "id": "curb",
        "kind": "curb65",
        "inputs": [
            {"criterion": "confusion", "value": 1, "finding": "mental"},
            {"criterion": "urea", "value": 1, "finding": "bloods"},
            {"criterion": "respiratory_rate", "value": 0, "finding": "mental"},
            {"criterion": "blood_pressure", "value": 0},
        ],
        **extra,
    }


def test_a_curb65_appears_once_its_findings_are_revealed_with_the_age_from_the_patient():
    data = one_stage(
        {"age_years": 78}, findings=[finding("mental"), finding("bloods")], scores=[curb65()]
    )
    case = Case.model_validate(data)
    progress = start(case).progress
    assert learner_view(case, progress)["stage"]["scores"] == []
    progress = act(case, progress, kind="request_finding", finding="mental").progress
    assert learner_view(case, progress)["stage"]["scores"] == []  # urea still unknown
    progress = act(case, progress, kind="request_finding", finding="bloods").progress
    (score,) = learner_view(case, progress)["stage"]["scores"]
    assert score["total"] == 3 and score["name"] == "CURB-65"
    assert score["meaning"].startswith("High risk")
    assert {"label": "Age 65 years or more", "points": 1.0} in score["items"]


@pytest.mark.parametrize(
    ("kind", "inputs", "patient", "total", "meaning"),
    [
        ("gcs", {"eye": 2, "verbal": 2, "motor": 4}, {}, 8, "Severe"),
        (
            "cha2ds2_vasc",
            {"heart_failure": 0, "hypertension": 1, "diabetes": 0, "stroke": 0, "vascular": 0},
            {"age_years": 66, "sex": "female"},
            3,
            "Anticoagulation recommended",  # sex is a risk modifier: 2 points without it
        ),
        (
            "wells_pe",
            {
                "dvt_signs": 1,
                "pe_most_likely": 0,
                "heart_rate": 1,
                "immobilisation": 0,
                "previous_vte": 0,
                "haemoptysis": 0,
                "cancer": 0,
            },
            {},
            4.5,
            "Pulmonary embolism likely",
        ),
    ],
)
def test_published_scores_add_up_as_published(kind, inputs, patient, total, meaning):
    score = {
        "id": "s",
        "kind": kind,
        "inputs": [{"criterion": c, "value": v} for c, v in inputs.items()],
    }
    case = Case.model_validate(one_stage(patient, scores=[score]))
    (shown,) = learner_view(case, new_progress(case))["stage"]["scores"]
    assert shown["total"] == total and shown["meaning"].startswith(meaning)


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (lambda s: s["inputs"].append({"criterion": "eye"}), "score_unknown_criterion"),
        (lambda s: s["inputs"].pop(), "score_missing_criteria"),
        (lambda s: s["inputs"].append(dict(s["inputs"][0])), "score_duplicate_criterion"),
        (lambda s: s["inputs"][0].update(value=2), "score_value_out_of_range"),
        (lambda s: s["inputs"][0].update(finding="nowhere"), "score_unknown_finding"),
    ],
)
def test_a_score_must_name_each_of_its_criteria_once_with_a_finding_of_the_case(change, code):
    score = curb65()
    change(score)
    data = one_stage(findings=[finding("mental"), finding("bloods")], scores=[score])
    assert refusal(data)[0] == code


def test_a_computed_score_survives_the_xml_round_trip():
    data = one_stage(findings=[finding("mental"), finding("bloods")], scores=[curb65()])
    case = Case.model_validate(data)
    xml = case_to_xml(case)
    assert '<score id="curb" kind="curb65">' in xml
    assert '<input criterion="confusion" finding="mental"/>' in xml
    assert case_from_xml(xml) == case


# ---- the expert's answers after the case ----------------------------------------------------


def finished(case: Case, answers: dict[str, dict]):
    progress = start(case).progress
    for question, answer in answers.items():
        progress = act(
            case, progress, kind="submit_answer", question=question, answer=answer
        ).progress
    return act(case, progress, kind="continue").progress


def test_after_the_case_every_question_shows_the_experts_answer_beside_the_learners():
    ranking = single_choice("rank") | {"kind": "ranking", "correct_order": ["c", "a", "b"]}
    for option in ranking["options"]:
        option.pop("correct", None)
    questions = [
        ranking,
        sct(),
        numeric(value=250),
        key_feature(2, 3, 1, max_selections=3),
        single_choice("optional", required=False),
    ]
    case = Case.model_validate(one_stage(questions=questions))
    progress = finished(
        case,
        {
            "rank": {"order": ["a", "b", "c"]},
            "sct": {"options": ["c"]},
            "dose": {"value": 300},
            "kf": {"options": ["k0", "o0"]},
        },
    )
    decisions = {d["question"]: d for d in learner_view(case, progress)["summary"]["decisions"]}
    assert decisions["rank"]["expert"]["order"] == ["Option C", "Option A", "Option B"]
    assert decisions["rank"]["learner_order"] == ["Option A", "Option B", "Option C"]
    assert decisions["sct"]["expert"]["options"] == ["Option A"]
    assert [p["experts"] for p in decisions["sct"]["expert"]["panel"]] == [9, 5, 1]
    assert decisions["dose"]["expert"]["number"]["value"] == 250
    assert decisions["dose"]["answer"] == {"value": 300}
    assert decisions["kf"]["expert"]["options"] == ["Key 0", "Key 1"]
    assert decisions["kf"]["expert"]["dangerous"] == ["Killer 0"]
    # A question the learner left out is shown with the expert's answer too.
    assert decisions["optional"]["answer"] is None
    assert decisions["optional"]["expert"]["options"] == ["Option A"]


def test_nothing_of_the_experts_answers_is_sent_before_the_case_is_over():
    case = Case.model_validate(one_stage(questions=[numeric(value=250)]))
    progress = answered(case, "dose", value=250)
    assert learner_view(case, progress)["summary"] is None
    assert "expert" not in str(learner_view(case, progress))
    assert AnswerGiven(value=250).value == 250


def test_a_choice_question_refuses_a_number():
    case = Case.model_validate(one_stage(questions=[single_choice("q")]))
    with pytest.raises(CaseError) as refused:
        answered(case, "q", value=3)
    assert refused.value.code == "answer_needs_choice"
