"""`cme_referral` in the real workbench runtime: a learner decides, writes the letter, plans the
follow-up and works through the visits by the handlers the page uses; grades, completion,
outcome and decision rows appear once earned; nothing unearned reaches the browser; staff
reset a learner, read the analytics and edit the exercise in Studio; bad input changes
nothing."""

import csv
import html
import io
import json
import re

import pytest
from lxml import etree

from referral_tracking import (
    DEMO_SCENARIOS,
    RUBRIC_LABELS,
    Exercise,
    ReferralError,
    demo_exercise,
    learner_view,
    load_demo_scenario,
    load_ruleset,
    scenario_from_xml,
)
from xblocks.records.models import LearnerOutcome, ReferralDecisionRecord
from xblocks.referral_block import LearnerState, ReferralBlock

LETTER = {
    "letter_reason": "Suspected emergency needing care we cannot give here",
    "letter_history": "Known condition; history as in the findings.",
    "letter_treatment_given": "First aid and monitoring while waiting.",
    "letter_question": "Please confirm the diagnosis and advise on treatment?",
    "letter_supporting_info": "Observations attached\nMedication list attached",
}
#: Words the adapter writes only once the learner has decided (feedback, rule set's answer).
FEEDBACK_WORDS = [
    "Feedback on your decision",
    "The rule set's answer",
    "Level of care:",
    "Hospitals of the consortium that can take",
    "Correct: the right level of care.",
    "Over-referral: the patient",
    "Under-referral: the patient",
    RUBRIC_LABELS["tier"],
    RUBRIC_LABELS["letter:question"],
]


def referral_usages(scenarios) -> dict[str, tuple[str, str]]:
    """Demo scenario name -> (workbench scenario id, usage id)."""
    found = {}
    for name in DEMO_SCENARIOS:
        title = load_demo_scenario(name).title
        for scenario_id, scenario in scenarios.items():
            if scenario.description == f"Referral: {title}":
                found[name] = (scenario_id, scenario.usage_id)
    return found


@pytest.fixture
def usages(scenarios) -> dict[str, tuple[str, str]]:
    return referral_usages(scenarios)


class Learner:
    """A learner using the page's forms, as the browser posts them."""

    def __init__(self, workbench, usages, name: str, student: str = "student_1"):
        self.workbench, self.name, self.student = workbench, name, student
        self.scenario_id, self.usage_id = usages[name]
        self.exercise: Exercise = demo_exercise(name)
        self.step = 0
        self.payloads: list[str] = []

    def open_page(self, **params) -> str:
        response = self.workbench.client.get(
            f"/scenario/{self.scenario_id}/", {"student": self.student, **params}
        )
        assert response.status_code == 200
        page = html.unescape(response.content.decode())
        self.payloads.append(page)
        steps = re.findall(r'name="step" value="(\d+)"', page)
        self.step = int(steps[0]) if steps else self.step
        return page

    def post(self, action: str, **fields) -> tuple[int, dict]:
        fields.setdefault("step", self.step)
        response = self.workbench.handler(
            self.usage_id, "act", {"action": action, **fields}, self.student
        )
        body = json.loads(response.content)
        self.payloads.append(html.unescape(body.get("html", "")) + body.get("announce", ""))
        if response.status_code == 200:
            self.step += 1
        return response.status_code, body

    def ok(self, action: str, **fields) -> dict:
        status, body = self.post(action, **fields)
        assert status == 200, body
        return body

    @property
    def block(self) -> ReferralBlock:
        return self.workbench.block(self.usage_id, self.student)

    @property
    def state(self) -> LearnerState:
        return self.block._stored_state()


