"""`cme_case` in the real workbench runtime: a learner works through a case by the handlers the
page uses, grades and completion are published once earned, nothing unearned reaches the
browser, staff edit the case in Studio and reset a learner; bad input changes nothing."""

import html
import json
import re

import pytest
from lxml import etree

from case_teaching import (
    AnswerGiven,
    Case,
    CaseProgress,
    case_from_xml,
    case_to_xml,
    demo_case_names,
    expert_route,
    learner_view,
    load_demo_case,
    new_progress,
)
from case_teaching.schema import text_excerpt
from tests.unit.test_case_learner_view import unique_secrets
from xblocks.records.models import LearnerOutcome

REFLECTION = "Next time I will ask for the danger signs before anything else."


def case_scenarios(scenarios) -> dict[str, str]:
    """Demo case name -> usage id of its workbench scenario."""
    found = {}
    for name in demo_case_names():
        case = load_demo_case(name)
        for scenario_id, scenario in scenarios.items():
            if scenario_id.startswith("cme_case.") and scenario.description.endswith(case.title):
                found[name] = scenario.usage_id
    return found


@pytest.fixture
def usages(scenarios) -> dict[str, str]:
    return case_scenarios(scenarios)


def test_the_workbench_lists_every_demo_case_and_a_chinese_case_in_both_languages(scenarios):
    listed = case_scenarios(scenarios)
    assert set(listed) == set(demo_case_names())
    assert {"paediatric_septic_shock", "paediatric_septic_shock.en"} <= set(listed)


class Learner:
    """A learner using the page's handler, as the browser does."""

    def __init__(self, workbench, usage_id: str, case: Case, student: str = "student_1"):
        self.workbench, self.usage_id, self.case, self.student = workbench, usage_id, case, student
        self.step = 0
        self.payloads: list[str] = []

    def open_page(self) -> str:
        response = self.workbench.page(self.scenario_id, student=self.student)
        assert response.status_code == 200
        page = response.content.decode()
        self.payloads.append(page)
        steps = re.findall(r'name="step" value="(\d+)"', page)
        self.step = int(steps[0]) if steps else self.step
        return page

    @property
    def scenario_id(self) -> str:
        from workbench.scenarios import get_scenarios

        return next(k for k, s in get_scenarios().items() if s.usage_id == self.usage_id)

    def post(self, action: str, **fields):
        response = self.workbench.handler(
            self.usage_id, "act", {"action": action, "step": self.step, **fields}, self.student
        )
        body = json.loads(response.content)
        self.payloads.append(response.content.decode())
        if response.status_code == 200:
            self.step += 1
        return response.status_code, body

    def view_data(self) -> dict:
        """What the mobile app asks for: the learner's own view, as data."""
        response = self.workbench.handler(self.usage_id, "view_data", {}, self.student)
        assert response.status_code == 200, response.content
        self.payloads.append(response.content.decode())
        return json.loads(response.content)

    def ok(self, action: str, **fields) -> dict:
        status, body = self.post(action, **fields)
        assert status == 200, body
        return body

    @property
    def block(self):
        return self.workbench.block(self.usage_id, self.student)

    @property
    def progress(self) -> CaseProgress:
        return CaseProgress.model_validate_json(self.block.progress_json)

    def answer(self, question, given: AnswerGiven) -> dict:
        fields = {"question": question.id}
        if question.kind == "reflection":
            fields["text"] = given.text
        elif question.kind == "ranking":
            fields["order"] = list(given.order)
        elif question.kind == "numeric":
            fields["value"] = given.value
        else:
            fields["options"] = list(given.options)
        return self.ok("submit_answer", **fields)

    def play(self, decisions: dict[str, list[str]] | None = None, findings: bool = True):
        """Answer as the expert would, except `decisions` (question -> options); request the
        expert's findings (or none); continue to the end."""
        decisions = decisions or {}
        ideal = {q: a for step in expert_route(self.case) for q, a in step.answers.items()}
        wanted = {f for step in expert_route(self.case) for f in step.findings}
        self.open_page()
        while not self.progress.completed:
            stage = self.case.stage(self.progress.current_stage)
            if findings:
                for finding in stage.findings:
                    if finding.id in wanted:
                        self.ok("request_finding", finding=finding.id)
            for question in stage.questions:
                if question.id in decisions:
                    given = AnswerGiven(options=decisions[question.id])
                elif question.kind == "reflection":
                    given = AnswerGiven(text=REFLECTION)
                else:
                    given = ideal.get(question.id) or AnswerGiven(options=[question.options[0].id])
                self.answer(question, given)
            self.ok("continue")
        return self.progress


def visible_text(payload: str) -> str:
    return html.unescape(payload).replace("\\u2019", "’")


# ---- a learner's way through a case ---------------------------------------------------------


