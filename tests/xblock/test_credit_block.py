"""`cme_credit` in the consortium module: the rule counts the unit's case and referral
exercise; the learner fills the profile once, evaluates, and gets exactly one credit."""

import csv
import html
import io
import json
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from lxml import etree

from credit_export import (
    ComponentRequirement,
    CreditError,
    CreditRule,
    CreditSettings,
    load_demo_activity,
    load_demo_rule,
    settings_to_xml,
    validate_xml,
)
from xblocks.credit_block import CreditBlock, cme_time_zone
from xblocks.records.models import ActionReceipt, CreditAward, LearnerOutcome
from xblocks.records.outcomes import OutcomeWrite, record_outcome

PROFILE = {
    "name": "王晓梅",
    "licence_number": "110440100001234",
    "title": "intermediate",
    "institution": "青山镇卫生院",
    "tier": "primary",
    "department": "全科",
    "discipline": "General practice",
}


def complete(
    learner: str, usage_id: str, score: float, max_score: float = 10, at: datetime | None = None
) -> None:
    record_outcome(
        OutcomeWrite(
            learner_id=learner,
            usage_id=usage_id,
            block_type=usage_id.split(".")[-3],
            attempt=1,
            score=score,
            max_score=max_score,
            completed_at=at or datetime.now(UTC),
        )
    )


def act(workbench, usage_id, action, student="student_1", **fields):
    response = workbench.handler(usage_id, "act", {"action": action, **fields}, student)
    return response.status_code, json.loads(response.content)


def test_the_module_page_lists_what_the_credit_needs_with_the_units_exercises(workbench, module):
    scenario_id, _ = module
    page = html.unescape(workbench.page(scenario_id).content.decode())
    assert "Case: a hypertensive emergency" in page
    assert "Referral: hypertension at a township clinic" in page
    # The label once, then what it lacks.
    assert "○</span> Case: a hypertensive emergency: not completed yet.</li>" in page
    assert "The credit is awarded once everything above is done." in page
    assert 'data-action="claim"' not in page  # nothing to press: it comes when the rule is met


def test_a_claim_before_the_rule_is_met_is_refused_with_what_is_missing(workbench, module):
    _, children = module
    complete("student_1", children["cme_case"], 5)  # below the 60% the rule asks
    status, body = act(workbench, children["cme_credit"], "claim")
    assert status == 400
    assert "your best score is 50%, 60% is needed" in body["error"]
    assert "Referral: hypertension at a township clinic is not completed yet" in body["error"]
    assert "profile" in body["error"] and "evaluation" in body["error"]
    assert CreditAward.objects.count() == 0


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("licence_number", "12-34", "6 to 30 letters"),
        ("name", "  ", "Name is empty"),
        ("tier", "x", "Level of your institution: choose one of"),
    ],
)
def test_an_invalid_profile_is_refused_naming_the_field_and_nothing_is_saved(
    workbench, module, field, value, words
):
    _, children = module
    status, body = act(workbench, children["cme_credit"], "profile", **(PROFILE | {field: value}))
    assert status == 400 and words in body["error"]
    assert workbench.block(children["cme_credit"]).profile_json == ""


def test_a_learner_meets_the_rule_and_gets_one_credit_and_a_certificate(workbench, module):
    _, children = module
    credit = children["cme_credit"]
    complete("student_1", children["cme_case"], 8)
    complete("student_1", children["cme_referral"], 9)
    assert act(workbench, credit, "profile", **PROFILE)[0] == 200
    status, body = act(
        workbench, credit, "evaluate", satisfaction=5, change_in_practice="planned", comment=""
    )
    assert status == 200
    status, body = act(workbench, credit, "claim")
    assert status == 200, body
    certificate = html.unescape(body["html"])
    assert "Certificate of continuing medical education credit" in certificate
    assert "王晓梅" in certificate and "110440100001234" in certificate
    assert "2026-05-01-003" in certificate
    assert act(workbench, credit, "claim")[0] == 200  # a replayed claim
    award = CreditAward.objects.get()
    assert (award.learner_id, str(award.credits), award.credit_class) == ("student_1", "0.25", "I")
    assert award.record["evidence"][0]["usage_id"] in (
        children["cme_case"],
        children["cme_referral"],
    )
    assert [e["data"] for e in workbench.events("student_1", "completion")] == [{"completion": 1.0}]
    assert len(workbench.events("student_1", "cme.credit.awarded")) == 1


def test_the_evaluation_that_completes_the_rule_awards_the_credit_at_once(workbench, module):
    """No button to find: the answer to the last missing step is the certificate, announced
    to screen readers; a claim from an app afterwards changes nothing."""
    _, children = module
    credit = children["cme_credit"]
    complete("student_1", children["cme_case"], 8)
    complete("student_1", children["cme_referral"], 9)
    status, body = act(workbench, credit, "profile", **PROFILE)
    assert status == 200 and "Certificate of" not in body["html"]  # the evaluation is missing
    assert body["announce"] == "Your CME profile is saved."
    assert CreditAward.objects.count() == 0
    status, body = act(
        workbench, credit, "evaluate", satisfaction=5, change_in_practice="planned", comment=""
    )
    assert status == 200, body
    assert "Certificate of continuing medical education credit" in html.unescape(body["html"])
    assert body["announce"] == (
        "Thank you: your evaluation is saved. The credit is awarded. Your certificate is shown."
    )
    award = CreditAward.objects.get()
    assert award.learner_id == "student_1" and award.usage_id == credit
    status, body = act(workbench, credit, "claim")
    assert status == 200 and "Certificate of" in body["html"]
    assert CreditAward.objects.count() == 1
    assert len(workbench.events("student_1", "cme.credit.awarded")) == 1
    assert [e["data"] for e in workbench.events("student_1", "completion")] == [{"completion": 1.0}]


def test_a_learner_who_finished_elsewhere_gets_the_credit_on_opening_the_block(workbench, module):
    """Profile and evaluation first, the exercises finished afterwards in their own blocks:
    the credit block awards the credit when the learner opens it (the view says so to screen
    readers, once); later views, and another learner's, award nothing more."""
    _, children = module
    credit = children["cme_credit"]
    act(workbench, credit, "profile", **PROFILE)
    act(workbench, credit, "evaluate", satisfaction=4, change_in_practice="none")
    assert "Certificate of" not in html.unescape(workbench.page_of(credit, "student_1"))
    complete("student_1", children["cme_case"], 8)
    complete("student_1", children["cme_referral"], 9)
    assert CreditAward.objects.count() == 0  # nothing happens until the learner looks

    page = html.unescape(workbench.page_of(credit, "student_1"))
    assert "Certificate of continuing medical education credit" in page and "王晓梅" in page
    assert 'data-announce="The credit is awarded. Your certificate is shown."' in page
    again = html.unescape(workbench.page_of(credit, "student_1"))
    assert "Certificate of" in again and "data-announce" not in again
    assert "Certificate of" not in html.unescape(workbench.page_of(credit, "student_2"))
    (award,) = CreditAward.objects.all()
    assert award.learner_id == "student_1"
    assert {e["usage_id"] for e in award.record["evidence"]} == {
        children["cme_case"],
        children["cme_referral"],
    }
    assert len(workbench.events("student_1", "cme.credit.awarded")) == 1


def test_the_mobile_app_reads_what_the_rule_asks_for_everyone_and_its_learners_own_credit(
    workbench, module
):
    """student_view_data is collected once for every learner (no learner, nothing written):
    the activity and its rule only. The learner's progress and certificate come from
    `view_data`, which awards a met rule as opening the page does."""
    _, children = module
    credit = children["cme_credit"]
    act(workbench, credit, "profile", **PROFILE)
    act(workbench, credit, "evaluate", satisfaction=4, change_in_practice="none")
    complete("student_1", children["cme_case"], 8)
    complete("student_1", children["cme_referral"], 9)

    structure = workbench.block(credit, "student_1").student_view_data()
    assert structure["handlers"] == {"view": "view_data", "act": "act"}
    assert len(structure["components"]) == 2 and structure["evaluation_required"]
    assert "certificate" not in structure and "王晓梅" not in json.dumps(structure)
    assert CreditAward.objects.count() == 0  # reading the structure awards nothing

    answer = workbench.handler(credit, "view_data", {}, student="student_1")
    assert answer.status_code == 200
    view = json.loads(answer.content)
    assert view["certificate"]["name"] == "王晓梅"
    assert view["announce"] == "The credit is awarded. Your certificate is shown."
    assert all(component["done"] for component in view["components"])
    again = json.loads(workbench.handler(credit, "view_data", {}, student="student_1").content)
    assert again["announce"] == "" and CreditAward.objects.count() == 1