def right_decision(exercise: Exercise) -> dict:
    """The form as a learner who follows the rule set fills it."""
    expected, scenario, ruleset = exercise.expected, exercise.scenario, exercise.ruleset
    fields = {
        "disposition": expected.disposition,
        "priority": expected.priority,
        "recognised_red_flags": sorted(scenario.finding_ids & ruleset.red_flag_ids),
    }
    if expected.refers:
        accepting = [
            i
            for i in expected.receiving_institutions
            if not scenario.receiving_response.scripted_decline(i)
        ]
        fields |= {
            "target_institution_id": accepting[0],
            "department": expected.department,
            "letter_key_findings": sorted(scenario.finding_ids),
            **LETTER,
        }
    return fields


def right_plan(exercise: Exercise) -> dict:
    rules = exercise.ruleset.follow_up
    return {
        "interval_days": rules.closed_loop_days,
        "monitoring": list(rules.required_monitoring),
        "targets": list(rules.required_targets),
        "re_referral_criteria": list(rules.required_re_referral),
    }


def unearned(exercise: Exercise, state: LearnerState) -> list[str]:
    """Texts the learner must not see yet: the receiving side's answer and the feedback before
    the decision; explanations of visits not yet made; findings of items not monitored."""
    scenario, progress = exercise.scenario, state.progress
    response = scenario.receiving_response
    secrets: list[str] = []
    if progress.decision is None:
        secrets += [response.diagnosis, response.treatment, response.downward_summary]
        secrets += [*response.instructions, *(d.reason for d in response.declines)]
        secrets += [scenario.if_not_referred, *FEEDBACK_WORDS]
        secrets += [exercise.expected.deciding_rule or ""]
    shown = []
    for index, visit in enumerate(scenario.visits):
        if index < len(progress.visits):
            monitored = progress.visits[index].monitored
        elif index == len(progress.visits) and progress.phase == "visit" and progress.plan:
            monitored = list(progress.plan.monitoring)
        else:
            monitored = []
            secrets.append(visit.explanation)
        shown += [f.text for f in visit.findings if f.item in monitored]
        secrets += [f.text for f in visit.findings if f.item not in monitored]
    return [s for s in secrets if len(s) > 12 and not any(s in text for text in shown)]


def assert_nothing_unearned(learner: Learner) -> None:
    secrets = unearned(learner.exercise, learner.state)
    for payload in learner.payloads[-1:]:
        for secret in secrets:
            assert secret not in payload, f"unearned text shown: {secret[:80]!r}"


def play(learner: Learner, decision: dict, plan: dict, choices: list[str]) -> None:
    """From the page to the end, checking every page and response for unearned text."""
    learner.open_page()
    assert_nothing_unearned(learner)
    learner.ok("decide", **decision)
    assert_nothing_unearned(learner)
    learner.ok("set_plan", **plan)
    assert_nothing_unearned(learner)
    learner.open_page()
    assert_nothing_unearned(learner)
    for choice in choices:
        learner.ok("visit_choice", choice=choice, note="")
        assert_nothing_unearned(learner)


# ---- a learner's way through each demo scenario ---------------------------------------------


@pytest.mark.parametrize("name", DEMO_SCENARIOS)
def test_following_the_rule_set_earns_full_marks_a_grade_completion_and_one_row_each(
    workbench, usages, name
):
    learner = Learner(workbench, usages, name)
    exercise = learner.exercise
    choices = []
    for visit in exercise.scenario.visits:
        choices.append(visit.expected_choice)
        if visit.expected_choice == "re_refer":
            break
    play(learner, right_decision(exercise), right_plan(exercise), choices)

    progress = learner.state.progress
    assert progress.phase == "completed" and progress.score == exercise.max_score
    grades = workbench.events("student_1", "grade")
    assert grades[-1]["data"]["value"] == grades[-1]["data"]["max_value"] == exercise.max_score
    assert [e["data"] for e in workbench.events("student_1", "completion")] == [{"completion": 1.0}]
    completed = workbench.events("student_1", "cme.referral.referral_completed")
    assert len(completed) == 1 and completed[0]["data"]["classification"] == "correct"
    outcome = LearnerOutcome.objects.get(learner_id="student_1", usage_id=learner.usage_id)
    assert (outcome.block_type, outcome.attempt) == ("cme_referral", 1)
    assert outcome.score == outcome.max_score == exercise.max_score
    record = ReferralDecisionRecord.objects.get(learner_id="student_1", usage_id=learner.usage_id)
    assert (record.classification, record.follow_up_due, record.follow_up_on_time) == (
        "correct",
        True,
        True,
    )
    assert record.score == exercise.max_score and record.tier == exercise.institution.tier

    summary = learner.open_page()
    assert "Exercise complete" in summary
    assert "Correct: the right level of care." in summary
    assert "Closed loop: you followed up the referral result in time." in summary