def test_a_learner_following_the_expert_gets_full_marks_a_grade_completion_and_one_outcome(
    workbench, usages
):
    case = load_demo_case("chest_pain_gp")
    learner = Learner(workbench, usages["chest_pain_gp"], case)
    progress = learner.play()

    assert progress.path == [s.stage for s in expert_route(case)]
    assert progress.score == progress.max_score
    grades = workbench.events("student_1", "grade")
    assert (grades[-1]["data"]["value"], grades[-1]["data"]["max_value"]) == (
        progress.max_score,
        progress.max_score,
    )
    assert [e["data"] for e in workbench.events("student_1", "completion")] == [{"completion": 1.0}]
    completed = workbench.events("student_1", "cme.case.case_completed")
    assert len(completed) == 1 and completed[0]["data"]["passed"] is True
    row = LearnerOutcome.objects.get(learner_id="student_1", usage_id=learner.usage_id)
    assert (row.score, row.max_score, row.attempt) == (progress.max_score, progress.max_score, 1)
    assert row.detail["path"] == progress.path

    summary = learner.open_page()
    assert "Case complete" in summary
    assert "You followed the expert path." in summary


def test_a_harmful_management_choice_branches_to_another_stage_and_costs_the_pass(
    workbench, usages
):
    case = load_demo_case("chest_pain_gp")
    expert_path = [s.stage for s in expert_route(case)]
    branching = next(s for s in case.stages if s.branches)
    branch = branching.branches[0]
    learner = Learner(workbench, usages["chest_pain_gp"], case, student="student_2")
    progress = learner.play(decisions={branch.question: [branch.options[0]]})

    assert progress.path != expert_path
    assert branch.to in progress.path
    assert progress.score < progress.max_score
    page = learner.open_page()
    assert "Your path" in page and "Expert path" in page
    assert 'class="cme-case-diverged"' in page
    assert workbench.events("student_2", "grade")[-1]["data"]["value"] == progress.score


@pytest.mark.parametrize("name", demo_case_names())
def test_no_page_or_handler_response_shows_what_the_learner_has_not_earned(workbench, usages, name):
    case = load_demo_case(name)
    learner = Learner(workbench, usages[name], case)
    learner.open_page()
    checked = 0
    overview = json.dumps(learner.block.student_view_data(), ensure_ascii=False)
    while True:
        progress = learner.progress
        secrets = unique_secrets(case, progress)
        mobile = learner.view_data()  # what the mobile app shows at this point
        assert mobile["view"] == json.loads(json.dumps(learner_view(case, progress)))
        for payload in [*learner.payloads[-2:], overview]:
            text = visible_text(payload)
            for secret in secrets:
                assert html.unescape(secret) not in text, f"unearned text shown: {secret[:80]!r}"
            assert '"correct"' not in payload
            checked += 1
        if progress.completed:
            break
        stage = case.stage(progress.current_stage)
        if stage.findings and stage.findings[0].id not in progress.findings:
            learner.ok("request_finding", finding=stage.findings[0].id)
            continue
        open_questions = [q for q in stage.questions if progress.answer(q.id) is None]
        if open_questions:
            question = open_questions[0]
            if question.kind == "reflection":
                given = AnswerGiven(text=REFLECTION)
            elif question.kind == "ranking":
                given = AnswerGiven(order=[o.id for o in question.options])
            elif question.kind == "numeric":
                given = AnswerGiven(value=1)
                assert "Expected:" not in visible_text(learner.payloads[-1])
            else:
                given = AnswerGiven(options=[question.options[-1].id])
            learner.answer(question, given)
            continue
        learner.ok("continue")
    assert checked > 5


def test_student_view_data_for_the_mobile_app_is_the_same_for_everyone_and_changes_nothing(
    workbench, usages
):
    """edx-platform collects it for the course structure once, without a learner."""
    usage_id = usages["child_pneumonia"]
    case = load_demo_case("child_pneumonia")
    Learner(workbench, usage_id, case).play()
    events = len(workbench.events())
    fresh = workbench.block(usage_id, "student_3")

    data = fresh.student_view_data()

    assert data == workbench.block(usage_id, "student_1").student_view_data()
    assert fresh.progress_json == "" and len(workbench.events()) == events
    assert data["first_stage"]["title"] == case.start_stage.title
    assert data["case"]["title"] == case.title and data["handlers"]["view"] == "view_data"
    text = json.dumps(data, ensure_ascii=False)
    for secret in unique_secrets(case, new_progress(case)):
        assert secret not in text, f"unearned text in student_view_data: {secret[:80]!r}"
    for stage in case.stages[1:]:
        assert stage.title not in text or stage.title == case.start_stage.title


