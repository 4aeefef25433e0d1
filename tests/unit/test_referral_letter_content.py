"""Letter items are scored on what they say, not on being two characters long."""

import pytest
from pydantic import ValidationError

from referral_tracking import (
    demo_exercise,
    load_demo_scenario,
    scenario_from_xml,
    scenario_to_xml,
    score_decision,
)
from referral_tracking.rules import letter_item_filled, substantive
from referral_tracking.schema import ReferralDecision, ReferralLetter, ReferralScenario

CHILD = demo_exercise("child_pneumonia_hypoxia")
GOOD = {
    "reason": "Severe pneumonia with hypoxaemia",
    "history": "Fever and cough 3 days, fast breathing since last night",
    "key_findings": ["hypoxaemia", "fast_breathing"],
    "treatment_given": "Oxygen by nasal cannula 2 L/min from 10:20, first dose of amoxicillin",
    "question": "Please admit for oxygen and antibiotics?",
    "supporting_info": ["SpO2 89% on air, 94% on oxygen"],
}


def letter_lines(**changes) -> dict[str, float]:
    decision = ReferralDecision(
        disposition="emergency_transfer",
        priority="emergency",
        target_institution_id="dongxian-county",
        department="paediatrics",
        letter={**GOOD, **changes},
        recognised_red_flags=["hypoxaemia"],
    )
    result = score_decision(
        CHILD.ruleset, CHILD.scenario, CHILD.institution, decision, CHILD.consortium
    )
    return {i.subject: i.points for i in result.items if i.kind == "letter"}


def test_a_full_letter_that_says_what_was_given_earns_every_item():
    assert set(letter_lines().values()) == {1}


@pytest.mark.parametrize("text", ["ok", "--", "n/a", "是", "12"])
def test_two_characters_no_longer_earn_an_item(text):
    assert not substantive(text)
    assert letter_lines(reason=text)["reason"] == 0


def test_a_few_chinese_characters_say_something():
    assert substantive("已吸氧") and substantive("疑似重症肺炎")


def test_treatment_given_must_name_what_this_exercise_gave():
    """The review's letter: a sensible treatment, but not the one given to this patient."""
    assert (
        letter_lines(treatment_given="Aspirin 100 mg for stroke prevention")["treatment_given"] == 0
    )
    assert letter_lines(treatment_given="给予鼻导管吸氧2 L/min")["treatment_given"] == 1


def test_key_findings_must_name_every_red_flag_present():
    decision_letter = ReferralLetter(key_findings=["fast_breathing"])
    assert not letter_item_filled(decision_letter, "key_findings", {"hypoxaemia"})
    assert letter_lines(key_findings=["fast_breathing"])["key_findings"] == 0
    two_flags = ReferralLetter(key_findings=["severe_headache"])
    assert not letter_item_filled(two_flags, "key_findings", {"severe_headache", "vomiting"})


def test_the_requirement_round_trips_through_the_xml():
    scenario = load_demo_scenario("child_pneumonia_hypoxia")
    again = scenario_from_xml(scenario_to_xml(scenario))
    assert again.letter_requirements == scenario.letter_requirements
    assert again.letter_requirements[0].label_zh


def test_a_key_findings_requirement_must_name_a_finding_of_the_patient():
    data = load_demo_scenario("child_pneumonia_hypoxia").model_dump()
    data["letter_requirements"] = [
        {
            "letter_item": "key_findings",
            "label": "Cite the saturation",
            "accepts": ["no_such_finding"],
        }
    ]
    with pytest.raises(ValidationError) as caught:
        ReferralScenario.model_validate(data)
    assert caught.value.errors()[0]["type"] == "letter_requirement_unknown_finding"


def test_the_feedback_names_the_requirement_the_letter_did_not_meet():
    decision = ReferralDecision(
        disposition="emergency_transfer",
        priority="emergency",
        target_institution_id="dongxian-county",
        department="paediatrics",
        letter={**GOOD, "treatment_given": "Paracetamol for the fever at 10:00"},
    )
    result = score_decision(
        CHILD.ruleset, CHILD.scenario, CHILD.institution, decision, CHILD.consortium
    )
    assert result.missing_letter_items == ["treatment_given"]
    [unmet] = result.unmet_letter_requirements
    assert unmet["letter_item"] == "treatment_given" and "Oxygen" in unmet["label"]
    kept = ReferralDecision(disposition="manage_locally", priority="routine")
    assert (
        score_decision(
            CHILD.ruleset, CHILD.scenario, CHILD.institution, kept, CHILD.consortium
        ).unmet_letter_requirements
        == []
    )


def test_a_requirement_with_time_needs_the_time_the_drug_was_given():
    data = load_demo_scenario("child_pneumonia_hypoxia").model_dump()
    data["letter_requirements"][0]["with_time"] = True
    scenario = ReferralScenario.model_validate(data)
    [requirement] = scenario.letter_requirements
    without = ReferralLetter(treatment_given="Oxygen by nasal cannula 2 L/min")
    with_time = ReferralLetter(treatment_given="Oxygen by nasal cannula 2 L/min from 10:20")
    chinese = ReferralLetter(treatment_given="10点20分起鼻导管吸氧2 L/min")
    assert not letter_item_filled(without, "treatment_given", set(), [requirement])
    assert letter_item_filled(with_time, "treatment_given", set(), [requirement])
    assert letter_item_filled(chinese, "treatment_given", set(), [requirement])
    assert scenario_from_xml(scenario_to_xml(scenario)).letter_requirements[0].with_time
