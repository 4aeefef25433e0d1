"""The consortium module as a learner meets it in one unit: a case, a referral exercise and the
CME credit; then the CME office downloads the records and finds that learner."""

import csv
import io
import re

import pytest

from case_teaching import load_demo_case
from referral_tracking import demo_exercise
from tests.browser.test_case_learner import play as play_case
from tests.browser.test_referral_learner import decide, plan, visits

pytestmark = pytest.mark.browser

MODULE = "Consortium module: hypertension from the township to the county"


def module_path(page, student: str) -> str:
    page.goto(f"/?student={student}")
    href = page.get_by_role("link", name=MODULE).get_attribute("href")
    return f"{href.split('?')[0]}?student={student}"


def act(page, click) -> None:
    with page.expect_response(re.compile(r"/handler/.*/act/")) as response:
        click()
    assert response.value.status == 200, response.value.text()


def test_a_learner_earns_the_credit_of_the_module_and_the_cme_office_exports_it(clean_page):
    page = clean_page
    page.goto(module_path(page, "bt_module_learner"))
    credit = page.locator(".cme-credit")
    assert "is not completed yet" in credit.inner_text()

    play_case(page, load_demo_case("hypertensive_emergency"), decisions={})
    exercise = demo_exercise("hypertension_township")
    expected, scenario, rules = exercise.expected, exercise.scenario, exercise.ruleset.follow_up
    target = next(
        i
        for i in expected.receiving_institutions
        if not scenario.receiving_response.scripted_decline(i)
    )
    decide(
        page,
        {
            "disposition": expected.disposition,
            "priority": expected.priority,
            "red_flags": sorted(scenario.finding_ids & exercise.ruleset.red_flag_ids),
            "target": target,
            "department": expected.department,
            "key_findings": sorted(scenario.finding_ids),
        },
    )
    plan(
        page,
        {
            "interval_days": rules.closed_loop_days,
            "monitoring": list(rules.required_monitoring),
            "targets": list(rules.required_targets),
            "re_referral_criteria": list(rules.required_re_referral),
        },
    )
    choices = []
    for visit in scenario.visits:
        choices.append(visit.expected_choice)
        if visit.expected_choice == "re_refer":
            break
    visits(page, choices)

    page.reload()  # the credit block reads the outcomes the two exercises just wrote
    credit = page.locator(".cme-credit")
    assert "Done: Case: a hypertensive emergency" in credit.inner_text()
    profile = credit.locator('form[data-action="profile"]')
    profile.get_by_label("Name").fill("李建国")
    profile.get_by_label("Licence or certificate number").fill("210440100009876")
    profile.get_by_label("Professional title").select_option("junior")
    profile.get_by_label("Institution", exact=True).fill("青山镇卫生院")
    profile.get_by_label("Level of your institution").select_option("primary")
    profile.get_by_label("Department").fill("全科")
    profile.get_by_label("Discipline").fill("General practice")
    act(page, profile.get_by_role("button", name="Save my profile").click)
    evaluation = credit.locator('form[data-action="evaluate"]')
    evaluation.locator('input[name="satisfaction"][value="5"]').check()
    evaluation.get_by_label("Will it change your practice?").select_option("planned")
    act(page, evaluation.get_by_role("button", name="Send my evaluation").click)
    act(page, credit.get_by_role("button", name="Claim my credit").click)
    certificate = credit.locator(".cme-certificate")
    certificate.wait_for()
    assert "李建国" in certificate.inner_text() and "2026-05-01-003" in certificate.inner_text()
    assert certificate.get_by_role("button", name="Print the certificate").is_visible()

    page.goto(module_path(page, "staff"))
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the credit records (CSV)").click()
    text = download.value.path().read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert any(row[0] == "李建国" and row[1] == "210440100009876" for row in rows[1:])
