"""The referral letter leaves as a FHIR R4 ServiceRequest the receiving side could read."""

import pytest

from referral_tracking import (
    TIER_EXTENSION_URL,
    fhir_priority,
    letter_to_service_request,
    load_demo_consortium,
    load_demo_scenario,
)
from referral_tracking.messages import ReferralError
from referral_tracking.schema import ReferralDecision

CONSORTIUM = load_demo_consortium()
SCENARIO = load_demo_scenario("child_pneumonia_hypoxia")


def transfer(**changes) -> ReferralDecision:
    data = {
        "disposition": "emergency_transfer",
        "priority": "emergency",
        "target_institution_id": "dongxian-county",
        "department": "paediatrics",
        "letter": {
            "reason": "Severe pneumonia with hypoxaemia",
            "history": "Fever and cough for 3 days, fast breathing since last night.",
            "key_findings": ["hypoxaemia", "severe_chest_indrawing"],
            "treatment_given": "Oxygen by nasal cannula; first dose of amoxicillin.",
            "question": "Admission for oxygen and antibiotics?",
            "supporting_info": ["SpO2 trend 89% -> 94% on 1 L/min"],
        },
    }
    data.update(changes)
    return ReferralDecision.model_validate(data)


def test_an_emergency_transfer_becomes_a_stat_order_to_the_county_paediatric_ward():
    request = letter_to_service_request(transfer(), SCENARIO, CONSORTIUM)
    assert request["resourceType"] == "ServiceRequest"
    assert (request["status"], request["intent"], request["priority"]) == (
        "active",
        "order",
        "stat",
    )
    assert request["performer"] == [
        {
            "reference": "Organization/dongxian-county",
            "display": "Dongxian County People's Hospital (PCI centre)",
        }
    ]
    assert request["requester"]["reference"] == "Organization/riverside-community"
    assert request["reasonCode"] == [{"text": "Severe pneumonia with hypoxaemia"}]
    assert {"url": TIER_EXTENSION_URL, "valueCode": "secondary"} in request["performerType"][
        "extension"
    ]
    assert request["subject"]["display"]


def test_the_letter_items_land_in_note_and_supporting_info():
    request = letter_to_service_request(transfer(), SCENARIO, CONSORTIUM)
    notes = [n["text"] for n in request["note"]]
    assert "Question for the receiving doctor: Admission for oxygen and antibiotics?" in notes
    assert any(n.startswith("Treatment given: Oxygen") for n in notes)
    supporting = [s["display"] for s in request["supportingInfo"]]
    assert "Oxygen saturation: 89% on room air." in supporting
    assert "SpO2 trend 89% -> 94% on 1 L/min" in supporting


def test_empty_letter_items_are_left_out_rather_than_sent_blank():
    decision = transfer(letter={"reason": "Pneumonia"})
    request = letter_to_service_request(decision, SCENARIO, CONSORTIUM)
    assert "note" not in request and "supportingInfo" not in request


@pytest.mark.parametrize(
    ("priority", "disposition", "code"),
    [
        ("routine", "refer_upward", "routine"),
        ("urgent", "refer_upward", "urgent"),
        ("emergency", "refer_upward", "asap"),
        ("emergency", "emergency_transfer", "stat"),
    ],
)
def test_priorities_map_onto_fhir_request_priority_codes(priority, disposition, code):
    assert fhir_priority(priority, disposition) == code


def test_a_patient_managed_locally_has_no_service_request():
    decision = ReferralDecision(disposition="manage_locally", priority="routine")
    with pytest.raises(ReferralError) as caught:
        letter_to_service_request(decision, SCENARIO, CONSORTIUM)
    assert caught.value.code == "no_referral"
