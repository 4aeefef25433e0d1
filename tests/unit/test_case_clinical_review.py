"""The clinical review of the demo cases (issue 15): each finding, checked against the case
as shipped. docs/CLINICAL_REVIEW.md says what each was checked against."""

import re

import pytest

from case_teaching import demo_case_names, learner_view, load_demo_case
from tests.unit.test_case_engine import at_stage
from tests.unit.test_case_strategies import act

CJK = re.compile(r"[\u4e00-\u9fff]")


def option(case_name: str, question: str, option_id: str):
    located = load_demo_case(case_name).question(question)
    assert located is not None, question
    found = located[1].option(option_id)
    assert found is not None, option_id
    return found


def keyed(case_name: str, question: str):
    return next(o for o in load_demo_case(case_name).question(question)[1].options if o.correct)


def credit_of(case_name: str, stage: str, question: str, options: list[str]) -> float:
    """What a learner earns at `question` choosing `options`, reaching it the expert's way."""
    case = load_demo_case(case_name)
    result = at_stage(case, stage)
    answer = {"options": options}
    result = act(case, result.progress, kind="submit_answer", question=question, answer=answer)
    return result.progress.answer(question).credit


# ---- hypertensive emergency -----------------------------------------------------------------


def test_pulmonary_oedema_is_treated_with_a_nitrate_or_nitroprusside_and_a_loop_diuretic():
    right = keyed("hypertensive_emergency", "lowering").text.lower()
    assert "nitroglycerin" in right and "nitroprusside" in right and "furosemide" in right
    assert "urapidil" in right
    assert "labetalol" not in right
    assert credit_of("hypertensive_emergency", "management", "lowering", ["labetalol"]) == 0


def test_lying_flat_with_a_fluid_bolus_is_harmful_for_a_patient_in_pulmonary_oedema():
    case = load_demo_case("hypertensive_emergency")
    rescue = case.question("rescue")[1]
    for choice in rescue.options:
        flat_and_fluid = "flat" in choice.text.lower() and "saline" in choice.text.lower()
        assert choice.harmful == flat_and_fluid, choice.id
    assert "no fluid bolus" in keyed("hypertensive_emergency", "rescue").text


# ---- chest pain in general practice ---------------------------------------------------------


def test_driving_himself_to_hospital_with_suspected_acs_earns_nothing():
    assert option("chest_pain_gp", "disposition", "taxi").harmful
    assert credit_of("chest_pain_gp", "management", "disposition", ["taxi"]) == 0


def test_the_chest_pain_case_cites_the_chinese_primary_care_guideline():
    titles = [(g.title, g.year) for g in load_demo_case("chest_pain_gp").guidelines]
    assert any("胸痛基层诊疗指南" in title and year == 2019 for title, year in titles)


# ---- sulfonylurea hypoglycaemia -------------------------------------------------------------


def test_immediate_referral_after_severe_hypoglycaemia_earns_full_credit():
    assert credit_of("sulfonylurea_hypoglycaemia", "recovery", "disposition", ["refer-now"]) == 1


def test_octreotide_is_a_reason_to_refer_to_the_county_hospital():
    refractory = option("sulfonylurea_hypoglycaemia", "refer-when", "refractory")
    assert refractory.correct and "奥曲肽" in refractory.text


def test_the_regimen_in_ckd_3a_checks_uacr_and_adds_an_sglt2_inhibitor():
    regimen = keyed("sulfonylurea_hypoglycaemia", "regimen").text
    assert "SGLT2" in regimen and "UACR" in regimen and "&lt;8.0%" not in regimen
    assert "<8.0%" in regimen


def test_hba1c_is_framed_against_the_individual_target_of_a_frail_elderly_patient():
    outcome = load_demo_case("sulfonylurea_hypoglycaemia").stage("outcome").content
    assert "7.1%" in outcome and "个体化目标" in outcome and "8.0%" in outcome


# ---- child pneumonia ------------------------------------------------------------------------


def test_withholding_food_until_the_fever_settles_is_harmful_advice():
    assert option("child_pneumonia", "safety-net", "no-food").harmful


