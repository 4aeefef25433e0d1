"""A doctor works through a clinical case in Chromium, on a phone-sized screen and by keyboard;
a staff author edits the case in Studio, and a broken edit is refused with its reason."""

import re

import pytest
from playwright.sync_api import expect

from case_teaching import CHINESE_DEMO_CASES, expert_route, load_demo_case, max_score

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}
REFLECTION = "I will count the respiratory rate for a full minute and check SpO2 first."
#: What the learner reads on the block's controls, by page language.
ENGLISH_WORDS = {
    "reflection": "Your reflection",
    "answer": "Your answer",
    "move_up": "^Move up",
    "submit": "Submit answer",
    "next": "^(Continue to the next stage|Finish the case)$",
}
CHINESE_WORDS = {
    "reflection": "您的反思",
    "answer": "您的答案",
    "move_up": "^上移",
    "submit": "提交答案",
    "next": "^(进入下一阶段|完成病例)$",
}


def scenario_path(page, title: str, student: str, view: str = "") -> str:
    page.goto(f"/?student={student}")
    href = page.get_by_role("link", name=f"Case: {title}").get_attribute("href")
    path = href.split("?")[0]
    return f"{path}{view + '/' if view else ''}?student={student}"


def act(page, click) -> None:
    """Do something that posts to the block and wait until the new view is in place."""
    with page.expect_response(re.compile(r"/handler/.*/act/")) as response:
        click()
    assert response.value.status == 200, response.value.text()
    page.wait_for_function("document.activeElement && document.activeElement.tagName !== 'BODY'")


def answer_question(
    page, question, options: list[str], value: float | None = None, words=ENGLISH_WORDS
) -> None:
    form = page.locator(f'[data-question="{question.id}"] form[data-action="submit_answer"]')
    if question.kind == "reflection":
        form.get_by_label(words["reflection"]).fill(REFLECTION)
    elif question.kind == "numeric":
        # By keyboard: the number field is labelled, typed into, and the form sent with Enter.
        field = form.get_by_label(words["answer"])
        field.focus()
        page.keyboard.type(f"{value:g}")
        act(page, lambda: page.keyboard.press("Enter"))
        # The field kept the focus while the answer was sent: wait for the new view itself.
        expect(page.locator(f'[data-question="{question.id}"] .cme-feedback').first).to_be_visible()
        return
    elif question.kind == "ranking":
        # By keyboard: focus an item's "Move up" button and press Enter until it is in place.
        for position, option_id in enumerate(options):
            item = form.locator(f'li[data-value="{option_id}"]')
            while (
                form.locator("li[data-value]").nth(position).get_attribute("data-value")
                != option_id
            ):
                item.get_by_role("button", name=re.compile(words["move_up"])).focus()
                page.keyboard.press("Enter")
    else:
        for option in question.options:
            if option.id in options:
                form.get_by_label(option.text, exact=True).check()
    act(page, lambda: form.get_by_role("button", name=words["submit"]).click())


def play(page, case, decisions: dict[str, list[str]], words=ENGLISH_WORDS) -> None:
    """Request the expert's findings, answer as the expert except `decisions`, continue."""
    route = expert_route(case)
    ideal = {q: a for step in route for q, a in step.answers.items()}
    wanted = {f for step in route for f in step.findings}
    while page.locator(".cme-case-summary").count() == 0:
        stage_id = page.locator(".cme-case-stage").get_attribute("data-stage")
        stage = case.stage(stage_id)
        for finding in stage.findings:
            if finding.id in wanted:
                button = page.locator(".cme-case-request-list button", has_text=finding.label)
                act(page, button.click)
                expect_text = page.locator(f'[data-finding="{finding.id}"]')
                assert expect_text.is_visible()
                # The focus is on the result just received, not back at the stage heading.
                assert focused(page, "dataset.finding") == finding.id
        for question in stage.questions:
            given = ideal.get(question.id)
            value = given.value if given is not None else 1
            if question.id in decisions:
                options = decisions[question.id]
            elif given is not None:
                options = list(given.order or given.options)
            else:  # a stage off the expert path: any answer
                options = [question.options[0].id] if hasattr(question, "options") else []
            answer_question(page, question, options, value, words)
            feedback = page.locator(f'[data-question="{question.id}"] .cme-feedback')
            assert feedback.first.is_visible()
            assert focused(page, "closest('[data-question]').dataset.question") == question.id
            assert "cme-feedback" in focused(page, "className")
        finish = page.get_by_role("button", name=re.compile(words["next"]))
        act(page, finish.click)
        if page.locator(".cme-case-stage").count():  # a new stage: its heading has the focus
            assert focused(page, "tagName") == "H3"
            assert focused(page, "textContent") == page.locator(".cme-case-stage h3").inner_text()


