"""Author content is never a way to run script in a learner's (or a teacher's) browser.

Every author-editable text and HTML field of a case gets one of 100+ injection vectors
(`tests/support/xss_vectors.py`) through the Studio handler; Chromium then loads the Studio
editor, the learner's page at every stage to the end, and the staff view. Each vector calls
`__xss(n)` if it runs; dialogs are caught too. The test fails on the first vector that runs.
"""

import json
import re

import pytest
from lxml import etree
from playwright.sync_api import expect

from case_teaching import load_demo_case
from tests.support.figures import tally
from tests.support.xss_vectors import HOOK, VECTORS

pytestmark = pytest.mark.browser

TEXT_FIELDS = {
    "title",
    "summary",
    "discipline",
    "setting",
    "issuer",
    "label",
    "text",
    "prompt",
    "content",
    "result",
    "feedback",
    "commentary",
    "hypothesis",
    "new_information",
    "value",
    "unit",
    "normal_range",
}
TEXT_LISTS = {"learning_objectives", "competencies", "authors"}
LIMITS = {"unit": 50, "value": 200, "normal_range": 200}  # the schema's own lengths


def poisoned(data, counter: list[int]):
    """The case with every author text replaced by 'Text n: <vector n>' (n cycling)."""

    def vector(limit: int = 2000) -> str:
        n = counter[0] % len(VECTORS)
        counter[0] += 1
        tally("xss.fields_poisoned")
        # A case refuses C0 control characters at save (a course export cannot hold them;
        # tests/unit/test_case_schema.py): the vector goes in without them.
        return re.sub("[\x00-\x08\x0b\x0c\x0e-\x1f]", "", f"Text {n}: {VECTORS[n]}")[:limit]

    if isinstance(data, dict):
        out = {}
        for key, value in data.items():
            if key in TEXT_FIELDS and isinstance(value, str):
                out[key] = vector(LIMITS.get(key, 2000))
            elif key in TEXT_LISTS and isinstance(value, list):
                out[key] = [vector() for _ in value] or [vector()]
            else:
                out[key] = poisoned(value, counter)
        return out
    if isinstance(data, list):
        return [poisoned(item, counter) for item in data]
    return data


class ScriptWatch:
    def __init__(self, page):
        self.page = page
        self.dialogs: list[str] = []
        page.add_init_script(HOOK)
        page.on("dialog", self._dialog)

    def _dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def assert_nothing_ran(self, where: str) -> None:
        tally("xss.pages_checked")
        hits = self.page.evaluate("window.__xssHits || []")
        ran = [VECTORS[n] for n in hits]
        assert not ran and not self.dialogs, f"script ran on {where}: {ran} {self.dialogs}"


@pytest.fixture
def watch(page) -> ScriptWatch:
    """The page, watched for any injected script (dialog hook, console marker, DOM probe)."""
    page.set_default_timeout(15_000)
    return ScriptWatch(page)


def open_studio(page, link_name: str) -> tuple[str, str]:
    """Open the Studio view of the scenario behind `link_name` as staff: (its path, the
    block's usage id)."""
    page.goto("/?student=staff")
    path = page.get_by_role("link", name=link_name).get_attribute("href").split("?")[0]
    page.goto(f"{path}studio_view/?student=staff")
    return path, page.locator("[data-usage]").first.get_attribute("data-usage")


def post_json(page, url: str, body: dict) -> tuple[int, str]:
    return page.evaluate(
        """async ([url, body]) => {
            const token = (document.cookie.match(/csrftoken=([^;]+)/) || [])[1] || '';
            const response = await fetch(url, {method: 'POST', credentials: 'same-origin',
              headers: {'Content-Type': 'application/json', 'X-CSRFToken': token},
              body: JSON.stringify(body)});
            return [response.status, await response.text()];
        }""",
        [url, body],
    )


def act(page, click) -> None:
    with page.expect_response(re.compile(r"/handler/.*/act/")) as response:
        click()
    assert response.value.status == 200, response.value.text()