def test_one_oxygen_saturation_threshold_runs_through_the_pneumonia_case():
    case = load_demo_case("child_pneumonia")
    spo2 = case.finding("ex-spo2")[1]
    assert "92%" in spo2.normal_range and "92%" in spo2.feedback
    assert "92%" in option("child_pneumonia", "home-criteria", "spo2-ok").text
    texts = [o.text for s in case.stages for q in s.questions for o in getattr(q, "options", [])]
    assert not any("90% or more" in text for text in texts)


def test_the_child_breathes_fast_but_below_the_national_severity_threshold():
    rate = float(load_demo_case("child_pneumonia").finding("ex-respiratory-rate")[1].value)
    assert 40 <= rate <= 50  # WHO fast breathing; national norm 2019: > 50 is severe


def test_the_amoxicillin_dose_is_asked_per_kg_of_the_childs_weight():
    case = load_demo_case("child_pneumonia")
    dose = case.question("amoxicillin-dose")[1]
    assert case.patient.weight_kg == 15 and dose.formula.per_kg >= 40
    assert dose.accepts(600, case.patient) and dose.accepts(675, case.patient)
    assert not dose.accepts(300, case.patient)


# ---- every case -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", demo_case_names())
def test_every_case_cites_body_year_and_section_and_current_chinese_guidance(name):
    guidelines = load_demo_case(name).guidelines
    assert all(g.issuer and g.year and g.section for g in guidelines), name
    assert any(CJK.search(g.title) and g.section for g in guidelines), name


def test_the_limb_case_shows_the_cha2ds2_vasc_once_the_history_revealed_hypertension():
    case = load_demo_case("acute_limb_ischaemia")
    result = at_stage(case, "after-embolectomy")
    assert learner_view(case, result.progress)["stage"]["scores"] == []
    expert = {"hx-medication"}
    result = at_stage(case, "history")
    progress = act(case, result.progress, kind="request_finding", finding="hx-medication").progress
    assert set(progress.findings) == expert
    from tests.unit.test_case_learner_view import walk

    for step in walk(case, {}, request_findings=True):
        if step.progress.current_stage == "after-embolectomy":
            (score,) = learner_view(case, step.progress)["stage"]["scores"]
            assert score["total"] == 4 and score["meaning"] == "Anticoagulation recommended"
            break
    else:
        raise AssertionError("after-embolectomy not reached")


def test_a_doctor_who_refers_at_once_can_still_earn_full_marks_for_the_case():
    from case_teaching import AnswerGiven, expert_route, start

    case = load_demo_case("sulfonylurea_hypoglycaemia")
    ideal = {q: a for step in expert_route(case) for q, a in step.answers.items()}
    wanted = {f for step in expert_route(case) for f in step.findings}
    wanted |= {"inv-renal-county", "inv-hba1c-county"}
    ideal["disposition"] = AnswerGiven(options=["refer-now"])
    ideal["transfer-plan"] = AnswerGiven(options=["keep-drip", "monitor", "letter", "call-ahead"])
    result = start(case)
    while not result.progress.completed:
        stage = case.stage(result.progress.current_stage)
        for finding in (f for f in stage.findings if f.id in wanted):
            result = act(case, result.progress, kind="request_finding", finding=finding.id)
        for question in stage.questions:
            reflection = AnswerGiven(text="我会先测指尖血糖，再决定去向。" * 2)
            answer = ideal.get(question.id) or reflection
            result = act(
                case,
                result.progress,
                kind="submit_answer",
                question=question.id,
                answer=answer.model_dump(),
            )
        result = act(case, result.progress, kind="continue")
    assert "transfer" in result.progress.path
    assert result.progress.score == result.progress.max_score


@pytest.mark.parametrize(
    ("name", "question", "dangerous"),
    [
        ("hypertensive_emergency", "lowering", {"sublingual-nifedipine", "nitroprusside-fast"}),
        ("chest_pain_gp", "disposition", {"outpatient", "omeprazole", "taxi"}),
        ("child_pneumonia", "treatment", {"no-antibiotic"}),
        ("sulfonylurea_hypoglycaemia", "disposition", {"home-tomorrow", "insulin-home"}),
        ("acute_limb_ischaemia", "revascularisation", {"review-morning"}),
    ],
)
def test_every_choice_that_sends_the_patient_to_harm_is_named_harmful(name, question, dangerous):
    options = load_demo_case(name).question(question)[1].options
    assert {o.id for o in options if o.harmful} == dangerous