def test_an_author_previewing_the_block_in_studio_is_not_awarded_the_credit(
    workbench, module, monkeypatch
):
    """Studio's preview (it offers `studio_user_permissions`) shows the block to an author,
    who is not a learner of the course: the view awards nothing, even with the rule met."""
    _, children = module
    credit = children["cme_credit"]
    complete("student_1", children["cme_case"], 8)
    complete("student_1", children["cme_referral"], 9)
    with monkeypatch.context() as patch:
        patch.setattr(CreditBlock, "_award_when_met", lambda self, state: False)
        act(workbench, credit, "profile", **PROFILE)
        act(workbench, credit, "evaluate", satisfaction=4, change_in_practice="none")

    class StudioPermissions:
        def can_write(self, course_key) -> bool:
            return True

    block = workbench.block(credit, "student_1")
    service = block.runtime.service

    def studio_services(of, name):
        return StudioPermissions() if name == "studio_user_permissions" else service(of, name)

    monkeypatch.setattr(block.runtime, "service", studio_services)
    preview = block.runtime.render(block, "student_view").content
    assert "Certificate of" not in html.unescape(preview)
    assert CreditAward.objects.count() == 0
    # The same learner in the course (the LMS offers no such service) gets it on opening it.
    assert "Certificate of" in html.unescape(workbench.page_of(credit, "student_1"))
    assert CreditAward.objects.count() == 1


def test_a_request_reads_the_rules_evidence_once_and_answers_from_it(workbench, module):
    """The rule's state (the outcomes, the platform's scores, the ledger) is computed once per
    request: the award and the view it answers with both come from it."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _, children = module
    credit = children["cme_credit"]
    act(workbench, credit, "profile", **PROFILE)
    act(workbench, credit, "evaluate", satisfaction=5, change_in_practice="none")
    complete("student_1", children["cme_case"], 8)
    complete("student_1", children["cme_referral"], 9)

    def reads_of_outcomes(action: str) -> int:
        with CaptureQueriesContext(connection) as queries:
            status, body = act(workbench, credit, action)
        assert status == 200, body
        return sum(
            'FROM "cme_records_learneroutcome"' in q["sql"] and q["sql"].startswith("SELECT")
            for q in queries.captured_queries
        )

    assert reads_of_outcomes("claim") == 1  # the claim that awards the credit
    assert CreditAward.objects.count() == 1
    assert reads_of_outcomes("claim") == 1  # a replay


def test_the_profile_is_kept_for_every_credit_block_of_the_learner(workbench, module, scenarios):
    _, children = module
    act(workbench, children["cme_credit"], "profile", **PROFILE)
    alone = next(s.usage_id for k, s in scenarios.items() if "CME credit alone" in s.description)
    assert json.loads(workbench.block(alone).profile_json)["name"] == "王晓梅"
    assert workbench.block(alone, "student_2").profile_json == ""


def test_staff_download_the_records_as_csv_and_learners_cannot(workbench, module):
    _, children = module
    credit = children["cme_credit"]
    complete("student_1", children["cme_case"], 8)
    complete("student_1", children["cme_referral"], 9)
    act(workbench, credit, "profile", **(PROFILE | {"name": "=HYPERLINK(1)"}))
    act(workbench, credit, "evaluate", satisfaction=4, change_in_practice="none")
    assert act(workbench, credit, "claim")[0] == 200

    refused = workbench.client.get(f"/handler/{credit}/export_csv/?student=student_1")
    assert refused.status_code == 403
    response = workbench.client.get(f"/handler/{credit}/export_csv/?student=staff")
    assert response.status_code == 200
    text = (
        b"".join(response.streaming_content).decode("utf-8")
        if response.streaming
        else (response.content.decode("utf-8"))
    )
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:])))
    assert rows[1][0] == "'=HYPERLINK(1)" and rows[1][5] == "2026-05-01-003"


def test_outcomes_of_other_learners_never_count(workbench, module):
    _, children = module
    complete("student_2", children["cme_case"], 10)
    complete("student_2", children["cme_referral"], 10)
    act(workbench, children["cme_credit"], "profile", **PROFILE)
    act(workbench, children["cme_credit"], "evaluate", satisfaction=4, change_in_practice="none")
    status, _ = act(workbench, children["cme_credit"], "claim")
    assert status == 400 and LearnerOutcome.objects.count() == 2


def test_the_management_command_exports_the_ledger_and_says_so_when_it_is_empty(
    workbench, module, tmp_path
):
    from django.core.management import call_command

    empty = tmp_path / "empty.csv"
    errors = io.StringIO()
    call_command("export_cme_credits", output=str(empty), stderr=errors)
    assert "no awarded credits" in errors.getvalue()
    assert len(list(csv.reader(io.StringIO(empty.read_text("utf-8")[1:])))) == 1

    _, children = module
    complete("student_1", children["cme_case"], 8)
    complete("student_1", children["cme_referral"], 9)
    act(workbench, children["cme_credit"], "profile", **PROFILE)
    act(workbench, children["cme_credit"], "evaluate", satisfaction=5, change_in_practice="none")
    act(workbench, children["cme_credit"], "claim")
    out = tmp_path / "credits.csv"
    call_command("export_cme_credits", output=str(out), activity="2026-05-01-003", stderr=errors)
    rows = list(csv.reader(io.StringIO(out.read_text("utf-8")[1:])))
    assert rows[1][0] == "王晓梅" and len(rows) == 2
    xml = tmp_path / "credits.xml"
    call_command("export_cme_credits", format="xml", output=str(xml), stderr=errors)
    data = xml.read_bytes()
    assert validate_xml(data) == [] and "王晓梅".encode() in data


def test_an_export_with_no_records_is_a_valid_empty_file_that_says_how_many_it_holds(
    workbench, module
):
    """The staff panel tells "no credit record" from a file of them by X-CME-Records."""
    _, children = module
    credit = children["cme_credit"]

    def exported(handler: str):
        response = workbench.client.get(f"/handler/{credit}/{handler}/?student=staff")
        assert response.status_code == 200
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert "attachment" in response["Content-Disposition"]
        return response["X-CME-Records"], body

    count, body = exported("export_csv")
    assert count == "0" and len(list(csv.reader(io.StringIO(body.decode()[1:])))) == 1
    count, body = exported("export_xml")
    assert count == "0" and validate_xml(body) == [] and b"<credit>" not in body
    earn(workbench, children)
    assert exported("export_csv")[0] == exported("export_xml")[0] == "1"
    workbench.handler(credit, "revoke", {"learner": "student_1", "reason": "Duplicate"}, "staff")
    count, body = exported("export_csv")
    assert count == "0" and len(list(csv.reader(io.StringIO(body.decode()[1:])))) == 1


def test_staff_download_the_records_as_xml_valid_against_the_xsd(workbench, module):
    _, children = module
    credit = children["cme_credit"]
    assert workbench.client.get(f"/handler/{credit}/export_xml/?student=student_1").status_code == (
        403
    )
    response = workbench.client.get(f"/handler/{credit}/export_xml/?student=staff")
    assert response.status_code == 200 and validate_xml(response.content) == []


def test_staff_revoke_a_credit_with_a_reason_the_row_stays_and_the_csv_drops_it(workbench, module):
    _, children = module
    credit = children["cme_credit"]
    complete("student_1", children["cme_case"], 8)
    complete("student_1", children["cme_referral"], 9)
    act(workbench, credit, "profile", **PROFILE)
    act(workbench, credit, "evaluate", satisfaction=5, change_in_practice="none")
    act(workbench, credit, "claim")

    def revoke(student, **body):
        response = workbench.handler(credit, "revoke", {"action": "revoke", **body}, student)
        return response.status_code, json.loads(response.content)

    assert revoke("student_1", learner="student_1", reason="x")[0] == 403
    status, body = revoke("staff", learner="student_9", reason="Duplicate registration")
    assert status == 400 and "student_9 has no credit" in body["error"]
    status, body = revoke("staff", learner="student_1", reason="Duplicate registration")
    assert status == 200
    award = CreditAward.objects.get()
    assert (award.status, award.revoked_reason, award.revoked_by) == (
        "revoked",
        "Duplicate registration",
        "staff",
    )
    status, body = revoke("staff", learner="student_1", reason="again")
    assert status == 400 and "already revoked" in body["error"]
    response = workbench.client.get(f"/handler/{credit}/export_csv/?student=staff")
    text = response.content.decode("utf-8")
    assert len(list(csv.reader(io.StringIO(text[1:])))) == 1  # header only


def test_a_learner_downloads_their_award_as_an_open_badge_and_nobody_elses(workbench, module):
    _, children = module
    credit = children["cme_credit"]
    assert workbench.client.get(f"/handler/{credit}/badge/?student=student_1").status_code == 404
    complete("student_1", children["cme_case"], 8)
    complete("student_1", children["cme_referral"], 9)
    act(workbench, credit, "profile", **PROFILE)
    act(workbench, credit, "evaluate", satisfaction=5, change_in_practice="none")
    status, body = act(workbench, credit, "claim")
    assert status == 200 and "Open Badge" in body["html"]
    badge = json.loads(workbench.client.get(f"/handler/{credit}/badge/?student=student_1").content)
    assert "OpenBadgeCredential" in badge["type"]
    subject = badge["credentialSubject"]
    assert subject["creditsEarned"] == 0.25 and subject["licenseNumber"] == "110440100001234"
    assert subject["achievement"]["creditsAvailable"] == 0.25
    # OB 3.0 types the activity dates as date-times: the first day from midnight, in the CME
    # office's zone (the workbench's TIME_ZONE, Asia/Shanghai).
    assert subject["activityStartDate"] == "2026-09-01T00:00:00+08:00"
    # Pseudonymous: the platform's anonymous id, never the LMS user id.
    from xblocks.workbench.services import anonymous_id

    (identity,) = subject["identifier"]
    assert identity["identityHash"] == anonymous_id("student_1") != "student_1"
    assert "student_1" not in json.dumps(badge)
    achievement = subject["achievement"]
    assert achievement["description"].startswith("Provincial CME project 2026-05-01-003")
    assert achievement["inLanguage"] == "en"
    other = workbench.client.get(f"/handler/{credit}/badge/?student=student_2")
    assert other.status_code == 404


def test_the_open_badge_speaks_the_learners_language(workbench, module):
    _, children = module
    credit = children["cme_credit"]
    earn(workbench, children)
    response = workbench.client.get(f"/handler/{credit}/badge/?student=student_1&lang=zh-cn")
    badge = json.loads(response.content)
    achievement = badge["credentialSubject"]["achievement"]
    assert badge["name"] == achievement["name"] == "高血压社区管理与分级转诊"
    assert achievement["inLanguage"] == "zh-CN"
    # The level in Chinese (the sentence around it once the lead merges its translation).
    assert achievement["description"].startswith("省级")


def test_the_cme_office_reads_credits_by_title_level_discipline_and_month(workbench, module):
    _, children = module
    credit = children["cme_credit"]
    for student, title in (("student_1", "intermediate"), ("student_2", "senior")):
        complete(student, children["cme_case"], 8)
        complete(student, children["cme_referral"], 9)
        act(workbench, credit, "profile", student=student, **(PROFILE | {"title": title}))
        act(
            workbench,
            credit,
            "evaluate",
            student=student,
            satisfaction=4,
            change_in_practice="none",
        )
        act(workbench, credit, "claim", student=student)
    # Another course's award (its own activity and learner): not this course staff's to see.
    other = CreditAward.objects.get(learner_id="student_1")
    other.pk, other.learner_id, other.course_id = None, "student_9", "course-v1:Other+CME+2026"
    other.project_number = other.record["project_number"] = "2026-05-01-999"
    other.record["learner_id"] = "student_9"
    other.save()
    assert workbench.handler(credit, "report", {"action": "report"}).status_code == 403
    response = workbench.handler(credit, "report", {"action": "report"}, student="staff")
    panel = html.unescape(json.loads(response.content)["html"])
    assert "2 awards, 0.5 credits, 2 learners." in panel
    assert panel.count("<svg") == 4 and "senior" in panel and "intermediate" in panel
    text = workbench.client.get(f"/handler/{credit}/report_csv/?student=staff").content.decode()
    rows = list(csv.reader(io.StringIO(text[1:])))
    by_title = {row[1]: row for row in rows if row[0] == "Professional title"}
    assert by_title["senior"][4] == "0.25" and by_title["intermediate"][2] == "1"


# ---- Studio and OLX -------------------------------------------------------------------------


def studio(workbench, usage_id, source, mode="save", student="staff", name="Module 3 credit"):
    payload = {"mode": mode, "display_name": name, "settings_source": source}
    response = workbench.handler(usage_id, "studio_submit", payload, student)
    return response.status_code, json.loads(response.content)


def edited_settings(rule=None, **activity) -> str:
    settings = CreditSettings(
        activity=load_demo_activity().model_copy(update=activity), rule=rule or load_demo_rule()
    )
    return settings_to_xml(settings)


def unit_settings(rule=None, **activity) -> str:
    """Settings whose rule counts the unit's exercises (no components of its own)."""
    return edited_settings(rule or CreditRule(), **activity)