def focused(page, attribute: str):
    """An attribute of the element that has the focus (`document.activeElement.<attribute>`)."""
    return page.evaluate(f"document.activeElement.{attribute}")


def test_a_gp_on_a_phone_follows_the_expert_path_and_passes(clean_page):
    page = clean_page
    page.set_viewport_size(PHONE)
    case = load_demo_case("child_pneumonia")
    page.goto(scenario_path(page, case.title, "bt_doctor_a"))
    assert page.locator(".cme-case-stage h3").inner_text() == case.start_stage.title
    # Nothing sticks out of a 360 px screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    play(page, case, decisions={})

    summary = page.locator(".cme-case-summary")
    assert "Case complete" in summary.inner_text()
    assert "You followed the expert path." in summary.inner_text()
    assert "Passed" in summary.inner_text()
    assert page.evaluate("document.activeElement.textContent") == "Case complete"
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    # After the case: the expert's answer to every question, the orders side by side.
    text = summary.inner_text()
    assert "Expected: 638 mg (42.5 mg/kg × 15 kg; accepted within ±6%)" in text
    assert "Expert order" in text and "Expert answer:" in text
    assert re.search(r"Harmful choices: [^\n]*Do not feed him until the fever settles", text)
    page.reload()  # resume where left: the summary is still there
    assert page.locator(".cme-case-summary").is_visible()


@pytest.mark.parametrize("name", CHINESE_DEMO_CASES)
def test_a_county_doctor_plays_each_chinese_case_by_the_expert_path_on_a_phone_in_chinese(
    clean_page, name
):
    page = clean_page
    page.set_viewport_size(PHONE)
    case = load_demo_case(name)
    page.goto(scenario_path(page, case.title, f"bt_zh_{case.id}") + "&lang=zh-cn")
    assert page.locator(".cme-case-stage h3").inner_text() == case.start_stage.title
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    play(page, case, decisions={}, words=CHINESE_WORDS)

    summary = page.locator(".cme-case-summary").inner_text()
    assert "病例已完成" in summary and "您的路径与专家路径一致。" in summary
    assert "已通过" in summary
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_a_gp_who_sends_the_child_home_wrongly_meets_the_deterioration_branch(clean_page):
    page = clean_page
    case = load_demo_case("child_pneumonia")
    management = case.stage("management")
    branch = next(b for b in management.branches if b.to == "deterioration")
    page.goto(scenario_path(page, case.title, "bt_doctor_b"))

    play(page, case, decisions={branch.question: [branch.options[0]]})

    summary = page.locator(".cme-case-summary").inner_text()
    assert case.stage("deterioration").title in summary
    assert "You followed the expert path." not in summary
    assert page.locator(".cme-case-paths tr.cme-case-diverged").count() >= 1


def test_the_case_page_speaks_chinese(clean_page):
    page = clean_page
    case = load_demo_case("hypertensive_emergency")
    path = scenario_path(page, case.title, "bt_doctor_c")
    page.goto(path + "&lang=zh-cn")
    assert page.get_by_role("button", name="提交答案").first.is_visible()
    assert "病例进度" in page.locator("progress").get_attribute("aria-label")


def test_a_staff_author_edits_the_case_in_studio_and_a_broken_edit_is_refused(
    clean_page, page_problems
):
    page = clean_page
    page_problems.expect(400, r"/studio_submit/")
    case = load_demo_case("acute_limb_ischaemia")
    page.goto(scenario_path(page, case.title, "staff", view="studio_view"))
    with page.expect_response(re.compile(r"/studio_submit/")):
        page.get_by_role("button", name="XML or JSON").click()
    source = page.get_by_label("Case (XML or JSON)")
    # The response lands before the page script writes the XML into the field: wait for it.
    expect(source).to_have_value(re.compile("<stage"))
    original = source.input_value()
    assert "<stage" in original

    edited = original.replace(f"<title>{case.title}</title>", "<title>Cold leg (edited)</title>")
    source.fill(edited)
    with page.expect_response(re.compile(r"/studio_submit/")):
        page.get_by_role("button", name="Save", exact=True).click()
    page.get_by_text(re.compile("^Saved:")).wait_for()

    broken = re.sub(r'(<stage id="history" next-stage=)"[^"]*"', r'\1"nowhere"', edited, count=1)
    assert broken != edited
    source.fill(broken)
    with page.expect_response(re.compile(r"/studio_submit/")) as response:
        page.get_by_role("button", name="Save", exact=True).click()
    assert response.value.status == 400
    problems = page.locator('[data-role="problems"]')
    expect(problems).to_contain_text("nowhere")
    assert re.search(r"[Ll]ine \d+", problems.inner_text())

    page.goto(scenario_path(page, case.title, "bt_doctor_d"))
    assert page.locator(".cme-case-view h2").inner_text() == "Cold leg (edited)"