def test_a_hypertensive_emergency_kept_at_the_township_clinic_is_an_under_referral(
    workbench, usages
):
    learner = Learner(workbench, usages, "hypertension_township", student="student_2")
    play(
        learner,
        {"disposition": "manage_locally", "priority": "urgent", **LETTER},
        dict(right_plan(learner.exercise), interval_days=30),
        ["continue", "continue", "continue"],
    )
    page = learner.open_page()
    assert "Under-referral: the patient needed care that your decision did not give." in page
    assert "The urgency you chose was not the rule set's." in page
    assert learner.exercise.scenario.if_not_referred in page
    assert "Closed loop not met" in page
    grade = workbench.events("student_2", "grade")[-1]["data"]
    assert grade["value"] < grade["max_value"]
    record = ReferralDecisionRecord.objects.get(learner_id="student_2")
    assert (record.classification, record.urgency_error, record.follow_up_on_time) == (
        "under_referral",
        True,
        False,
    )
    completed = workbench.events("student_2", "cme.referral.referral_completed")
    assert completed[0]["data"]["classification"] == "under_referral"


def test_the_childrens_hospital_declines_and_the_learner_sends_the_child_to_the_county(
    workbench, usages
):
    learner = Learner(workbench, usages, "child_pneumonia_hypoxia")
    learner.open_page()
    decision = right_decision(learner.exercise)
    decision["target_institution_id"] = "provincial-childrens"
    body = learner.ok("decide", **decision)
    assert "declined the referral" in body["announce"]
    page = html.unescape(body["html"])
    reason = learner.exercise.scenario.receiving_response.scripted_decline("provincial-childrens")
    assert reason in page
    assert 'data-action="redirect"' in page
    assert learner.exercise.scenario.receiving_response.diagnosis not in page

    body = learner.ok("redirect", target_institution_id="dongxian-county", department="paediatrics")
    assert "accepted the patient" in body["announce"]
    assert learner.exercise.scenario.receiving_response.diagnosis in html.unescape(body["html"])
    assert learner.state.progress.phase == "plan"


def test_adjusting_the_plan_at_a_visit_changes_what_the_next_visit_shows(workbench, usages):
    learner = Learner(workbench, usages, "hypertension_township")
    learner.open_page()
    learner.ok("decide", **right_decision(learner.exercise))
    learner.ok("set_plan", **right_plan(learner.exercise))
    body = learner.ok(
        "visit_choice",
        choice="adjust",
        note="Add a thiazide.",
        interval_days=30,
        monitoring=["blood_pressure", "lifestyle"],
        targets=[],
        re_referral_criteria=[],
    )
    page = html.unescape(body["html"])
    assert "Still salts food heavily" in page  # lifestyle at day 90, now monitored
    assert "Your note: Add a thiazide." in page
    assert learner.state.progress.plan.monitoring == ["blood_pressure", "lifestyle"]


def test_student_view_data_for_the_mobile_app_is_the_learner_view_and_nothing_more(
    workbench, usages
):
    learner = Learner(workbench, usages, "diabetes_six_months")
    learner.open_page()
    data = learner.block.student_view_data()
    assert data == json.loads(json.dumps(learner_view(learner.exercise, learner.state.progress)))
    text = json.dumps(data, ensure_ascii=False)
    for secret in unearned(learner.exercise, learner.state):
        assert secret not in text


