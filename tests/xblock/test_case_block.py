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
    demo_case_names,
    expert_route,
    learner_view,
    load_demo_case,
)
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
    while True:
        progress = learner.progress
        secrets = unique_secrets(case, progress)
        for payload in learner.payloads[-1:]:
            text = visible_text(payload)
            for secret in secrets:
                assert html.unescape(secret) not in text, f"unearned text shown: {secret[:80]!r}"
            checked += 1
        assert '"correct"' not in learner.payloads[-1]
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
            else:
                given = AnswerGiven(options=[question.options[-1].id])
            learner.answer(question, given)
            continue
        learner.ok("continue")
    assert checked > 5


def test_student_view_data_for_the_mobile_app_is_the_learner_view_and_nothing_more(
    workbench, usages
):
    case = load_demo_case("child_pneumonia")
    learner = Learner(workbench, usages["child_pneumonia"], case)
    learner.open_page()
    data = learner.block.student_view_data()
    assert data == json.loads(json.dumps(learner_view(case, learner.progress)))
    for secret in unique_secrets(case, learner.progress):
        assert secret not in json.dumps(data, ensure_ascii=False)


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
        ({"action": "request_finding", "finding": "no-such-test"}, "no-such-test"),
        ({"action": "submit_answer", "question": "not-here", "options": ["a"]}, "not-here"),
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


def test_an_answer_for_a_stage_not_reached_is_refused(started):
    later = started.case.stages[-1]
    question = next(
        q for s in reversed(started.case.stages) for q in s.questions if s.id != "presentation"
    )
    before = started.block.progress_json
    status, body = started.post("submit_answer", question=question.id, options=["a"])
    assert status == 400 and question.id in body["error"]
    unchanged(started, before)
    assert later.title not in body["error"]


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
    learner.play()
    assert (
        LearnerOutcome.objects.filter(usage_id=learner.usage_id, learner_id="student_2").count()
        == 2
    )
    learner.open_page()  # applied once only
    assert learner.block.attempt == 2


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
    branch = next(s for s in case.stages if s.branches).branches[0]
    Learner(workbench, usages["chest_pain_gp"], case, student="student_1").play()
    Learner(workbench, usages["chest_pain_gp"], case, student="student_2").play(
        decisions={branch.question: [branch.options[0]]}, findings=False
    )
    usage_id = usages["chest_pain_gp"]
    refused = workbench.handler(usage_id, "cohort", {"action": "cohort"}, student="student_1")
    assert refused.status_code == 403

    response = workbench.handler(usage_id, "cohort", {"action": "cohort"}, student="staff")
    assert response.status_code == 200
    panel = html.unescape(json.loads(response.content)["html"])
    assert "2 learners completed this case; 1 passed" in panel
    assert "<svg" in panel and 'role="img"' in panel
    assert "(the expert path)" in panel
    assert REFLECTION in panel  # both learners' reflections, for the teacher
    assert "Essential findings most often missed" in panel