def test_the_mobile_app_gets_the_learners_own_view_from_a_handler_and_nothing_more(
    workbench, usages
):
    case = load_demo_case("child_pneumonia")
    learner = Learner(workbench, usages["child_pneumonia"], case)
    learner.open_page()
    question = case.start_stage.questions[0]
    learner.answer(question, AnswerGiven(options=[question.options[0].id]))

    body = learner.view_data()

    assert body["view"] == json.loads(json.dumps(learner_view(case, learner.progress)))
    assert body["notice"] == ""
    for secret in unique_secrets(case, learner.progress):
        assert secret not in json.dumps(body, ensure_ascii=False)
    refused = workbench.handler(learner.usage_id, "view_data", {"learner": "student_2"})
    assert refused.status_code == 400  # nothing but `{}` is accepted


def focused(body: dict) -> str:
    """The element of the response's view that the page focuses (its data-focus-key)."""
    key = body["focus"]
    match = re.search(rf'<[a-z0-9]+ [^>]*data-focus-key="{re.escape(key)}"[^>]*>', body["html"])
    assert match, f"the view has no element for focus {key!r}"
    return match.group(0)


def test_after_each_action_the_focus_goes_where_the_learner_goes_on(workbench, usages):
    case = load_demo_case("chest_pain_gp")
    learner = Learner(workbench, usages["chest_pain_gp"], case)
    learner.open_page()
    question = case.start_stage.questions[0]

    answered = learner.answer(question, AnswerGiven(options=[question.options[0].id]))
    assert answered["focus"] == f"question-{question.id}"
    assert "cme-feedback" in focused(answered)  # the feedback, not the stage heading

    moved = learner.ok("continue")
    assert moved["focus"] == "stage" and "<h3" in focused(moved)
    finding = case.stage(learner.progress.current_stage).findings[0]
    received = learner.ok("request_finding", finding=finding.id)
    assert received["focus"] == f"finding-{finding.id}"
    assert f'data-finding="{finding.id}"' in focused(received)
    assert received["announce"] == f"Result received: {finding.label}."


def test_each_question_form_has_a_short_legend_and_the_prompt_describes_the_group(
    workbench, usages
):
    from lxml import html as lxml_html

    case = load_demo_case("child_pneumonia")
    learner = Learner(workbench, usages["child_pneumonia"], case)
    page = lxml_html.fromstring(learner.open_page())
    fieldsets = page.xpath('//form[@data-action="submit_answer"]/fieldset')
    assert fieldsets
    for number, fieldset in enumerate(fieldsets, start=1):
        legend = fieldset.find("legend")
        assert len(legend) == 0 and legend.text_content() == f"Question {number}"
        described = [page.get_element_by_id(i) for i in fieldset.get("aria-describedby").split()]
        prompt = described[0]
        assert "cme-case-prompt" in prompt.get("class")
        question = case.start_stage.questions[number - 1]
        assert text_excerpt(question.prompt, 30).rstrip("…") in prompt.text_content()


def test_the_key_feature_hint_says_the_authors_limit_and_that_more_scores_zero():
    from tests.unit.test_case_schema import key_feature_view
    from xblocks.case_view import CaseViewModel

    def hint(view: dict) -> str:
        return CaseViewModel(lambda text: text)._question(view)["hint"]

    one = key_feature_view(["a"], max_selections=2)
    assert hint(one) == hint(key_feature_view(["a", "b"], max_selections=2))
    limited = hint(key_feature_view(["a", "b"], max_selections=3))
    assert limited.startswith("Choose up to 3 answers")
    assert "More than 3, or a harmful choice, scores zero." in limited


def test_a_page_opened_in_chinese_is_in_chinese(workbench, usages):
    workbench.client.cookies["django_language"] = "zh-cn"
    response = workbench.client.get(
        "/scenario/" + next(iter(workbench_scenario_ids(usages["chest_pain_gp"]))) + "/",
        {"student": "student_1", "lang": "zh-cn"},
    )
    page = response.content.decode()
    assert "提交答案" in page or "进入下一阶段" in page
    assert "Submit answer" not in page


def workbench_scenario_ids(usage_id: str):
    from workbench.scenarios import get_scenarios

    return [k for k, s in get_scenarios().items() if s.usage_id == usage_id]


# ---- bad input changes nothing --------------------------------------------------------------


@pytest.fixture
def started(workbench, usages) -> Learner:
    learner = Learner(workbench, usages["chest_pain_gp"], load_demo_case("chest_pain_gp"))
    learner.open_page()
    return learner


def unchanged(learner: Learner, before: str) -> None:
    assert learner.block.progress_json == before


def test_a_replayed_submission_is_refused_and_counted_once(workbench, started):
    stage = started.case.stage(started.progress.current_stage)
    question = stage.questions[0]
    started.answer(question, AnswerGiven(options=[question.options[0].id]))
    before = started.block.progress_json
    started.step -= 1  # the same page posted again (double click, second tab)
    status, body = started.post("submit_answer", question=question.id, options=["x"])
    assert status == 400
    assert body["code"] == "action_replayed" and body["error"]
    unchanged(started, before)
    submitted = workbench.events("student_1", "cme.case.answer_submitted")
    assert len(submitted) == 1


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"action": "request_finding", "finding": "no-such-test"}, "not part of this case"),
        (
            {"action": "submit_answer", "question": "not-here", "options": ["a"]},
            'not part of the stage you are at ("Presentation")',
        ),
        ({"action": "fly"}, "action"),
        ({"action": "continue", "surprise": 1}, "surprise"),
    ],
)
def test_bad_actions_answer_400_with_a_sentence_and_change_nothing(started, fields, words):
    before = started.block.progress_json
    action = fields.pop("action")
    status, body = started.post(action, **fields)
    assert status == 400
    assert words in body["error"]
    unchanged(started, before)