def test_a_learner_reading_in_chinese_sees_the_chinese_names_the_authors_gave(workbench, usages):
    learner = Learner(workbench, usages, "hypertension_township")
    english = learner.open_page()
    chinese = learner.open_page(lang="zh-cn")
    assert "清水乡镇卫生院" in chinese and "剧烈头痛" in chinese
    assert "清水乡镇卫生院" not in english and "Severe headache" in english


# ---- bad input changes nothing --------------------------------------------------------------


@pytest.fixture
def started(workbench, usages) -> Learner:
    learner = Learner(workbench, usages, "hypertension_township")
    learner.open_page()
    return learner


def refused(learner: Learner, action: str, words: str, **fields) -> dict:
    before = learner.block.state_json
    events_before = len(learner.workbench.events("student_1"))
    status, body = learner.post(action, **fields)
    assert status == 400, body
    assert words in body["error"], body["error"]
    assert learner.block.state_json == before
    assert len(learner.workbench.events("student_1")) == events_before
    return body


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"department": "picu"}, 'Department "picu" does not exist at institution'),
        ({"target_institution_id": "no-such-hospital"}, 'no institution "no-such-hospital"'),
        ({"target_institution_id": "riverside-community"}, "not an upward referral"),
        ({"priority": "routine"}, 'An emergency transfer has priority "emergency"'),
        ({"department": ""}, "Choose the institution and department you refer to."),
        ({"disposition": None}, "What do you do?: this is required."),
        ({"letter_reason": "x" * 1999, "letter_history": "x" * 1999}, "8000"),
    ],
)
def test_a_referral_the_consortium_cannot_take_is_refused_with_a_sentence(started, change, words):
    decision = right_decision(started.exercise) | change
    if "8000" in words:
        decision |= {"letter_treatment_given": "x" * 1999, "letter_question": "x" * 1999}
        decision["letter_supporting_info"] = "\n".join(["x" * 200] * 5)
    decision = {k: v for k, v in decision.items() if v is not None}
    refused(started, "decide", words, **decision)
    assert not ReferralDecisionRecord.objects.exists()


def test_a_letter_field_over_its_limit_is_named_in_the_forms_words(started):
    decision = right_decision(started.exercise) | {"letter_question": "?" * 2001}
    body = refused(started, "decide", "Your specific question for the receiving doctor", **decision)
    assert "2000" in body["error"] and "decide.decision" not in json.dumps(body)


@pytest.mark.parametrize("days", [1, 91, 400])
def test_a_follow_up_interval_outside_the_rule_sets_bounds_is_refused(started, days):
    started.ok("decide", **right_decision(started.exercise))
    refused(
        started,
        "set_plan",
        "outside what rule set",
        **dict(right_plan(started.exercise), interval_days=days),
    )


def test_a_replayed_decision_is_refused_and_counted_once(workbench, started):
    started.ok("decide", **right_decision(started.exercise))
    started.step -= 1  # the same page posted again (double click, second tab)
    body = refused(started, "decide", "already taken", **right_decision(started.exercise))
    assert body["code"] == "action_replayed"
    assert len(workbench.events("student_1", "cme.referral.decision_made")) == 1
    assert ReferralDecisionRecord.objects.count() == 1


def test_a_plan_before_the_decision_and_unknown_fields_are_refused(started):
    refused(started, "set_plan", '"set_plan" is not possible now', **right_plan(started.exercise))
    refused(started, "decide", "surprise", surprise=1, **right_decision(started.exercise))
    refused(started, "fly", "action")


def test_invalid_json_and_get_requests_are_refused(workbench, started):
    response = workbench.handler(started.usage_id, "act", "{not json")
    assert response.status_code == 400 and "not valid JSON" in json.loads(response.content)["error"]
    assert workbench.client.get(f"/handler/{started.usage_id}/act/").status_code == 405
    assert started.block.state_json == ""


# ---- staff ----------------------------------------------------------------------------------


