"""A township doctor plays a referral exercise in Chromium from the first decision to the last
follow-up visit, once referring correctly and once keeping an emergency at the clinic; the
staff analytics then show both decisions."""

import json
import re

import pytest
from playwright.sync_api import expect

from referral_tracking import demo_exercise

pytestmark = pytest.mark.browser

NAME = "hypertension_township"
PHONE = {"width": 360, "height": 740}


def scenario_path(page, title: str, student: str) -> str:
    page.goto(f"/?student={student}")
    href = page.get_by_role("link", name=f"Referral: {title}").get_attribute("href")
    return f"{href.split('?')[0]}?student={student}"


def act(page, button_name: str) -> None:
    with page.expect_response(re.compile(r"/handler/.*/act/")) as response:
        page.get_by_role("button", name=button_name).click()
    assert response.value.status == 200, response.value.text()
    page.wait_for_function("document.activeElement && document.activeElement.tagName !== 'BODY'")


def tick(form, name: str, values) -> None:
    for value in values:
        form.locator(f'input[name="{name}"][value="{value}"]').check()


def on_the_page(codes, kind: str, name: str = NAME) -> list[str]:
    """The checkbox values the page gives these red flags or findings (never their codes)."""
    to_page = {code: page for page, code in getattr(demo_exercise(name).codes, kind).items()}
    return [to_page[code] for code in codes]


def decide(page, fields: dict) -> None:
    """`red_flags` and `key_findings` as the rule set's and scenario's codes."""
    form = page.locator('form[data-action="decide"]')
    tick(form, "disposition", [fields["disposition"]])
    tick(form, "priority", [fields["priority"]])
    tick(form, "recognised_red_flags", on_the_page(fields.get("red_flags", []), "red_flags"))
    if "target" in fields:
        form.locator(f'input[name="target_institution_id"][value="{fields["target"]}"]').check()
        # only the chosen hospital's departments can be picked
        departments = form.locator('select[name="department"]')
        wrong = departments.evaluate(
            "(list, hospital) => Array.from(list.options).filter(o => o.value &&"
            " o.disabled === o.dataset.at.split(' ').includes(hospital)).map(o => o.value)",
            fields["target"],
        )
        assert wrong == [], wrong
        departments.select_option(fields["department"])
        form.locator('textarea[name="letter_reason"]').fill(
            "BP 200/120 mmHg with chest pain: suspected hypertensive emergency."
        )
        form.locator('textarea[name="letter_history"]').fill("Hypertension for 8 years.")
        tick(form, "letter_key_findings", on_the_page(fields["key_findings"], "findings"))
        form.locator('textarea[name="letter_treatment_given"]').fill(
            "Oxygen and monitoring while waiting."
        )
        form.locator('textarea[name="letter_question"]').fill("Please assess for ACS?")
    act(page, "Record my decision")


def plan(page, fields: dict) -> None:
    form = page.locator('form[data-action="set_plan"]')
    form.locator('input[name="interval_days"]').fill(str(fields["interval_days"]))
    tick(form, "monitoring", fields["monitoring"])
    tick(form, "targets", fields["targets"])
    tick(form, "re_referral_criteria", fields["re_referral_criteria"])
    act(page, "Save the plan and see the first visit")


def visits(page, choices: list[str]) -> None:
    for choice in choices:
        form = page.locator('form[data-action="visit_choice"]')
        tick(form, "choice", [choice])
        act(page, "Record this visit")


def the_rule_sets_way(exercise) -> tuple[dict, dict, list[str]]:
    """The decision, the follow-up plan and the visit choices of a learner who follows the
    rule set (to an accepting hospital)."""
    expected, scenario, rules = exercise.expected, exercise.scenario, exercise.ruleset.follow_up
    accepting = [
        i
        for i in expected.receiving_institutions
        if not scenario.receiving_response.scripted_decline(i)
    ]
    right = {
        "disposition": expected.disposition,
        "priority": expected.priority,
        "red_flags": sorted(scenario.finding_ids & exercise.ruleset.red_flag_ids),
        "target": accepting[0],
        "department": expected.department,
        "key_findings": sorted(scenario.finding_ids),
    }
    follow_up = {
        "interval_days": rules.closed_loop_days,
        "monitoring": list(rules.required_monitoring),
        "targets": list(rules.required_targets),
        "re_referral_criteria": list(rules.required_re_referral),
    }
    choices = []
    for visit in scenario.visits:
        choices.append(visit.expected_choice)
        if visit.expected_choice == "re_refer":
            break
    return right, follow_up, choices


