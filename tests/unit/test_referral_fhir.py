"""The referral letter leaves as a FHIR R4 ServiceRequest the receiving side could read, and the
learner downloads their own referral, with the receiving side's answer, as an R4 Bundle."""

import json
import re

import pytest

from referral_tracking import (
    TIER_EXTENSION_URL,
    apply,
    demo_exercise,
    fhir_priority,
    letter_to_service_request,
    load_demo_consortium,
    load_demo_scenario,
    new_progress,
    referral_bundle,
)
from referral_tracking.fhir import FHIR_BASE, fhir_id
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
            "key_findings": ["hypoxaemia", "lower_chest_indrawing"],
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


# ---- the learner's own referral, downloaded after the decision -------------------------------

PNEUMONIA = demo_exercise("child_pneumonia_hypoxia")
FHIR_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")
#: FHIR R4 (4.0.1): the elements each resource may have, those that repeat (JSON arrays), those
#: it must have, and the required value sets of the coded ones we send.
COMMON = {"resourceType", "id", "meta", "implicitRules", "language", "text", "contained"}
COMMON |= {"extension", "modifierExtension"}
R4 = {
    "Bundle": {
        "elements": {"identifier", "type", "timestamp", "total", "link", "entry", "signature"},
        "repeating": {"link", "entry"},
        "required": {"type"},
        "codes": {
            "type": {
                "document",
                "message",
                "transaction",
                "transaction-response",
                "batch",
                "batch-response",
                "history",
                "searchset",
                "collection",
            }
        },
    },
    "ServiceRequest": {
        "elements": set(
            "identifier instantiatesCanonical instantiatesUri basedOn replaces requisition status "
            "intent category priority doNotPerform code orderDetail quantityQuantity "
            "quantityRatio quantityRange subject encounter occurrenceDateTime occurrencePeriod "
            "occurrenceTiming asNeededBoolean asNeededCodeableConcept authoredOn requester "
            "performerType performer locationCode locationReference reasonCode reasonReference "
            "insurance supportingInfo specimen bodySite note patientInstruction "
            "relevantHistory".split()
        ),
        "repeating": set(
            "identifier instantiatesCanonical instantiatesUri basedOn replaces category "
            "orderDetail performer locationCode locationReference reasonCode reasonReference "
            "insurance supportingInfo specimen bodySite note relevantHistory".split()
        ),
        "required": {"status", "intent", "subject"},
        "codes": {
            "status": {
                "draft",
                "active",
                "on-hold",
                "revoked",
                "completed",
                "entered-in-error",
                "unknown",
            },
            "intent": {
                "proposal",
                "plan",
                "directive",
                "order",
                "original-order",
                "reflex-order",
                "filler-order",
                "instance-order",
                "option",
            },
            "priority": {"routine", "urgent", "asap", "stat"},
        },
    },
    "Task": {
        "elements": set(
            "identifier instantiatesCanonical instantiatesUri basedOn groupIdentifier partOf "
            "status statusReason businessStatus intent priority code description focus for "
            "encounter executionPeriod authoredOn lastModified requester performerType owner "
            "location reasonCode reasonReference insurance note relevantHistory restriction "
            "input output".split()
        ),
        "repeating": set(
            "identifier basedOn partOf performerType insurance note relevantHistory input "
            "output".split()
        ),
        "required": {"status", "intent"},
        "codes": {
            "status": {
                "draft",
                "requested",
                "received",
                "accepted",
                "rejected",
                "ready",
                "cancelled",
                "in-progress",
                "on-hold",
                "failed",
                "completed",
                "entered-in-error",
            },
            "intent": {
                "unknown",
                "proposal",
                "plan",
                "order",
                "original-order",
                "reflex-order",
                "filler-order",
                "instance-order",
                "option",
            },
            "priority": {"routine", "urgent", "asap", "stat"},
        },
    },
    "Patient": {
        "elements": set(
            "identifier active name telecom gender birthDate deceasedBoolean deceasedDateTime "
            "address maritalStatus multipleBirthBoolean multipleBirthInteger photo contact "
            "communication generalPractitioner managingOrganization link".split()
        ),
        "repeating": set(
            "identifier name telecom address photo contact communication generalPractitioner "
            "link".split()
        ),
        "required": set(),
        "codes": {"gender": {"male", "female", "other", "unknown"}},
    },
    "Organization": {
        "elements": set(
            "identifier active type name alias telecom address partOf contact endpoint".split()
        ),
        "repeating": set("identifier type alias telecom address contact endpoint".split()),
        "required": set(),
        "codes": {},
    },
}


def references(value) -> list[str]:
    """Every Reference.reference anywhere inside a resource."""
    found = []
    if isinstance(value, dict):
        if isinstance(value.get("reference"), str):
            found.append(value["reference"])
        for item in value.values():
            found += references(item)
    elif isinstance(value, list):
        for item in value:
            found += references(item)
    return found


