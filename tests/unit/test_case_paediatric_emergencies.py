"""The paediatric, primary-care and county emergency cases of issue 20, each in Chinese and in
English: the doses and volumes a learner must work out (mostly from the child's weight), and
the dangerous choices that must score nothing and lead to the worse outcome.
docs/CLINICAL_REVIEW.md says what each case was checked against."""

import pytest

from case_teaching import ENGLISH, load_demo_case
from tests.unit.test_case_learner_view import walk

SEPSIS = ["paediatric_septic_shock", "paediatric_septic_shock" + ENGLISH]
SEIZURE = ["febrile_status_epilepticus", "febrile_status_epilepticus" + ENGLISH]
NEONATE = ["neonatal_fever", "neonatal_fever" + ENGLISH]
JAUNDICE = ["neonatal_jaundice", "neonatal_jaundice" + ENGLISH]
ASTHMA = ["child_acute_asthma", "child_acute_asthma" + ENGLISH]
HFMD = ["severe_hfmd", "severe_hfmd" + ENGLISH]
COPD = ["copd_exacerbation", "copd_exacerbation" + ENGLISH]


def harmful_options(case, question_id: str) -> set[str]:
    return {o.id for o in case.question(question_id)[1].options if o.harmful}


def keys(case, question_id: str) -> set[str]:
    return {o.id for o in case.question(question_id)[1].options if o.correct}


def final(case, decisions: dict[str, str]):
    *_, last = walk(case, decisions, request_findings=True)
    return last.progress


#: The killer choice of each case that sends the child down the worse path:
#: (cases, question, option, stages of the worse path, stage of the expert path it misses).
KILLER_BRANCHES = [
    (SEPSIS, "next-step", "more-fluid", {"overload"}, "transfer"),
    (SEIZURE, "next-drug", "third-diazepam", {"apnoea", "picu-transfer"}, "after-seizure"),
    (NEONATE, "plan", "home-antipyretic", {"home-night", "return"}, "work-up"),
    (NEONATE, "plan", "oral-antibiotic", {"home-night", "return"}, "work-up"),
    (NEONATE, "plan", "observe-4h", {"home-night", "return"}, "work-up"),
    (JAUNDICE, "plan", "sunlight", {"return", "exchange"}, "county"),
    (JAUNDICE, "plan", "stop-breastfeeding", {"return", "exchange"}, "county"),
    (JAUNDICE, "plan", "herbal", {"return", "exchange"}, "county"),
    (ASTHMA, "disposition", "home", {"night", "life-threatening"}, "county"),
    (HFMD, "stage-and-plan", "home", {"home-night", "critical-return"}, "ward"),
    (HFMD, "stage-3-plan", "fluid-bolus", {"pulmonary-haemorrhage"}, "transfer"),
    (COPD, "o2-target", "turn-up", {"narcosis", "county-niv"}, "referral"),
]


@pytest.mark.parametrize(
    "name, question, choice, detour, missed",
    [(name, *rest) for names, *rest in KILLER_BRANCHES for name in names],
)
def test_the_killer_choice_scores_nothing_and_leads_to_the_worse_outcome(
    name, question, choice, detour, missed
):
    """Pushing fluid into an overloaded child (pulmonary oedema), a third benzodiazepine dose
    (apnoea and intubation)."""
    case = load_demo_case(name)
    assert choice in harmful_options(case, question)
    progress = final(case, {question: choice})
    assert detour <= set(progress.path) and missed not in progress.path
    assert progress.answer(question).credit == 0
    assert not progress.passed


#: Every dose and volume the learner works out from the child's weight:
#: (cases, question, the ends of the accepted range, answers refused (half and double),
#: a heavier patient's weight and the maximum it is capped at, or None).
DOSE_RANGES = [
    (SEPSIS, "bolus-volume", (140, 280), (70, 420), None),  # 10-20 mL/kg
    (SEPSIS, "ceftriaxone-dose", (840, 1400), (560, 2800), (30, 2000)),  # 60-100 mg/kg, 2 g
    (SEPSIS, "adrenaline-rate", (0.7, 2.1), (0.14, 14), None),  # 0.05-0.15 µg/kg/min
    (SEIZURE, "diazepam-dose", (2.2, 3.3), (1.1, 5.5), (50, 10)),  # 0.2-0.3 mg/kg, 10 mg
    (SEIZURE, "levetiracetam-dose", (440, 660), (220, 1100), (100, 4500)),  # 40-60 mg/kg
    (NEONATE, "cefotaxime-dose", (162, 198), (90, 360), None),  # 50 mg/kg ± 10 %
    (JAUNDICE, "ivig-dose", (1.55, 3.1), (0.78, 6.2), None),  # 0.5-1 g/kg
    (ASTHMA, "prednisone-dose", (19, 38), (9.5, 76), (30, 40)),  # 1-2 mg/kg, 40 mg
    (ASTHMA, "magnesium-dose", (475, 950), (237, 1900), (60, 2000)),  # 25-50 mg/kg, 2 g
    (HFMD, "mannitol-volume", (27, 33), (15, 60), (150, 250)),  # 0.5 g/kg as 20 %
    (HFMD, "ibuprofen-dose", (60, 120), (30, 240), (60, 400)),  # 5-10 mg/kg, 400 mg
    (COPD, "prednisone-dose", (30, 40), (20, 60), None),  # fixed 30-40 mg a day
]