def walk_to_the_end(page, watch: ScriptWatch) -> int:
    """A learner who asks for everything, answers with the first option, and continues."""
    steps = 0
    while page.locator(".cme-case-summary").count() == 0:
        steps += 1
        assert steps < 300
        request = page.locator(".cme-case-request-list button").first
        answer = page.locator('form[data-action="submit_answer"]').first
        if request.count():
            act(page, request.click)
        elif answer.count():
            text = answer.locator("textarea")
            if text.count():
                text.fill("A reflection long enough to be accepted.")
            elif answer.locator("input[type=radio], input[type=checkbox]").count():
                answer.locator("input[type=radio], input[type=checkbox]").first.check()
            act(page, answer.get_by_role("button", name="Submit answer").click)
        else:
            finish = page.get_by_role(
                "button", name=re.compile("^(Continue to the next stage|Finish the case)$")
            )
            act(page, finish.click)
        watch.assert_nothing_ran(f"the learner's page, step {steps}")
    for summary in page.locator("details summary").all():
        summary.click()  # open every collapsed stage and commentary
    watch.assert_nothing_ran("the learner's summary with every section open")
    return steps


def test_no_injected_script_runs_in_studio_the_learner_view_or_the_staff_view(page, watch):
    case = load_demo_case("child_pneumonia")
    path, usage_id = open_studio(page, f"Case: {case.title}")

    counter = [0]
    data = poisoned(json.loads(case.model_dump_json()), counter)
    status, body = post_json(
        page,
        f"/handler/{usage_id}/studio_submit/?student=staff",
        {
            "mode": "save",
            "display_name": VECTORS[0],
            "weight": 1,
            "case_source": json.dumps(data),
        },
    )
    assert status == 200, body
    assert counter[0] > len(VECTORS)  # every vector placed at least once

    page.goto(f"{path}studio_view/?student=staff")
    watch.assert_nothing_ran("the Studio editor (form)")
    page.get_by_role("button", name="XML or JSON").click()
    page.wait_for_timeout(500)
    watch.assert_nothing_ran("the Studio editor (XML)")

    page.goto(f"{path}?student=bt_xss_learner")
    watch.assert_nothing_ran("the learner's first page")
    assert walk_to_the_end(page, watch) > 5

    page.goto(f"{path}?student=staff")
    watch.assert_nothing_ran("the staff view")


REFERRAL_TEXT = {
    "title": 300,
    "label": 300,
    "reason": 300,
    "text": 300,
    "presentation": 4000,
    "time_course": 4000,
    "diagnosis": 4000,
    "treatment": 4000,
    "downward_summary": 4000,
    "explanation": 4000,
    "if_not_referred": 4000,
}


def poisoned_scenario(data, counter: list[int]):
    def vector(limit: int) -> str:
        n = counter[0] % len(VECTORS)
        counter[0] += 1
        tally("xss.fields_poisoned")
        return f"Text {n}: {VECTORS[n]}"[:limit]

    if isinstance(data, dict):
        out = {}
        for key, value in data.items():
            if key in REFERRAL_TEXT and isinstance(value, str):
                out[key] = vector(REFERRAL_TEXT[key])
            elif key == "instructions" and isinstance(value, list):
                out[key] = [vector(300) for _ in value]
            else:
                out[key] = poisoned_scenario(value, counter)
        return out
    if isinstance(data, list):
        return [poisoned_scenario(item, counter) for item in data]
    return data