def extensions(value) -> list[dict]:
    found = []
    if isinstance(value, dict):
        found += value.get("extension", [])
        for item in value.values():
            found += extensions(item)
    elif isinstance(value, list):
        for item in value:
            found += extensions(item)
    return found


def fhir_r4_problems(resource: dict) -> list[str]:
    """What breaks FHIR R4's structure in one resource (elements, cardinality, codes, ids)."""
    kind = resource.get("resourceType")
    if kind not in R4:
        return [f"unexpected resourceType {kind}"]
    spec, problems = R4[kind], []
    for key, value in resource.items():
        if key not in COMMON | spec["elements"]:
            problems.append(f"{kind}.{key} is not an R4 element")
        elif key in spec["repeating"] and not isinstance(value, list):
            problems.append(f"{kind}.{key} repeats: it must be an array")
        elif key not in spec["repeating"] | {"extension", "contained"} and isinstance(value, list):
            problems.append(f"{kind}.{key} does not repeat")
    for key in spec["required"]:
        if key not in resource:
            problems.append(f"{kind}.{key} is required")
    for key, allowed in spec["codes"].items():
        if key in resource and resource[key] not in allowed:
            problems.append(f"{kind}.{key} = {resource[key]!r} is not an R4 code")
    if "id" in resource and not FHIR_ID.match(resource["id"]):
        problems.append(f"{kind}.id {resource['id']!r} is not a FHIR id")
    for extension in extensions(resource):
        values = [k for k in extension if k.startswith("value")]
        if not extension.get("url") or len(values) != 1:
            problems.append(f"{kind}: an extension needs a url and one value[x]")
    if kind == "Organization" and not (resource.get("name") or resource.get("identifier")):
        problems.append("org-1: an Organization needs a name or an identifier")
    for output in resource.get("output", []):
        if "type" not in output or not any(k.startswith("value") for k in output):
            problems.append("Task.output needs a type and a value[x]")
    return problems


def bundle_problems(bundle: dict) -> list[str]:
    problems = fhir_r4_problems(bundle)
    urls = [entry["fullUrl"] for entry in bundle["entry"]]
    if len(set(urls)) != len(urls):
        problems.append("bdl-7: fullUrl must be unique")
    base = FHIR_BASE + "/"
    for entry in bundle["entry"]:
        resource = entry["resource"]
        if entry["fullUrl"] != f"{base}{resource['resourceType']}/{resource['id']}":
            problems.append(f"fullUrl {entry['fullUrl']} does not name its resource")
        problems += fhir_r4_problems(resource)
        for reference in references(resource):
            if base + reference not in urls:
                problems.append(f"{reference} does not resolve inside the bundle")
    return problems


def played(*actions: dict):
    progress = new_progress()
    for action in actions:
        progress = apply(PNEUMONIA, progress, {**action, "step": progress.step}).progress
    return progress


def resources(bundle: dict, kind: str) -> list[dict]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


TO_THE_CHILDRENS_HOSPITAL = {
    "kind": "decide",
    "decision": transfer(
        target_institution_id="provincial-childrens", department="paediatrics"
    ).model_dump(),
}
REDIRECT_TO_COUNTY = {
    "kind": "redirect",
    "target_institution_id": "dongxian-county",
    "department": "paediatrics",
}
PLAN = {
    "kind": "set_plan",
    "plan": {"interval_days": 3, "monitoring": ["respiratory_rate", "oxygen_saturation"]},
}


def test_the_checker_catches_what_fhir_r4_forbids():
    """The structural check below can fail: each of these breaks one R4 rule."""
    broken = [
        {"resourceType": "ServiceRequest", "id": "a_b", "status": "active", "intent": "order"},
        {"resourceType": "Task", "status": "declined", "intent": "order"},
        {"resourceType": "Task", "status": "rejected", "intent": "order", "basedOn": {}},
        {"resourceType": "Organization", "extension": [{"url": TIER_EXTENSION_URL}]},
        {"resourceType": "Patient", "gender": "f", "tier": "primary"},
    ]
    assert [len(fhir_r4_problems(r)) >= 1 for r in broken] == [True] * len(broken)
    dangling = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {
                "fullUrl": f"{FHIR_BASE}/Task/t",
                "resource": {
                    "resourceType": "Task",
                    "id": "t",
                    "status": "completed",
                    "intent": "order",
                    "focus": {"reference": "ServiceRequest/missing"},
                },
            }
        ],
    }
    assert bundle_problems(dangling) == [
        "ServiceRequest/missing does not resolve inside the bundle"
    ]


def test_a_referral_declined_then_accepted_is_a_valid_r4_bundle_whose_references_resolve():
    bundle = referral_bundle(PNEUMONIA, played(TO_THE_CHILDRENS_HOSPITAL, REDIRECT_TO_COUNTY))
    assert json.loads(json.dumps(bundle)) == bundle
    assert bundle["resourceType"] == "Bundle" and bundle["type"] == "collection"
    assert bundle_problems(bundle) == []
    assert [e["resource"]["resourceType"] for e in bundle["entry"]] == [
        "ServiceRequest",
        "Task",
        "Task",
        "Patient",
        "Organization",
        "Organization",
        "Organization",
    ]