def test_a_staff_author_edits_a_finding_in_the_form_and_a_blank_label_is_marked(
    clean_page, page_problems
):
    page = clean_page
    page_problems.expect(400, r"/studio_submit/")
    case = load_demo_case("hypertensive_emergency")
    page.goto(scenario_path(page, case.title, "staff", view="studio_view"))
    form = page.locator('[data-role="form-editor"]')
    assert form.is_visible()
    label = form.locator('[data-path="stages[1].findings[0].label"]')
    assert label.input_value() == case.stages[1].findings[0].label

    label.fill("")  # a finding the learner cannot name
    with page.expect_response(re.compile(r"/studio_submit/")) as response:
        page.get_by_role("button", name="Check", exact=True).click()
    assert response.value.status == 400
    # The response lands before the page script marks the field: wait for the mark.
    expect(label).to_have_attribute("aria-invalid", "true")
    # Named as the form labels it, counted from 1 as the author counts, not as a code path.
    expect(page.locator('[data-role="problems"]')).to_contain_text(
        "Stages no. 2 › Findings on request no. 1 › What the learner asks for is empty"
    )

    label.fill("Ask about chest pain and breathlessness")
    stages = form.locator('fieldset.cme-sf-list[data-path="stages"]')
    before = stages.locator(":scope > ol > li").count()
    with page.expect_response(re.compile(r"/studio_submit/")) as response:
        page.get_by_role("button", name="Save", exact=True).click()
    assert response.value.status == 200
    page.get_by_text(re.compile("^Saved:")).wait_for()
    assert stages.locator(":scope > ol > li").count() == before

    page.goto(scenario_path(page, case.title, "staff", view="studio_view"))
    label = page.locator('[data-path="stages[1].findings[0].label"]')
    assert label.input_value() == "Ask about chest pain and breathlessness"


def test_an_error_is_explained_in_the_learners_words_even_without_the_servers_text(
    clean_page, page_problems
):
    """The block's root carries the error sentences translated by the server; where it does
    not, the platform's JavaScript catalog (window.gettext) translates the fallback."""
    page = clean_page
    page_problems.expect(500, r"/handler/.*/act/")
    case = load_demo_case("acute_limb_ischaemia")
    page.goto(scenario_path(page, case.title, "bt_doctor_e"))
    page.evaluate(
        """() => {
          window.gettext = (s) => '[catalog] ' + s;
          for (const root of document.querySelectorAll('[data-cme-root]')) {
            delete root.dataset.errorText;
          }
        }"""
    )
    page.route(
        re.compile(r"/handler/.*/act/"),
        lambda route: route.fulfill(status=500, body="oops", content_type="text/plain"),
    )
    form = page.locator('form[data-action="submit_answer"]').first
    form.get_by_role("button", name="Submit answer").click()
    error = form.locator('[data-role="error"]')
    expect(error).to_have_text("[catalog] That did not work. Please try again.")


def test_a_gp_reads_the_computed_cha2ds2_vasc_once_the_history_reveals_hypertension(clean_page):
    page = clean_page
    page.set_viewport_size(PHONE)
    case = load_demo_case("acute_limb_ischaemia")
    page.goto(scenario_path(page, case.title, "bt_doctor_f"))

    play(page, case, decisions={})

    score = page.locator('[data-score="stroke-risk"]').first
    text = score.text_content()  # in the stage history, folded away
    assert "Total: 4" in text and "Anticoagulation recommended" in text
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_the_studio_form_draws_numeric_questions_and_computed_scores(clean_page):
    page = clean_page
    case = load_demo_case("child_pneumonia")
    page.goto(scenario_path(page, case.title, "staff", view="studio_view"))
    form = page.locator('[data-role="form-editor"]')
    stage = next(i for i, s in enumerate(case.stages) if s.id == "management")
    number = next(i for i, q in enumerate(case.stages[stage].questions) if q.kind == "numeric")
    path = f"stages[{stage}].questions[{number}]"
    assert form.locator(f'[data-path="{path}.unit"]').input_value() == "mg"
    assert form.locator(f'[data-path="{path}.formula.per_kg"]').input_value() == "42.5"
    limb = load_demo_case("acute_limb_ischaemia")
    page.goto(scenario_path(page, limb.title, "staff", view="studio_view"))
    stage = next(i for i, s in enumerate(limb.stages) if s.scores)
    kind = page.locator(f'[data-path="stages[{stage}].scores[0].kind"]')
    assert kind.input_value() == "cha2ds2_vasc"
    with page.expect_response(re.compile(r"/studio_submit/")) as response:
        page.get_by_role("button", name="Check", exact=True).click()
    assert response.value.status == 200