def test_no_injected_script_runs_in_a_referral_exercise(page, watch):
    from referral_tracking import demo_exercise

    scenario = demo_exercise("hypertension_township").scenario
    path, usage_id = open_studio(page, f"Referral: {scenario.title}")
    counter = [0]
    data = poisoned_scenario(json.loads(scenario.model_dump_json()), counter)
    status, body = post_json(
        page,
        f"/handler/{usage_id}/studio_submit/?student=staff",
        {
            "mode": "save",
            "display_name": VECTORS[1],
            "weight": 1,
            "scenario_source": json.dumps(data),
        },
    )
    assert status == 200, body
    assert counter[0] >= 20
    page.goto(f"{path}studio_view/?student=staff")
    watch.assert_nothing_ran("the referral Studio editor")

    page.goto(f"{path}?student=bt_xss_referral")
    watch.assert_nothing_ran("the learner's first page")
    form = page.locator('form[data-action="decide"]')
    form.locator('input[name="disposition"][value="manage_locally"]').check()
    form.locator('input[name="priority"]').first.check()
    act(page, form.get_by_role("button", name="Record my decision").click)
    watch.assert_nothing_ran("the feedback on the decision")
    plan = page.locator('form[data-action="set_plan"]')
    interval = plan.locator('input[name="interval_days"]')
    interval.fill(interval.get_attribute("min") or "14")
    plan.locator('input[name="monitoring"]').first.check()
    act(page, plan.get_by_role("button", name="Save the plan and see the first visit").click)
    while page.locator('form[data-action="visit_choice"]').count():
        visit = page.locator('form[data-action="visit_choice"]')
        visit.locator('input[name="choice"][value="continue"]').check()
        act(page, visit.get_by_role("button", name="Record this visit").click)
        watch.assert_nothing_ran("a follow-up visit")
    for summary in page.locator("details summary").all():
        summary.click()
    watch.assert_nothing_ran("the referral summary")

    page.goto(f"{path}?student=staff")
    page.get_by_text("Referral analytics of this course").click()
    with page.expect_response(re.compile(r"/handler/.*/analytics/")):
        page.get_by_role("button", name="Show the analytics").click()
    page.locator('[data-region="analytics"] svg').first.wait_for()
    watch.assert_nothing_ran("the referral analytics")


def test_no_injected_script_runs_in_the_credit_block_its_certificate_or_the_cme_report(page, watch):
    """Author text (activity, component labels) and learner text (profile, evaluation comment)
    carry vectors; the Studio editor, the learner's page, the certificate, the staff panel and
    the CME office's report are loaded in Chromium."""
    from credit_export import CreditRule, CreditSettings, load_demo_activity

    # The credit is granted after an assessment: the learner completes a case the rule names.
    learner = "bt_xss_credit"
    case_path, case_usage = open_studio(
        page, f"Case: {load_demo_case('acute_limb_ischaemia').title}"
    )
    page.goto(f"{case_path}?student={learner}")
    walk_to_the_end(page, watch)
    path, usage_id = open_studio(page, "Credit: a CME credit alone (its rule names no component)")

    def studio(settings: CreditSettings) -> None:
        status, body = post_json(
            page,
            f"/handler/{usage_id}/studio_submit/?student=staff",
            {
                "mode": "save",
                "display_name": VECTORS[2],
                "settings_source": settings.model_dump_json(),
            },
        )
        assert status == 200, body

    counter = [0]

    def vector(limit: int = 200) -> str:
        n = counter[0] % len(VECTORS)
        counter[0] += 1
        tally("xss.fields_poisoned")
        return f"Text {n}: {VECTORS[n]}"[:limit]

    activity = load_demo_activity().model_copy(
        update={
            "name": vector(),
            "name_translations": {"zh-CN": vector()},
            "organiser": vector(),
            "discipline": vector(),
        }
    )
    assessed = CreditRule.model_validate(
        {"components": [{"usage_id": case_usage, "label": vector(), "min_fraction": 0}]}
    )
    studio(CreditSettings(activity=activity, rule=assessed))
    page.goto(f"{path}studio_view/?student=staff")
    watch.assert_nothing_ran("the credit Studio editor (form)")
    page.get_by_role("button", name="XML or JSON").click()
    page.wait_for_timeout(300)
    watch.assert_nothing_ran("the credit Studio editor (XML)")

    page.goto(f"{path}?student={learner}")
    watch.assert_nothing_ran("the learner's credit page")
    handler = f"/handler/{usage_id}/act/?student={learner}"
    profile = {
        "action": "profile",
        "name": vector(100),
        "licence_number": "110440100009999",
        "title": "junior",
        "institution": vector(),
        "tier": "primary",
        "department": vector(),
        "discipline": vector(),
    }
    for body in (
        profile,
        {
            "action": "evaluate",
            "satisfaction": 3,
            "change_in_practice": "none",
            "comment": vector(2000),
        },
        {"action": "claim"},
    ):
        status, answer = post_json(page, handler, body)
        assert status == 200, answer
    page.goto(f"{path}?student={learner}")
    expect(page.get_by_role("button", name="Print the certificate")).to_be_visible()
    watch.assert_nothing_ran("the certificate")

    page.goto(f"{path}?student=staff")
    watch.assert_nothing_ran("the staff panel")
    page.get_by_text("Credits awarded: the CME office's report").click()
    with page.expect_response(re.compile(r"/handler/.*/report/")):
        page.get_by_role("button", name="Show the report").click()
    page.locator('[data-region="report"] svg').first.wait_for()
    watch.assert_nothing_ran("the CME office's report")

    # Component labels show on the learner's page as what is missing: two rules of 50 (the
    # most a rule holds) place the rest of the corpus.
    for round_no in range(2):
        rule = CreditRule.model_validate(
            {
                "components": [
                    {"usage_id": f"block-v1:X+Y+Z+type@problem+block@{i}", "label": vector()}
                    for i in range(50)
                ]
            }
        )
        studio(CreditSettings(activity=activity, rule=rule))
        page.goto(f"{path}?student=bt_xss_credit_{round_no}")
        watch.assert_nothing_ran("the list of what the credit still needs")
    assert counter[0] > len(VECTORS)  # every vector placed at least once