@pytest.mark.parametrize(
    "name, question, accepted, refused, capped",
    [(name, *rest) for names, *rest in DOSE_RANGES for name in names],
)
def test_each_dose_is_worked_out_from_the_weight_within_its_range_and_capped(
    name, question, accepted, refused, capped
):
    case = load_demo_case(name)
    dose, patient = case.question(question)[1], case.patient
    assert all(dose.accepts(given, patient) for given in accepted)
    assert not any(dose.accepts(given, patient) for given in refused)
    if capped:
        weight, maximum = capped
        heavier = patient.model_copy(update={"weight_kg": weight})
        assert dose.expected(heavier) == (maximum, True)


@pytest.mark.parametrize("name", SEPSIS)
def test_antibiotics_come_in_the_first_hour_and_a_ct_first_is_a_killer_option(name):
    case = load_demo_case(name)
    assert {"io", "bolus", "antibiotic", "glucose"} == keys(case, "first-hour-orders")
    assert {"ct-first", "d5w"} == harmful_options(case, "first-hour-orders")
    assert "fever-only" in harmful_options(case, "recognition")
    assert {"stop-adrenaline", "family-car"} == harmful_options(case, "handover")


@pytest.mark.parametrize("name", SEIZURE)
def test_parents_are_never_told_to_force_something_into_the_mouth_or_to_stop_vaccines(name):
    case = load_demo_case(name)
    assert {"chopsticks", "renzhong", "no-vaccines"} == harmful_options(case, "education")
    assert {"spoon", "alcohol", "oral-ibuprofen"} == harmful_options(case, "first-minutes")
    assert "home" in harmful_options(case, "disposition")
    assert "private-car" in harmful_options(case, "after-first-dose")
    assert "flumazenil" in harmful_options(case, "apnoea-plan")


@pytest.mark.parametrize("name", NEONATE)
def test_a_febrile_neonate_is_never_sent_home_and_never_given_ceftriaxone(name):
    case = load_demo_case(name)
    plan = case.question("plan")[1]
    assert [o.id for o in plan.options if not o.harmful] == ["admit"]
    assert "ceftriaxone" in harmful_options(case, "antibiotics")
    assert {"blood-culture", "cath-urine", "lp", "markers"} == keys(case, "evaluation")
    assert {"wait-culture"} == harmful_options(case, "evaluation")
    assert "lp-first" in harmful_options(case, "rescue")


@pytest.mark.parametrize("name", JAUNDICE)
def test_a_jaundiced_baby_above_the_phototherapy_line_is_never_watched_at_home(name):
    case = load_demo_case(name)
    assert [o.id for o in case.question("plan")[1].options if not o.harmful] == ["refer-today"]
    assert "observe-tomorrow" in harmful_options(case, "treatment")
    assert "wait-morning" in harmful_options(case, "next-step")
    assert {"sunlight-home", "glucose-water"} == harmful_options(case, "follow-up")
    assert "county-tomorrow" in harmful_options(case, "emergency")


@pytest.mark.parametrize("name", ASTHMA)
def test_a_child_in_an_asthma_attack_is_never_sedated_nor_sent_home_on_a_reliever_alone(name):
    case = load_demo_case(name)
    assert {"sedative", "codeine"} == harmful_options(case, "first-hour-care")
    assert "sedate" in harmful_options(case, "escalate")
    assert {"stop-when-well", "saba-only"} == harmful_options(case, "discharge-plan")
    assert {"oxygen", "saba", "ipratropium", "steroid"} == keys(case, "first-hour-care")


@pytest.mark.parametrize("name", HFMD)
def test_a_child_with_severe_hfmd_gets_no_fluid_bolus_and_no_aciclovir(name):
    case = load_demo_case(name)
    assert {"bolus", "acyclovir-iv"} == harmful_options(case, "ward-orders")
    assert "fluid-bolus" in harmful_options(case, "stage-3-plan")
    assert "more-fluid" in harmful_options(case, "critical-plan")
    assert {"persistent-fever", "myoclonus", "wbc", "glucose"} == keys(case, "warning-signs")


@pytest.mark.parametrize("name", COPD)
def test_an_old_man_with_copd_gets_controlled_oxygen_and_no_sedative(name):
    case = load_demo_case(name)
    assert {"high-flow", "diazepam"} == harmful_options(case, "first-orders")
    assert "stay-iv" in harmful_options(case, "disposition")
    assert "stop-o2-now" in harmful_options(case, "narcosis-plan")
    assert {"home-high-o2", "long-steroid"} == harmful_options(case, "long-term")
