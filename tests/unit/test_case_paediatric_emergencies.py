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
STEMI = ["stemi_thrombolysis", "stemi_thrombolysis" + ENGLISH]


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
    (STEMI, "strategy", "wait-troponin", {"delay", "shock"}, "after-lysis"),
    (STEMI, "strategy", "conservative", {"delay", "shock"}, "after-lysis"),
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


#: Every dose and volume the learner works out (mostly from the weight): (cases, question,
#: the ends of the accepted range, answers refused (often half and double), a weight at which
#: the dose is capped and the maximum it is capped at, or None).
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
    (STEMI, "alteplase-30min", (50,), (54, 48), (72, 50)),  # 0.75 mg/kg: 54, capped at 50
    (STEMI, "enoxaparin-sc", (72,), (36, 144), (120, 100)),  # 1 mg/kg, max 100 mg
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


#: The dangerous choices each case must mark harmful (killer options: they score the question
#: zero and are named as harmful after the case), by question.
KILLER_OPTIONS = [
    (SEPSIS, "recognition", {"fever-only"}),  # "it's the fever": no resuscitation
    (SEPSIS, "first-hour-orders", {"ct-first", "d5w"}),  # antibiotics wait; hypotonic bolus
    (SEPSIS, "handover", {"stop-adrenaline", "family-car"}),
    (SEIZURE, "state", {"simple-fs"}),  # waiting at 15 minutes
    (SEIZURE, "first-minutes", {"spoon", "alcohol", "oral-ibuprofen"}),
    (SEIZURE, "after-first-dose", {"private-car"}),
    (SEIZURE, "disposition", {"home"}),
    (SEIZURE, "apnoea-plan", {"flumazenil"}),
    (SEIZURE, "education", {"chopsticks", "renzhong", "no-vaccines"}),
    (NEONATE, "plan", {"home-antipyretic", "oral-antibiotic", "observe-4h"}),
    (NEONATE, "evaluation", {"wait-culture"}),
    (NEONATE, "antibiotics", {"ceftriaxone"}),  # jaundiced neonate
    (NEONATE, "rescue", {"lp-first"}),  # lumbar puncture before antibiotics in shock
    (JAUNDICE, "plan", {"sunlight", "stop-breastfeeding", "herbal"}),
    (JAUNDICE, "treatment", {"observe-tomorrow"}),
    (JAUNDICE, "next-step", {"wait-morning"}),
    (JAUNDICE, "follow-up", {"sunlight-home", "glucose-water"}),
    (JAUNDICE, "emergency", {"county-tomorrow"}),
    (ASTHMA, "first-hour-care", {"sedative", "codeine"}),
    (ASTHMA, "escalate", {"sedate"}),
    (ASTHMA, "discharge-plan", {"stop-when-well", "saba-only"}),
    (HFMD, "stage-and-plan", {"home"}),
    (HFMD, "ward-orders", {"bolus", "acyclovir-iv"}),
    (HFMD, "critical-plan", {"more-fluid"}),
    (COPD, "first-orders", {"high-flow", "diazepam"}),
    (COPD, "disposition", {"stay-iv"}),
    (COPD, "narcosis-plan", {"stop-o2-now"}),
    (COPD, "long-term", {"home-high-o2", "long-steroid"}),
    (STEMI, "lysis-orders", {"nitroglycerin", "im-injection"}),  # RV infarct; lytic on board
    (STEMI, "handover", {"stop-antithrombotic", "private-car"}),
    (STEMI, "shock-plan", {"nitro-diuretic"}),
]


@pytest.mark.parametrize(
    "name, question, dangerous",
    [(name, *rest) for names, *rest in KILLER_OPTIONS for name in names],
)
def test_every_dangerous_choice_is_marked_harmful(name, question, dangerous):
    assert dangerous <= harmful_options(load_demo_case(name), question)


#: The critical decisions of the key-feature questions the review checked, by question.
CRITICAL_DECISIONS = [
    (SEPSIS, "first-hour-orders", {"io", "bolus", "antibiotic", "glucose"}),
    (NEONATE, "evaluation", {"blood-culture", "cath-urine", "lp", "markers"}),
    (ASTHMA, "first-hour-care", {"oxygen", "saba", "ipratropium", "steroid"}),
    (HFMD, "warning-signs", {"persistent-fever", "myoclonus", "wbc", "glucose"}),
    (COPD, "first-orders", {"controlled-o2", "nebuliser", "prednisone", "antibiotic"}),
    (STEMI, "lysis-orders", {"aspirin", "clopidogrel", "enoxaparin", "alteplase"}),
]


@pytest.mark.parametrize(
    "name, question, critical",
    [(name, *rest) for names, *rest in CRITICAL_DECISIONS for name in names],
)
def test_the_key_features_are_the_critical_decisions_of_the_guidelines(name, question, critical):
    assert keys(load_demo_case(name), question) == critical


@pytest.mark.parametrize(
    "name, question, only_safe",
    [(n, "plan", "admit") for n in NEONATE] + [(n, "plan", "refer-today") for n in JAUNDICE],
)
def test_a_neonate_is_never_watched_at_home_whatever_the_variant(name, question, only_safe):
    options = load_demo_case(name).question(question)[1].options
    assert [o.id for o in options if not o.harmful] == [only_safe]
