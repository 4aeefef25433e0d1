"""A learner's referral as FHIR R4 resources: the letter as a ServiceRequest, the receiving
side's answer as a Task, the institutions as Organizations.

FHIR has no element for the tier of care. We carry it as an extension with the IRI
`TIER_EXTENSION_URL` (ours; `valueCode` is one of primary / secondary / tertiary) on
`Organization` (the tier the institution gives) and on `ServiceRequest.performerType` (the
tier the patient is sent to). Priorities map onto FHIR's request-priority codes: routine ->
routine, urgent -> urgent, emergency -> asap for an upward referral and stat for an emergency
transfer (FHIR: stat is "with highest priority, e.g. an emergency").

`referral_bundle(exercise, progress)` is the learner's own download: only what they have
earned (after the decision; the receiving side's diagnosis, treatment and summary only once a
hospital has accepted, as `engine.learner_view` shows them), never the rule set's answer or
the rubric. Texts are the learner's and the author's, as written; the receiving side's
reasons to decline are given in words by `describe` (the adapter's translation).
"""

import hashlib
from collections.abc import Callable
from typing import Any

from .engine import Exercise, Progress, ReferralContact
from .messages import MESSAGES, ReferralError
from .schema import (
    Consortium,
    Disposition,
    Institution,
    Priority,
    ReferralDecision,
    ReferralScenario,
)

#: Our extension for the tier of care (a w3id.org persistent IRI; this docstring is its
#: definition: valueCode primary | secondary | tertiary, on Organization and on
#: ServiceRequest.performerType).
TIER_EXTENSION_URL = "https://w3id.org/consortium-cme/fhir/StructureDefinition/care-tier"
#: The base of the bundle's `fullUrl`s, so that references such as "Organization/x" resolve
#: inside the bundle (FHIR R4, Bundle: resolving references in bundles).
FHIR_BASE = "https://w3id.org/consortium-cme/fhir"
#: Our codes for the parts of the receiving side's answer (Task.output.type).
ANSWER_CODES = "https://w3id.org/consortium-cme/fhir/CodeSystem/referral-answer"


#: SNOMED CT 3457005 |Patient referral (procedure)|.
def coding(system: str, code: str, display: str) -> dict[str, str]:
    """A FHIR Coding."""
    return {"system": system, "code": code, "display": display}


REFERRAL_CODE = coding("http://snomed.info/sct", "3457005", "Patient referral")
#: FHIR organization-type "prov" (Healthcare Provider).
PROVIDER_TYPE = {
    "coding": [
        coding(
            "http://terminology.hl7.org/CodeSystem/organization-type", "prov", "Healthcare Provider"
        )
    ]
}
#: FHIR task-code "fulfill": the Task fulfils the ServiceRequest it focuses on.
FULFIL_CODE = {
    "coding": [
        coding("http://hl7.org/fhir/CodeSystem/task-code", "fulfill", "Fulfill the focal request")
    ]
}


def fhir_id(text: str) -> str:
    """Our id as a FHIR id ([A-Za-z0-9-.]{1,64}): "_" becomes "." (never in our ids, so two
    ids stay two), and an id too long keeps its start and a digest of the whole."""
    value = text.replace("_", ".")
    if len(value) > 64:
        value = f"{value[:47]}-{hashlib.sha256(text.encode()).hexdigest()[:16]}"
    return value


def fhir_priority(priority: Priority, disposition: Disposition) -> str:
    """Our priority as a FHIR ServiceRequest.priority code (routine | urgent | asap | stat)."""
    if priority == "emergency":
        return "stat" if disposition == "emergency_transfer" else "asap"
    return priority


def _tier(tier: str) -> list[dict[str, str]]:
    return [{"url": TIER_EXTENSION_URL, "valueCode": tier}]


def _organization_reference(institution: Institution) -> dict[str, str]:
    return {"reference": f"Organization/{fhir_id(institution.id)}", "display": institution.name}


def _patient_id(scenario: ReferralScenario) -> str:
    return fhir_id(f"{scenario.id}-patient")


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
        "id": fhir_id(f"{scenario.id}-referral"),
        "status": "active",
        "intent": "order",
        "category": [{"text": decision.disposition}],
        "priority": fhir_priority(decision.priority, decision.disposition),
        "code": {"coding": [REFERRAL_CODE], "text": f"Referral to {decision.department}"},
        "subject": {"display": f"Patient of scenario {scenario.id}"},
        "requester": _organization_reference(requester),
        "performerType": {"text": decision.department, "extension": _tier(target.tier)},
        "performer": [_organization_reference(target)],
    }
    if letter.reason:
        resource["reasonCode"] = [{"text": letter.reason}]
    if notes:
        resource["note"] = [{"text": note} for note in notes]
    if supporting:
        resource["supportingInfo"] = supporting
    return resource