def test_studio_is_for_authors_and_shows_the_settings_as_a_form_and_as_xml(workbench, module):
    _, children = module
    credit = children["cme_credit"]
    learner_view = workbench.page_of(credit, "student_1", "studio_view")
    assert "cme-activity" not in learner_view and "editor-config" not in learner_view
    status, _body = studio(workbench, credit, edited_settings(), student="student_1")
    assert status == 403
    export = f"/handler/{credit}/export_settings/"
    assert workbench.client.get(export, {"student": "student_1"}).status_code == 403
    exported = workbench.client.get(export, {"student": "staff"})
    assert CreditSettings.model_validate_json(exported.content).activity == load_demo_activity()

    view = html.unescape(workbench.page_of(credit, "staff", "studio_view"))
    assert (
        "Credit policy national-2006: Class I only from national, provincial projects; hours "
        "per credit: national 3, provincial 6; at most 25 credits per project."
    ) in view
    assert '<cme-activity project-number="2026-05-01-003"' in view
    assert 'data-role="editor-config"' in view and '"hours_per_credit"' in view


def test_validate_saves_nothing_and_answers_the_settings_for_the_form_and_the_xml(
    workbench, module
):
    _, children = module
    credit = children["cme_credit"]
    source = edited_settings(credits=Decimal("2"), hours=None, conversion=None)
    status, body = studio(workbench, credit, source, mode="validate")
    assert status == 200 and body["message"].startswith("2 Class I credit(s)")
    assert body["data"]["activity"]["credits"] == "2"
    assert "<credits>2</credits>" in body["source"]
    assert workbench.block(credit, "staff").activity_json == ""


def test_a_saved_activity_changes_what_learners_earn_and_json_is_accepted_too(workbench, module):
    _, children = module
    credit = children["cme_credit"]
    settings = CreditSettings(
        activity=load_demo_activity().model_copy(
            update={"credits": Decimal("2"), "hours": None, "conversion": None}
        ),
        rule=load_demo_rule(),
    )
    status, body = studio(workbench, credit, settings.model_dump_json())
    assert status == 200 and body["message"] == "Saved: 2 Class I credit(s) for " + (
        settings.activity.name + "."
    )
    block = workbench.block(credit, "staff")
    assert block.activity.awarded_credits == Decimal("2")
    assert block.display_name == "Module 3 credit"


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (('level="provincial"', 'level="galactic"'), "Line 2, activity.level"),
        (("<discipline>", "<discipline><b/>"), "<b> is not expected inside <discipline>"),
        (('per-credit="6"', 'per-credit="100"'), "give no credit"),
        (("</cme-credit>", "<cme-activity/></cme-credit>"), "may appear only once"),
    ],
)
def test_a_broken_setting_is_refused_naming_where_and_nothing_changes(
    workbench, module, change, words
):
    _, children = module
    credit = children["cme_credit"]
    source = edited_settings().replace(*change)
    status, body = studio(workbench, credit, source)
    assert status == 400, body
    messages = " ".join(f"{p['field']} {p['message']}" for p in body["problems"])
    assert words in messages
    assert workbench.block(credit, "staff").activity_json == ""