def test_a_learner_is_told_which_question_as_their_page_shows_it_not_by_its_id(workbench, usages):
    case = load_demo_case("child_pneumonia")
    learner = Learner(workbench, usages["child_pneumonia"], case)
    learner.open_page()
    question = case.start_stage.questions[0]
    assert question.kind == "multiple_choice"

    status, body = learner.post("submit_answer", question=question.id, options=[])

    assert status == 400
    prompt = text_excerpt(question.prompt, 60)
    assert body["error"] == (
        f'Question 1 of "{case.start_stage.title}" ("{prompt}") asks you to choose at least one '
        "option."
    )
    assert question.id not in body["error"]


def test_an_answer_for_a_stage_not_reached_is_refused(started):
    later = started.case.stages[-1]
    question = next(
        q for s in reversed(started.case.stages) for q in s.questions if s.id != "presentation"
    )
    before = started.block.progress_json
    status, body = started.post("submit_answer", question=question.id, options=["a"])
    assert status == 400 and started.case.start_stage.title in body["error"]
    unchanged(started, before)
    assert later.title not in body["error"] and question.id not in body["error"]


def test_continuing_before_answering_the_required_questions_is_refused(started):
    stage = started.case.stage(started.progress.current_stage)
    assert any(q.required for q in stage.questions)
    before = started.block.progress_json
    status, body = started.post("continue")
    assert status == 400 and body["error"]
    unchanged(started, before)


def test_attempts_beyond_the_limit_are_refused(workbench, usages):
    case = load_demo_case("hypertensive_emergency")  # two attempts per question by default
    learner = Learner(workbench, usages["hypertensive_emergency"], case)
    learner.open_page()
    question = next(
        q for q in case.stage(learner.progress.current_stage).questions if q.kind != "reflection"
    )
    allowed = case.attempts_allowed(question)
    wrong = next(o.id for o in question.options if not o.correct)
    for _ in range(allowed):
        learner.answer(question, AnswerGiven(options=[wrong]))
    before = learner.block.progress_json
    status, body = learner.post("submit_answer", question=question.id, options=[wrong])
    assert status == 400 and str(allowed) in body["error"]
    unchanged(learner, before)


def test_invalid_json_and_get_requests_are_refused(workbench, started):
    response = workbench.handler(started.usage_id, "act", "{not json")
    assert response.status_code == 400
    assert workbench.client.get(f"/handler/{started.usage_id}/act/").status_code == 405


# ---- staff ----------------------------------------------------------------------------------


def test_staff_reset_starts_one_learner_again_and_zeroes_their_grade(workbench, usages):
    case = load_demo_case("chest_pain_gp")
    learner = Learner(workbench, usages["chest_pain_gp"], case, student="student_2")
    learner.play()
    refused = workbench.handler(learner.usage_id, "reset_learner", {"learner": "student_2"})
    assert refused.status_code == 403

    response = workbench.handler(
        learner.usage_id,
        "reset_learner",
        {"learner": "student_2", "reason": "Asked to retake"},
        student="staff",
    )
    assert response.status_code == 200, response.content

    page = learner.open_page()
    assert "reset your attempt" in page
    assert learner.progress.path == [case.start_stage.id] and not learner.progress.completed
    assert learner.block.attempt == 2
    assert workbench.events("student_2", "grade")[-1]["data"]["value"] == 0
    assert workbench.events("student_2", "completion")[-1]["data"] == {"completion": 0.0}
    # Published as the page opens (no context.module in the LMS): the data names the block.
    (reset,) = workbench.events("student_2", "cme.case.attempt_reset")
    assert reset["data"] == {"attempt": 2, "usage_id": learner.usage_id}
    learner.play()
    assert (
        LearnerOutcome.objects.filter(usage_id=learner.usage_id, learner_id="student_2").count()
        == 2
    )
    learner.open_page()  # applied once only
    assert learner.block.attempt == 2