def test_staff_only_handlers_refuse_a_learner(workbench, usages):
    _scenario_id, usage_id = usages["hypertension_township"]
    for handler, payload in (
        ("reset_learner", {"learner": "student_2"}),
        ("analytics", {"action": "analytics"}),
        (
            "studio_submit",
            {"mode": "validate", "display_name": "x", "weight": 1, "scenario_source": "x"},
        ),
    ):
        response = workbench.handler(usage_id, handler, payload, student="student_1")
        assert response.status_code == 403, handler
        assert "staff" in json.loads(response.content)["error"]
    for handler in ("analytics_csv", "export_scenario"):
        response = workbench.client.get(f"/handler/{usage_id}/{handler}/?student=student_1")
        assert response.status_code == 403, handler


def test_staff_see_the_staff_tools_and_learners_do_not(workbench, usages):
    learner = Learner(workbench, usages, "diabetes_six_months")
    assert "Staff tools" not in learner.open_page()
    staff = Learner(workbench, usages, "diabetes_six_months", student="staff")
    page = staff.open_page()
    assert "Referral analytics of this course" in page and "Reset a learner's attempt" in page


def test_content_that_no_longer_builds_is_explained_not_a_server_error(workbench, usages):
    learner = Learner(workbench, usages, "diabetes_six_months")
    block = workbench.block(learner.usage_id, "staff")
    scenario = load_demo_scenario("diabetes_six_months").model_copy(
        update={"ruleset_version": "9.9"}
    )
    block.content_json = json.dumps({"scenario": json.loads(scenario.model_dump_json())})
    block.save()
    page = learner.open_page()
    assert "This exercise cannot be shown" in page and "9.9" in page


def test_staff_reset_starts_one_learner_again_with_a_new_attempt(workbench, usages):
    learner = Learner(workbench, usages, "stroke_downward_referral", student="student_2")
    exercise = learner.exercise
    choices = [v.expected_choice for v in exercise.scenario.visits]
    play(learner, right_decision(exercise), right_plan(exercise), choices)
    response = workbench.handler(
        learner.usage_id,
        "reset_learner",
        {"learner": "student_2", "reason": "Asked to retake"},
        student="staff",
    )
    assert response.status_code == 200 and "student_2" in json.loads(response.content)["message"]

    page = learner.open_page()
    assert "Course staff have reset your attempt" in page
    state = learner.state
    assert state.attempt == 2 and state.progress.decision is None
    assert workbench.events("student_2", "grade")[-1]["data"]["value"] == 0
    status, body = learner.post("decide", step=0, **right_decision(exercise))
    assert status == 400 and body["code"] == "action_replayed"  # a page of the old attempt

    play(learner, right_decision(exercise), right_plan(exercise), choices)
    outcomes = LearnerOutcome.objects.filter(learner_id="student_2", usage_id=learner.usage_id)
    assert sorted(o.attempt for o in outcomes) == [1, 2]
    records = ReferralDecisionRecord.objects.filter(learner_id="student_2")
    assert sorted(r.attempt for r in records) == [1, 2]
    learner.open_page()  # applied once only
    assert learner.state.attempt == 2


def test_the_analytics_show_both_learners_and_the_csv_has_no_formula_cells(workbench, usages):
    good = Learner(workbench, usages, "hypertension_township", student="student_1")
    play(good, right_decision(good.exercise), right_plan(good.exercise), ["adjust"])
    kept = Learner(workbench, usages, "hypertension_township", student="=HYPERLINK(1)")
    kept.open_page()
    kept.ok("decide", disposition="manage_locally", priority="urgent")
    assert ReferralDecisionRecord.objects.count() == 2

    usage_id = good.usage_id
    response = workbench.handler(usage_id, "analytics", {"action": "analytics"}, student="staff")
    assert response.status_code == 200
    panel = html.unescape(json.loads(response.content)["html"])
    assert "2 referral decisions in this course" in panel
    assert "<svg" in panel and "50%" in panel  # one under-referral of two
    assert "Learner student_1" in panel and "Learner =HYPERLINK(1)" in panel

    response = workbench.client.get(f"/handler/{usage_id}/analytics_csv/?student=staff")
    assert response.status_code == 200
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    learners = {row[1]: row for row in rows if row[0] == "learner"}
    assert set(learners) == {"student_1", "'=HYPERLINK(1)"}
    assert learners["'=HYPERLINK(1)"][rows[0].index("under_referrals")] == "1"
    assert not [cell for row in rows for cell in row if cell[:1] in ("=", "+", "-", "@", "\t")]


