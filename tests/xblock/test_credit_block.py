"""`cme_credit` in the consortium module: the rule counts the unit's case and referral
exercise; the learner fills the profile once, evaluates, and gets exactly one credit."""

import csv
import html
import io
import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from lxml import etree

from credit_export import (
    ComponentRequirement,
    CreditError,
    CreditSettings,
    load_demo_activity,
    load_demo_rule,
    settings_to_xml,
    validate_xml,
)
from xblocks.credit_block import CreditBlock
from xblocks.records.models import CreditAward, LearnerOutcome
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


def complete(learner: str, usage_id: str, score: float, max_score: float = 10) -> None:
    record_outcome(
        OutcomeWrite(
            learner_id=learner,
            usage_id=usage_id,
            block_type=usage_id.split(".")[-3],
            attempt=1,
            score=score,
            max_score=max_score,
            completed_at=datetime.now(UTC),
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
    assert "is not completed yet" in page
    assert "Claim my credit" in page


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
    assert (award.learner_id, str(award.credits), award.credit_class) == ("student_1", "1.00", "I")
    assert award.record["evidence"][0]["usage_id"] in (
        children["cme_case"],
        children["cme_referral"],
    )
    assert [e["data"] for e in workbench.events("student_1", "completion")] == [{"completion": 1.0}]
    assert len(workbench.events("student_1", "cme.credit.awarded")) == 1


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
    assert subject["creditsEarned"] == 1.0 and subject["licenseNumber"] == "110440100001234"
    assert subject["achievement"]["creditsAvailable"] == 1.0
    # OB 3.0 types the activity dates as date-times: the first day from midnight (UTC).
    assert subject["activityStartDate"] == "2026-09-01T00:00:00+00:00"
    other = workbench.client.get(f"/handler/{credit}/badge/?student=student_2")
    assert other.status_code == 404


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
    assert workbench.handler(credit, "report", {"action": "report"}).status_code == 403
    response = workbench.handler(credit, "report", {"action": "report"}, student="staff")
    panel = html.unescape(json.loads(response.content)["html"])
    assert "2 awards, 2 credits, 2 learners." in panel
    assert panel.count("<svg") == 4 and "senior" in panel and "intermediate" in panel
    text = workbench.client.get(f"/handler/{credit}/report_csv/?student=staff").content.decode()
    rows = list(csv.reader(io.StringIO(text[1:])))
    by_title = {row[1]: row for row in rows if row[0] == "Professional title"}
    assert by_title["senior"][4] == "1" and by_title["intermediate"][2] == "1"


# ---- Studio and OLX -------------------------------------------------------------------------


def studio(workbench, usage_id, source, mode="save", student="staff", name="Module 3 credit"):
    payload = {"mode": mode, "display_name": name, "settings_source": source}
    response = workbench.handler(usage_id, "studio_submit", payload, student)
    return response.status_code, json.loads(response.content)


def edited_settings(**activity) -> str:
    settings = CreditSettings(
        activity=load_demo_activity().model_copy(update=activity), rule=load_demo_rule()
    )
    return settings_to_xml(settings)


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