def test_a_gp_reads_the_new_information_of_a_script_concordance_question_as_text(clean_page):
    """The author's HTML of "and then you find:" is shown as formatted text, not as markup."""
    page = clean_page
    case = load_demo_case("chest_pain_gp")
    question = next(q for q in case.start_stage.questions if q.kind == "script_concordance")
    page.goto(scenario_path(page, case.title, "bt_doctor_sct"))
    form = page.locator(f'[data-question="{question.id}"] form')
    found = form.locator(".cme-case-new-information")
    expect(found).to_contain_text("The first episode came on while carrying a heavy load")
    assert "<p>" not in found.inner_text()
    assert found.locator("p", has_text="carrying a heavy load upstairs").count() == 1


@pytest.mark.parametrize(
    ("student", "lang", "earned", "so_far"),
    [
        ("bt_doctor_round", "", "You earned 0.5 of 1 point.", "0.5 of {max} points"),
        ("bt_doctor_round_zh", "&lang=zh-cn", "0.5 分（满分 1 分）", "0.5 分（满分 {max} 分）"),
    ],
)
def test_a_gp_reads_a_partial_score_rounded_and_worded_in_their_language(
    clean_page, student, lang, earned, so_far
):
    """An expert-panel answer worth 5/11 of a point reads 0.5, not 0.454545."""
    page = clean_page
    case = load_demo_case("chest_pain_gp")
    question = next(q for q in case.start_stage.questions if q.kind == "script_concordance")
    page.goto(scenario_path(page, case.title, student) + lang)
    form = page.locator(f'[data-question="{question.id}"] form')
    form.locator('input[value="less"]').check()
    act(page, lambda: form.locator('button[type="submit"]').click())
    feedback = page.locator(f'[data-question="{question.id}"] .cme-feedback').first
    expect(feedback).to_contain_text(earned)
    score = page.locator('[data-role="score"]').inner_text()
    assert so_far.format(max=f"{max_score(case):g}") in score


def save_in_studio_form(page, case, edit) -> None:
    """Open the case's Studio form (in English), `edit(form)` as the author types, save."""
    page.goto(scenario_path(page, case.title, "staff", view="studio_view") + "&lang=en")
    edit(page.locator('[data-role="form-editor"]'))
    with page.expect_response(re.compile(r"/studio_submit/")) as response:
        page.get_by_role("button", name="Save", exact=True).click()
    assert response.value.status == 200, response.value.text()
    page.get_by_text(re.compile("^Saved:")).wait_for()


def set_patient_age(page, case, years: int, months: int) -> None:
    def edit(form) -> None:
        form.locator('[data-path="patient.age_years"]').fill(str(years))
        form.locator('[data-path="patient.age_months"]').fill(str(months))

    save_in_studio_form(page, case, edit)


def test_an_author_gives_a_toddlers_age_in_months_and_the_learner_reads_14_months(clean_page):
    page = clean_page
    case = load_demo_case("child_pneumonia")
    set_patient_age(page, case, 0, 14)
    try:
        page.goto(scenario_path(page, case.title, "bt_doctor_toddler"))
        expect(page.locator(".cme-case-view header")).to_contain_text("Patient: 14 months old")
        page.goto(scenario_path(page, case.title, "bt_doctor_toddler_zh") + "&lang=zh-cn")
        expect(page.locator(".cme-case-view header")).to_contain_text("14 个月")
    finally:
        set_patient_age(page, case, case.patient.age_years, case.patient.age_months)


