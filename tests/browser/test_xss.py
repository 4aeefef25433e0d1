"""Author content is never a way to run script in a learner's (or a teacher's) browser.

Every author-editable text and HTML field of a case, a referral exercise (its scenario, its own
rule set and consortium) and the credit block gets one of 100+ injection vectors
(`tests/support/xss_vectors.py`), through the Studio handlers as JSON and as the XML that OLX
import reads; learners put vectors in their reflections and CME profile. Chromium then loads
the Studio editors, the learner's page at every stage to the end, and the staff views (the
case's cohort panel, the referral analytics, the credit report). Three detectors watch every
page state:

- the hook: each vector calls `__xss(n)` if it runs; dialogs are caught too;
- the console marker: the hook writes a marker to the console, so a vector that runs in a
  frame of its own (whose window is not the page's) is still seen;
- the DOM probe: inside the blocks' roots no author-made `<script>`, no `on*` attribute, no
  `javascript:`/`data:` URL in `href`/`src`/`action`/`formaction`, no `srcdoc`, no
  `<iframe>`/`<object>`/`<embed>`; anywhere on the page no handler or script that names the
  hook. This catches what would need a click to run (a `javascript:` link, a form action).

A page where the hook is missing fails (it could not vouch for anything), and a positive
control proves each detector catches an unescaped vector placed on purpose.
"""

import json
import re

import pytest
from lxml import etree
from playwright.sync_api import expect

from case_teaching import load_demo_case
from tests.support.figures import tally
from tests.support.xss_vectors import HOOK, INSTALLED, MARKER, VECTORS

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
    "alt",
    "caption",
    "transcript",
}
TEXT_LISTS = {"learning_objectives", "competencies", "authors"}
LIMITS = {"unit": 50, "value": 200, "normal_range": 200}  # the schema's own lengths

#: Characters XML cannot hold (NUL and the other C0 controls, two non-characters).
NOT_IN_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

#: Relative image addresses the vectors and the poisoned media use: the workbench answers 404
#: for them, which the page fixture is told to expect (a missing picture, not a broken page).
MISSING_IMAGES = r"/scenario/[^/?]+/(x|%60x%60|xss-media\.(png|mp4|mp3))([/?].*)?$"

#: Everything the detectors look for in the DOM (see the module docstring).
DOM_PROBE = r"""() => {
  const found = [];
  const squeeze = (v) => (v || '').replace(/[\u0000-\u0020\u007f-\u009f]/g, '').toLowerCase();
  const URL_ATTRS = new Set(['href', 'xlink:href', 'src', 'action', 'formaction', 'data',
    'background', 'poster', 'srcset', 'ping', 'codebase', 'lowsrc', 'dynsrc', 'cite']);
  const RASTER = /^data:image\/(png|jpe?g|gif|webp|avif|bmp)[;,]/;
  const scriptUrl = (tag, name, value) => {
    const v = squeeze(value);
    if (/^(javascript|vbscript|livescript):/.test(v)) { return true; }
    // The sanitizer lets an inline raster image through (never SVG): nothing else.
    return v.startsWith('data:') && !(tag === 'img' && name === 'src' && RASTER.test(v));
  };
  const ours = (el) => el.tagName === 'SCRIPT' && el.type === 'application/json' &&
    ['editor-config', 'editor-data'].includes(el.dataset.role);
  const say = (why, el) => found.push(why + ': ' + el.outerHTML.slice(0, 200));
  const FOREIGN = new Set(['iframe', 'frame', 'frameset', 'object', 'embed', 'applet',
    'portal', 'base', 'meta', 'link', 'style']);
  // Inside every block root: nothing that runs script, now or on a click.
  for (const root of document.querySelectorAll('.cme-block')) {
    for (const el of root.querySelectorAll('*')) {
      const tag = el.tagName.toLowerCase();
      if (tag === 'script' && !ours(el)) { say('a script element', el); }
      if (FOREIGN.has(tag)) { say('a ' + tag + ' element', el); }
      if ((tag === 'set' || tag === 'animate') &&
          /^(on|href|xlink:href)/i.test(el.getAttribute('attributeName') || '')) {
        say('an SVG animation of a handler or link', el);
      }
      for (const attr of el.attributes) {
        const name = attr.name.toLowerCase();
        if (name.startsWith('on')) { say('an event handler attribute', el); }
        if (name === 'srcdoc') { say('a srcdoc attribute', el); }
        if ((URL_ATTRS.has(name) || name.endsWith(':href')) && scriptUrl(tag, name, attr.value)) {
          say('a script or data URL in ' + name, el);
        }
        if (name === 'style' && /javascript:|expression\(|url\(/i.test(attr.value)) {
          say('a style that loads or runs something', el);
        }
      }
    }
  }
  // Anywhere on the page (a vector that broke out of its block): nothing naming the hook.
  for (const el of document.querySelectorAll('*')) {
    if (el.closest('.cme-block')) { continue; }
    if (el.tagName === 'SCRIPT' && !ours(el) && el.textContent.includes('__xss')) {
      say('a script naming the hook outside the blocks', el);
    }
    for (const attr of el.attributes) {
      const name = attr.name.toLowerCase();
      if ((name.startsWith('on') || name === 'srcdoc') && attr.value.includes('__x')) {
        say('a handler naming the hook outside the blocks', el);
      }
      if ((URL_ATTRS.has(name) || name.endsWith(':href')) &&
          scriptUrl(el.tagName.toLowerCase(), name, attr.value) && attr.value.includes('__x')) {
        say('a script URL naming the hook outside the blocks', el);
      }
    }
  }
  return found;
}"""

