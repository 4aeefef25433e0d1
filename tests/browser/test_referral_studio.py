"""An author edits a referral exercise in Studio in Chromium: pastes the documented
`<cme_referral>` whole, switches to the form, picks ids from the closed vocabularies."""

import json
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


def refused_in_the_editor(page, page_problems) -> None:
    """The editor open on the XML box, a refusal (400) of what is pasted expected."""
    page_problems.expect(400, r"/studio_submit/")
    open_editor(page)
    to_source(page)


def test_a_misspelt_finding_is_refused_in_the_editor_with_the_code_it_nearly_is(
    clean_page, page_problems
):
    page = clean_page
    refused_in_the_editor(page, page_problems)
    misspelt = DOCUMENTED.replace('id="severe_headache"', 'id="sever_headache"')
    with page.expect_response(re.compile(r"/studio_submit/")) as answer:
        paste(page.locator('textarea[name="scenario_source"]'), misspelt)
    assert answer.value.status == 400
    problem = page.locator('[data-role="problems"] li').first
    expect(problem).to_contain_text('"sever_headache"')
    expect(problem).to_contain_text('nearly "severe_headache"')


def offered(field) -> list[str]:
    """The values a text field's datalist offers."""
    return field.evaluate("el => Array.from(el.list ? el.list.options : []).map(o => o.value)")


def test_the_form_offers_the_consortiums_institutions_and_the_rule_sets_codes(clean_page):
    page = clean_page
    open_editor(page)
    where = page.get_by_label("Where the learner works (an institution of the consortium)")
    assert "qingshui-township" in offered(where) and "provincial-childrens" in offered(where)
    where.fill("qingshui-township")  # a choice of the list, never "the format is not accepted"
    finding = page.locator('[data-path="findings[0].id"]')
    assert {"new_focal_deficit", "discharged_after_stroke"} <= set(offered(finding))
    item = page.locator('[data-path="visits[0].findings[0].item"]')
    assert "blood_pressure" in " ".join(offered(item))
    expect(page.locator('[data-path="findings[0].measures"]').locator("xpath=..")).to_contain_text(
        "sbp_mmhg"
    )
    scenario_id = page.locator('[data-path="id"]')
    expect(page.get_by_label("Id (lower-case letters a-z, digits, - or _)")).to_have_id(
        scenario_id.get_attribute("id")
    )


def test_follow_up_visits_are_named_visits_and_their_findings_are_the_visits(clean_page):
    page = clean_page
    open_editor(page)
    visits = page.locator('fieldset[data-path="visits"]')
    first = visits.locator("> ol > li").first
    expect(first.locator("legend").first).to_have_text("Visit 1")
    expect(first).to_contain_text("Findings at this visit")
    expect(first).not_to_contain_text("Findings at presentation")


def test_a_consortium_with_an_unknown_capability_answers_at_once_naming_the_nearest(
    clean_page, page_problems
):
    page = clean_page
    refused_in_the_editor(page, page_problems)
    page.locator("summary", has_text="Consortium (JSON, optional)").click()
    consortium = load_demo_consortium().model_dump(mode="json")
    consortium["institutions"][4]["capabilities"].append("nebulizer")
    with page.expect_response(re.compile(r"/studio_submit/")) as answer:
        paste(page.locator('textarea[name="consortium_source"]'), json.dumps(consortium))
    assert answer.value.status == 400
    page.wait_for_function("true", timeout=1_000)  # the page still answers
    problem = page.locator('[data-role="problems"] li').first
    expect(problem).to_contain_text('Known ones, nearest first: "nebuliser"')