def test_olx_holds_the_activity_and_rule_as_readable_xml_and_imports_to_the_same(workbench, module):
    _, children = module
    credit = children["cme_credit"]
    status, _body = studio(workbench, credit, edited_settings(name="Hypertension, edited"))
    assert status == 200
    block = workbench.block(credit, "staff")
    node = etree.Element("root")
    block.add_xml_to_node(node)
    etree.indent(node)
    text = etree.tostring(node, encoding="unicode")
    assert node.tag == "cme_credit" and node.get("display_name") == "Module 3 credit"
    assert "<cme-activity" in text and "<cme-credit-rule" in text and "{" not in text
    again = CreditBlock.parse_xml(etree.fromstring(text), block.runtime, block.scope_ids)
    assert again.settings == block.settings
    assert again.activity.name == "Hypertension, edited"

    broken = text.replace('class="I"', 'class="III"')
    with pytest.raises(CreditError) as caught:
        CreditBlock.parse_xml(etree.fromstring(broken), block.runtime, block.scope_ids)
    assert "activity.credit_class" in str(caught.value) and "Line 2" in str(caught.value)


def test_a_course_import_cannot_change_the_project_number_under_which_credits_are_recorded(
    workbench, module, caplog
):
    """As in Studio's editor: the block's credits stay where they are; the import of the
    block stops naming the line and the field, in the author's language, and is logged."""
    from xblocks.messages import translate_domain_error

    _, children = module
    credit = children["cme_credit"]
    earn(workbench, children)
    block = workbench.block(credit, "staff")

    def olx(**activity) -> str:
        children = etree.fromstring(unit_settings(**activity))
        return (
            '<cme_credit display_name="Module 3 credit">\n'
            + "".join(etree.tostring(child, encoding="unicode") for child in children)
            + "</cme_credit>"
        )

    with pytest.raises(CreditError) as caught:
        CreditBlock.parse_xml(
            etree.fromstring(olx(project_number="2026-05-01-004")), block.runtime, block.scope_ids
        )
    message = translate_domain_error(block.gettext, caught.value)
    assert message.startswith("Line 2, activity.project_number: 1 credit(s) are recorded under ")
    assert "project number 2026-05-01-003" in message and "add a new credit block" in message
    assert "2026-05-01-004" in caplog.text and credit in caplog.text
    assert CreditAward.objects.get().project_number == "2026-05-01-003"

    # The same number, anything else changed: imported.
    again = CreditBlock.parse_xml(
        etree.fromstring(olx(name="Hypertension, renamed")), block.runtime, block.scope_ids
    )
    assert again.activity.name == "Hypertension, renamed"
    # Another block (another course run) holds no credits: any number.
    other = block.scope_ids._replace(usage_id="another-run.cme_credit.d0.u0")
    moved = CreditBlock.parse_xml(
        etree.fromstring(olx(project_number="2026-05-01-004")), block.runtime, other
    )
    assert moved.activity.project_number == "2026-05-01-004"
    assert CreditAward.objects.count() == 1


def test_studio_reads_the_credits_of_a_block_under_the_usage_id_the_lms_recorded():
    """Studio's keys carry a branch (and a version); the LMS records awards without them."""
    from opaque_keys.edx.locator import BlockUsageLocator, CourseLocator

    from xblocks.credit_block import ledger_usage_id

    lms = "block-v1:Consortium+HTN101+2026+type@cme_credit+block@module3"
    for course in (
        CourseLocator("Consortium", "HTN101", "2026", branch="draft-branch"),
        CourseLocator(
            "Consortium", "HTN101", "2026", branch="published-branch", version_guid="a" * 24
        ),
    ):
        studio_key = BlockUsageLocator(course, "cme_credit", "module3")
        assert str(studio_key) != lms and ledger_usage_id(studio_key) == lms
    assert ledger_usage_id("consortium-module.cme_credit.d0.u0") == (
        "consortium-module.cme_credit.d0.u0"
    )


def test_older_olx_with_json_children_still_imports(workbench, module):
    _, children = module
    block = workbench.block(children["cme_credit"], "staff")
    activity = load_demo_activity().model_copy(update={"name": "From an older export"})
    olx = (
        f'<cme_credit display_name="Old"><activity>{activity.model_dump_json()}</activity>'
        f"<rule>{load_demo_rule().model_dump_json()}</rule></cme_credit>"
    )
    again = CreditBlock.parse_xml(etree.fromstring(olx), block.runtime, block.scope_ids)
    assert again.activity.name == "From an older export"
    assert again.settings.rule == load_demo_rule()


def test_a_rule_may_count_any_graded_block_by_the_score_the_platform_recorded(workbench, module):
    _, children = module
    credit = children["cme_credit"]
    quiz = children["html_demo"]  # stands for any graded block of the course
    rule = load_demo_rule().model_copy(
        update={
            "components": [
                ComponentRequirement(usage_id=quiz, label="Guideline quiz", min_fraction=0.6)
            ]
        }
    )
    source = settings_to_xml(CreditSettings(activity=load_demo_activity(), rule=rule))
    assert studio(workbench, credit, source)[0] == 200
    act(workbench, credit, "profile", **PROFILE)
    act(workbench, credit, "evaluate", satisfaction=4, change_in_practice="planned")

    status, body = act(workbench, credit, "claim")
    assert status == 400 and "Guideline quiz is not completed yet" in body["error"]

    block = workbench.block(quiz, "student_1")  # the block publishes its grade, as problems do
    block.runtime.publish(block, "grade", {"value": 2, "max_value": 5})
    status, body = act(workbench, credit, "claim")
    assert status == 400 and "your best score is 40%, 60% is needed" in body["error"]

    block.runtime.publish(block, "grade", {"value": 4, "max_value": 5})
    status, body = act(workbench, credit, "claim")
    assert status == 200, body
    (award,) = CreditAward.objects.filter(learner_id="student_1")
    assert award.record["evidence"][0]["usage_id"] == quiz
    assert award.record["evidence"][0]["score"] == 4.0


def earn(workbench, children, student="student_1", **profile) -> None:
    """`student` completes both exercises, fills the profile, evaluates and claims."""
    credit = children["cme_credit"]
    complete(student, children["cme_case"], 8)
    complete(student, children["cme_referral"], 9)
    act(workbench, credit, "profile", student=student, **(PROFILE | profile))
    act(workbench, credit, "evaluate", student=student, satisfaction=5, change_in_practice="none")
    status, body = act(workbench, credit, "claim", student=student)
    assert status == 200, body


def test_once_credits_are_recorded_the_project_number_cannot_change_in_studio(workbench, module):
    """An author corrects the project number after awards: refused, saying why and what to do,
    so no learner loses a certificate or claims a second credit under the new number."""
    _, children = module
    credit = children["cme_credit"]
    # Before any award, the number may still be corrected.
    status, body = studio(workbench, credit, unit_settings(project_number="2026-05-01-004"))
    assert status == 200, body
    status, body = studio(workbench, credit, unit_settings(project_number="2026-05-01-003"))
    assert status == 200, body
    earn(workbench, children)

    for mode in ("validate", "save"):
        status, body = studio(
            workbench, credit, unit_settings(project_number="2026-05-01-004"), mode=mode
        )
        assert status == 400, body
        (problem,) = body["problems"]
        assert problem["field"] == "activity.project_number"
        assert "1 credit(s) are recorded under project number 2026-05-01-003" in problem["message"]
        assert "add a new credit block" in problem["message"]
    block = workbench.block(credit, "student_1")
    assert block.activity.project_number == "2026-05-01-003"
    assert (
        "Certificate of continuing medical education credit"
        in block.runtime.render(block, "student_view").content
    )
    assert act(workbench, credit, "claim")[0] == 200 and CreditAward.objects.count() == 1

    # Anything else may still change (the record keeps what it was awarded with).
    status, body = studio(workbench, credit, unit_settings(name="Hypertension, renamed"))
    assert status == 200, body