def test_the_service_request_goes_to_the_hospital_that_accepted_and_is_completed():
    bundle = referral_bundle(PNEUMONIA, played(TO_THE_CHILDRENS_HOSPITAL, REDIRECT_TO_COUNTY))
    (request,) = resources(bundle, "ServiceRequest")
    assert request["status"] == "completed" and request["priority"] == "stat"
    assert request["performer"][0]["reference"] == "Organization/dongxian-county"
    assert request["subject"]["reference"] == "Patient/child-pneumonia-hypoxia-patient"
    assert request["reasonCode"] == [{"text": "Severe pneumonia with hypoxaemia"}]


def test_each_hospital_asked_answers_in_a_task_the_decline_with_its_reason():
    bundle = referral_bundle(PNEUMONIA, played(TO_THE_CHILDRENS_HOSPITAL, REDIRECT_TO_COUNTY))
    declined, accepted = resources(bundle, "Task")
    assert (declined["status"], declined["owner"]["reference"]) == (
        "rejected",
        "Organization/provincial-childrens",
    )
    assert "No paediatric bed tonight" in declined["statusReason"]["text"]
    assert "output" not in declined
    assert accepted["status"] == "completed"
    assert accepted["focus"] == {"reference": "ServiceRequest/child-pneumonia-hypoxia-referral"}
    answers = {o["type"]["coding"][0]["code"]: o["valueString"] for o in accepted["output"]}
    assert answers["diagnosis"].startswith("Severe community-acquired pneumonia")
    assert answers["downward_summary"].startswith("Discharged on day 5")
    instructions = [
        o for o in accepted["output"] if o["type"]["coding"][0]["code"] == "instruction"
    ]
    assert len(instructions) == 3


def test_every_institution_carries_its_tier_as_the_extension():
    bundle = referral_bundle(PNEUMONIA, played(TO_THE_CHILDRENS_HOSPITAL, REDIRECT_TO_COUNTY))
    tiers = {
        o["id"]: [e["valueCode"] for e in o["extension"] if e["url"] == TIER_EXTENSION_URL]
        for o in resources(bundle, "Organization")
    }
    assert tiers == {
        "riverside-community": ["primary"],
        "provincial-childrens": ["tertiary"],
        "dongxian-county": ["secondary"],
    }


def test_while_the_patient_waits_for_another_hospital_the_answer_is_not_in_the_download():
    progress = played(TO_THE_CHILDRENS_HOSPITAL)
    assert progress.phase == "declined"
    bundle = referral_bundle(PNEUMONIA, progress)
    assert bundle_problems(bundle) == []
    (request,) = resources(bundle, "ServiceRequest")
    assert request["status"] == "active"
    assert [t["status"] for t in resources(bundle, "Task")] == ["rejected"]
    text = json.dumps(bundle)
    response = PNEUMONIA.scenario.receiving_response
    for unearned in (response.diagnosis, response.treatment, response.downward_summary):
        assert unearned not in text


def test_the_download_never_holds_the_rule_sets_answer_or_the_score():
    progress = played(TO_THE_CHILDRENS_HOSPITAL, REDIRECT_TO_COUNTY, PLAN)
    text = json.dumps(referral_bundle(PNEUMONIA, progress))
    assert PNEUMONIA.expected.deciding_rule not in text
    assert PNEUMONIA.scenario.if_not_referred not in text
    for word in ("classification", "over_referral", "points", "rubric"):
        assert word not in text


def test_the_reason_to_decline_is_worded_by_the_adapters_translation():
    worded = referral_bundle(
        PNEUMONIA,
        played(TO_THE_CHILDRENS_HOSPITAL),
        describe=lambda code, params: f"[{code}] {params['institution']}: {params['reason']}",
    )
    (task,) = resources(worded, "Task")
    assert task["statusReason"]["text"] == (
        "[declined_by_receiver] Provincial Children's Hospital: No paediatric bed tonight; a "
        "county paediatric ward can give oxygen and antibiotics."
    )


def test_before_the_decision_there_is_no_referral_to_download():
    with pytest.raises(ReferralError) as caught:
        referral_bundle(PNEUMONIA, new_progress())
    assert caught.value.code == "referral_not_decided"


def test_a_learner_who_kept_the_child_has_no_referral_to_download():
    progress = played(
        {"kind": "decide", "decision": {"disposition": "manage_locally", "priority": "urgent"}}
    )
    with pytest.raises(ReferralError) as caught:
        referral_bundle(PNEUMONIA, progress)
    assert caught.value.code == "no_referral"


def test_our_ids_become_fhir_ids_without_two_meeting():
    assert fhir_id("county_2") == "county.2" != fhir_id("county-2")
    long_a, long_b = "a" * 60 + "-one", "a" * 60 + "-two"
    assert len(fhir_id(long_a)) == 64 and fhir_id(long_a) != fhir_id(long_b)
    assert FHIR_ID.match(fhir_id(long_a))
