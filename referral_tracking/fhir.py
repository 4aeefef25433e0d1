"""A learner's referral letter as a FHIR R4 ServiceRequest.

FHIR has no element for the tier of care. We carry it as an extension on `performerType`
with the IRI `TIER_EXTENSION_URL` (ours; `valueCode` is one of primary / secondary /
tertiary). Priorities map onto FHIR's request-priority codes: routine -> routine,
urgent -> urgent, emergency -> asap for an upward referral and stat for an emergency
transfer (FHIR: stat is "with highest priority, e.g. an emergency").
"""

from typing import Any

from .messages import ReferralError
from .schema import Consortium, Disposition, Priority, ReferralDecision, ReferralScenario

#: Our extension for the tier of care (a w3id.org persistent IRI; this docstring is its
#: definition: valueCode primary | secondary | tertiary, on ServiceRequest.performerType).
TIER_EXTENSION_URL = "https://w3id.org/consortium-cme/fhir/StructureDefinition/care-tier"
#: SNOMED CT 3457005 |Patient referral (procedure)|.
REFERRAL_CODE = {
    "system": "http://snomed.info/sct",
    "code": "3457005",
    "display": "Patient referral",
}


def fhir_priority(priority: Priority, disposition: Disposition) -> str:
    """Our priority as a FHIR ServiceRequest.priority code (routine | urgent | asap | stat)."""
    if priority == "emergency":
        return "stat" if disposition == "emergency_transfer" else "asap"
    return priority


def letter_to_service_request(
    decision: ReferralDecision, scenario: ReferralScenario, consortium: Consortium
) -> dict[str, Any]:
    """The referral as a FHIR R4 ServiceRequest resource (JSON-ready dict)."""
    letter = decision.letter
    if not decision.refers or letter is None:
        raise ReferralError("no_referral")
    requester = consortium.institution(scenario.institution_id)
    target = consortium.institution(decision.target_institution_id or "")
    findings = {f.id: f for f in scenario.findings}
    notes = [
        f"{heading}: {text}"
        for heading, text in (
            ("History", letter.history),
            ("Treatment given", letter.treatment_given),
            ("Question for the receiving doctor", letter.question),
        )
        if text
    ]
    supporting = [
        {"display": f"{findings[code].label}: {findings[code].text}"}
        for code in letter.key_findings
        if code in findings
    ] + [{"display": entry} for entry in letter.supporting_info if entry]
    resource: dict[str, Any] = {
        "resourceType": "ServiceRequest",
        "id": f"{scenario.id}-referral",
        "status": "active",
        "intent": "order",
        "category": [{"text": decision.disposition}],
        "priority": fhir_priority(decision.priority, decision.disposition),
        "code": {"coding": [REFERRAL_CODE], "text": f"Referral to {decision.department}"},
        "subject": {"display": f"Patient of scenario {scenario.id}"},
        "requester": {"reference": f"Organization/{requester.id}", "display": requester.name},
        "performerType": {
            "text": decision.department,
            "extension": [{"url": TIER_EXTENSION_URL, "valueCode": target.tier}],
        },
        "performer": [{"reference": f"Organization/{target.id}", "display": target.name}],
    }
    if letter.reason:
        resource["reasonCode"] = [{"text": letter.reason}]
    if notes:
        resource["note"] = [{"text": note} for note in notes]
    if supporting:
        resource["supportingInfo"] = supporting
    return resource