# ---- Studio ---------------------------------------------------------------------------------


def studio(workbench, usage_id, source, mode="save", student="staff", **extra):
    payload = {"mode": mode, "display_name": "Edited", "weight": 2, "scenario_source": source}
    payload.update(extra)
    return workbench.handler(usage_id, "studio_submit", payload, student=student)


def test_studio_saves_an_edit_and_a_learner_mid_way_keeps_their_progress(workbench, usages):
    learner = Learner(workbench, usages, "hypertension_township")
    learner.open_page()
    learner.ok("decide", **right_decision(learner.exercise))
    editor = workbench.block(learner.usage_id, "staff").studio_view().content
    assert "referral-scenario" in html.unescape(editor) and "hypertension" in editor

    edited = learner.exercise.scenario.model_copy(update={"title": "Headache at 198/116 (2026)"})
    response = studio(workbench, learner.usage_id, edited.model_dump_json())
    assert response.status_code == 200, response.content
    assert "emergency" in json.loads(response.content)["message"].lower()
    block = learner.block
    assert block.exercise.scenario.title == "Headache at 198/116 (2026)" and block.weight == 2
    page = learner.open_page()
    assert "your progress was kept" in page and "Headache at 198/116 (2026)" in page
    assert learner.state.progress.phase == "plan"


def test_studio_replacing_the_scenario_restarts_a_learner_mid_way(workbench, usages):
    learner = Learner(workbench, usages, "hypertension_township")
    learner.open_page()
    learner.ok("decide", **right_decision(learner.exercise))
    other = load_demo_scenario("diabetes_six_months").model_dump_json()
    assert studio(workbench, learner.usage_id, other).status_code == 200
    page = learner.open_page()
    assert "so it starts again from the beginning" in page
    assert learner.state.attempt == 2 and learner.state.progress.decision is None


def contradicting_ruleset() -> str:
    ruleset = load_ruleset("hypertension").model_dump(mode="json")
    twin = dict(ruleset["criteria"][0], id="twin_rule", priority="routine")
    twin["action"] = {"kind": "manage_locally"}
    twin["required_capability"] = None
    ruleset["criteria"].append(twin)
    return json.dumps(ruleset)


@pytest.mark.parametrize(
    ("source", "extra", "words"),
    [
        ("<referral-scenario id='x'><title>T</title>", {}, "line"),
        (
            "<referral-scenario id='x'>\n<title>T</title>\n<surprise/></referral-scenario>",
            {},
            "Line 3",
        ),
        ('{"id": "x", "title": "T"}', {}, "presentation"),
        ('{"id": "x", ', {}, "JSON cannot be read"),
        ("<!DOCTYPE x [<!ENTITY e 'boom'>]><referral-scenario>&e;</referral-scenario>", {}, ""),
        (None, {"ruleset_source": "CONTRADICTING"}, "twin_rule"),
        (
            None,
            {"consortium_source": '{"id": "c", "name": "C", "institutions": []}'},
            "institutions",
        ),
    ],
)
def test_studio_refuses_invalid_content_names_the_fault_and_keeps_the_old(
    workbench, usages, source, extra, words
):
    _scenario_id, usage_id = usages["hypertension_township"]
    before = workbench.block(usage_id, "staff").content_json
    if source is None:
        source = load_demo_scenario("hypertension_township").model_dump_json()
    if extra.get("ruleset_source") == "CONTRADICTING":
        extra["ruleset_source"] = contradicting_ruleset()
    response = studio(workbench, usage_id, source, **extra)
    assert response.status_code == 400
    body = json.loads(response.content)
    assert body["problems"] and body["error"]
    assert words in json.dumps(body["problems"], ensure_ascii=False)
    assert workbench.block(usage_id, "staff").content_json == before


