"""A learner downloads their own referral as a FHIR R4 Bundle from the page's link, in the
real workbench runtime: only once they have referred, only their own, and only what they have
earned (the receiving side's diagnosis once a hospital has accepted, never the rule set's
answer); before the decision and after keeping the patient they are told why not."""

import html
import json

import pytest

from referral_tracking import RUBRIC_LABELS
from tests.xblock.test_referral_block import LETTER, Learner, referral_usages, right_decision
from xblocks.i18n import catalog

LINK = "Download your referral (FHIR)"
NOT_DECIDED = (
    "Decide about the patient first: your referral can be downloaded once you have made it."
)
KEPT = "You managed the patient at your own institution: there is no referral to download."


@pytest.fixture
def usages(scenarios) -> dict[str, tuple[str, str]]:
    return referral_usages(scenarios)


def download(learner: Learner, query: dict | None = None):
    """The page's link, followed as the browser follows it (GET)."""
    return learner.workbench.client.get(
        f"/handler/{learner.usage_id}/download_referral/",
        {"student": learner.student, **(query or {})},
    )


def bundle_of(learner: Learner) -> dict:
    response = download(learner)
    assert response.status_code == 200, response.content[:300]
    return json.loads(response.content)


def resources(bundle: dict, kind: str) -> list[dict]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def refused(learner: Learner, words: str) -> dict:
    """A 400 with the sentence, and nothing of the learner's changed by asking."""
    before = learner.block.state_json
    events = len(learner.workbench.events(learner.student))
    response = download(learner)
    assert response.status_code == 400, response.content[:300]
    body = json.loads(response.content)
    assert body["error"] == words
    assert learner.block.state_json == before
    assert len(learner.workbench.events(learner.student)) == events
    return body


def test_before_deciding_there_is_no_link_and_the_download_says_to_decide_first(workbench, usages):
    learner = Learner(workbench, usages, "hypertension_township")
    assert LINK not in learner.open_page()
    assert refused(learner, NOT_DECIDED)["code"] == "referral_not_decided"
    learner.open_page(lang="zh-cn")
    refused(learner, catalog("zh_CN").gettext(NOT_DECIDED))
    assert learner.state.progress.decision is None


def test_a_learner_who_never_opened_the_exercise_is_told_and_gets_no_state(workbench, usages):
    learner = Learner(workbench, usages, "hypertension_township", student="student_3")
    assert refused(learner, NOT_DECIDED)["code"] == "referral_not_decided"
    assert learner.block.state_json == ""  # the download made no attempt for them


def test_a_gp_who_transfers_a_hypertensive_emergency_downloads_the_referral_as_fhir(
    workbench, usages
):
    learner = Learner(workbench, usages, "hypertension_township")
    learner.open_page()
    decided = html.unescape(learner.ok("decide", **right_decision(learner.exercise))["html"])
    assert LINK in decided and "/download_referral/" in decided
    assert LINK in learner.open_page()  # and on the page when it is opened again
    before = learner.block.state_json

    response = download(learner)
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "application/fhir+json; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="hypertension-township-referral.json"'
    )
    bundle = json.loads(response.content)
    assert (bundle["resourceType"], bundle["type"]) == ("Bundle", "collection")
    assert all(e["fullUrl"].endswith(e["resource"]["id"]) for e in bundle["entry"])
    request = bundle["entry"][0]["resource"]
    assert request["resourceType"] == "ServiceRequest"
    assert request["priority"] == "stat"  # an emergency transfer: FHIR's highest priority
    assert request["reasonCode"] == [{"text": LETTER["letter_reason"]}]
    assert request["performer"][0]["reference"] == "Organization/dongxian-county"
    (task,) = resources(bundle, "Task")
    assert task["status"] == "completed"  # accepted: the receiving side's answer is earned
    answer = learner.exercise.scenario.receiving_response
    assert {"valueString": answer.diagnosis}.items() <= task["output"][0].items()
    assert learner.block.state_json == before  # downloading changes nothing