def test_staff_reset_a_learner_by_the_username_they_know_and_an_unknown_one_is_refused(
    workbench, usages, monkeypatch
):
    """In the LMS the records hold the numeric user id; staff know the username, which the
    LMS's user service turns into the user (here a stand-in for it)."""
    from xblocks.records.models import AttemptReset
    from xblocks.workbench.services import WorkbenchUserService

    class Account:
        id = "student_2"
        username = "dr.wang"

    monkeypatch.setattr(
        WorkbenchUserService,
        "get_anonymous_user_id",
        lambda self, username, course_id: "anon-wang" if username == "dr.wang" else None,
        raising=False,
    )
    monkeypatch.setattr(
        WorkbenchUserService,
        "get_user_by_anonymous_id",
        lambda self, uid=None: Account() if uid == "anon-wang" else None,
        raising=False,
    )
    case = load_demo_case("chest_pain_gp")
    learner = Learner(workbench, usages["chest_pain_gp"], case, student="student_2")
    learner.open_page()
    learner.answer(case.start_stage.questions[0], AnswerGiven(options=["much-less"]))

    unknown = workbench.handler(
        learner.usage_id, "reset_learner", {"learner": "dr.li"}, student="staff"
    )
    assert unknown.status_code == 400
    assert 'No learner with the username or user id "dr.li"' in json.loads(unknown.content)["error"]
    assert not AttemptReset.objects.exists()

    by_name = workbench.handler(
        learner.usage_id, "reset_learner", {"learner": " dr.wang "}, student="staff"
    )
    assert by_name.status_code == 200, by_name.content
    assert json.loads(by_name.content)["message"].startswith("dr.wang will start again")
    assert list(AttemptReset.objects.values_list("learner_id", flat=True)) == ["student_2"]
    by_id = workbench.handler(
        learner.usage_id, "reset_learner", {"learner": "student_2"}, student="staff"
    )
    assert by_id.status_code == 200
    assert "reset your attempt" in learner.open_page()


def delete_learner_state(usage_id: str, student: str) -> None:
    """What the Instructor Dashboard's "Delete learner's state" does: the block's user-state
    fields are gone; the suite's durable records (receipts, outcomes) stay."""
    from workbench.models import XBlockState

    deleted, _ = XBlockState.objects.filter(
        scope="usage", scope_id=usage_id, user_id=student
    ).delete()
    assert deleted


def test_a_learner_whose_state_the_platform_deleted_works_through_the_case_again(workbench, usages):
    case = load_demo_case("chest_pain_gp")
    learner = Learner(workbench, usages["chest_pain_gp"], case, student="student_2")
    learner.play()
    delete_learner_state(learner.usage_id, "student_2")
    assert learner.block.progress_json == ""

    page = learner.open_page()
    assert case.start_stage.title in page and "Case complete" not in page
    progress = learner.play()  # every action is accepted (`ok` asserts 200)

    assert progress.completed and progress.score == progress.max_score
    attempts = LearnerOutcome.objects.filter(
        usage_id=learner.usage_id, learner_id="student_2"
    ).values_list("attempt", flat=True)
    assert sorted(attempts) == [1, 2]  # the second completion is recorded, not lost
    assert [e["data"] for e in workbench.events("student_2", "completion")] == [
        {"completion": 1.0},
        {"completion": 1.0},
    ]


def studio(workbench, usage_id, source, mode="save", student="staff", **extra):
    payload = {"mode": mode, "display_name": "Edited case", "weight": 2, "case_source": source}
    payload.update(extra)
    return workbench.handler(usage_id, "studio_submit", payload, student=student)


def test_studio_saves_a_valid_edit_and_a_learner_mid_way_is_told(workbench, usages):
    usage_id = usages["chest_pain_gp"]
    case = load_demo_case("chest_pain_gp")
    learner = Learner(workbench, usage_id, case)
    learner.open_page()
    edited = case.model_copy(update={"title": "Chest pain in general practice (2026 update)"})
    xml = workbench.block(usage_id, "staff").studio_view().content
    assert "cme_case" in xml

    response = studio(workbench, usage_id, edited.model_dump_json())
    assert response.status_code == 200, response.content
    block = workbench.block(usage_id, "student_1")
    assert block.case.title.endswith("(2026 update)") and block.weight == 2
    page = learner.open_page()
    assert "updated this case" in page and "(2026 update)" in page


def test_a_learner_whose_page_was_open_during_an_edit_gets_the_updated_case_and_a_notice(
    workbench, usages
):
    usage_id = usages["chest_pain_gp"]
    case = load_demo_case("chest_pain_gp")
    learner = Learner(workbench, usage_id, case)
    learner.open_page()
    question = case.start_stage.questions[0]
    learner.answer(question, AnswerGiven(options=[question.options[0].id]))
    learner.ok("continue")
    first, second = case.stage(learner.progress.current_stage).findings[:2]
    learner.ok("request_finding", finding=first.id)
    edited = case.model_copy(update={"title": "Chest pain in general practice (2026 update)"})
    assert studio(workbench, usage_id, edited.model_dump_json()).status_code == 200

    # The page rendered before the edit asks for the next finding.
    status, body = learner.post("request_finding", finding=second.id)

    assert status == 200, body
    assert body["status"] == "case_updated" and body["focus"] == "notice"
    assert "your last action was not applied" in body["announce"]
    panel = visible_text(body["html"])
    assert "(2026 update)" in panel and "your last action was not applied" in panel
    assert learner.progress.findings == [first.id]  # kept, and the stale action not applied
    steps = re.findall(r'name="step" value="(\d+)"', body["html"])
    learner.step = int(steps[0])
    learner.ok("request_finding", finding=second.id)  # the updated page works at once
    assert learner.progress.findings == [first.id, second.id]
    assert len(workbench.events("student_1", "cme.case.finding_requested")) == 2