def test_studio_validate_saves_nothing_and_a_learner_cannot_save(workbench, usages):
    _scenario_id, usage_id = usages["hypertension_township"]
    before = workbench.block(usage_id, "staff").content_json
    source = load_demo_scenario("stroke_downward_referral").model_dump_json()
    assert studio(workbench, usage_id, source, student="student_1").status_code == 403
    response = studio(workbench, usage_id, source, mode="validate")
    answer = json.loads(response.content)
    assert response.status_code == 200 and "valid" in answer["message"]
    assert workbench.block(usage_id, "staff").content_json == before
    # What the editor needs to switch between its form and the XML: the scenario both ways.
    assert answer["data"] == json.loads(source)
    assert scenario_from_xml(answer["source"]) == load_demo_scenario("stroke_downward_referral")


def test_export_json_is_for_authors_and_imports_back(workbench, usages):
    _scenario_id, usage_id = usages["child_pneumonia_hypoxia"]
    response = workbench.client.get(f"/handler/{usage_id}/export_scenario/?student=staff")
    assert response.status_code == 200
    exported = response.content.decode()
    assert json.loads(exported)["id"] == load_demo_scenario("child_pneumonia_hypoxia").id
    _other, other_usage = usages["hypertension_township"]
    assert studio(workbench, other_usage, exported).status_code == 200
    assert workbench.block(other_usage, "staff").exercise.scenario == load_demo_scenario(
        "child_pneumonia_hypoxia"
    )


# ---- OLX ------------------------------------------------------------------------------------


def test_olx_is_readable_xml_without_user_state_and_imports_to_the_same_content(workbench, usages):
    learner = Learner(workbench, usages, "hypertension_township", student="student_2")
    learner.open_page()
    learner.ok("decide", **right_decision(learner.exercise))
    ruleset = load_ruleset("hypertension").model_copy(update={"title": "Our county's version"})
    source = learner.exercise.scenario.model_dump_json()
    response = studio(workbench, learner.usage_id, source, ruleset_source=ruleset.model_dump_json())
    assert response.status_code == 200, response.content
    block = learner.block
    assert block.exercise.ruleset.title == "Our county's version"

    node = etree.Element("root")
    block.add_xml_to_node(node)
    text = etree.tostring(node, encoding="unicode")
    assert node.tag == "cme_referral" and node.get("display_name") == "Edited"
    assert "<referral-scenario" in text and "<visit " in text and "<ruleset>" in text
    assert "state" not in text and "progress" not in text and "attempt" not in text
    assert scenario_from_xml(etree.tostring(node.find("referral-scenario"))) == (
        learner.exercise.scenario
    )
    again = ReferralBlock.parse_xml(
        etree.fromstring(text), block.runtime, block.scope_ids, block.runtime.id_generator
    )
    assert again.content.stored == block.content.stored
    assert again.display_name == "Edited" and again.weight == 2


def test_an_invalid_scenario_in_olx_names_its_line_in_the_file(workbench, usages):
    _scenario_id, usage_id = usages["hypertension_township"]
    block = workbench.block(usage_id, "staff")
    olx = '<cme_referral display_name="x">\n\n<referral-scenario id="x">\n<title>T</title>\n<oops/>\n</referral-scenario></cme_referral>'  # noqa: E501
    with pytest.raises(ReferralError) as caught:
        ReferralBlock.parse_xml(etree.fromstring(olx), block.runtime, block.scope_ids)
    assert "Line 5" in str(caught.value) and "oops" in str(caught.value)