def test_a_revoked_learner_is_told_when_and_whom_to_ask_and_cannot_claim_again(workbench, module):
    _, children = module
    credit = children["cme_credit"]
    earn(workbench, children)
    response = workbench.handler(
        credit, "revoke", {"learner": "student_1", "reason": "Attended for a colleague"}, "staff"
    )
    assert response.status_code == 200
    day = CreditAward.objects.get().revoked_at.astimezone(cme_time_zone()).date().isoformat()

    status, body = act(workbench, credit, "claim")
    assert status == 400
    assert body["error"] == (
        f"Your credit for this activity was revoked on {day} and cannot be claimed again. "
        "If you think this is a mistake, contact the CME office."
    )
    assert "Attended for a colleague" not in body["error"]
    page = html.unescape(workbench.page_of(credit, "student_1"))
    assert f"was revoked on {day}" in page
    assert 'data-action="claim"' not in page and "Certificate of" not in page
    assert CreditAward.objects.get().status == "revoked"
    assert len(workbench.events("student_1", "cme.credit.awarded")) == 1


def test_a_credit_with_nothing_to_assess_is_never_awarded_and_says_so(workbench, module, scenarios):
    """The credit alone, in no unit with exercises: the evaluation alone (a 0% "score") must
    not earn it; learners, staff and Studio are told why."""
    alone = next(s.usage_id for s in scenarios.values() if "CME credit alone" in s.description)
    act(workbench, alone, "profile", **PROFILE)
    assert act(workbench, alone, "evaluate", satisfaction=5, change_in_practice="none")[0] == 200
    status, body = act(workbench, alone, "claim")
    assert status == 400
    assert "the credit rule names no assessed component" in body["error"]
    assert CreditAward.objects.count() == 0

    learner_page = html.unescape(workbench.page_of(alone, "student_1"))
    assert "This activity names no component yet: ask the course team." in learner_page
    assert "This credit cannot be awarded" not in learner_page  # the staff's notice
    staff_page = html.unescape(workbench.page_of(alone, "staff"))
    assert "This credit cannot be awarded: its rule names no assessed component" in staff_page

    (message,) = workbench.block(alone, "staff").validate().messages
    assert message.type == "warning" and "Name the components in the rule" in message.text
    assert not workbench.block(module[1]["cme_credit"], "staff").validate().messages

    status, body = studio(workbench, alone, unit_settings(), mode="validate")
    assert status == 200 and "This credit cannot be awarded" in body["message"]
    status, body = studio(workbench, module[1]["cme_credit"], unit_settings(), mode="validate")
    assert status == 200 and "cannot be awarded" not in body["message"]


def steps(learner: str, usage_id: str, *moments: datetime) -> None:
    """The learner's accepted actions at a block, at these moments (as the database stamped
    them)."""
    for step, moment in enumerate(moments, start=1):
        receipt = ActionReceipt.objects.create(learner_id=learner, usage_id=usage_id, step=step)
        ActionReceipt.objects.filter(pk=receipt.pk).update(created_at=moment)


def test_a_minimum_study_time_counts_the_time_between_recorded_actions(workbench, module):
    """The rule asks 30 minutes: a learner who worked 35 minutes gets the credit; one who
    worked 7 minutes around a long pause is told how many minutes are recorded."""
    _, children = module
    credit, case, referral = children["cme_credit"], children["cme_case"], children["cme_referral"]
    assert studio(workbench, credit, unit_settings(CreditRule(min_minutes=30)))[0] == 200
    start = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)

    def at(minutes: int) -> datetime:
        return start + timedelta(minutes=minutes)

    # student_1: steady work, two tabs overlapping once (counted once).
    steps("student_1", case, at(0), at(10), at(20))
    steps("student_1", referral, at(15), at(25))
    complete("student_1", case, 8, at=at(20))
    complete("student_1", referral, 9, at=at(35))
    # student_2: 5 minutes, a 45-minute pause (not study), then 2 minutes.
    steps("student_2", case, at(0), at(5))
    steps("student_2", referral, at(50))
    complete("student_2", case, 8, at=at(5))
    complete("student_2", referral, 9, at=at(52))

    answers = {}
    for student in ("student_1", "student_2"):
        act(workbench, credit, "profile", student=student, **PROFILE)
        if student == "student_1":  # before the evaluation, the last thing missing
            page = html.unescape(workbench.page_of(credit, student))
            assert "Done: 30 minutes of study" in page and "Certificate of" not in page
        answers[student] = act(
            workbench,
            credit,
            "evaluate",
            student=student,
            satisfaction=4,
            change_in_practice="none",
        )
    page = html.unescape(workbench.page_of(credit, "student_2"))
    assert "7 of 30 minutes of study are recorded." in page
    assert "a pause longer than 30 minutes is not counted" in page
    status, body = act(workbench, credit, "claim", student="student_2")
    assert status == 400 and "7 of 30 minutes of study are recorded." in body["error"]

    # student_1's evaluation was the last thing missing: the answer is the certificate.
    status, body = answers["student_1"]
    assert status == 200 and "Certificate of continuing medical" in html.unescape(body["html"])
    assert act(workbench, credit, "claim", student="student_1")[0] == 200  # changes nothing
    (award,) = CreditAward.objects.all()
    assert award.learner_id == "student_1" and award.record["minutes_spent"] == 35


@pytest.mark.parametrize(
    ("name", "label"),
    [
        (" ", "Exercise 1 of this unit"),
        ("Case:\n a hypertensive\temergency ", "Case: a hypertensive emergency"),
        ("病例" * 150, "病例" * 99 + "病…"),
    ],
)
def test_an_exercise_with_a_blank_or_long_name_still_shows_the_unit_and_its_credit(
    workbench, module, name, label
):
    scenario_id, children = module
    case = workbench.block(children["cme_case"], "staff")
    case.display_name = name
    case.save()
    page = workbench.page(scenario_id)
    assert page.status_code == 200
    view = html.unescape(workbench.page_of(children["cme_credit"], "student_1"))
    assert f"{label}: " in view and len(label) <= 200
    status, body = act(workbench, children["cme_credit"], "claim")
    assert status == 400 and f"{label} is not completed yet" in body["error"]


def test_an_award_before_8_in_beijing_on_new_years_day_counts_in_the_new_year(
    workbench, module, tmp_path
):
    """00:30 on 1 January 2027 in Beijing is still 2026 in UTC: the certificate, both files,
    the report and the badge count it in 2027 in the CME office's zone (CME_TIME_ZONE, by
    default the platform's TIME_ZONE), and in 2026 only where the office counts in UTC."""
    from django.core.management import call_command
    from django.test import override_settings

    _, children = module
    credit = children["cme_credit"]
    earn(workbench, children)
    row = CreditAward.objects.get()
    row.awarded_at = datetime(2026, 12, 31, 16, 30, tzinfo=UTC)
    row.record = row.record | {"awarded_at": "2026-12-31T16:30:00Z"}
    row.save()

    def seen() -> dict[str, str]:
        certificate = html.unescape(workbench.page_of(credit, "student_1"))
        text = workbench.client.get(f"/handler/{credit}/export_csv/?student=staff")
        csv_day = list(csv.reader(io.StringIO(b"".join(text).decode()[1:])))[1][10]
        xml = b"".join(workbench.client.get(f"/handler/{credit}/export_xml/?student=staff"))
        xml_day = etree.fromstring(xml).findtext(".//{*}awarded")
        report = workbench.client.get(f"/handler/{credit}/report_csv/?student=staff")
        rows = list(csv.reader(io.StringIO(report.content.decode()[1:])))
        (month,) = [r[1] for r in rows if r[0] == "Month"]
        out = tmp_path / "credits.csv"
        call_command(
            "export_cme_credits", output=str(out), since="2027-01-01", stderr=io.StringIO()
        )
        command_rows = list(csv.reader(io.StringIO(out.read_text("utf-8")[1:])))
        return {
            "certificate": re.search(r"<dt>Date</dt><dd>([^<]*)</dd>", certificate).group(1),
            "csv": csv_day,
            "xml": xml_day,
            "report": month,
            "command": command_rows[1][10] if len(command_rows) > 1 else "none since 2027",
        }

    assert seen() == {
        "certificate": "2027-01-01",
        "csv": "2027-01-01",
        "xml": "2027-01-01",
        "report": "2027-01",
        "command": "2027-01-01",
    }
    with override_settings(CME_TIME_ZONE="UTC"):
        assert seen() == {
            "certificate": "2026-12-31",
            "csv": "2026-12-31",
            "xml": "2026-12-31",
            "report": "2026-12",
            "command": "none since 2027",
        }