NOT_IN_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
XML_TEXT_TAGS = TEXT_FIELDS | {"objective", "competency", "author", "new-information"}
CDATA_TAGS = {"summary", "content", "result", "feedback", "prompt", "commentary", "new-information"}


def poisoned_xml(xml: str, counter: list[int]) -> str:
    """The case's readable XML (the OLX format) with the text of every author field replaced by
    a vector, HTML fields as CDATA as authors write them: what a course import would carry."""
    root = etree.fromstring(xml.encode("utf-8"))
    for element in root.iter():
        if (
            isinstance(element.tag, str)
            and element.tag in XML_TEXT_TAGS
            and len(element) == 0
            and (element.text or "").strip()
        ):
            n = counter[0] % len(VECTORS)
            counter[0] += 1
            tally("xss.fields_poisoned")
            # XML cannot carry NUL or other C0 controls: the vector without them (a file on
            # disk could not hold them either).
            text = NOT_IN_XML.sub("", f"Text {n}: {VECTORS[n]}")[: LIMITS.get(element.tag, 2000)]
            element.text = etree.CDATA(text) if element.tag in CDATA_TAGS else text
    return etree.tostring(root, encoding="unicode")


def test_no_injected_script_runs_from_a_case_imported_as_xml(page, watch):
    """The same corpus through the XML reader that OLX import uses (`case_from_xml`)."""
    from case_teaching import demo_case_xml

    case = load_demo_case("hypertensive_emergency")
    path, usage_id = open_studio(page, f"Case: {case.title}")
    counter = [0]
    source = poisoned_xml(demo_case_xml("hypertensive_emergency"), counter)
    status, body = post_json(
        page,
        f"/handler/{usage_id}/studio_submit/?student=staff",
        {"mode": "save", "display_name": VECTORS[3], "weight": 1, "case_source": source},
    )
    assert status == 200, body
    assert counter[0] > len(VECTORS)  # every vector placed at least once

    page.goto(f"{path}studio_view/?student=staff")
    watch.assert_nothing_ran("the Studio editor of the imported case")
    page.goto(f"{path}?student=bt_xss_xml_learner")
    watch.assert_nothing_ran("the learner's first page")
    assert walk_to_the_end(page, watch) > 3
    page.goto(f"{path}?student=staff")
    watch.assert_nothing_ran("the staff view")
