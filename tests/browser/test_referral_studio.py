"""An author edits a referral exercise in Studio in Chromium: pastes the documented
`<cme_referral>` whole, switches to the form, picks ids from the closed vocabularies."""

import re

import pytest
from playwright.sync_api import expect

from referral_tracking import demo_exercise, load_demo_consortium
from tests.browser.test_editor_never_hangs import DOCUMENTED, paste
from tests.browser.test_referral_learner import scenario_path

pytestmark = pytest.mark.browser

#: A scenario no other browser test saves (these tests only check, never save).
NAME = "stroke_downward_referral"


def open_editor(page):
    title = demo_exercise(NAME).scenario.title
    page.goto(scenario_path(page, title, "staff").replace("?", "studio_view/?"))
    expect(page.locator('[data-role="form-editor"]')).to_be_visible()


def to_source(page) -> None:
    with page.expect_response(re.compile(r"/studio_submit/")):
        page.get_by_role("button", name="XML or JSON").click()
    expect(page.locator('[data-role="source"]')).to_be_visible()


def test_the_documented_cme_referral_pasted_whole_validates_and_fills_the_boxes(clean_page):
    page = clean_page
    open_editor(page)
    to_source(page)
    consortium = load_demo_consortium().model_dump_json()
    whole = DOCUMENTED.replace(
        "</cme_referral>", f"<consortium>{consortium}</consortium></cme_referral>"
    )
    with page.expect_response(re.compile(r"/studio_submit/")) as answer:
        paste(page.locator('textarea[name="scenario_source"]'), whole)
    assert answer.value.status == 200, answer.value.text()
    expect(page.locator('[data-role="status"]')).to_have_text(re.compile("^The exercise is valid"))

    with page.expect_response(re.compile(r"/studio_submit/")):
        page.get_by_role("button", name="Form", exact=True).click()
    expect(page.locator('[data-path="title"]')).to_have_value(re.compile("^Severe headache"))
    box = page.locator('textarea[name="consortium_source"]')
    expect(box).to_have_value(re.compile(load_demo_consortium().id))


def test_a_misspelt_finding_is_refused_in_the_editor_with_the_code_it_nearly_is(
    clean_page, page_problems
):
    page = clean_page
    page_problems.expect(400, r"/studio_submit/")
    open_editor(page)
    to_source(page)
    misspelt = DOCUMENTED.replace('id="severe_headache"', 'id="sever_headache"')
    with page.expect_response(re.compile(r"/studio_submit/")) as answer:
        paste(page.locator('textarea[name="scenario_source"]'), misspelt)
    assert answer.value.status == 400
    problem = page.locator('[data-role="problems"] li').first
    expect(problem).to_contain_text('"sever_headache"')
    expect(problem).to_contain_text('nearly "severe_headache"')