SETTLE = """() => new Promise((done) => {
  const idle = () => !document.querySelector('.cme-block [aria-busy="true"]');
  const wait = () => (idle() ? requestAnimationFrame(() => requestAnimationFrame(done))
                             : setTimeout(wait, 20));
  wait();
})"""


class ScriptWatch:
    """The page and every frame in it, watched by the hook, the console marker, dialogs and
    the DOM probe."""

    def __init__(self, page):
        self.page = page
        self.dialogs: list[str] = []
        self.console: list[str] = []
        self.errors: list[str] = []
        page.add_init_script(HOOK)
        page.on("dialog", self._dialog)
        page.on("console", self._console)
        page.on("pageerror", self._error)

    def reset(self) -> None:
        """Forget what the listeners saw (a new page state, in the positive control)."""
        self.dialogs.clear()
        self.console.clear()
        self.errors.clear()

    def _dialog(self, dialog) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def _console(self, message) -> None:
        if MARKER in message.text:
            self.console.append(message.text)

    def _error(self, exc) -> None:
        # A vector that ran where the hook is not defined still names it in its error.
        if "__xss" in str(exc):
            self.errors.append(str(exc))

    def findings(self) -> dict[str, list]:
        """What each detector saw on the page as it is now (the page settled first)."""
        self.page.evaluate(SETTLE)
        installed = self.page.evaluate(
            f"() => window.{INSTALLED} === true && typeof window.__xss === 'function' "
            "&& Array.isArray(window.__xssHits)"
        )
        hits = self.page.evaluate("() => window.__xssHits || []")
        return {
            "hook missing": [] if installed else ["the __xss hook is not installed"],
            "hook": [f"vector {n}: {VECTORS[n] if n < len(VECTORS) else '?'}" for n in hits],
            "console": list(self.console),
            "errors": list(self.errors),
            "dialogs": list(self.dialogs),
            "dom": self.page.evaluate(DOM_PROBE),
        }

    def assert_nothing_ran(self, where: str) -> None:
        seen = {name: items for name, items in self.findings().items() if items}
        assert not seen, f"script could run on {where}: " + json.dumps(seen, indent=1)[:3000]
        tally("xss.pages_checked")


@pytest.fixture
def watch(clean_page, page_problems) -> ScriptWatch:
    """The page, watched for any injected script; it also fails on a console error or a failed
    request (the pictures the vectors point at are expected to be missing)."""
    page_problems.expect(404, MISSING_IMAGES)
    return ScriptWatch(clean_page)