@pytest.fixture
def stricter_schema(monkeypatch):
    """The shipped XSD as a province might tighten it (licence numbers of 6 to 8 digits), so
    that the demo learner's 15-digit licence number makes the export invalid."""
    from importlib import resources

    from credit_export import xml_export

    source = resources.files("credit_export").joinpath("schemas", "cme_credits.xsd").read_text()
    stricter = source.replace("[A-Z0-9]{6,30}", "[0-9]{6,8}")
    assert stricter != source
    monkeypatch.setattr(
        xml_export, "schema", lambda: etree.XMLSchema(etree.fromstring(stricter.encode()))
    )


def test_an_xml_export_that_does_not_validate_is_an_error_never_a_file(
    workbench, module, tmp_path, stricter_schema
):
    from django.core.management import CommandError, call_command

    _, children = module
    earn(workbench, children)
    response = workbench.client.get(f"/handler/{children['cme_credit']}/export_xml/?student=staff")
    assert response.status_code == 422
    error = json.loads(response.content)["error"]
    assert "does not validate against the shipped schema" in error and "line 3" in error
    assert "Content-Disposition" not in response

    out = tmp_path / "credits.xml"
    with pytest.raises(CommandError, match="does not validate against the shipped schema"):
        call_command("export_cme_credits", format="xml", output=str(out), stderr=io.StringIO())
    assert list(tmp_path.iterdir()) == []  # neither the file nor its temporary copy


def test_the_xml_download_and_command_hand_over_the_validated_file(workbench, module, tmp_path):
    from django.core.management import call_command

    _, children = module
    earn(workbench, children)
    response = workbench.client.get(f"/handler/{children['cme_credit']}/export_xml/?student=staff")
    assert response.status_code == 200
    data = b"".join(response)
    assert validate_xml(data) == [] and "王晓梅".encode() in data
    assert int(response["Content-Length"]) == len(data)
    out = tmp_path / "credits.xml"
    call_command("export_cme_credits", format="xml", output=str(out), stderr=io.StringIO())
    assert validate_xml(out) == [] and [p.name for p in tmp_path.iterdir()] == ["credits.xml"]


@pytest.mark.parametrize(
    ("lang", "title", "level", "name_header", "activity"),
    [
        ("zh-cn", "中级", "省级", "姓名", "高血压社区管理与分级转诊"),
        ("en", "intermediate", "provincial", "Name", "Community management of hypertension"),
    ],
)
def test_the_csv_is_in_one_language_and_the_download_and_command_give_the_same_file(
    workbench, module, tmp_path, lang, title, level, name_header, activity
):
    from django.core.management import call_command

    _, children = module
    earn(workbench, children)
    credit = children["cme_credit"]
    response = workbench.client.get(f"/handler/{credit}/export_csv/?student=staff&lang={lang}")
    downloaded = b"".join(response).decode("utf-8")
    rows = list(csv.reader(io.StringIO(downloaded[1:])))
    assert rows[0][0] == name_header
    assert (rows[1][2], rows[1][7]) == (title, level)
    assert rows[1][6].startswith(activity)

    out = tmp_path / "credits.csv"
    call_command("export_cme_credits", output=str(out), language=lang, stderr=io.StringIO())
    assert out.read_bytes().decode("utf-8") == downloaded


def test_a_chinese_reader_sees_the_activitys_chinese_name_on_the_block_certificate_and_xml(
    workbench, module, tmp_path
):
    from django.core.management import call_command

    scenario_id, children = module
    credit = children["cme_credit"]
    earn(workbench, children)
    page = workbench.client.get(
        f"/scenario/{scenario_id}/student_view/", {"student": "student_1", "lang": "zh-cn"}
    )
    text = html.unescape(page.content.decode())
    assert "高血压社区管理与分级转诊</h2>" in text
    # Chinese as a CME office writes it: I 类学分, lists with 、, never 类别 I.
    assert "省级 · I 类学分 · 学分：" in text and "I 类学分 0.25 分</dd>" in text
    assert "青山镇卫生院、全科</dd>" in text and "类别" not in text
    assert "高血压社区管理与分级转诊（2026-05-01-003）" in text
    xml = b"".join(workbench.client.get(f"/handler/{credit}/export_xml/?student=staff&lang=zh-cn"))
    assert "<name>高血压社区管理与分级转诊</name>" in xml.decode()
    out = tmp_path / "credits.xml"
    call_command("export_cme_credits", format="xml", output=str(out), language="zh-cn")
    assert "<name>高血压社区管理与分级转诊</name>" in out.read_text(encoding="utf-8")


def test_staff_revoke_by_the_licence_number_the_csv_shows_and_the_event_keeps_no_reason(
    workbench, module
):
    _, children = module
    credit = children["cme_credit"]
    earn(workbench, children)
    earn(workbench, children, "student_2", name="李强", licence_number="110440100005678")
    text = b"".join(workbench.client.get(f"/handler/{credit}/export_csv/?student=staff"))
    licence = list(csv.reader(io.StringIO(text.decode()[1:])))[2][1]
    assert licence == "110440100005678"

    def revoke(learner, reason="Attended for a colleague, Dr Zhang"):
        body = {"learner": learner, "reason": reason}
        response = workbench.handler(credit, "revoke", body, student="staff")
        return response.status_code, json.loads(response.content)

    status, body = revoke("１１０４４０１０００ ０５６７８")  # typed full-width, with a space
    assert status == 200, body
    assert body["message"] == "The credit of 李强 (110440100005678) is revoked; the reason is kept."
    row = CreditAward.objects.get(learner_id="student_2")
    assert (row.status, row.revoked_reason, row.revoked_by) == (
        "revoked",
        "Attended for a colleague, Dr Zhang",
        "staff",
    )
    assert CreditAward.objects.get(learner_id="student_1").status == "awarded"
    (event,) = workbench.events(event_type="cme.credit.revoked")
    # Whose credit, by the pseudonymous id the award named (the envelope is the staff's).
    pseudonym = row.anonymous_id
    assert pseudonym and "student_2" not in pseudonym
    assert event["data"] == {"project_number": "2026-05-01-003", "anonymous_user_id": pseudonym}
    (awarded,) = workbench.events("student_2", "cme.credit.awarded")
    assert awarded["data"]["anonymous_user_id"] == pseudonym
    assert revoke(licence)[1]["error"].startswith("This credit was already revoked")
    assert revoke("110440100009999") == (
        400,
        {"error": "110440100009999 has no credit for this activity.", "code": "no_award"},
    )


def test_a_licence_number_on_two_accounts_asks_for_the_user_id(workbench, module):
    _, children = module
    credit = children["cme_credit"]
    earn(workbench, children)
    earn(workbench, children, "student_2")  # the same licence number on another account
    body = {"learner": PROFILE["licence_number"], "reason": "Duplicate registration"}
    response = workbench.handler(credit, "revoke", body, student="staff")
    assert response.status_code == 400
    error = json.loads(response.content)["error"]
    assert "2 credits of this activity carry the licence number 110440100001234" in error
    assert "student_1, student_2" in error
    assert CreditAward.objects.filter(status="revoked").count() == 0
    body["learner"] = "student_2"
    assert workbench.handler(credit, "revoke", body, student="staff").status_code == 200
    assert CreditAward.objects.get(status="revoked").learner_id == "student_2"