def without_option(case: Case, question_id: str, option_id: str) -> str:
    """The case as JSON with one option of one question removed (a learner who chose it can no
    longer be replayed on the case)."""
    data = json.loads(case.model_dump_json())
    for stage in data["stages"]:
        for question in stage["questions"]:
            if question["id"] == question_id:
                question["options"] = [o for o in question["options"] if o["id"] != option_id]
    return json.dumps(data)


def test_a_learner_whose_answers_no_longer_fit_an_edit_made_while_the_page_was_open_restarts(
    workbench, usages
):
    usage_id = usages["chest_pain_gp"]
    case = load_demo_case("chest_pain_gp")
    learner = Learner(workbench, usage_id, case)
    learner.open_page()
    question = case.start_stage.questions[0]
    chosen = question.options[0]
    learner.answer(question, AnswerGiven(options=[chosen.id]))
    edited = without_option(case, question.id, chosen.id)
    assert studio(workbench, usage_id, edited).status_code == 200

    status, body = learner.post("continue")

    assert status == 200, body
    assert body["status"] == "case_updated"
    assert "starts again from the beginning" in visible_text(body["html"])
    assert learner.progress.answers == [] and not learner.progress.log
    learner.step = int(re.findall(r'name="step" value="(\d+)"', body["html"])[0])
    learner.answer(question, AnswerGiven(options=[question.options[1].id]))  # at once
    assert [a.question for a in learner.progress.answers] == [question.id]


def test_a_learner_who_finished_keeps_their_summary_after_an_edit_that_no_longer_fits(
    workbench, usages
):
    usage_id = usages["chest_pain_gp"]
    case = load_demo_case("chest_pain_gp")
    learner = Learner(workbench, usage_id, case)
    done = learner.play()
    question = case.start_stage.questions[0]
    chosen = learner.progress.answer(question.id).attempts[-1].options[0]
    edited = without_option(case, question.id, chosen)
    assert studio(workbench, usage_id, edited).status_code == 200

    page = visible_text(learner.open_page())

    assert "Case complete" in page and "Your result is kept as you earned it" in page
    assert learner.progress.completed and learner.progress.score == done.score
    assert [e["data"] for e in workbench.events("student_1", "completion")] == [{"completion": 1.0}]


@pytest.mark.parametrize(
    ("source", "words"),
    [
        ("<cme_case id='x'><title>T</title>", "line"),
        ('{"id": "x", "title": "T"}', "stages"),
        ("<cme_case id='x'><title>Only a title</title></cme_case>", "line"),
        ("<!DOCTYPE x [<!ENTITY e 'boom'>]><cme_case id='x'>&e;</cme_case>", ""),
    ],
)
def test_studio_refuses_an_invalid_case_names_the_fault_and_keeps_the_old_one(
    workbench, usages, source, words
):
    usage_id = usages["chest_pain_gp"]
    before = workbench.block(usage_id, "staff").case_json
    response = studio(workbench, usage_id, source)
    assert response.status_code == 400
    body = json.loads(response.content)
    assert body["problems"]
    assert words in json.dumps(body["problems"])
    assert workbench.block(usage_id, "staff").case_json == before


def test_studio_is_staff_only_and_validate_saves_nothing(workbench, usages):
    usage_id = usages["chest_pain_gp"]
    before = workbench.block(usage_id, "staff").case_json
    source = load_demo_case("child_pneumonia").model_dump_json()
    assert studio(workbench, usage_id, source, student="student_1").status_code == 403
    response = studio(workbench, usage_id, source, mode="validate")
    assert response.status_code == 200 and "valid" in json.loads(response.content)["message"]
    assert workbench.block(usage_id, "staff").case_json == before


def test_export_json_is_staff_only_and_imports_back(workbench, usages):
    usage_id = usages["acute_limb_ischaemia"]
    learner = workbench.client.get(f"/handler/{usage_id}/export_case/?student=student_1")
    assert learner.status_code == 403
    response = workbench.client.get(f"/handler/{usage_id}/export_case/?student=staff")
    assert response.status_code == 200
    exported = Case.model_validate_json(response.content)
    assert exported == load_demo_case("acute_limb_ischaemia")


# ---- OLX ------------------------------------------------------------------------------------


