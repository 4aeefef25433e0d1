"""The paediatric and county emergency cases of issue 20, each in Chinese and in English: the
doses and volumes a learner must work out from the child's weight, and the dangerous choices
that must score nothing and lead to the worse outcome. docs/CLINICAL_REVIEW.md says what each
case was checked against."""

import pytest

from case_teaching import ENGLISH, load_demo_case
from tests.unit.test_case_learner_view import walk

SEPSIS = ["paediatric_septic_shock", "paediatric_septic_shock" + ENGLISH]


def harmful_options(case, question_id: str) -> set[str]:
    return {o.id for o in case.question(question_id)[1].options if o.harmful}


def keys(case, question_id: str) -> set[str]:
    return {o.id for o in case.question(question_id)[1].options if o.correct}


def final(case, decisions: dict[str, str]):
    *_, last = walk(case, decisions, request_findings=True)
    return last.progress


@pytest.mark.parametrize("name", SEPSIS)
def test_a_doctor_who_keeps_pushing_fluid_into_an_overloaded_child_meets_pulmonary_oedema(name):
    case = load_demo_case(name)
    assert "more-fluid" in harmful_options(case, "next-step")
    progress = final(case, {"next-step": "more-fluid"})
    assert "overload" in progress.path and "transfer" not in progress.path
    assert progress.answer("next-step").credit == 0
    assert not progress.passed


@pytest.mark.parametrize("name", SEPSIS)
def test_the_first_bolus_is_10_to_20_ml_per_kg_of_the_childs_weight_and_never_more(name):
    case = load_demo_case(name)
    bolus, patient = case.question("bolus-volume")[1], case.patient
    assert patient.weight_kg == 14
    assert bolus.accepts(140, patient) and bolus.accepts(280, patient)
    assert not bolus.accepts(70, patient) and not bolus.accepts(420, patient)


@pytest.mark.parametrize("name", SEPSIS)
def test_ceftriaxone_is_dosed_by_weight_and_capped_at_2_g_for_a_heavier_child(name):
    case = load_demo_case(name)
    dose = case.question("ceftriaxone-dose")[1]
    assert dose.expected(case.patient) == (1120, False)
    heavier = case.patient.model_copy(update={"weight_kg": 30})
    assert dose.expected(heavier) == (2000, True)


@pytest.mark.parametrize("name", SEPSIS)
def test_the_adrenaline_rate_is_a_starting_dose_not_a_tenfold_error(name):
    case = load_demo_case(name)
    rate, patient = case.question("adrenaline-rate")[1], case.patient
    assert rate.accepts(1.4, patient) and rate.accepts(0.7, patient)
    assert not rate.accepts(14, patient) and not rate.accepts(0.14, patient)


@pytest.mark.parametrize("name", SEPSIS)
def test_antibiotics_come_in_the_first_hour_and_a_ct_first_is_a_killer_option(name):
    case = load_demo_case(name)
    assert {"io", "bolus", "antibiotic", "glucose"} == keys(case, "first-hour-orders")
    assert {"ct-first", "d5w"} == harmful_options(case, "first-hour-orders")
    assert "fever-only" in harmful_options(case, "recognition")
    assert {"stop-adrenaline", "family-car"} == harmful_options(case, "handover")