def test_staff_read_the_evaluations_as_counts_and_a_csv_with_the_comments(workbench, module):
    _, children = module
    credit = children["cme_credit"]
    answers = {
        "student_1": (5, "planned", "=Useful for my clinic"),
        "student_2": (4, "none", ""),
        "student_3": (5, "already", ""),
    }
    for student, (satisfaction, change, comment) in answers.items():
        status, _body = act(
            workbench,
            credit,
            "evaluate",
            student=student,
            satisfaction=satisfaction,
            change_in_practice=change,
            comment=comment,
        )
        assert status == 200
    # Answering again replaces the learner's answer, never counts twice.
    act(workbench, credit, "evaluate", satisfaction=4, change_in_practice="planned", comment="")

    response = workbench.handler(credit, "report", {"action": "report"}, student="staff")
    panel = html.unescape(json.loads(response.content)["html"])
    assert "3 evaluation(s); mean satisfaction 4.3 of 5; 0 comment(s)." in panel
    assert (
        '<th scope="row">5</th><td>1</td>' in panel and '<th scope="row">4</th><td>2</td>' in panel
    )
    assert '<th scope="row">I plan a specific change</th><td>1</td>' in panel

    assert workbench.client.get(
        f"/handler/{credit}/evaluation_csv/?student=student_1"
    ).status_code == (403)
    text = workbench.client.get(f"/handler/{credit}/evaluation_csv/?student=staff").content.decode()
    rows = list(csv.reader(io.StringIO(text[1:])))
    assert rows[0] == ["Question", "Answer", "Learners"]
    satisfaction = {r[1]: r[2] for r in rows if r[0].startswith("Satisfaction")}
    assert satisfaction == {"1": "0", "2": "0", "3": "0", "4": "2", "5": "1"}
    change = {r[1]: r[2] for r in rows if r[0] == "Change in practice"}
    assert (
        change["I have already changed my practice"] == "1"
        and change["No change to my practice"] == "1"
    )
    assert not [r for r in rows if r[0] == "Comment"]  # the one comment was replaced
    assert "student_" not in text


def test_an_evaluation_comment_reaches_the_csv_guarded_and_without_its_author(workbench, module):
    _, children = module
    credit = children["cme_credit"]
    act(
        workbench,
        credit,
        "evaluate",
        satisfaction=3,
        change_in_practice="considering",
        comment="=Too fast",
    )
    text = workbench.client.get(f"/handler/{credit}/evaluation_csv/?student=staff").content.decode()
    rows = list(csv.reader(io.StringIO(text[1:])))
    assert ["Comment", "'=Too fast", ""] in rows and "student_1" not in text


# ---- the province's policy, study time that can be measured, the annual summary ------------


def problems_text(body) -> str:
    return " ".join(f"{p['field']} {p['message']}" for p in body["problems"])


def test_a_hospital_level_class_i_activity_is_refused_in_studio_naming_the_class(workbench, module):
    _, children = module
    credit = children["cme_credit"]
    status, body = studio(workbench, credit, edited_settings(level="hospital"))
    assert status == 400, body
    (problem,) = body["problems"]
    assert problem["field"] == "activity.credit_class"
    assert problem["message"] == (
        "CME activity, as registered with the CME office › Class: a hospital activity gives "
        "Class II credit: under the credit policy national-2006, Class I comes only from "
        "national, provincial projects. Set the class to II, or the level at which the "
        "project is registered."
    )
    assert workbench.block(credit, "staff").activity_json == ""
    status, body = studio(workbench, credit, edited_settings(level="hospital", credit_class="II"))
    assert status == 200, body


def test_the_refusal_reads_chinese_to_a_chinese_administrator(workbench, module):
    _, children = module
    payload = {
        "mode": "validate",
        "display_name": "学分",
        "settings_source": edited_settings(level="hospital"),
    }
    response = workbench.client.post(
        f"/handler/{children['cme_credit']}/studio_submit/?student=staff&lang=zh-cn",
        data=json.dumps(payload),
        content_type="application/json",
    )
    (problem,) = json.loads(response.content)["problems"]
    assert "院级活动只能授予 II 类学分" in problem["message"]
    assert "国家级、省级项目" in problem["message"] and "hospital" not in problem["message"]


@pytest.mark.parametrize(
    ("activity", "field", "words"),
    [
        (
            {"credits": Decimal("26"), "hours": None, "conversion": None},
            "activity.credits",
            "a project gives at most 25 credits",
        ),
        (
            {"level": "national"},  # the demo's 6 hours per credit is the provincial rate
            "activity.conversion.hours_per_credit",
            "national projects give 1 credit per 3 hours",
        ),
    ],
)
def test_studio_refuses_what_the_province_does_not_grant(workbench, module, activity, field, words):
    _, children = module
    status, body = studio(workbench, children["cme_credit"], edited_settings(**activity))
    assert status == 400 and [p["field"] for p in body["problems"]] == [field]
    assert words in problems_text(body)


def test_a_minimum_study_time_over_a_block_that_records_none_is_refused_at_save(workbench, module):
    """The quiz stands for a problem: its score says when it was graded, never how long it
    was studied, so its minimum time could never be met (the self-study demo's fault)."""
    _, children = module
    credit = children["cme_credit"]
    quiz = ComponentRequirement(usage_id=children["html_demo"], label="Guideline quiz")
    case = ComponentRequirement(usage_id=children["cme_case"], label="Case")
    status, body = studio(
        workbench, credit, edited_settings(CreditRule(components=[case, quiz], min_minutes=60))
    )
    assert status == 400
    (problem,) = body["problems"]
    assert problem["field"] == "rule.min_minutes"
    assert problem["message"].startswith(
        "Credit rule: what a learner must do › Minimum minutes of study: Guideline quiz: no "
        "study time is recorded there"
    )
    timed = CreditRule(components=[case], min_minutes=60)
    assert studio(workbench, credit, edited_settings(timed))[0] == 200
    untimed = CreditRule(components=[case, quiz])  # no minimum: any graded block
    assert studio(workbench, credit, edited_settings(untimed))[0] == 200


def olx_of(settings_xml: str) -> str:
    children = etree.fromstring(settings_xml)
    return (
        '<cme_credit display_name="Module 3 credit">\n'
        + "".join(etree.tostring(child, encoding="unicode") for child in children)
        + "</cme_credit>"
    )


def test_a_course_import_refuses_a_hospital_class_i_activity_and_an_untimed_minimum(
    workbench, module
):
    from xblocks.messages import translate_domain_error

    _, children = module
    block = workbench.block(children["cme_credit"], "staff")
    with pytest.raises(CreditError) as caught:
        CreditBlock.parse_xml(
            etree.fromstring(olx_of(edited_settings(level="hospital"))),
            block.runtime,
            block.scope_ids,
        )
    message = translate_domain_error(block.gettext, caught.value)
    assert message.startswith("Line 2, activity.credit_class: a hospital activity gives Class II")

    quiz = ComponentRequirement(usage_id=children["html_demo"], label="Guideline quiz")
    source = olx_of(edited_settings(CreditRule(components=[quiz], min_minutes=60)))
    line = next(n for n, t in enumerate(source.splitlines(), 1) if "<cme-credit-rule" in t)
    with pytest.raises(CreditError) as caught:
        CreditBlock.parse_xml(etree.fromstring(source), block.runtime, block.scope_ids)
    message = translate_domain_error(block.gettext, caught.value)
    assert message.startswith(f"Line {line}, rule.min_minutes: Guideline quiz: no study time")

    legacy = load_demo_activity().model_copy(update={"level": "hospital"})
    olx = f"<cme_credit><activity>{legacy.model_dump_json()}</activity></cme_credit>"
    with pytest.raises(CreditError, match=r"activity\.credit_class"):
        CreditBlock.parse_xml(etree.fromstring(olx), block.runtime, block.scope_ids)


def test_the_operator_names_the_provinces_policy_in_a_setting(workbench, module, tmp_path, caplog):
    from django.test import override_settings

    from credit_export import load_policy

    _, children = module
    credit = children["cme_credit"]
    municipal = edited_settings(level="municipal")
    assert studio(workbench, credit, municipal, mode="validate")[0] == 400
    with override_settings(CME_CREDIT_POLICY="municipal-class-i"):
        assert studio(workbench, credit, municipal, mode="validate")[0] == 200
    own = load_policy().model_dump(mode="json") | {"id": "qingshan-2026"}
    own["max_credits_per_project"] = "10"
    path = tmp_path / "qingshan.json"
    path.write_text(json.dumps(own), encoding="utf-8")
    eleven = edited_settings(credits=Decimal("11"), hours=None, conversion=None)
    assert studio(workbench, credit, eleven, mode="validate")[0] == 200
    with override_settings(CME_CREDIT_POLICY=str(path)):
        status, body = studio(workbench, credit, eleven, mode="validate")
        assert status == 400 and "at most 10 credits under the credit policy qingshan-2026" in (
            problems_text(body)
        )
    with override_settings(CME_CREDIT_POLICY="atlantis"):
        status, body = studio(workbench, credit, edited_settings(level="hospital"), mode="validate")
        assert status == 400 and "national-2006" in problems_text(body)
    assert "CME_CREDIT_POLICY 'atlantis' cannot be loaded" in caplog.text


