"""The blocks as the mobile apps show them: the platform's bare block page (`/xblock/<usage_id>`,
lms/templates/courseware/courseware-chromeless.html: no header, footer or navigation) in a
360 px web view. Here the SDK's bare page (`/view/<scenario>/`) stands for it: none of the
workbench's page, toolbar or styles, only the blocks with their own assets
(xblocks/workbench/templates/workbench/blockview.html)."""

import pytest

from case_teaching import load_demo_case
from referral_tracking import demo_exercise
from tests.browser.test_case_learner import PHONE
from tests.browser.test_case_learner import play as play_case
from tests.browser.test_consortium_module import MODULE
from tests.browser.test_referral_learner import follow_the_rule_set

pytestmark = pytest.mark.browser


def bare_page(page, title: str, student: str) -> str:
    page.goto(f"/?student={student}")
    href = page.get_by_role("link", name=title).get_attribute("href")
    return href.split("?")[0].replace("/scenario/", "/view/", 1) + f"?student={student}"


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_on_a_phone_the_module_works_without_any_page_around_it(clean_page):
    page = clean_page
    page.set_viewport_size(PHONE)
    page.goto(bare_page(page, MODULE, "bt_mobile_learner"))
    assert page.locator("body > header, body > nav, .cme-dev-toolbar, .debug").count() == 0
    assert page.locator("link[rel=stylesheet]").count() == 0  # no page styles, the blocks' own
    assert page.locator(".cme-case, .cme-referral, .cme-credit").count() == 3
    assert fits(page)

    play_case(page, load_demo_case("hypertensive_emergency"), decisions={})
    assert fits(page)
    follow_the_rule_set(page, demo_exercise("hypertension_township"))
    assert fits(page)

    page.reload()
    credit = page.locator(".cme-credit").inner_text()
    assert "Done: Case: a hypertensive emergency" in credit
    assert fits(page)