def vector_text(counter: list[int], limit: int = 2000) -> str:
    """'Text n: <vector n>' (n cycling through the corpus), counted as a poisoned field. Without
    the C0 control characters (a NUL inside `onerror`): the editors refuse those, rightly, as
    text a course export cannot hold (tests/xblock/test_fuzz_handlers.py checks that)."""
    n = counter[0] % len(VECTORS)
    counter[0] += 1
    tally("xss.fields_poisoned")
    return NOT_IN_XML.sub("", f"Text {n}: {VECTORS[n]}")[:limit]


def poisoned(data, counter: list[int]):
    """The case with every author text replaced by a vector."""
    if isinstance(data, dict):
        out = {}
        for key, value in data.items():
            if key in TEXT_FIELDS and isinstance(value, str):
                out[key] = vector_text(counter, LIMITS.get(key, 2000))
            elif key in TEXT_LISTS and isinstance(value, list):
                out[key] = [vector_text(counter) for _ in value] or [vector_text(counter)]
            else:
                out[key] = poisoned(value, counter)
        return out
    if isinstance(data, list):
        return [poisoned(item, counter) for item in data]
    return data


def with_media(case_data: dict) -> dict:
    """The case with an image, a video and an audio clip on every stage (alt, caption and
    transcript are poisoned with the rest); one image address tries to break out of `src`."""
    for index, stage in enumerate(case_data["stages"]):
        stage["media"] = [
            {
                "kind": "image",
                "src": "xss-media.png" if index else 'xss-media.png?" onerror="__xss(4)" x="',
                "alt": "An ECG",
                "caption": "Caption",
            },
            {"kind": "video", "src": "xss-media.mp4", "transcript": "What is said"},
            {"kind": "audio", "src": "xss-media.mp3", "transcript": "What is heard"},
        ]
    return case_data


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


def save(page, usage_id: str, body: dict) -> None:
    status, answer = post_json(page, f"/handler/{usage_id}/studio_submit/?student=staff", body)
    assert status == 200, answer


def act(page, click) -> None:
    with page.expect_response(re.compile(r"/handler/.*/act/")) as response:
        click()
    assert response.value.status == 200, response.value.text()


def check_studio(page, watch: ScriptWatch, path: str, what: str) -> None:
    """The Studio editor of `path`, in its form and in its XML or JSON mode."""
    page.goto(f"{path}studio_view/?student=staff")
    watch.assert_nothing_ran(f"the {what} Studio editor (form)")
    page.get_by_role("button", name="XML or JSON").click()
    page.wait_for_timeout(300)
    watch.assert_nothing_ran(f"the {what} Studio editor (XML)")


def walk_to_the_end(page, watch: ScriptWatch, counter: list[int]) -> int:
    """A learner who asks for everything, answers with the first option (their reflections
    carry vectors too: the cohort panel shows them to staff), and continues."""
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
                text.fill("A reflection long enough to be accepted. " + vector_text(counter))
            elif answer.locator("input[type=number]").count():
                answer.locator("input[type=number]").fill("600")
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


def check_case_staff_views(page, watch: ScriptWatch, path: str) -> None:
    """The staff view and its cohort panel (decisions, options, findings, reflections)."""
    page.goto(f"{path}?student=staff")
    watch.assert_nothing_ran("the staff view")
    page.get_by_text("How the cohort went through this case").click()
    with page.expect_response(re.compile(r"/handler/.*/cohort/")) as response:
        page.get_by_role("button", name="Show the cohort's results").click()
    assert response.value.status == 200, response.value.text()
    page.locator('[data-region="cohort"] svg').first.wait_for()
    for summary in page.locator('[data-region="cohort"] details summary').all():
        summary.click()
    watch.assert_nothing_ran("the cohort panel with every decision and reflection open")


