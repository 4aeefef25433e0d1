"""The workbench `make run` serves, seen in Chromium as learners and staff see it."""

import pytest

pytestmark = pytest.mark.browser


def scenario_links(page) -> list[str]:
    page.goto("/?student=student_1")
    return page.eval_on_selector_all(
        "ul.cme-demo-course a, ul.cme-other-blocks a",
        "links => links.map(a => a.getAttribute('href'))",
    )


def test_every_demo_scenario_renders_without_a_console_error(clean_page):
    links = scenario_links(clean_page)
    assert len(links) >= 5
    for href in links:
        response = clean_page.goto(href)
        assert response.status == 200, href
        clean_page.wait_for_load_state("load")
        assert clean_page.locator("[data-usage]").count() >= 1, f"no block rendered on {href}"


def test_the_demo_course_comes_first_on_the_index(clean_page):
    clean_page.goto("/")
    headings = clean_page.locator("h1, h2").all_inner_texts()
    assert headings[0] == "Consortium CME demo course"
    assert "Other installed blocks" in headings


def test_a_learner_switches_to_staff_and_back_from_the_toolbar(clean_page):
    clean_page.goto("/scenario/helloworld_demo.0/?student=student_2")
    assert clean_page.get_by_test_id("acting-as").inner_text() == "student_2"
    clean_page.get_by_role("button", name="Give student_2 staff rights").click()
    clean_page.wait_for_load_state("load")
    assert "(staff)" in clean_page.locator(".cme-dev-toolbar").inner_text()
    clean_page.get_by_role("button", name="Drop staff rights").click()
    clean_page.wait_for_load_state("load")
    assert "(staff)" not in clean_page.locator(".cme-dev-toolbar").inner_text()


def test_acting_as_a_second_learner_keeps_the_id_in_links(clean_page):
    clean_page.goto("/?student=student_2")
    first = clean_page.locator("ul.cme-other-blocks a").first.get_attribute("href")
    assert first.endswith("?student=student_2")


def test_the_language_switch_changes_the_page_language(clean_page):
    clean_page.goto("/?student=student_1")
    clean_page.get_by_role("link", name="简体中文").click()
    clean_page.wait_for_load_state("load")
    assert clean_page.locator("html").get_attribute("lang") == "zh-cn"
    clean_page.get_by_role("link", name="English").click()
    clean_page.wait_for_load_state("load")
    assert clean_page.locator("html").get_attribute("lang") == "en"


@pytest.mark.parametrize("path", ["/", "/scenario/helloworld_demo.0/"])
def test_pages_fit_a_360_px_phone_without_sideways_scrolling(clean_page, path):
    clean_page.set_viewport_size({"width": 360, "height": 740})
    clean_page.goto(path)
    overflow = clean_page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{path} is {overflow}px wider than a 360px phone"