def test_olx_export_is_readable_xml_without_user_state_and_imports_to_the_same_case(
    workbench, usages
):
    usage_id = usages["hypertensive_emergency"]
    learner = Learner(
        workbench, usage_id, load_demo_case("hypertensive_emergency"), student="student_2"
    )
    learner.open_page()
    block = workbench.block(usage_id, "student_2")
    node = etree.Element("root")
    block.add_xml_to_node(node)
    text = etree.tostring(node, encoding="unicode")
    assert node.tag == "cme_case"
    assert "<stage" in text and "<finding" in text
    assert "progress" not in text and "step" not in node.attrib
    assert case_from_xml(node, ignore_attributes=frozenset({"display_name", "weight"})) == (
        block.case
    )


@pytest.mark.parametrize("editor", ["case_editor", "referral_editor", "credit_editor"])
def test_every_field_and_choice_of_each_studio_form_has_a_label(editor):
    """The forms are drawn from the schemas: a field added to a model without a label would show
    its code name to a clinician."""
    import importlib

    module = importlib.import_module(f"xblocks.{editor}")
    names, values = set(), set()

    def walk(node):
        if isinstance(node, dict):
            names.update(node.get("properties", {}))
            values.update(node.get("enum", []))
            if "const" in node:
                values.add(node["const"])
            for child in node.values():
                walk(child)
        elif isinstance(node, list):
            for child in node:
                walk(child)

    config = module.editor_config(lambda text: text)
    walk(config["schema"])
    assert names - set(module.FIELD_LABELS) == set()
    assert values - set(module.VALUE_LABELS) == set()


def test_the_studio_editor_holds_the_case_and_its_schema_and_nothing_breaks_out_of_the_script(
    workbench, usages
):
    usage_id = usages["chest_pain_gp"]
    case = load_demo_case("chest_pain_gp")
    hostile = case.model_copy(update={"title": "Chest pain </script><script>alert(1)</script>"})
    assert studio(workbench, usage_id, hostile.model_dump_json()).status_code == 200
    page = workbench.block(usage_id, "staff").studio_view().content
    assert "</script><script>alert(1)" not in page
    config = re.search(r'data-role="editor-data">(.*?)</script>', page, flags=re.S).group(1)
    assert json.loads(config)["title"] == hostile.title


def test_staff_see_how_the_cohort_went_and_learners_cannot(workbench, usages):
    case = load_demo_case("chest_pain_gp")
    usage_id = usages["chest_pain_gp"]
    branch = next(s for s in case.stages if s.branches).branches[0]
    Learner(workbench, usage_id, case, student="student_1").play()
    retaker = Learner(workbench, usage_id, case, student="student_2")
    retaker.play()  # a first attempt on the expert path, then reset and taken again
    workbench.handler(usage_id, "reset_learner", {"learner": "student_2"}, student="staff")
    retaker.play(decisions={branch.question: [branch.options[0]]}, findings=False)
    refused = workbench.handler(usage_id, "cohort", {"action": "cohort"}, student="student_1")
    assert refused.status_code == 403

    response = workbench.handler(usage_id, "cohort", {"action": "cohort"}, student="staff")
    assert response.status_code == 200
    panel = html.unescape(json.loads(response.content)["html"])
    # Learners, not attempts: student_2 counts once, with their latest attempt (not passed).
    assert "2 learners completed this case; 1 passed" in panel
    assert "<svg" in panel and 'role="img"' in panel
    assert "(the expert path)" in panel
    assert "Essential findings most often missed" in panel
    # Both learners' reflections, for the teacher, by the name staff know them by.
    assert f"student_1:</span> {REFLECTION}" in panel
    assert f"student_2:</span> {REFLECTION}" in panel
    # Chart rows name the question, so the two decisions of one stage differ.
    management = next(s for s in case.stages if len(s.questions) > 1)
    chart = re.search(r"<svg.*?</svg>", panel, flags=re.S).group(0)
    labels = re.findall(r'<text x="8" y="[\d.]+">((?:<tspan[^>]*>[^<]*</tspan>)+)<title>', chart)
    rows = [" ".join(re.findall(r">([^<]*)</tspan>", label)) for label in labels]
    assert len(rows) == len(set(rows)) >= 2
    for question in management.questions:
        assert any(text_excerpt(question.prompt, 20).rstrip("…") in row for row in rows)
    # Each decision's answers split by option, as bars with the same numbers as text.
    decision = branch.question
    options = case.question(decision)[1].options
    charts = re.findall(r"<svg.*?</svg>", panel, flags=re.S)
    assert len(charts) > 2
    split = next(c for c in charts if options[0].text in c and "<desc" in c)
    desc = re.search(r"<desc[^>]*>(.*?)</desc>", split, flags=re.S).group(1)
    assert f"{options[0].text}: 1 (50%)" in desc


# ---- new question kinds through the page and Studio (issue 15) ------------------------------