def test_no_injected_script_runs_in_studio_the_learner_view_or_the_staff_view(clean_page, watch):
    page = clean_page
    case = load_demo_case("child_pneumonia")
    path, usage_id = open_studio(page, f"Case: {case.title}")

    counter = [0]
    data = poisoned(with_media(json.loads(case.model_dump_json())), counter)
    body = {"mode": "save", "display_name": VECTORS[0], "weight": 1}
    save(page, usage_id, body | {"case_source": json.dumps(data)})
    assert counter[0] > len(VECTORS)  # every vector placed at least once

    check_studio(page, watch, path, "case")
    page.goto(f"{path}?student=bt_xss_learner")
    watch.assert_nothing_ran("the learner's first page")
    assert page.locator("figure.cme-case-media").count() >= 3  # the poisoned media are shown
    assert walk_to_the_end(page, watch, counter) > 5
    check_case_staff_views(page, watch, path)


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
#: The rule set's and the consortium's texts (labels 300, notes 4000: the schema's limits).
SOURCE_TEXT = {
    "title": 300,
    "title_zh": 300,
    "label": 300,
    "label_zh": 300,
    "unit": 300,
    "guideline": 300,
    "issuing_body": 300,
    "url": 300,
    "name": 300,
    "name_zh": 300,
    "note": 4000,
    "rationale": 4000,
}


def poisoned_texts(data, counter: list[int], texts: dict[str, int], lists=("instructions",)):
    """`data` with every string under a key of `texts` (and in the lists named) a vector."""
    if isinstance(data, dict):
        out = {}
        for key, value in data.items():
            if key in texts and isinstance(value, str):
                out[key] = vector_text(counter, texts[key])
            elif key in lists and isinstance(value, list):
                out[key] = [vector_text(counter, 300) for _ in value]
            else:
                out[key] = poisoned_texts(value, counter, texts, lists)
        return out
    if isinstance(data, list):
        return [poisoned_texts(item, counter, texts, lists) for item in data]
    return data


def walk_the_referral(page, watch: ScriptWatch) -> None:
    """Manage locally, plan the follow-up, continue at every visit, open the summary."""
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


def check_referral_analytics(page, watch: ScriptWatch, path: str) -> None:
    page.goto(f"{path}?student=staff")
    watch.assert_nothing_ran("the referral staff view")
    page.get_by_text("Referral analytics of this course").click()
    with page.expect_response(re.compile(r"/handler/.*/analytics/")):
        page.get_by_role("button", name="Show the analytics").click()
    page.locator('[data-region="analytics"] svg').first.wait_for()
    watch.assert_nothing_ran("the referral analytics")


def test_no_injected_script_runs_in_a_referral_exercise_its_rule_set_or_its_consortium(
    clean_page, watch
):
    """The scenario, the author's own rule set (terms, criteria, provenance) and consortium
    (institution names) all carry vectors."""
    from referral_tracking import demo_exercise

    page = clean_page
    exercise = demo_exercise("hypertension_township")
    path, usage_id = open_studio(page, f"Referral: {exercise.scenario.title}")
    counter = [0]
    scenario = poisoned_texts(
        json.loads(exercise.scenario.model_dump_json()), counter, REFERRAL_TEXT
    )
    ruleset = poisoned_texts(json.loads(exercise.ruleset.model_dump_json()), counter, SOURCE_TEXT)
    consortium = poisoned_texts(
        json.loads(exercise.consortium.model_dump_json()), counter, SOURCE_TEXT
    )
    save(
        page,
        usage_id,
        {
            "mode": "save",
            "display_name": VECTORS[1],
            "weight": 1,
            "scenario_source": json.dumps(scenario),
            "ruleset_source": json.dumps(ruleset),
            "consortium_source": json.dumps(consortium),
        },
    )
    assert counter[0] > len(VECTORS)  # every vector placed at least once
    check_studio(page, watch, path, "referral")

    page.goto(f"{path}?student=bt_xss_referral")
    watch.assert_nothing_ran("the learner's first page")
    walk_the_referral(page, watch)
    check_referral_analytics(page, watch, path)


