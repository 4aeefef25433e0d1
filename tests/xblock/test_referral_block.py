"""`cme_referral` in the real workbench runtime: a learner decides, writes the letter, plans the
follow-up and works through the visits by the handlers the page uses; grades, completion,
outcome and decision rows appear once earned; nothing unearned reaches the browser; staff
reset a learner, read the analytics and edit the exercise in Studio; bad input changes
nothing."""

import csv
import dataclasses
import html
import io
import json
import re
from datetime import UTC, datetime

import pytest
from django.contrib.auth import get_user_model
from lxml import etree

from referral_tracking import (
    DEMO_SCENARIOS,
    RUBRIC_LABELS,
    Exercise,
    ReferralError,
    ReferralScenario,
    RulesetCatalog,
    demo_exercise,
    learner_view,
    load_demo_consortium,
    load_demo_scenario,
    load_ruleset,
    ruleset_versions,
    scenario_from_xml,
    scenario_to_xml,
    shipped_ruleset_versions,
)
from xblocks.messages import translate_domain_error
from xblocks.records.decisions import decision_records, record_decision
from xblocks.records.models import LearnerOutcome, ReferralDecisionRecord
from xblocks.referral_block import LearnerState, ReferralBlock, fit

LETTER = {
    "letter_reason": "Suspected hypertensive emergency or other care we cannot give here",
    "letter_history": "Known condition; history as in the findings.",
    "letter_treatment_given": "First aid, oxygen and monitoring while waiting.",
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

    def view_data(self) -> dict:
        """What the mobile app asks for: the learner's own view."""
        response = self.workbench.handler(self.usage_id, "view_data", {}, self.student)
        assert response.status_code == 200, response.content
        body = json.loads(response.content)
        self.payloads.append(json.dumps(body, ensure_ascii=False))
        self.step = body["view"].get("step", self.step)
        return body

    @property
    def block(self) -> ReferralBlock:
        return self.workbench.block(self.usage_id, self.student)

    @property
    def state(self) -> LearnerState:
        return self.block._stored_state()


def page_ids(exercise: Exercise, codes, kind: str = "red_flags") -> list[str]:
    """What the page calls these red flags (or findings): the values its checkboxes post."""
    to_page = {code: page for page, code in getattr(exercise.codes, kind).items()}
    return [to_page[code] for code in sorted(codes)]


def right_decision(exercise: Exercise) -> dict:
    """The form as a learner who follows the rule set fills it."""
    expected, scenario, ruleset = exercise.expected, exercise.scenario, exercise.ruleset
    fields = {
        "disposition": expected.disposition,
        "priority": expected.priority,
        "recognised_red_flags": page_ids(exercise, scenario.finding_ids & ruleset.red_flag_ids),
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
            "letter_key_findings": page_ids(exercise, scenario.finding_ids, "findings"),
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


def test_a_hypertensive_emergency_kept_at_the_township_clinic_is_critical_under_triage(
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
    assert "Critical under-triage: this patient needed emergency care" in page
    assert "cme-feedback cme-critical" in page
    assert "Correct: the right level of care." not in page
    assert "The urgency you chose was not the rule set's." in page
    assert learner.exercise.scenario.if_not_referred in page
    assert "Closed loop not met" in page
    assert learner.state.progress.rubric.points == 0
    grade = workbench.events("student_2", "grade")[-1]["data"]
    assert grade["value"] < grade["max_value"]
    record = ReferralDecisionRecord.objects.get(learner_id="student_2")
    assert (record.classification, record.urgency_error, record.follow_up_on_time) == (
        "critical_under",
        True,
        False,
    )
    completed = workbench.events("student_2", "cme.referral.referral_completed")
    assert completed[0]["data"]["classification"] == "critical_under"


def test_an_emergency_sent_as_a_plain_upward_referral_shows_the_lost_line_in_the_rubric(
    workbench, usages
):
    learner = Learner(workbench, usages, "hypertension_township")
    learner.open_page()
    decision = right_decision(learner.exercise) | {"disposition": "refer_upward"}
    body = learner.ok("decide", **decision)
    rubric = html.unescape(body["html"]).split('class="cme-referral-rubric"')[1]
    row = re.search(
        r'<tr class="cme-referral-(\w+)"><td>Kind of referral: Emergency transfer</td>'
        r"<td>([^<]*)</td>",
        rubric,
    )
    assert row and row.groups() == ("poor", "0 of 1 point")
    rubric = learner.state.progress.rubric
    assert rubric.urgency_error is False and rubric.points < rubric.max_points


@pytest.mark.parametrize(
    ("decision", "tones"),
    [
        ({"disposition": "manage_locally"}, ("good", "good", "good")),
        (
            {
                "disposition": "refer_upward",
                "target_institution_id": "dongxian-county",
                "department": "rehabilitation",
                **LETTER,
            },
            # an over-referral loses the kind and the department; a letter with content counts
            ("poor", "poor", "good"),
        ),
    ],
)
def test_the_rubric_tells_the_referral_lines_were_not_needed_for_a_patient_kept_here(
    workbench, usages, decision, tones
):
    learner = Learner(workbench, usages, "stroke_downward_referral")
    assert not learner.exercise.expected.refers
    learner.open_page()
    body = learner.ok("decide", priority="routine", **decision)
    rubric = html.unescape(body["html"]).split('class="cme-referral-rubric"')[1]
    labels = ("Kind of referral", "Receiving department", RUBRIC_LABELS["letter:question"])
    for label, tone in zip(labels, tones, strict=True):
        row = re.search(
            rf'<tr class="cme-referral-(\w+)"><td>{re.escape(label)} \(no referral needed\)</td>'
            r"<td>([^<]*)</td>",
            rubric,
        )
        result = "1 of 1 point" if tone == "good" else "0 of 1 point"
        assert row and row.groups() == (tone, result), label


def test_rescoring_brings_an_attempt_scored_without_the_not_needed_lines_up_to_date(
    workbench, usages
):
    """An attempt finished before every decision was scored on the same lines: its rubric
    lacks the "no referral needed" lines, so its score is short of today's maximum."""
    learner = Learner(workbench, usages, "stroke_downward_referral")
    exercise = learner.exercise
    play(
        learner,
        right_decision(exercise),
        right_plan(exercise),
        [v.expected_choice for v in exercise.scenario.visits],
    )
    block = learner.block
    state = block._stored_state()
    rubric = state.progress.rubric
    earlier = rubric.model_copy(update={"items": [i for i in rubric.items if i.needed]})
    progress = state.progress.model_copy(update={"rubric": earlier})
    block.state_json = state.model_copy(update={"progress": progress}).model_dump_json()
    block.save()
    assert progress.score < exercise.max_score

    block = learner.block
    assert block.calculate_score().raw_earned == exercise.max_score
    block.rescore(only_if_higher=False)
    grade = workbench.events("student_1", "grade")[-1]["data"]
    assert grade["value"] == grade["max_value"] == exercise.max_score


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

    refused(
        learner,
        "redirect",
        '"Provincial Children\'s Hospital" has already answered this referral: choose another',
        target_institution_id="provincial-childrens",
        department="paediatrics",
    )
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


def test_a_90_day_plan_opens_the_first_visit_on_day_90_and_the_summary_says_it_was_late(
    workbench, usages
):
    learner = Learner(workbench, usages, "hypertension_township")
    learner.open_page()
    learner.ok("decide", **right_decision(learner.exercise))
    body = learner.ok("set_plan", **dict(right_plan(learner.exercise), interval_days=90))
    assert body["announce"] == "Follow-up plan saved. Visit 1: day 90."
    page = html.unescape(body["html"])
    assert "Visit 1 of 3: day 90" in page and "day 14" not in page
    # the adjust form starts with the days until the scenario's next visit (day 14 -> 90)
    assert re.search(r'name="interval_days" value="76"', page)
    for choice in ("continue", "continue", "re_refer"):
        body = learner.ok("visit_choice", choice=choice, note="")
    page = html.unescape(body["html"])
    assert "Visit 3 of 3: day 256" in page
    assert "your first follow-up came on day 90, later than the 14 days the rule set allows" in page
    assert ReferralDecisionRecord.objects.get(learner_id="student_1").follow_up_on_time is False


def test_student_view_data_for_the_mobile_app_is_the_same_for_everyone_and_changes_nothing(
    workbench, usages
):
    """edx-platform collects it for the course structure once, without a learner: it reads
    and writes no learner state, publishes nothing and applies no pending reset."""
    learner = Learner(workbench, usages, "diabetes_six_months", student="student_2")
    learner.open_page()
    learner.ok("decide", **right_decision(learner.exercise))
    reset = workbench.handler(learner.usage_id, "reset_learner", {"learner": "student_2"}, "staff")
    assert reset.status_code == 200
    events = len(workbench.events())
    decided, fresh = learner.block, workbench.block(learner.usage_id, "student_3")

    data = fresh.student_view_data()

    assert data == decided.student_view_data()
    assert fresh.state_json == "" and len(workbench.events()) == events
    assert learner.state.progress.decision is not None  # the reset waits for the learner
    assert "Course staff have reset your attempt" in learner.open_page()
    exercise = learner.exercise
    assert data["scenario"]["title"] == exercise.scenario.title
    assert data["max_score"] == exercise.max_score and data["handlers"]["view"] == "view_data"
    assert not {"phase", "step", "score", "decision", "feedback"} & set(data)
    text = json.dumps(data, ensure_ascii=False)
    for secret in unearned(exercise, LearnerState()):
        assert secret not in text, f"unearned text in student_view_data: {secret[:80]!r}"


def test_the_mobile_app_gets_the_learners_own_view_from_a_handler_and_nothing_more(
    workbench, usages
):
    learner = Learner(workbench, usages, "diabetes_six_months")
    body = learner.view_data()  # the first thing the app opens: the exercise starts
    assert body["view"]["phase"] == "presentation" and body["notice"] == ""
    for secret in unearned(learner.exercise, learner.state):
        assert secret not in json.dumps(body, ensure_ascii=False)

    learner.ok("decide", **right_decision(learner.exercise))
    body = learner.view_data()
    assert body["view"] == json.loads(
        json.dumps(learner_view(learner.exercise, learner.state.progress))
    )
    assert body["view"]["feedback"]["classification"] == "correct"
    for secret in unearned(learner.exercise, learner.state):
        assert secret not in json.dumps(body, ensure_ascii=False)
    refused = workbench.handler(learner.usage_id, "view_data", {"learner": "student_2"})
    assert refused.status_code == 400  # nothing but `{}` is accepted


def test_the_mobile_app_is_told_when_staff_reset_the_attempt(workbench, usages):
    learner = Learner(workbench, usages, "diabetes_six_months", student="student_2")
    learner.open_page()
    learner.ok("decide", **right_decision(learner.exercise))
    workbench.handler(learner.usage_id, "reset_learner", {"learner": "student_2"}, "staff")
    body = learner.view_data()
    assert body["notice"] == "attempt_reset"
    assert body["notice_text"] == "Course staff have reset your attempt: the exercise starts again."
    assert "decision" not in body["view"] and learner.state.attempt == 2


@pytest.mark.parametrize("name", ["hypertension_township", "child_pneumonia_hypoxia"])
def test_nothing_on_the_page_or_in_the_mobile_data_pairs_a_finding_with_its_red_flag(
    workbench, usages, name
):
    learner = Learner(workbench, usages, name)
    page = learner.open_page()
    flags = set(re.findall(r'name="recognised_red_flags" value="([^"]*)"', page))
    cited = set(re.findall(r'name="letter_key_findings" value="([^"]*)"', page))
    assert len(flags) == len(learner.exercise.ruleset.red_flags) and cited
    assert not flags & cited
    attributes = set(re.findall(r'="([^"]*)"', page))
    data = json.dumps([learner.block.student_view_data(), learner.view_data()])
    for code in learner.exercise.ruleset.red_flag_ids:
        assert code not in attributes and f'"{code}"' not in data, code


def kept_here_variant() -> ReferralScenario:
    """The township hypertension patient at a routine review, blood pressure near target and
    no red flags: the hypertension rule set keeps him at the clinic."""
    data = load_demo_scenario("hypertension_township").model_dump()
    data |= {
        "id": "hypertension-township-review",
        "title": "Blood pressure review at a township health centre",
        "presentation": "A 58-year-old farmer comes for his blood pressure review.",
        "time_course": "No new symptoms since the last review.",
    }
    findings = [f for f in data["findings"] if f["id"] not in ("severe_headache", "vomiting")]
    for found in findings:
        if found["id"] == "blood_pressure":
            found |= {"text": "148/92 mmHg.", "measures": {"sbp_mmhg": 148, "dbp_mmhg": 92}}
    data["findings"] = findings
    return ReferralScenario.model_validate(data)


def without_the_patient(page: str, block: ReferralBlock) -> str:
    """The learner's view as rendered, less what belongs to this patient: the title and
    patient line, the patient's card and the findings a letter can cite; the block's own id."""
    view = re.search(r'<article class="cme-referral-view".*</article>', page, flags=re.S).group()
    view = view.replace(block.uid, "UID")
    view = re.sub(r"<h2 [^>]*>.*?</h2>\s*<p [^>]*>.*?</p>", "", view, count=1, flags=re.S)
    patient_card = r'<section class="cme-card cme-referral-patient".*?</section>'
    view = re.sub(patient_card, "", view, flags=re.S)
    view = re.sub(r'<label[^>]*><input [^>]*name="letter_key_findings".*?</label>', "", view)
    return re.sub(r"\s+", " ", view)


def test_before_deciding_nothing_tells_a_patient_to_refer_from_one_to_keep_here(workbench, usages):
    """Two patients of one rule set, the first to be referred, the second to be kept here:
    the same maximum, the same page and the same data before the decision."""
    refer_usage, keep_usage = usages["hypertension_township"][1], usages["diabetes_six_months"][1]
    for usage, scenario in (
        (refer_usage, load_demo_scenario("hypertension_township")),
        (keep_usage, kept_here_variant()),
    ):
        assert studio(workbench, usage, scenario.model_dump_json()).status_code == 200
    blocks = [workbench.block(usage) for usage in (refer_usage, keep_usage)]
    assert [b.exercise.expected.refers for b in blocks] == [True, False]

    assert blocks[0].max_score() == blocks[1].max_score()
    pages = [html.unescape(workbench.page_of(b.usage_key, "student_1")) for b in blocks]
    scores = [re.search(r'data-role="score">([^<]*)<', page).group(1) for page in pages]
    assert scores[0] == scores[1] == f"Score so far: 0 of {blocks[0].max_score():g} points"
    assert without_the_patient(pages[0], blocks[0]) == without_the_patient(pages[1], blocks[1])
    overviews = [workbench.block(usage).student_view_data() for usage in (refer_usage, keep_usage)]
    views = [
        json.loads(workbench.handler(usage, "view_data", {}).content)
        for usage in (refer_usage, keep_usage)
    ]
    for payload in [*overviews, *(body["view"] for body in views)]:
        del payload["scenario"]  # the patient's own presentation and findings
    assert overviews[0] == overviews[1] and views[0] == views[1]


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
        (
            {"department": "picu"},
            '"Dongxian County People\'s Hospital (PCI centre)" has no department "Paediatric '
            'intensive care unit"',
        ),
        ({"target_institution_id": "no-such-hospital"}, 'no institution "no-such-hospital"'),
        (
            {"target_institution_id": "riverside-community"},
            '"Riverside Community Health Service Centre" gives primary care (village clinic, '
            "township or community), and your institution gives primary care (village clinic, "
            "township or community): sending the patient there is not an upward referral.",
        ),
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


def test_a_refusal_names_hospitals_departments_and_choices_never_by_their_codes(workbench, started):
    decision = right_decision(started.exercise) | {"department": "picu"}
    body = refused(started, "decide", "has no department", **decision)
    assert "dongxian-county" not in body["error"] and "picu" not in body["error"]
    started.ok("decide", **right_decision(started.exercise))
    body = refused(
        started,
        "set_plan",
        "outside what rule set",
        **dict(right_plan(started.exercise), interval_days=91),
    )
    assert f'"{load_ruleset("hypertension").title}"' in body["error"]
    body = refused(
        started,
        "set_plan",
        "is not one of the monitoring items offered",
        **dict(right_plan(started.exercise), monitoring=["aura"]),
    )


def test_a_refusal_in_chinese_names_the_hospital_as_the_consortium_does_in_chinese(started):
    started.open_page(lang="zh-cn")  # the language is remembered for the handler calls
    decision = right_decision(started.exercise) | {"department": "picu"}
    body = refused(started, "decide", "东县人民医院（胸痛中心）", **decision)
    assert "dongxian-county" not in body["error"]


def test_the_department_list_says_which_hospitals_have_each_department(started):
    page = started.open_page()
    form = page.split('data-action="decide"')[1].split("</form>")[0]
    at = dict(re.findall(r'<option value="(\w+)" data-at="([^"]*)"', form))
    own = started.exercise.institution.id
    others = [i for i in started.exercise.consortium.institutions if i.id != own]
    for department in {d for i in others for d in i.departments}:
        having = {i.id for i in others if department in i.departments}
        assert set(at[department].split()) == having, department
    assert at["picu"] == "provincial-childrens"


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
    refused(
        started,
        "set_plan",
        "You cannot save a follow-up plan now: the exercise is at the referral decision.",
        **right_plan(started.exercise),
    )
    refused(started, "decide", "surprise", surprise=1, **right_decision(started.exercise))
    refused(started, "fly", "action")


def test_invalid_json_and_get_requests_are_refused(workbench, started):
    before = started.block.state_json
    response = workbench.handler(started.usage_id, "act", "{not json")
    assert response.status_code == 400 and "not valid JSON" in json.loads(response.content)["error"]
    assert workbench.client.get(f"/handler/{started.usage_id}/act/").status_code == 405
    assert started.block.state_json == before and started.state.progress.step == 0


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


def break_content(workbench, usage_id: str, how: str) -> str:
    """Store content that no longer builds: a rule-set version no longer shipped, or a
    scenario that the current schema refuses. Returns the scenario's id."""
    block = workbench.block(usage_id, "staff")
    scenario = json.loads(load_demo_scenario("diabetes_six_months").model_dump_json())
    if how == "version":
        scenario["ruleset_version"] = "9.9"
    else:
        scenario["surprise"] = "a field this version does not know"
    block.content_json = json.dumps({"scenario": scenario})
    block.save()
    return scenario["id"]


@pytest.mark.parametrize("how", ["version", "schema"])
def test_content_that_no_longer_builds_can_still_be_opened_fixed_and_exported(
    workbench, usages, how
):
    learner = Learner(workbench, usages, "diabetes_six_months")
    scenario_id = break_content(workbench, learner.usage_id, how)
    response = workbench.client.get(f"/scenario/{learner.scenario_id}/studio_view/?student=staff")
    assert response.status_code == 200
    editor = html.unescape(response.content.decode())
    assert "This exercise no longer works as saved" in editor
    assert ("9.9" if how == "version" else "surprise") in editor
    assert 'name="scenario_source"' in editor and scenario_id in editor

    response = workbench.client.get(f"/handler/{learner.usage_id}/export_scenario/?student=staff")
    assert response.status_code == 200 and json.loads(response.content)["id"] == scenario_id

    data = learner.block.student_view_data()
    assert data["phase"] == "unavailable" and "cannot be shown" in data["message"]
    assert learner.view_data()["view"] == data
    assert isinstance(learner.block.max_score(), float)
    status, body = learner.post("decide", disposition="manage_locally", priority="routine")
    assert status == 400 and body["error"]
    response = workbench.handler(learner.usage_id, "analytics", {"action": "analytics"}, "staff")
    assert response.status_code == 200

    # the author repairs it in the editor: learners get the exercise again
    source = load_demo_scenario("diabetes_six_months").model_dump_json()
    assert studio(workbench, learner.usage_id, source).status_code == 200
    assert "cannot be shown" not in learner.open_page()


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


def platform_deletes_state(learner: Learner) -> None:
    """The Instructor Dashboard's "Delete learner's state": the block's user-state fields go,
    the suite's own tables (action receipts, outcome and decision rows) stay."""
    from workbench.models import XBlockState

    rows = XBlockState.objects.filter(
        scope="usage", scope_id=learner.usage_id, user_id=learner.student
    )
    assert rows.delete()[0] > 0
    assert learner.block.state_json == ""


def test_a_learner_whose_state_the_platform_deleted_plays_again_and_is_recorded(workbench, usages):
    learner = Learner(workbench, usages, "diabetes_six_months", student="student_2")
    exercise = learner.exercise
    choices = [v.expected_choice for v in exercise.scenario.visits]
    choices = choices[: choices.index("re_refer") + 1] if "re_refer" in choices else choices
    play(learner, right_decision(exercise), right_plan(exercise), choices)
    platform_deletes_state(learner)

    page = learner.open_page()
    assert 'data-action="decide"' in page and "Exercise complete" not in page
    play(learner, right_decision(exercise), right_plan(exercise), choices)  # every action 200

    assert learner.state.progress.phase == "completed" and learner.state.attempt == 2
    outcomes = LearnerOutcome.objects.filter(learner_id="student_2", usage_id=learner.usage_id)
    assert sorted(o.attempt for o in outcomes) == [1, 2]
    records = ReferralDecisionRecord.objects.filter(learner_id="student_2")
    assert sorted(r.attempt for r in records) == [1, 2]
    completions = workbench.events("student_2", "completion")
    assert [e["data"] for e in completions] == [{"completion": 1.0}, {"completion": 1.0}]
    assert workbench.events("student_2", "grade")[-1]["data"]["value"] == exercise.max_score


def test_a_decision_of_an_unfinished_attempt_stays_when_the_state_is_deleted(workbench, usages):
    learner = Learner(workbench, usages, "hypertension_township", student="student_2")
    learner.open_page()
    learner.ok("decide", disposition="manage_locally", priority="urgent")
    platform_deletes_state(learner)

    learner.open_page()
    learner.ok("decide", **right_decision(learner.exercise))

    records = ReferralDecisionRecord.objects.filter(learner_id="student_2").order_by("attempt")
    assert [(r.attempt, r.classification) for r in records] == [
        (1, "critical_under"),
        (2, "correct"),
    ]


def test_staff_reset_after_the_platform_deleted_the_state_starts_a_new_attempt(workbench, usages):
    learner = Learner(workbench, usages, "hypertension_township", student="student_2")
    learner.open_page()
    learner.ok("decide", **right_decision(learner.exercise))
    learner.ok("set_plan", **right_plan(learner.exercise))
    platform_deletes_state(learner)
    response = workbench.handler(
        learner.usage_id, "reset_learner", {"learner": "student_2"}, student="staff"
    )
    assert response.status_code == 200

    assert "Course staff have reset your attempt" in learner.open_page()
    assert learner.state.attempt == 2 and learner.state.progress.decision is None
    learner.ok("decide", **right_decision(learner.exercise))
    assert ReferralDecisionRecord.objects.filter(learner_id="student_2").count() == 2


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
    assert "No referral letter in this course has left out an item." in panel  # full letters

    response = workbench.client.get(f"/handler/{usage_id}/analytics_csv/?student=staff")
    assert response.status_code == 200
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    learners = {row[1]: row for row in rows if row[0] == "learner"}
    assert set(learners) == {"student_1", "'=HYPERLINK(1)"}
    assert learners["'=HYPERLINK(1)"][rows[0].index("under_referrals")] == "1"
    assert not [cell for row in rows for cell in row if cell[:1] in ("=", "+", "-", "@", "\t")]


def test_the_analytics_chart_which_letter_items_are_missed_most(workbench, usages):
    learner = Learner(workbench, usages, "hypertension_township")
    learner.open_page()
    learner.ok("decide", **(right_decision(learner.exercise) | {"letter_question": ""}))
    response = workbench.handler(
        learner.usage_id, "analytics", {"action": "analytics"}, student="staff"
    )
    panel = html.unescape(json.loads(response.content)["html"])
    assert "Which letter items are missed most" in panel
    charts = re.findall(r"<svg.*?</svg>", panel, flags=re.S)
    assert len(charts) == 2
    letters = etree.fromstring(charts[1].encode())
    desc = letters.find("{http://www.w3.org/2000/svg}desc").text
    assert desc.startswith("Question for the receiving doctor: 1 letter; Reason for referral: 0")


def test_the_analytics_name_a_learner_by_username_not_by_user_id(workbench, usages):
    """In the LMS a learner id is the user's numeric id: the staff view shows the username."""
    learner = Learner(workbench, usages, "hypertension_township")
    learner.open_page()
    learner.ok("decide", disposition="manage_locally", priority="urgent")
    get_user_model().objects.create(id=4242, username="dr_li_township")
    course_id = ReferralDecisionRecord.objects.get().course_id
    (decided,) = decision_records(course_id)
    for learner_id in ("4242", "٣²"):  # the second is made of digits, but not a user id
        record_decision(
            dataclasses.replace(decided, learner_id=learner_id),
            usage_id=learner.usage_id,
            course_id=course_id,
            attempt=1,
            now=datetime.now(UTC),
        )
    response = workbench.handler(
        learner.usage_id, "analytics", {"action": "analytics"}, student="staff"
    )
    panel = html.unescape(json.loads(response.content)["html"])
    assert "Learner dr_li_township" in panel and "Learner 4242" not in panel
    assert "Learner student_1" in panel  # the workbench's username is the student id

    response = workbench.client.get(f"/handler/{learner.usage_id}/analytics_csv/?student=staff")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8").lstrip("\ufeff"))))
    learners = {row[1]: dict(zip(rows[0], row, strict=True)) for row in rows if row[0] == "learner"}
    assert learners["4242"]["username"] == "dr_li_township"  # the learner id stays beside it
    assert learners["student_1"]["username"] == ""  # not the staff member downloading it
    assert learners["٣²"]["username"] == ""


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


@pytest.mark.parametrize("where", ["json", "xml"])
def test_a_control_character_in_the_scenario_is_refused_at_save_and_the_editor_still_opens(
    workbench, usages, where
):
    """A character XML cannot hold would make the exercise impossible to export or edit."""
    _scenario_id, usage_id = usages["hypertension_township"]
    before = workbench.block(usage_id, "staff").content_json
    scenario = load_demo_scenario("hypertension_township")
    if where == "json":
        source = scenario.model_copy(update={"title": "Headache\x1f at 198/116"})
        source = source.model_dump_json()
    else:  # a character reference the XML parser refuses before the schema sees it
        source = scenario_to_xml(scenario).replace("<title>", "<title>&#x1f;", 1)
    response = studio(workbench, usage_id, source)

    assert response.status_code == 400
    problems = json.dumps(json.loads(response.content)["problems"], ensure_ascii=False)
    if where == "json":
        assert "Title contains an invisible control character (U+001F)" in problems
    assert workbench.block(usage_id, "staff").content_json == before
    assert "cme-studio" in workbench.page_of(usage_id, "staff", "studio_view")


def test_a_consortium_that_cannot_take_the_patient_is_explained_in_words_not_codes(
    workbench, usages
):
    _scenario_id, usage_id = usages["hypertension_township"]
    consortium = load_demo_consortium().model_dump(mode="json")
    for institution in consortium["institutions"]:
        institution["capabilities"] = [c for c in institution["capabilities"] if c != "ct"]
    source = load_demo_scenario("hypertension_township").model_dump_json()
    response = studio(workbench, usage_id, source, consortium_source=json.dumps(consortium))
    assert response.status_code == 400
    message = json.loads(response.content)["problems"][0]["message"]
    assert 'sends the patient to secondary care (county hospital), department "Emergency", ' in (
        message
    )
    assert 'where "CT" is available' in message
    for fragment in ("any department", "nothing special", '"ct"', "secondary care care"):
        assert fragment not in message


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


def unpinned(name: str = "hypertension_township") -> ReferralScenario:
    """A demo scenario as an author writes it who leaves the rule set's version empty."""
    return load_demo_scenario(name).model_copy(update={"ruleset_version": None})


def test_a_save_without_an_own_rule_set_pins_the_newest_shipped_version(workbench, usages):
    _scenario_id, usage_id = usages["hypertension_township"]
    source = unpinned().model_dump_json()
    newest = ruleset_versions("hypertension")[-1]
    checked = json.loads(studio(workbench, usage_id, source, mode="validate").content)
    assert checked["ruleset_version"] == newest and checked["data"]["ruleset_version"] is None
    assert studio(workbench, usage_id, source).status_code == 200
    assert workbench.block(usage_id, "staff").content.stored.scenario.ruleset_version == newest
    help_text = html.unescape(workbench.page_of(usage_id, "staff", "studio_view"))
    assert f'"hypertension", version {newest}: the scenario keeps the version it was saved' in (
        help_text
    )
    shipped = "; ".join(f"{i}: {', '.join(v)}" for i, v in shipped_ruleset_versions().items())
    assert f"Shipped rule sets and their versions: {shipped}." in help_text


@pytest.fixture
def newer_hypertension_ships(monkeypatch, tmp_path):
    """The catalog once version 2.1 of the hypertension rule set ships beside 2.0: it sends
    the hypertensive emergency to neurology instead of the emergency department."""

    (tmp_path / "hypertension").mkdir()
    shipped = load_ruleset("hypertension", "2.0").model_dump(mode="json")
    newer = json.loads(json.dumps(shipped)) | {"version": "2.1"}
    for rule in newer["criteria"]:
        if rule["action"].get("department") == "emergency":
            rule["action"]["department"] = "neurology"
    for data in (shipped, newer):
        (tmp_path / "hypertension" / f"{data['version']}.json").write_text(json.dumps(data))
    monkeypatch.setattr("referral_tracking.catalog.SHIPPED_RULESETS", RulesetCatalog(tmp_path))


def test_a_live_exercise_keeps_the_version_it_was_saved_with_when_a_newer_one_ships(
    workbench, usages, request
):
    _scenario_id, usage_id = usages["hypertension_township"]
    assert studio(workbench, usage_id, unpinned().model_dump_json()).status_code == 200
    request.getfixturevalue("newer_hypertension_ships")

    stored = workbench.block(usage_id, "staff").content.stored
    assert stored.scenario.ruleset_version == "2.0"
    exercise = fit(stored)  # built again from the catalog as it is now
    assert (exercise.ruleset.version, exercise.expected.department) == ("2.0", "emergency")
    help_text = html.unescape(workbench.page_of(usage_id, "staff", "studio_view"))
    assert '"hypertension", version 2.0:' in help_text and "hypertension: 2.0, 2.1." in help_text

    older = load_demo_scenario("hypertension_township").model_copy(update={"title": "Kept at 2.0"})
    assert studio(workbench, usage_id, older.model_dump_json()).status_code == 200
    assert workbench.block(usage_id, "staff").content.stored.scenario.ruleset_version == "2.0"

    assert studio(workbench, usage_id, unpinned().model_dump_json()).status_code == 200
    block = workbench.block(usage_id, "staff")
    assert block.content.stored.scenario.ruleset_version == "2.1"
    assert block.exercise.expected.department == "neurology"


def test_a_save_with_the_authors_own_rule_set_is_not_pinned_to_a_shipped_version(workbench, usages):
    _scenario_id, usage_id = usages["hypertension_township"]
    own = load_ruleset("hypertension").model_copy(update={"title": "Our county's version"})
    source = unpinned().model_dump_json()
    response = studio(workbench, usage_id, source, ruleset_source=own.model_dump_json())
    assert response.status_code == 200, response.content
    stored = workbench.block(usage_id, "staff").content.stored
    assert stored.scenario.ruleset_version is None and stored.ruleset.title == own.title


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


@pytest.mark.parametrize(
    ("ruleset", "words"),
    [
        ('{"id": "own",\n "version": 1.0,,}', "Line {next}: the JSON inside <ruleset> cannot be"),
        ('{"id": "own", "version": "1.0"}', "Line {line}, <ruleset> condition: this is required."),
        ("[1, 2]", "Line {line}, <ruleset>"),
    ],
)
def test_an_invalid_rule_set_in_olx_names_the_element_the_field_and_the_line(
    workbench, usages, ruleset, words
):
    _scenario_id, usage_id = usages["hypertension_township"]
    block = workbench.block(usage_id, "staff")
    scenario = scenario_to_xml(load_demo_scenario("hypertension_township"))
    scenario = scenario.split("?>", 1)[-1].strip()
    olx = f'<cme_referral display_name="x">\n{scenario}\n\n<ruleset>{ruleset}</ruleset>\n'
    line = olx.count("\n", 0, olx.index("<ruleset>")) + 1
    with pytest.raises(ReferralError) as caught:
        ReferralBlock.parse_xml(
            etree.fromstring(olx + "</cme_referral>"), block.runtime, block.scope_ids
        )
    message = translate_domain_error(lambda text: text, caught.value)
    assert words.format(line=line, next=line + 1) in message, message


def test_an_invalid_scenario_in_olx_names_its_line_in_the_file(workbench, usages):
    _scenario_id, usage_id = usages["hypertension_township"]
    block = workbench.block(usage_id, "staff")
    olx = '<cme_referral display_name="x">\n\n<referral-scenario id="x">\n<title>T</title>\n<oops/>\n</referral-scenario></cme_referral>'  # noqa: E501
    with pytest.raises(ReferralError) as caught:
        ReferralBlock.parse_xml(etree.fromstring(olx), block.runtime, block.scope_ids)
    assert "Line 5" in str(caught.value) and "oops" in str(caught.value)


def test_a_course_import_pins_the_shipped_version_it_is_played_with(workbench, usages, request):
    _scenario_id, usage_id = usages["hypertension_township"]
    block = workbench.block(usage_id, "staff")
    scenario = scenario_to_xml(unpinned()).split("?>", 1)[-1].strip()
    assert "ruleset_version" not in scenario  # the author left the version out
    olx = f'<cme_referral display_name="Imported">\n{scenario}\n</cme_referral>'
    imported = ReferralBlock.parse_xml(etree.fromstring(olx), block.runtime, block.scope_ids)
    assert imported.content.stored.scenario.ruleset_version == "2.0"

    request.getfixturevalue("newer_hypertension_ships")  # the suite upgraded afterwards
    assert imported.exercise.expected.department == "emergency"
    node = etree.Element("root")
    imported.add_xml_to_node(node)  # exported with its version: imports back the same
    again = ReferralBlock.parse_xml(node, block.runtime, block.scope_ids)
    assert again.content.stored == imported.content.stored


def test_an_exercise_pinned_to_a_withdrawn_version_tells_staff_and_the_author_how_to_upgrade(
    workbench, usages
):
    scenario_id, usage_id = usages["hypertension_township"]
    pinned = load_demo_scenario("hypertension_township").model_copy(
        update={"ruleset_version": "1.0"}
    )
    assert studio(workbench, usage_id, pinned.model_dump_json()).status_code == 200
    notice = load_ruleset("hypertension", "1.0").notice
    staff_page = html.unescape(
        workbench.client.get(f"/scenario/{scenario_id}/?student=staff").content.decode()
    )
    assert "withdrawn for safety" in staff_page and notice in staff_page
    assert "write 2.0 as the rule set version" in staff_page
    editor = html.unescape(workbench.page_of(usage_id, "staff", "studio_view"))
    assert "withdrawn for safety" in editor
    learner_page = html.unescape(
        workbench.client.get(f"/scenario/{scenario_id}/?student=student_1").content.decode()
    )
    assert "scored with a rule-set version withdrawn for safety" in learner_page
    assert notice in learner_page and "write 2.0 as the rule set version" not in learner_page


def test_staff_move_an_exercise_off_a_withdrawn_version_in_one_click(workbench, usages):
    """The notice offers the upgrade: one button moves the exercise to the newest version;
    learners cannot, and a version other than the one offered is refused."""
    scenario_id, usage_id = usages["hypertension_township"]
    pinned = load_demo_scenario("hypertension_township").model_copy(
        update={"ruleset_version": "1.0"}
    )
    assert studio(workbench, usage_id, pinned.model_dump_json()).status_code == 200
    staff_page = html.unescape(
        workbench.client.get(f"/scenario/{scenario_id}/?student=staff").content.decode()
    )
    assert 'data-handler="upgrade_ruleset"' in staff_page
    assert "Move this exercise to version 2.0" in staff_page
    body = {"action": "upgrade", "version": "2.0"}
    assert workbench.handler(usage_id, "upgrade_ruleset", body, "student_1").status_code == 403
    wrong = workbench.handler(usage_id, "upgrade_ruleset", body | {"version": "1.5"}, "staff")
    assert wrong.status_code == 400 and "cannot be moved to version 1.5" in wrong.json()["error"]
    assert workbench.block(usage_id, "staff").exercise.ruleset.version == "1.0"

    moved = workbench.handler(usage_id, "upgrade_ruleset", body, "staff")
    assert moved.status_code == 200, moved.content
    assert "now uses version 2.0" in moved.json()["message"]
    assert workbench.block(usage_id, "staff").exercise.ruleset.version == "2.0"
    staff_page = workbench.client.get(f"/scenario/{scenario_id}/?student=staff").content.decode()
    assert 'data-role="ruleset-notice"' not in staff_page
    assert 'data-handler="upgrade_ruleset"' not in staff_page


def test_an_exercise_on_the_current_version_shows_no_notice(workbench, usages):
    scenario_id, _usage_id = usages["hypertension_township"]
    staff_page = workbench.client.get(f"/scenario/{scenario_id}/?student=staff").content.decode()
    assert 'data-role="ruleset-notice"' not in staff_page


def test_the_learner_is_told_what_the_letter_had_to_say(workbench, usages):
    learner = Learner(workbench, usages, "child_pneumonia_hypoxia")
    learner.open_page()
    decision = right_decision(learner.exercise) | {
        "letter_treatment_given": "Paracetamol for the fever at 10:00."
    }
    body = learner.ok("decide", **decision)
    text = html.unescape(body["html"])
    assert "This patient's letter had to say:" in text
    assert "Treatment given: Oxygen given before and during the transfer" in text


def test_the_staff_tools_are_named_after_the_exercise(workbench, usages):
    """Two referral exercises on one page: each staff-tools landmark has a name of its own."""
    scenario_id, usage_id = usages["hypertension_township"]
    page = html.unescape(
        workbench.client.get(f"/scenario/{scenario_id}/?student=staff").content.decode()
    )
    name = workbench.block(usage_id, "staff").display_name
    assert f'">Staff tools: {name}</h3>' in page
