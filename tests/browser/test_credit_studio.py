"""A CME administrator configures a credit block in Studio's form, by keyboard and mouse: the
activity switches from hours to a fixed credit, a wrong date is marked, and the XML agrees."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

SCENARIO = "Credit: a CME credit alone (its rule names no component)"


def studio_path(page) -> str:
    page.goto("/?student=staff")
    href = page.get_by_role("link", name=SCENARIO).get_attribute("href")
    return f"{href.split('?')[0]}studio_view/?student=staff"


def open_form(page, page_problems):
    """Studio's form of the lone credit block, a refused check expected."""
    page_problems.expect(400, r"/studio_submit/")
    page.goto(studio_path(page))
    form = page.locator('[data-role="form-editor"]')
    expect(form).to_be_visible()
    return form


def submit(page, button: str) -> int:
    with page.expect_response(re.compile(r"/studio_submit/")) as response:
        page.get_by_role("button", name=button, exact=True).click()
    return response.value.status


def test_an_administrator_sets_a_fixed_credit_in_the_form_and_a_wrong_date_is_marked(
    clean_page, page_problems
):
    page = clean_page
    form = open_form(page, page_problems)
    expect(form.locator('[data-path="activity.project_number"]')).to_have_value("2026-05-01-003")

    # Hours at 6 per credit become a fixed 2 credits: the conversion is left out.
    form.get_by_label("Fill in: Conversion of hours to credits").uncheck()
    expect(form.locator('[data-path="activity.conversion.hours_per_credit"]')).to_have_count(0)
    form.locator('[data-path="activity.hours"]').fill("")
    form.locator('[data-path="activity.credits"]').fill("2")

    end = form.locator('[data-path="activity.end_date"]')
    end.fill("2026-01-01")  # before the first day
    assert submit(page, "Check") == 400
    expect(end).to_have_attribute("aria-invalid", "true")
    expect(page.locator('[data-role="problems"]')).to_contain_text("2026-09-01")

    end.fill("2026-12-31")
    assert submit(page, "Save") == 200
    expect(page.get_by_text(re.compile(r"^Saved: 2 Class I credit"))).to_be_visible()

    page.goto(studio_path(page))
    page.get_by_role("button", name="XML or JSON").click()
    source = page.locator('[data-role="source"]')
    expect(source).to_be_visible()
    expect(source).to_have_value(re.compile(r"<credits>2</credits>"))
    assert "<hours" not in source.input_value()


def test_a_hospital_activity_cannot_give_class_i_and_the_class_field_says_why(
    clean_page, page_problems
):
    page = clean_page
    form = open_form(page, page_problems)
    form.locator('[data-path="activity.level"]').select_option("hospital")
    assert submit(page, "Check") == 400
    credit_class = form.locator('[data-path="activity.credit_class"]')
    expect(credit_class).to_have_attribute("aria-invalid", "true")
    expect(page.locator('[data-role="problems"]')).to_contain_text(
        "Class: a hospital activity gives Class II credit"
    )

    credit_class.select_option("II")
    assert submit(page, "Save") == 200
    expect(page.get_by_text(re.compile(r"^Saved: [0-9.]+ Class II credit"))).to_be_visible()