def test_no_injected_script_runs_in_the_credit_block_its_certificate_or_the_cme_report(
    clean_page, watch
):
    """Author text (activity, component labels) and learner text (profile, evaluation comment)
    carry vectors; the Studio editor, the learner's page, the certificate, the staff panel and
    the CME office's report are loaded in Chromium."""
    from credit_export import CreditRule, CreditSettings, load_demo_activity

    page = clean_page
    # The credit is granted after an assessment: the learner completes a case the rule names.
    learner = "bt_xss_credit"
    case_title = load_demo_case("acute_limb_ischaemia").title
    case_path, case_usage = open_studio(page, f"Case: {case_title}")
    page.goto(f"{case_path}?student={learner}")
    counter = [0]
    walk_to_the_end(page, watch, counter)
    path, usage_id = open_studio(page, "Credit: a CME credit alone (its rule names no component)")

    def studio(settings: CreditSettings) -> None:
        save(
            page,
            usage_id,
            {
                "mode": "save",
                "display_name": VECTORS[2],
                "settings_source": settings.model_dump_json(),
            },
        )

    def vector(limit: int = 200) -> str:
        return vector_text(counter, limit)

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
    check_studio(page, watch, path, "credit")

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


XML_TEXT_TAGS = TEXT_FIELDS | {"objective", "competency", "author", "new-information"}
CDATA_TAGS = {"summary", "content", "result", "feedback", "prompt", "commentary", "new-information"}
#: Text elements of a referral scenario's XML and their limits (the schema's).
REFERRAL_XML_TEXT = {
    "title": 300,
    "label": 300,
    "text": 300,
    "reason": 300,
    "instruction": 300,
    "presentation": 4000,
    "time-course": 4000,
    "diagnosis": 4000,
    "treatment": 4000,
    "downward-summary": 4000,
    "explanation": 4000,
    "if-not-referred": 4000,
}
#: Text elements of the credit settings' XML.
CREDIT_XML_TEXT = {"name": 200, "organiser": 200, "discipline": 200, "component": 200}


def poisoned_xml(xml: str, counter: list[int], texts: dict[str, int], cdata=()) -> str:
    """Readable XML (the OLX format) with the text of every author element named in `texts`
    replaced by a vector, the HTML ones (`cdata`) as CDATA as authors write them: what a
    course import would carry."""
    root = etree.fromstring(xml.encode("utf-8"))
    for element in root.iter():
        if (
            isinstance(element.tag, str)
            and element.tag in texts
            and len(element) == 0
            and (element.text or "").strip()
        ):
            text = vector_text(counter, texts[element.tag])
            element.text = etree.CDATA(text) if element.tag in cdata else text
    return etree.tostring(root, encoding="unicode")


def test_no_injected_script_runs_from_a_case_imported_as_xml(clean_page, watch):
    """The same corpus through the XML reader that OLX import uses (`case_from_xml`)."""
    from case_teaching import demo_case_xml

    page = clean_page
    case = load_demo_case("hypertensive_emergency")
    path, usage_id = open_studio(page, f"Case: {case.title}")
    counter = [0]
    texts = {tag: LIMITS.get(tag, 2000) for tag in XML_TEXT_TAGS}
    source = poisoned_xml(demo_case_xml("hypertensive_emergency"), counter, texts, CDATA_TAGS)
    body = {"mode": "save", "display_name": VECTORS[3], "weight": 1, "case_source": source}
    save(page, usage_id, body)
    assert counter[0] > len(VECTORS)  # every vector placed at least once

    check_studio(page, watch, path, "imported case's")
    page.goto(f"{path}?student=bt_xss_xml_learner")
    watch.assert_nothing_ran("the learner's first page")
    assert walk_to_the_end(page, watch, counter) > 3
    check_case_staff_views(page, watch, path)


