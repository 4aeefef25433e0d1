"""No input an author can type or paste blocks a Studio editor: every box of every block's editor
takes large, malformed and hostile documents, and the page keeps answering and says what is
wrong."""

import re

import pytest

from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.browser

#: The documented `<cme_referral>` example (docs/olx-cme-referral.md): the form a course export
#: writes, which froze the tab once.
DOCUMENTED = re.search(
    r"<cme_referral display_name=.*?</cme_referral>",
    (REPO_ROOT / "docs" / "olx-cme-referral.md").read_text(encoding="utf-8"),
    re.S,
).group(0)
HOSTILE = {
    "the documented cme_referral": DOCUMENTED,
    "1 MB of garbage": ("<<&;{[\"'\\x" + "漢字 garbage ]]> -->" * 7) * 3300,
    "nested 5000 deep": "<a>" * 5000 + "</a>" * 5000,
    "entity expansion": (
        '<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><referral-scenario>&b;</referral-scenario>'
    ),
    "JSON nested 10000 deep": "[" * 10000 + "]" * 10000,
}
#: What an editor box takes as valid: the referral scenario box, the whole documented block.
ACCEPTED = {("scenario_source", "the documented cme_referral")}
#: Each block's Studio editor (a workbench scenario) and its source boxes.
EDITORS = {
    "Case: ": ["case_source"],
    "Referral: ": ["scenario_source", "ruleset_source", "consortium_source"],
    "Credit: a CME credit alone": ["settings_source"],
}


def paste(box, text: str) -> None:
    """What a paste does: the whole text in at once, one input event (Playwright's `fill`
    types a megabyte far slower than any person's paste)."""
    box.evaluate(
        """(el, text) => {
          el.focus();
          el.value = text;
          el.dispatchEvent(new InputEvent('input', {bubbles: true, inputType: 'insertFromPaste'}));
        }""",
        text,
    )


def studio_path(page, title_start: str) -> str:
    page.goto("/?student=staff")
    link = page.get_by_role("link", name=re.compile("^" + re.escape(title_start))).first
    return f"{link.get_attribute('href').split('?')[0]}studio_view/?student=staff"


@pytest.mark.parametrize("editor", EDITORS)
def test_every_editor_box_answers_within_a_second_whatever_is_pasted(
    clean_page, page_problems, editor
):
    page = clean_page
    page_problems.expect(400, r"/studio_submit/")
    page_problems.expect(413, r"/studio_submit/")
    page.goto(studio_path(page, editor))
    with page.expect_response(re.compile(r"/studio_submit/")):
        page.get_by_role("button", name="XML or JSON").click()
    for name in EDITORS[editor]:
        box = page.locator(f'textarea[name="{name}"]')
        for what, text in HOSTILE.items():
            with page.expect_response(re.compile(r"/studio_submit/"), timeout=15_000) as answer:
                paste(box, text)
            valid = (name, what) in ACCEPTED
            assert answer.value.status in ((200,) if valid else (400, 413)), (name, what)
            # The page still answers (a frozen tab cannot even evaluate `true`) and says why.
            page.wait_for_function("true", timeout=1_000)
            message = page.locator('[data-role="problems"], [data-role="status"]')
            assert any(t.strip() for t in message.all_inner_texts()), (name, what)
            listed = page.locator('[data-role="problems"] li').count()
            assert (listed == 0) if valid else (listed >= 1), (name, what)
