"""What the receiving side answers depends on what the learner decided: a hypertensive patient
kept at the township clinic, who reached the county hospital by ambulance an hour later, does
not read the discharge of a patient sent in time."""

import pytest
from pydantic import ValidationError

from referral_tracking import (
    apply,
    build_exercise,
    demo_exercise,
    load_demo_consortium,
    load_demo_scenario,
    load_ruleset,
    new_progress,
    referral_bundle,
    scenario_from_xml,
    scenario_to_xml,
)
from referral_tracking.schema import ReferralScenario
from tests.unit.test_referral_engine import HTN_TRANSFER

KEPT = {"disposition": "manage_locally", "priority": "urgent"}


def answer_after(decision: dict, scenario: ReferralScenario | None = None) -> dict:
    exercise = demo_exercise("hypertension_township")
    if scenario is not None:
        exercise = build_exercise(
            scenario, load_ruleset("hypertension", "2.0"), load_demo_consortium()
        )
    step = apply(exercise, new_progress(), {"kind": "decide", "decision": decision, "step": 0})
    return step.response["receiving_response"], exercise, step.progress


def test_a_patient_kept_at_the_township_reads_what_the_county_found_after_the_ambulance():
    answer, _exercise, _progress = answer_after(KEPT)
    assert answer["diagnosis"].startswith("Hypertensive encephalopathy: confused on arrival")
    assert "day 6" in answer["downward_summary"]
    assert "day 4" not in answer["downward_summary"]


def test_a_patient_transferred_in_time_reads_the_default_answer():
    answer, _exercise, _progress = answer_after(HTN_TRANSFER)
    assert answer["downward_summary"].startswith("Discharged home on day 4")


def referred_upward_answer() -> ReferralScenario:
    data = load_demo_scenario("hypertension_township").model_dump()
    data["receiving_response"]["by_decision"].append(
        {
            "kind": "emergency_transfer",
            "diagnosis": "Hypertensive emergency, seen within the hour.",
            "treatment": "Intravenous labetalol.",
            "downward_summary": "Home on day 3.",
            "instructions": [],
        }
    )
    return ReferralScenario.model_validate(data)


def test_the_fhir_download_carries_the_answer_to_the_learners_own_decision():
    _answer, exercise, progress = answer_after(HTN_TRANSFER, referred_upward_answer())
    bundle = referral_bundle(exercise, progress)
    task = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Task")
    texts = [output["valueString"] for output in task["output"]]
    assert "Home on day 3." in texts and not any("day 4" in text for text in texts)


def test_per_decision_answers_go_through_the_xml_and_two_for_one_kind_are_refused():
    scenario = referred_upward_answer()
    assert scenario_from_xml(scenario_to_xml(scenario)) == scenario
    assert '<if-decision kind="manage_locally">' in scenario_to_xml(scenario)
    data = scenario.model_dump()
    data["receiving_response"]["by_decision"].append(data["receiving_response"]["by_decision"][0])
    with pytest.raises(ValidationError, match="more than one answer"):
        ReferralScenario.model_validate(data)


def test_a_scenario_without_per_decision_answers_is_stored_as_before():
    data = load_demo_scenario("stroke_downward_referral").model_dump()
    assert "by_decision" not in data["receiving_response"]