def test_no_injected_script_runs_from_a_referral_or_credit_imported_as_xml(clean_page, watch):
    """The referral scenario's and the credit settings' XML readers (what their OLX import
    uses: `scenario_from_xml`, `settings_from_xml`), every text element a vector."""
    from credit_export import CreditRule, CreditSettings, load_demo_activity, settings_to_xml
    from referral_tracking import demo_exercise, demo_scenario_xml

    page = clean_page
    counter = [0]
    scenario = demo_exercise("child_pneumonia_hypoxia").scenario
    path, usage_id = open_studio(page, f"Referral: {scenario.title}")
    source = poisoned_xml(demo_scenario_xml("child_pneumonia_hypoxia"), counter, REFERRAL_XML_TEXT)
    save(
        page,
        usage_id,
        {"mode": "save", "display_name": VECTORS[5], "weight": 1, "scenario_source": source},
    )
    check_studio(page, watch, path, "imported referral's")
    page.goto(f"{path}?student=bt_xss_referral_xml")
    watch.assert_nothing_ran("the learner's page of the imported referral")
    walk_the_referral(page, watch)
    check_referral_analytics(page, watch, path)

    path, usage_id = open_studio(page, "Credit: a CME credit alone (its rule names no component)")
    for round_no in range(2):  # a rule holds at most 50 components: two place the corpus
        rule = CreditRule.model_validate(
            {
                "components": [
                    {"usage_id": f"block-v1:X+Y+Z+type@problem+block@{i}", "label": f"L{i}"}
                    for i in range(50)
                ]
            }
        )
        xml = settings_to_xml(CreditSettings(activity=load_demo_activity(), rule=rule))
        source = poisoned_xml(xml, counter, CREDIT_XML_TEXT)
        body = {"mode": "save", "display_name": VECTORS[6], "settings_source": source}
        save(page, usage_id, body)
        page.goto(f"{path}?student=bt_xss_credit_xml_{round_no}")
        watch.assert_nothing_ran("the credit page of the imported settings")
    assert counter[0] > len(VECTORS)  # every vector placed at least once
    check_studio(page, watch, path, "imported credit's")
    page.goto(f"{path}?student=staff")
    watch.assert_nothing_ran("the credit staff panel of the imported settings")


# ---- the detectors themselves -------------------------------------------------------------


def test_the_detectors_catch_an_unescaped_vector_placed_on_purpose(page):
    """Positive control: markup a broken template would let through, put into a block root on
    purpose, is caught by each detector in turn; and a page without the hook fails."""
    page.set_default_timeout(15_000)
    watch = ScriptWatch(page)
    page.goto("/?student=staff")
    page.goto(page.get_by_role("link", name=re.compile("^Case: ")).first.get_attribute("href"))
    watch.assert_nothing_ran("the untouched case page")  # the control's own baseline

    def fresh() -> None:
        page.reload()
        watch.reset()

    def place(html: str) -> None:
        page.evaluate(
            "(html) => document.querySelector('.cme-block').insertAdjacentHTML('beforeend', html)",
            html,
        )
        page.wait_for_timeout(300)

    def caught_by(*detectors: str) -> dict:
        found = watch.findings()
        for detector in detectors:
            assert found[detector], (detector, found)
        with pytest.raises(AssertionError, match="script could run"):
            watch.assert_nothing_ran("the control")
        tally("xss.controls_caught")
        return found

    place(VECTORS[4])  # <img src=x onerror=__xss(4)>: runs
    found = caught_by("hook", "dom")
    assert found["hook"] == [f"vector 4: {VECTORS[4]}"]

    fresh()
    place(VECTORS[20])  # <a href=javascript:__xss(20)>: runs only on a click
    found = caught_by("dom")
    assert not found["hook"] and "href" in found["dom"][0]

    fresh()
    place(VECTORS[27])  # <button formaction=javascript:...>
    caught_by("dom")

    fresh()
    place('<iframe srcdoc="<script>__xss(16)</script>"></iframe>')  # runs in its own frame
    found = caught_by("console", "dom")
    assert not found["hook"]  # the page's own window never saw it: only the console did

    fresh()
    place("<img src=x onerror=alert(7)>")
    caught_by("dialogs", "dom")

    fresh()
    page.evaluate(f"() => {{ delete window.__xss; delete window.{INSTALLED}; }}")
    caught_by("hook missing")