def test_a_dose_is_answered_as_a_number_and_its_working_shown_once_final(workbench, usages):
    case = load_demo_case("child_pneumonia")
    learner = Learner(workbench, usages["child_pneumonia"], case)
    learner.play(decisions={})
    summary = html.unescape(json.loads(learner.payloads[-1])["html"])
    assert "Expected: 638 mg (42.5 mg/kg × 15 kg; accepted within ±6%)" in summary
    assert "Expert answer:" in summary and "Expert order" in summary


def test_the_limb_case_page_shows_the_computed_cha2ds2_vasc(workbench, usages):
    case = load_demo_case("acute_limb_ischaemia")
    learner = Learner(workbench, usages["acute_limb_ischaemia"], case)
    learner.play()
    text = html.unescape(json.loads(learner.payloads[-1])["html"])
    assert "CHA2DS2-VASc" in text and "Total: 4" in text and "Anticoagulation recommended" in text


def test_an_over_long_key_feature_answer_is_accepted_and_scores_zero(workbench, usages):
    case = load_demo_case("child_pneumonia")
    learner = Learner(workbench, usages["child_pneumonia"], case)
    learner.open_page()
    stage = case.start_stage
    learner.answer(stage.questions[0], AnswerGiven(options=["unable-to-drink"]))
    learner.ok("continue")
    history = case.stage(learner.progress.current_stage)
    for question in history.questions:
        learner.answer(question, AnswerGiven(options=[question.options[0].id]))
    learner.ok("continue")
    for question in case.stage(learner.progress.current_stage).questions:
        learner.answer(question, AnswerGiven(options=[question.options[0].id]))
    learner.ok("continue")
    kf = case.question("home-criteria")[1]
    safe = [o.id for o in kf.options if not o.harmful]
    body = learner.answer(kf, AnswerGiven(options=safe))
    assert learner.progress.answer("home-criteria").credit == 0
    assert "scores zero" in visible_text(body["html"])


def test_studio_saves_a_harmful_single_choice_option(workbench, usages):
    case = load_demo_case("chest_pain_gp")
    data = json.loads(case.model_dump_json())
    question = data["stages"][0]["questions"][0]
    assert question["kind"] == "script_concordance"
    question["options"][0]["harmful"] = True  # not a setting this kind has: named as such
    response = studio(workbench, usages["chest_pain_gp"], json.dumps(data))
    assert 'sets \\"harmful\\", which a script-concordance' in response.content.decode()
    questions = [q for s in data["stages"] for q in s["questions"]]
    disposition = next(q for q in questions if q["id"] == "disposition")
    wrong = next(o for o in disposition["options"] if o["id"] == "omeprazole")
    wrong["harmful"] = True
    question["options"][0]["harmful"] = False
    response = studio(workbench, usages["chest_pain_gp"], json.dumps(data))
    assert response.status_code == 200, response.content


def test_studio_refuses_a_key_feature_limit_that_lets_everything_be_ticked(workbench, usages):
    xml = case_to_xml(load_demo_case("child_pneumonia"))
    broken = re.sub(r'(id="safety-net"[^>]*max-selections=)"4"', r'\1"6"', xml)
    assert broken != xml
    response = studio(workbench, usages["child_pneumonia"], broken)
    assert response.status_code == 400
    assert "ticking every one of them" in json.dumps(json.loads(response.content)["problems"])


def test_studio_saves_a_summary_that_gives_the_answer_away_and_warns_in_the_authors_language(
    workbench, usages
):
    case = load_demo_case("child_pneumonia")
    edited = case.model_copy(update={"summary": "<p>No danger signs, no chest indrawing.</p>"})
    response = studio(workbench, usages["child_pneumonia"], edited.model_dump_json())
    assert response.status_code == 200, response.content
    warnings = json.loads(response.content)["warnings"]
    summary = [w for w in warnings if w["field"] == "summary"]
    assert summary and {w["label"] for w in summary} == {"Summary (HTML)"}
    assert any(
        w["message"].startswith('Summary (HTML) uses "chest", "indrawing", words of the answer')
        for w in summary
    )
    assert workbench.block(usages["child_pneumonia"], "student_1").case.summary == edited.summary


def test_a_chinese_reader_pays_in_yuan_and_reads_lists_with_the_chinese_comma(workbench, usages):
    """Costs read "30 元" in Chinese (not "30 CNY"), and a finding's costs are joined by 、."""
    case = load_demo_case("sulfonylurea_hypoglycaemia")
    priced = next(f for s in case.stages for f in s.findings if f.cost.money and f.cost.minutes)
    workbench.client.cookies["django_language"] = "zh-cn"
    page = html.unescape(
        workbench.client.get(
            "/scenario/"
            + next(iter(workbench_scenario_ids(usages["sulfonylurea_hypoglycaemia"])))
            + "/",
            {"student": "student_1", "lang": "zh-cn"},
        ).content.decode()
    )
    money = f"{priced.cost.money:g} 元"
    assert money in page and f"{priced.cost.money:g} CNY" not in page
    assert f"{priced.cost.minutes} 分钟、{money}" in page