def follow_the_rule_set(page, exercise) -> None:
    right, follow_up, choices = the_rule_sets_way(exercise)
    decide(page, right)
    plan(page, follow_up)
    visits(page, choices)


def test_a_correct_referral_and_an_under_referral_end_in_the_staff_analytics(clean_page):
    page = clean_page
    page.set_viewport_size(PHONE)
    exercise = demo_exercise(NAME)
    scenario = exercise.scenario
    right, follow_up, choices = the_rule_sets_way(exercise)

    page.goto(scenario_path(page, scenario.title, "bt_township_a"))
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    decide(page, right)
    plan(page, follow_up)
    visits(page, choices)
    summary = page.locator('[data-region="view"]').inner_text()
    assert "Exercise complete" in summary
    assert "Correct: the right level of care." in summary
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    page.goto(scenario_path(page, scenario.title, "bt_township_b"))
    decide(page, {"disposition": "manage_locally", "priority": "urgent"})
    plan(page, dict(follow_up, interval_days=30))
    visits(page, ["continue"] * len(scenario.visits))
    summary = page.locator('[data-region="view"]').inner_text()
    assert "Critical under-triage" in summary and "Correct: the right level" not in summary

    page.goto(scenario_path(page, scenario.title, "staff"))
    page.get_by_text("Referral analytics of this course").click()
    with page.expect_response(re.compile(r"/handler/.*/analytics/")):
        page.get_by_role("button", name="Show the analytics").click()
    panel = page.locator('[data-region="analytics"]')
    panel.locator("svg").first.wait_for()
    # the letters left out supporting information: the letter-item chart shows it
    expect(panel.get_by_role("img", name=re.compile("^Referral letters"))).to_be_visible()
    text = panel.inner_text()
    assert "Learner bt_township_a" in text and "Learner bt_township_b" in text
    assert panel.locator("svg title").count() >= 1


def test_a_doctor_on_a_phone_downloads_the_referral_as_fhir_with_the_keyboard(clean_page):
    page = clean_page
    page.set_viewport_size(PHONE)
    exercise = demo_exercise(NAME)
    expected, scenario = exercise.expected, exercise.scenario
    page.goto(scenario_path(page, scenario.title, "bt_fhir_download"))
    link = page.get_by_role("link", name="Download your referral (FHIR)")
    expect(link).to_have_count(0)  # nothing to download before the decision
    decide(
        page,
        {
            "disposition": expected.disposition,
            "priority": expected.priority,
            "target": "dongxian-county",
            "department": expected.department,
            "key_findings": sorted(scenario.finding_ids),
        },
    )
    expect(link).to_be_visible()
    box = link.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    with page.expect_download() as download:
        link.focus()
        page.keyboard.press("Enter")
    assert download.value.suggested_filename == "hypertension-township-referral.json"
    bundle = json.loads(download.value.path().read_text(encoding="utf-8"))
    request = bundle["entry"][0]["resource"]
    assert (bundle["resourceType"], request["resourceType"]) == ("Bundle", "ServiceRequest")
    assert request["priority"] == "stat"