def test_an_author_is_warned_that_the_summary_gives_the_answer_away(clean_page):
    """A warning, not a refusal: the case stays valid and savable."""
    page = clean_page
    case = load_demo_case("child_pneumonia")
    page.goto(scenario_path(page, case.title, "staff", view="studio_view"))
    summary = page.locator('[data-role="form-editor"] [data-path="summary"]')
    summary.fill("<p>No general danger signs, no chest indrawing: treat him at home.</p>")
    with page.expect_response(re.compile(r"/studio_submit/")) as response:
        page.get_by_role("button", name="Check", exact=True).click()
    assert response.value.status == 200
    warnings = page.locator('[data-role="warnings"]')
    expect(warnings).to_be_visible()
    expect(warnings).to_contain_text('Summary (HTML) uses "chest", "indrawing"')
    expect(warnings).to_contain_text("may give the answer away")
    expect(page.locator('[data-role="problems"]')).to_be_hidden()
    summary.fill(case.summary)
    with page.expect_response(re.compile(r"/studio_submit/")):
        page.get_by_role("button", name="Check", exact=True).click()
    expect(warnings).not_to_contain_text("Summary (HTML)")


def test_on_a_phone_a_findings_result_uses_the_width_of_the_screen(clean_page):
    """Findings sit flat in their stage, not in a card in a card in a list: on a 360 px phone
    the result's text is as wide as the stage's own text, and nothing sticks out."""
    page = clean_page
    page.set_viewport_size(PHONE)
    case = load_demo_case("sulfonylurea_hypoglycaemia")
    page.goto(scenario_path(page, case.title, "bt_doctor_phone_findings"))
    stage = case.start_stage
    finding = stage.findings[0]
    act(page, page.locator(".cme-case-request-list button", has_text=finding.label).click)
    result = page.locator(f'[data-finding="{finding.id}"]')
    expect(result).to_be_visible()
    widths = page.evaluate(
        """(id) => {
          const item = document.querySelector(`[data-finding="${id}"]`);
          const text = item.querySelector('.cme-case-finding-result') || item;
          const content = document.querySelector('.cme-case-stage h3');
          return {text: text.getBoundingClientRect().width,
                  stage: content.getBoundingClientRect().width,
                  cards: item.parentElement.closest('.cme-card') && item.matches('.cme-card')};
        }""",
        finding.id,
    )
    assert widths["text"] >= widths["stage"] - 8, widths
    assert not widths["cards"], "a finding is a card inside the stage's card"
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


CHART_TEXT = """() => Array.from(document.querySelectorAll('[data-region="cohort"] svg text'))
  .map((el) => ({
    size: parseFloat(getComputedStyle(el).fontSize) * el.getScreenCTM().a,
    text: Array.from(el.querySelectorAll('tspan')).map((s) => s.textContent).join(''),
  }))"""


def test_a_teacher_reads_the_cohort_charts_on_a_phone(clean_page):
    """Each decision's label is wrapped, not cut at 40 characters, and no chart text is
    smaller than 12 px on a 360 px phone."""
    page = clean_page
    case = load_demo_case("sulfonylurea_hypoglycaemia")
    page.goto(scenario_path(page, case.title, "bt_doctor_cohort"))
    play(page, case, decisions={})
    page.set_viewport_size(PHONE)
    page.goto(scenario_path(page, case.title, "staff"))
    page.get_by_text("How the cohort went through this case").click()
    with page.expect_response(re.compile(r"/handler/.*/cohort/")):
        page.get_by_role("button", name="Show the cohort's results").click()
    page.locator('[data-region="cohort"] svg').first.wait_for()
    for summary in page.locator('[data-region="cohort"] details summary').all():
        summary.click()
    texts = page.evaluate(CHART_TEXT)
    assert texts and min(t["size"] for t in texts) >= 12, sorted(t["size"] for t in texts)[:3]
    ranking = next(q for s in case.stages for q in s.questions if q.kind == "ranking")
    prompt = re.sub(r"<[^>]+>", "", ranking.prompt)
    assert any(t["text"].endswith(prompt) for t in texts), [t["text"] for t in texts][:8]
    assert not [t["text"] for t in texts if t["text"].endswith("…")]
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def keep_summary_for_the_end(page, case, keep: bool) -> None:
    def edit(form) -> None:
        form.locator('[data-path="summary_after_case"]').set_checked(keep)

    save_in_studio_form(page, case, edit)


def test_an_author_keeps_the_summary_for_the_end_and_learners_do_not_read_it_first(clean_page):
    page = clean_page
    case = load_demo_case("hypertensive_emergency")
    opening = re.sub(r"<[^>]+>", "", case.summary)[:40]
    keep_summary_for_the_end(page, case, True)
    try:
        page.goto(scenario_path(page, case.title, "bt_doctor_no_spoiler"))
        expect(page.locator(".cme-case-stage h3")).to_have_text(case.start_stage.title)
        assert opening not in page.locator(".cme-case-view").inner_text()
        assert case.learning_objectives[0] not in page.locator(".cme-case-view").text_content()
    finally:
        keep_summary_for_the_end(page, case, False)