def test_the_download_holds_nothing_of_the_rule_sets_answer_or_the_visits_to_come(
    workbench, usages
):
    """A plain upward referral of an emergency: wrong in kind, and the file must not say so."""
    learner = Learner(workbench, usages, "hypertension_township")
    learner.open_page()
    learner.ok("decide", **right_decision(learner.exercise) | {"disposition": "refer_upward"})
    text = download(learner).content.decode()
    exercise = learner.exercise
    secrets = [
        exercise.expected.deciding_rule or "",
        exercise.ruleset.title,
        exercise.scenario.if_not_referred,
        *(visit.explanation for visit in exercise.scenario.visits),
        *(f.text for visit in exercise.scenario.visits for f in visit.findings),
        *RUBRIC_LABELS.values(),
        "emergency_transfer",
        "classification",
        "rubric",
        "over_referral",
        "under_referral",
    ]
    for secret in secrets:
        assert secret and secret not in text, secret
    assert json.loads(text)["entry"][0]["resource"]["priority"] == "asap"


def test_a_declined_referral_has_no_diagnosis_until_a_hospital_accepts(workbench, usages):
    learner = Learner(workbench, usages, "child_pneumonia_hypoxia")
    learner.open_page()
    decision = right_decision(learner.exercise) | {"target_institution_id": "provincial-childrens"}
    page = html.unescape(learner.ok("decide", **decision)["html"])
    assert LINK in page

    answer = learner.exercise.scenario.receiving_response
    text = download(learner).content.decode()
    for earned_later in (answer.diagnosis, answer.treatment, answer.downward_summary):
        assert earned_later not in text
    bundle = json.loads(text)
    (task,) = resources(bundle, "Task")
    assert task["status"] == "rejected" and "output" not in task
    assert task["statusReason"]["text"] in page  # the reason as the page gives it
    assert answer.scripted_decline("provincial-childrens") in task["statusReason"]["text"]
    assert bundle["entry"][0]["resource"]["status"] == "active"

    learner.ok("redirect", target_institution_id="dongxian-county", department="paediatrics")
    bundle = bundle_of(learner)
    assert [t["status"] for t in resources(bundle, "Task")] == ["rejected", "completed"]
    assert answer.diagnosis in json.dumps(bundle, ensure_ascii=False)
    request = bundle["entry"][0]["resource"]
    assert request["performer"][0]["reference"] == "Organization/dongxian-county"
    assert request["status"] == "completed"


def test_a_reason_to_decline_is_given_in_the_learners_language(workbench, usages):
    learner = Learner(workbench, usages, "child_pneumonia_hypoxia")
    page = learner.open_page(lang="zh-cn")
    decision = right_decision(learner.exercise) | {
        "target_institution_id": "city-general",
        "department": "emergency",
    }
    page = html.unescape(learner.ok("decide", **decision)["html"])
    (task,) = resources(bundle_of(learner), "Task")
    reason = task["statusReason"]["text"]
    zh = catalog("zh_CN").gettext
    assert "市第一人民医院" in reason and zh("Paediatric inpatient ward") in reason
    assert "City First" not in reason and "paediatric_ward" not in reason
    assert reason in page


def test_a_learner_who_kept_the_patient_has_no_link_and_is_told_there_is_no_referral(
    workbench, usages
):
    learner = Learner(workbench, usages, "stroke_downward_referral")
    learner.open_page()
    body = learner.ok("decide", disposition="manage_locally", priority="routine")
    assert LINK not in html.unescape(body["html"]) and LINK not in learner.open_page()
    assert refused(learner, KEPT)["code"] == "no_referral"


def test_another_learner_gets_their_own_refusal_never_the_first_learners_referral(
    workbench, usages
):
    first = Learner(workbench, usages, "hypertension_township")
    first.open_page()
    first.ok("decide", **right_decision(first.exercise))
    other = Learner(workbench, usages, "hypertension_township", student="student_2")
    other.open_page()
    for query in ({}, {"learner": "student_1", "user_id": "student_1"}):
        response = download(other, query)
        assert response.status_code == 400, response.content[:300]
        assert json.loads(response.content)["error"] == NOT_DECIDED
        assert LETTER["letter_reason"] not in response.content.decode()
    named = workbench.client.get(
        f"/handler/{other.usage_id}/download_referral/student_1", {"student": "student_2"}
    )
    assert named.status_code == 400 and LETTER["letter_question"] not in named.content.decode()
    assert other.state.progress.decision is None
    request = bundle_of(first)["entry"][0]["resource"]  # the control: the first one's is there
    assert request["reasonCode"] == [{"text": LETTER["letter_reason"]}]