def test_an_author_edits_a_finding_in_the_form_and_a_blank_one_is_marked(clean_page, page_problems):
    page = clean_page
    page_problems.expect(400, r"/studio_submit/")
    scenario = demo_exercise("child_pneumonia_hypoxia").scenario  # no other test plays it
    page.goto(scenario_path(page, scenario.title, "staff").replace("?", "studio_view/?"))
    form = page.locator('[data-role="form-editor"]')
    expect(form).to_be_visible()
    label = form.locator('[data-path="findings[0].label"]')
    expect(label).to_have_value(scenario.findings[0].label)

    label.fill("")
    with page.expect_response(re.compile(r"/studio_submit/")) as response:
        page.get_by_role("button", name="Check", exact=True).click()
    assert response.value.status == 400
    expect(label).to_have_attribute("aria-invalid", "true")

    label.fill("Temperature, axillary")
    measures = form.locator('[data-path="findings[1].measures"]')
    expect(measures).to_have_value(re.compile(r"respiratory_rate: 52"))
    measures.fill("respiratory_rate: 56")  # the value the rule set tests
    with page.expect_response(re.compile(r"/studio_submit/")) as response:
        page.get_by_role("button", name="Save", exact=True).click()
    assert response.value.status == 200, response.value.text()
    expect(page.get_by_text(re.compile("^Saved:"))).to_be_visible()

    page.goto(scenario_path(page, scenario.title, "staff").replace("?", "studio_view/?"))
    expect(page.locator('[data-path="findings[0].label"]')).to_have_value("Temperature, axillary")
    measures = page.locator('[data-path="findings[1].measures"]')
    expect(measures).to_have_value("respiratory_rate: 56")
    page.get_by_role("button", name="XML or JSON").click()
    expect(page.locator('[data-role="source"]')).to_have_value(re.compile("Temperature, axillary"))


def test_a_doctor_who_kept_the_emergency_reads_what_the_county_found_after_the_ambulance(
    clean_page,
):
    page = clean_page
    page.set_viewport_size(PHONE)
    page.goto(scenario_path(page, demo_exercise(NAME).scenario.title, "bt_township_kept"))
    decide(page, {"disposition": "manage_locally", "priority": "urgent"})
    answer = page.locator(".cme-referral-answer")
    expect(answer).to_contain_text("confused on arrival by ambulance")
    expect(answer).to_contain_text("Discharged home on day 6")
    expect(answer).not_to_contain_text("Discharged home on day 4")


def test_on_a_360_px_phone_every_receiving_hospital_is_read_in_full(clean_page):
    page = clean_page
    page.set_viewport_size(PHONE)
    page.goto(scenario_path(page, demo_exercise(NAME).scenario.title, "bt_township_narrow"))
    form = page.locator('form[data-action="decide"]')
    hospitals = form.get_by_role("group", name="Receiving hospital")
    for institution in demo_exercise(NAME).consortium.institutions:
        if institution.id == demo_exercise(NAME).institution.id:
            continue
        choice = hospitals.get_by_role("radio", name=re.compile(re.escape(institution.name)))
        label = choice.locator("xpath=ancestor::label")
        box = label.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], institution.id
        # nothing of the name is clipped: the label is as wide as its text needs
        assert label.evaluate("el => el.scrollWidth <= el.clientWidth"), institution.id
    choice = hospitals.get_by_role("radio", name=re.compile("Dongxian County"))
    choice.focus()
    page.keyboard.press("Space")
    expect(choice).to_be_checked()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_a_township_doctor_reading_chinese_tells_the_three_urgencies_apart(clean_page):
    page = clean_page
    page.set_viewport_size(PHONE)
    page.goto(
        scenario_path(page, demo_exercise(NAME).scenario.title, "bt_township_zh") + "&lang=zh-cn"
    )
    form = page.locator('form[data-action="decide"]')
    urgencies = form.locator('input[name="priority"]').evaluate_all(
        "inputs => inputs.map(i => i.closest('label').innerText.split('：')[0].trim())"
    )
    assert urgencies == ["常规", "加急", "紧急"]
    departments = form.locator('select[name="department"] option').all_inner_texts()
    assert "急诊科" in departments and "紧急" not in departments
    text = form.inner_text()
    for other_name in ("危险征象", "红色警示", "附加资料", "主要检查所见"):
        assert other_name not in text
    assert "危险信号" in text and "补充资料" in text