def another_course_award(learner: str, credits: str, credit_class: str, level: str) -> None:
    """A credit the learner earned in another course (its own project and block)."""
    template = CreditAward.objects.filter(learner_id=learner).first()
    number = f"2026-OTHER-{CreditAward.objects.count()}"
    record = dict(template.record) | {
        "project_number": number,
        "credits": credits,
        "credit_class": credit_class,
        "level": level,
    }
    CreditAward.objects.create(
        learner_id=learner,
        project_number=number,
        course_id="course-v1:Other+CME+2026",
        usage_id=f"other.cme_credit.{number}",
        credit_class=credit_class,
        credits=Decimal(credits),
        awarded_at=template.awarded_at,
        record=record,
    )


def test_the_learner_reads_this_years_credits_of_every_course_against_the_requirement(
    workbench, module
):
    scenario_id, children = module
    credit = children["cme_credit"]
    earn(workbench, children)
    year = datetime.now(cme_time_zone()).year
    page = html.unescape(workbench.page_of(credit, "student_1"))
    assert f"This year ({year}): 0.25 of 25 credits" in page
    assert "Class I: 0.25 (at least 5; up to 10 count)" in page
    assert "Class II: 0 (at least 15; up to 20 count)" in page
    assert "By level: provincial: 0.25" in page
    assert "The annual requirement is not met yet" in page
    assert "National projects" not in page  # a township doctor

    another_course_award("student_1", "12", "I", "national")
    another_course_award("student_1", "15", "II", "hospital")
    page = html.unescape(workbench.page_of(credit, "student_1"))
    assert f"This year ({year}): 25 of 25 credits" in page  # Class I counts up to 10
    assert "Class I: 12.25 (at least 5; up to 10 count)" in page
    assert "By level: national: 12, provincial: 0.25, hospital: 15" in page
    assert "The annual requirement is met." in page
    # The same learner as tertiary-hospital staff: 10 national-project credits in 5 years too.
    act(workbench, credit, "profile", **(PROFILE | {"tier": "tertiary"}))
    page = html.unescape(workbench.page_of(credit, "student_1"))
    assert f"National projects {year - 4}-{year}: 12 of 10 credits" in page
    mobile = json.loads(workbench.handler(credit, "view_data", {}).content)
    assert mobile["annual"]["heading"] == f"This year ({year}): 25 of 25 credits"
    # In Chinese, last: the request leaves its language active for this thread's renders.
    chinese = workbench.client.get(
        f"/scenario/{scenario_id}/student_view/", {"student": "student_1", "lang": "zh-cn"}
    )
    page = html.unescape(chinese.content.decode())
    assert f"本年度（{year} 年）：已计入 25 分，应达 25 分" in page
    assert "I 类学分：12.25 分（至少 5 分，最多计入 10 分）" in page
    assert "按项目级别：国家级 12 分、省级 0.25 分、院级 15 分" in page
    assert "本年度学分已达标。" in page
    assert f"{year - 4}—{year} 年国家级项目学分：12 分，应达 10 分" in page


def test_staff_download_the_annual_summary_of_this_activitys_learners(workbench, module, tmp_path):
    from django.core.management import call_command

    _, children = module
    credit = children["cme_credit"]
    earn(workbench, children)
    earn(workbench, children, student="student_2", name="李强", licence_number="220440100005678")
    another_course_award("student_1", "19", "II", "hospital")
    url = f"/handler/{credit}/export_summary_csv/"
    assert workbench.client.get(url, {"student": "student_1"}).status_code == 403
    response = workbench.client.get(url, {"student": "staff"})
    year = datetime.now(cme_time_zone()).year
    assert f"cme-annual-summary-{year}-2026-05-01-003.csv" in response["Content-Disposition"]
    text = (
        b"".join(response.streaming_content) if response.streaming else response.content
    ).decode("utf-8")
    header, *rows = list(csv.reader(io.StringIO(text[1:])))
    by_name = {row[0]: dict(zip(header, row, strict=True)) for row in rows}
    assert set(by_name) == {"王晓梅", "李强"}
    assert by_name["王晓梅"]["Class II credits"] == "19"  # another course's credit counts
    assert by_name["王晓梅"]["Credits counted"] == "19.25"
    assert by_name["李强"]["Class I credits"] == "0.25"
    assert by_name["李强"]["Annual requirement met"] == "no"
    page = html.unescape(workbench.page_of(credit, "staff"))
    assert "Download this year's summary per learner (CSV)" in page

    out = tmp_path / "summary.csv"
    errors = io.StringIO()
    call_command("export_cme_credits", format="summary", year=year, output=str(out), stderr=errors)
    assert out.read_bytes().decode("utf-8") == text
    assert "2 learner(s) summarised" in errors.getvalue()


def test_studio_flags_a_block_saved_before_that_the_policy_refuses(workbench, module):
    """Saved before the policy was checked (or under another one): Studio's check of the
    block says what to change; its learners keep what it awards until an author saves."""
    from django.test import override_settings

    _, children = module
    credit = children["cme_credit"]
    with override_settings(CME_CREDIT_POLICY="municipal-class-i"):
        assert studio(workbench, credit, edited_settings(level="municipal"))[0] == 200
        assert not workbench.block(credit, "staff").validate().messages
    (message,) = workbench.block(credit, "staff").validate().messages
    assert message.type == "error"
    assert "a municipal activity gives Class II credit" in message.text


def test_an_author_who_leaves_out_the_hours_per_credit_gets_the_levels_rate(workbench, module):
    _, children = module
    credit = children["cme_credit"]
    source = edited_settings(level="national", hours=Decimal(9)).replace(' per-credit="6"', "")
    status, body = studio(workbench, credit, source)
    assert status == 200 and body["message"].startswith("Saved: 3 Class I credit(s)")
    assert workbench.block(credit, "staff").activity.conversion.hours_per_credit == 3


def test_the_self_study_demo_is_awarded_on_its_test_score_alone(workbench, module):
    """Its only component is a problem (the quiz stands for it): the demo asked 60 minutes of
    study that a problem never records, so the credit could not be awarded to anyone."""
    _, children = module
    credit, quiz = children["cme_credit"], children["html_demo"]
    demo = load_demo_rule("guideline_self_study")
    rule = demo.model_copy(
        update={"components": [demo.components[0].model_copy(update={"usage_id": quiz})]}
    )
    source = settings_to_xml(
        CreditSettings(activity=load_demo_activity("guideline_self_study"), rule=rule)
    )
    assert studio(workbench, credit, source)[0] == 200
    act(workbench, credit, "profile", **PROFILE)
    block = workbench.block(quiz, "student_1")
    block.runtime.publish(block, "grade", {"value": 4, "max_value": 5})  # 80 %, no evaluation
    status, body = act(workbench, credit, "claim")
    assert status == 200, body
    (award,) = CreditAward.objects.filter(learner_id="student_1")
    assert (str(award.credits), award.credit_class) == ("0.50", "II")


def test_a_licence_number_already_on_another_accounts_credit_is_flagged_to_learner_and_staff(
    workbench, module
):
    _, children = module
    credit = children["cme_credit"]
    earn(workbench, children)  # student_1, licence 110440100001234
    status, body = act(workbench, credit, "profile", student="student_2", **PROFILE)
    assert status == 200
    warning = "This licence number is already on another account's credit in this course."
    assert warning in html.unescape(body["html"])
    assert warning not in html.unescape(workbench.page_of(credit, "student_1"))
    earn(workbench, children, "student_2")
    text = b"".join(workbench.client.get(f"/handler/{credit}/export_csv/?student=staff"))
    rows = list(csv.reader(io.StringIO(text.decode()[1:])))
    assert rows[0][-1] == "Licence number on another account"
    assert [row[-1] for row in rows[1:]] == ["yes", "yes"]
    xml = b"".join(workbench.client.get(f"/handler/{credit}/export_xml/?student=staff"))
    assert xml.decode().count('licence-shared="true"') == 2
    report = workbench.handler(credit, "report", {"action": "report"}, student="staff")
    page = html.unescape(json.loads(report.content)["html"])
    assert "licence number 110440100001234 on 2 accounts (student_1, student_2)" in page