def organization(institution: Institution) -> dict[str, Any]:
    """A member institution as a FHIR R4 Organization, its tier as our extension."""
    resource: dict[str, Any] = {
        "resourceType": "Organization",
        "id": fhir_id(institution.id),
        "extension": _tier(institution.tier),
        "active": True,
        "type": [PROVIDER_TYPE],
        "name": institution.name,
    }
    if institution.name_zh:
        resource["alias"] = [institution.name_zh]
    return resource


def _english(code: str, params: dict[str, str]) -> str:
    return str(ReferralError(code, **params)) if code in MESSAGES else code


def _answer(kind: str, display: str, text: str) -> dict[str, Any]:
    return {
        "type": {"coding": [coding(ANSWER_CODES, kind, display)]},
        "valueString": text,
    }


def _task(
    exercise: Exercise,
    contact: ReferralContact,
    number: int,
    request_id: str,
    describe: Callable[[str, dict[str, str]], str],
    kind: str,
) -> dict[str, Any]:
    """One hand-over and the receiving side's answer: rejected with its reason, or completed
    with its diagnosis, treatment, downward-referral summary and instructions (the answer to a
    decision of this `kind`)."""
    scenario = exercise.scenario
    receiver = exercise.consortium.institution(contact.institution_id)
    request = {"reference": f"ServiceRequest/{request_id}"}
    task: dict[str, Any] = {
        "resourceType": "Task",
        "id": fhir_id(f"{scenario.id}-task-{number}"),
        "basedOn": [request],
        "status": "completed" if contact.status == "accepted" else "rejected",
        "intent": "order",
        "code": FULFIL_CODE,
        "focus": request,
        "for": {"reference": f"Patient/{_patient_id(scenario)}"},
        "requester": _organization_reference(exercise.institution),
        "owner": _organization_reference(receiver),
    }
    if contact.status == "declined":
        reason = dict(contact.reason or {})
        code = reason.pop("code", "")
        task["statusReason"] = {"text": describe(code, reason)}
        return task
    response = scenario.receiving_response.answer_for(kind)
    task["output"] = [
        _answer("diagnosis", "Diagnosis", response["diagnosis"]),
        _answer("treatment", "Treatment", response["treatment"]),
        _answer("downward_summary", "Downward-referral summary", response["downward_summary"]),
        *(_answer("instruction", "Instruction", text) for text in response["instructions"]),
    ]
    return task


def referral_bundle(
    exercise: Exercise,
    progress: Progress,
    describe: Callable[[str, dict[str, str]], str] | None = None,
) -> dict[str, Any]:
    """The learner's own referral as a FHIR R4 Bundle (type "collection", JSON-ready dict).

    First entry: the ServiceRequest (the letter, sent to the hospital that accepted, or the
    one asked last); then a Task per hospital asked, in order (rejected with its reason, or
    completed with its answer); then the Patient (de-identified: the scenario's sex only) and
    an Organization per institution referred to. Raises ReferralError("referral_not_decided")
    before the decision and ("no_referral") when the learner kept the patient.
    `describe(code, params)` words a reason to decline (default: the English template).
    """
    decision = progress.decision
    if decision is None:
        raise ReferralError("referral_not_decided")
    if not decision.refers or not progress.contacts:
        raise ReferralError("no_referral")
    describe = describe or _english
    scenario, consortium = exercise.scenario, exercise.consortium
    accepted = [c for c in progress.contacts if c.status == "accepted"]
    handed_to = accepted[0] if accepted else progress.contacts[-1]
    sent = decision.model_copy(
        update={
            "target_institution_id": handed_to.institution_id,
            "department": handed_to.department,
        }
    )
    request = letter_to_service_request(sent, scenario, consortium)
    request["status"] = "completed" if accepted else "active"
    request["subject"] = {
        "reference": f"Patient/{_patient_id(scenario)}",
        "display": request["subject"]["display"],
    }
    tasks = [
        _task(exercise, contact, number, request["id"], describe, decision.disposition)
        for number, contact in enumerate(progress.contacts, 1)
    ]
    patient = {
        "resourceType": "Patient",
        "id": _patient_id(scenario),
        "gender": scenario.patient.sex,
    }
    institutions = [exercise.institution] + [
        consortium.institution(i)
        for i in dict.fromkeys(c.institution_id for c in progress.contacts)
    ]
    resources = [request, *tasks, patient, *(organization(i) for i in institutions)]
    return {
        "resourceType": "Bundle",
        "id": fhir_id(f"{scenario.id}-referral-bundle"),
        "type": "collection",
        "entry": [
            {"fullUrl": f"{FHIR_BASE}/{r['resourceType']}/{r['id']}", "resource": r}
            for r in resources
        ],
    }
