"""Our blocks in each context the platform really runs them in (tests/support/platform_runtimes.py
reproduces each one and names the platform file it comes from)."""

import json
import re
from datetime import UTC, datetime

import pytest
from django.test import override_settings
from lxml import etree

from case_teaching import CaseProgress, demo_case_xml, expert_route, load_demo_case
from referral_tracking import demo_scenario_xml
from tests.support import platform_runtimes as platform
from tests.support.platform_runtimes import LIBRARY, Course, Person
from tests.xblock.test_credit_block import PROFILE
from xblocks.case_block import CaseBlock
from xblocks.credit_block import CreditBlock
from xblocks.olx import parse_safely
from xblocks.records.models import (
    ActionReceipt,
    AttemptReset,
    CreditAward,
    CreditEvaluation,
    LearnerOutcome,
    ReferralDecisionRecord,
)
from xblocks.records.outcomes import OutcomeWrite, record_outcome
from xblocks.referral_block import ReferralBlock

LEARNER = Person(7, "wang_xiaomei")
STAFF = Person(2, "course_staff", is_staff=True)
AUTHOR = Person(3, "library_author")
READER = Person(4, "library_reader")
EVALUATION = {"action": "evaluate", "satisfaction": 5, "change_in_practice": "planned"}
TABLES = (
    LearnerOutcome,
    ActionReceipt,
    ReferralDecisionRecord,
    CreditAward,
    CreditEvaluation,
    AttemptReset,
)


def referral_olx(name: str):
    node = etree.Element("cme_referral")
    node.append(parse_safely(demo_scenario_xml(name)))
    return node


def import_olx(runtime, course: Course, xml: str, name: str, parent=None):
    """A block read from OLX as the platform's course import reads it (the class's own
    `parse_xml`, xmodule/modulestore/xml.py `xblock_from_node`) and saved."""
    node = parse_safely(xml) if isinstance(xml, str) else xml
    usage = course.add(node.tag, name, parent)
    block_class = runtime.load_block_type(node.tag)
    keys = platform.ScopeIds(runtime.person.id, node.tag, usage, usage)
    block = block_class.parse_xml(node, runtime, keys)
    block.save()
    return usage


@pytest.fixture
def course():
    """A unit with the hypertension case, the township referral and the credit."""
    course = Course()
    runtime = platform.lms(course, STAFF)
    unit = course.add("vertical", "module3")
    case = demo_case_xml("hypertensive_emergency")
    referral = referral_olx("hypertension_township")
    course.case = import_olx(runtime, course, case, "case", unit)
    course.referral = import_olx(runtime, course, referral, "referral", unit)
    course.credit = import_olx(runtime, course, "<cme_credit/>", "credit", unit)
    course.unit = unit
    return course


def counts() -> dict[str, int]:
    return {table.__name__: table.objects.count() for table in TABLES}


def step_of(page: str) -> int:
    steps = re.findall(r'name="step" value="(\d+)"', page)
    return int(steps[0]) if steps else 0


def play_case(runtime, usage, name: str = "hypertensive_emergency") -> None:
    """The expert's way through the demo case `name` as `runtime`'s user."""
    case = load_demo_case(name)
    ideal = {q: a for step in expert_route(case) for q, a in step.answers.items()}
    wanted = {f for step in expert_route(case) for f in step.findings}
    step = step_of(runtime.page(usage))

    def act(action: str, **fields):
        nonlocal step
        status, body = runtime.call(usage, "act", {"action": action, "step": step, **fields})
        assert status == 200, body
        step += 1

    while not (
        progress := CaseProgress.model_validate_json(runtime.block(usage).progress_json)
    ).completed:
        stage = case.stage(progress.current_stage)
        for finding in stage.findings:
            if finding.id in wanted:
                act("request_finding", finding=finding.id)
        for question in stage.questions:
            given = ideal.get(question.id)
            if question.kind == "reflection":
                act(
                    "submit_answer",
                    question=question.id,
                    text="下次接诊同类病人时，我会先问危险信号，再决定是否转诊。",
                )
            elif given is not None and given.order:
                act("submit_answer", question=question.id, order=list(given.order))
            else:
                options = list(given.options) if given else [question.options[0].id]
                act("submit_answer", question=question.id, options=options)
        act("continue")


def learner_state(course: Course) -> dict:
    """Everything stored under the learner's id (their block state and preferences)."""
    return {
        str(key): value
        for key, value in course.store.db_dict.items()
        if getattr(key, "user_id", None) == LEARNER.id
    }


# ---- mobile -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["case", "referral", "credit"])
def test_every_student_view_is_usable_in_the_mobile_apps(course, name):
    """lms/djangoapps/course_api/blocks/transformers/student_view.py: `student_view_multi_device`
    is `block.has_support(student_view, 'multi_device')`."""
    block = platform.lms(course, LEARNER).block(getattr(course, name))
    assert isinstance(block, (CaseBlock, ReferralBlock, CreditBlock))
    assert block.has_support(getattr(block.__class__, "student_view", None), "multi_device")


# ---- OLX with the LMS's settings -------------------------------------------------------------

OLX = {
    "cme_case": lambda: parse_safely(demo_case_xml("chest_pain_gp")),
    "cme_referral": lambda: referral_olx("hypertension_township"),
    "cme_credit": lambda: parse_safely("<cme_credit/>"),
}


@pytest.mark.parametrize("block_type", OLX)
def test_the_lms_settings_survive_a_course_export_and_import(block_type):
    """A hidden, cohort-restricted exercise stays hidden and restricted after an export and a
    re-import (a course re-run): the LMS mixin's settings are attributes of the block's node."""
    course = Course()
    runtime = platform.lms(course, STAFF)
    node = OLX[block_type]()
    node.set("visible_to_staff_only", "true")
    node.set("group_access", '{"50": [1, 2]}')
    usage = import_olx(runtime, course, node, "one")
    block = runtime.block(usage)
    assert block.visible_to_staff_only is True
    assert block.group_access == {"50": [1, 2]}

    exported = etree.Element("exported")
    block.add_xml_to_node(exported)
    assert exported.tag == block_type
    assert exported.get("visible_to_staff_only") == "true"
    assert json.loads(exported.get("group_access")) == {"50": [1, 2]}

    again = Course()
    second = import_olx(platform.lms(again, STAFF), again, exported, "two")
    reimported = platform.lms(again, STAFF).block(second)
    assert reimported.visible_to_staff_only is True
    assert reimported.group_access == {"50": [1, 2]}


def test_an_unset_lms_setting_is_not_written_into_the_olx(course):
    exported = etree.Element("exported")
    platform.lms(course, STAFF).block(course.case).add_xml_to_node(exported)
    assert "visible_to_staff_only" not in exported.attrib
    assert "group_access" not in exported.attrib


# ---- masquerade and preview: nothing of the learner's changes --------------------------------


def test_staff_viewing_as_a_learner_see_the_block_and_write_nothing_of_theirs(course):
    """lms/djangoapps/courseware/masquerade.py: the learner's view, their state read, writes kept
    in the staff member's session, grade and completion dropped. Our tables are ours to keep
    clean: no outcome, receipt, decision, evaluation or award is written for the learner."""
    before, state_before = counts(), learner_state(course)
    session = {}
    looking = platform.masquerade(course, STAFF, LEARNER, session)
    with override_settings(CME_MASQUERADE_CHECK=f"{__name__}.staff_are_looking"):
        assert "This type of component cannot be shown" not in looking.page(course.case)
        play_case(looking, course.case)
        page = looking.page(course.case)
        status, _body = looking.call(course.credit, "act", {"action": "profile", **PROFILE})
        assert status == 200
        looking.page(course.credit)

    assert "Case complete" in page  # staff saw the case through, in the session
    assert counts() == before
    assert learner_state(course) == state_before
    assert session, "the platform keeps what staff did in their session"
    assert not [e for e in course.published if e[1] in ("grade", "completion")]


def staff_are_looking(course_key: str) -> bool:
    """The LMS's `is_masquerading_as_specific_student` for the masquerade double: yes."""
    return True


def test_the_learner_then_finds_their_own_progress_and_earns_their_own_records(course):
    looking = platform.masquerade(course, STAFF, LEARNER, {})
    with override_settings(CME_MASQUERADE_CHECK=f"{__name__}.staff_are_looking"):
        play_case(looking, course.case)

    learner = platform.lms(course, LEARNER)
    assert step_of(learner.page(course.case)) == 0  # their own case, from the start
    play_case(learner, course.case)
    assert LearnerOutcome.objects.filter(learner_id=str(LEARNER.id)).count() == 1
    assert [e[1] for e in course.published if e[1] == "completion"] == ["completion"]


def test_a_masquerade_opening_the_credit_of_a_learner_who_met_the_rule_awards_nothing(course):
    """The rule is met (both exercises done, profile saved), but the one opening the credit
    block is staff looking: the learner's award waits for the learner."""
    for usage in (course.case, course.referral):
        finished(str(LEARNER.id), str(usage))
    learner = platform.lms(course, LEARNER)
    learner.call(course.credit, "act", {"action": "profile", **PROFILE})
    learner.call(course.credit, "act", EVALUATION)
    CreditAward.objects.all().delete()  # the rule is met; as if nothing had been opened since
    looking = platform.masquerade(course, STAFF, LEARNER, {})
    with override_settings(CME_MASQUERADE_CHECK=f"{__name__}.staff_are_looking"):
        looking.page(course.credit)
        looking.call(course.credit, "act", {"action": "claim"})
    assert not CreditAward.objects.exists()

    platform.lms(course, LEARNER).page(course.credit)  # the learner themself
    assert CreditAward.objects.filter(learner_id=str(LEARNER.id)).count() == 1


def finished(learner_id: str, usage_id: str) -> None:
    record_outcome(
        OutcomeWrite(
            learner_id=learner_id,
            usage_id=usage_id,
            block_type=usage_id.split("+type@")[1].split("+")[0],
            attempt=1,
            score=10,
            max_score=10,
            completed_at=datetime.now(UTC),
        )
    )


def test_an_author_previewing_in_studio_writes_no_records_and_publishes_nothing(course):
    """cms/djangoapps/contentstore/views/preview.py: no publish service, anonymous id
    'student', `studio_user_permissions` present."""
    before = counts()
    preview = platform.studio(course, AUTHOR)
    play_case(preview, course.case)
    assert "Case complete" in preview.page(course.case)
    preview.call(course.credit, "act", {"action": "profile", **PROFILE})
    preview.page(course.credit)
    assert counts() == before
    assert course.published == []


# ---- an inaccessible sibling -------------------------------------------------------------------


def test_a_credit_whose_exercise_the_learner_cannot_open_says_so_instead_of_failing(course):
    """block_render.py `get_block_for_descriptor` answers None for a block the learner may not
    load (hidden, restricted to another cohort, gated)."""
    learner = platform.lms(course, LEARNER, inaccessible={course.case})
    page = learner.page(course.credit)
    assert "Exercise 1 of this unit, which you cannot open: ask the course team" in page
    assert "Referral" in page  # the exercise they can open is listed as before


# ---- scores of blocks that are not ours ---------------------------------------------------------


def test_an_ora_score_kept_by_the_submissions_api_counts_for_the_credit(course):
    """ORA keeps its score in edx-submissions under the course-scoped anonymous id
    (openassessment/xblock/openassessmentblock.py `get_student_item_dict`), not in
    courseware_studentmodule: the LMS's score source reads both."""
    from submissions import api

    ora = course.add("openassessment", "reflection")
    learner = platform.lms(course, LEARNER)
    anonymous = learner.service(learner.block(course.credit), "user").anonymous_id
    item = {
        "student_id": anonymous,
        "course_id": str(course.context),
        "item_id": str(ora),
        "item_type": "openassessment",
    }
    submission = api.create_submission(item, {"text": "我在转诊前复测了血压。"})
    api.set_score(submission["uuid"], 8, 10)
    rule = {"components": [{"usage_id": str(ora), "label": "Reflection (ORA)"}]}
    staff = platform.lms(course, STAFF)
    credit = staff.block(course.credit)
    credit.rule_json = json.dumps(rule)
    credit.save()

    learner.call(course.credit, "act", {"action": "profile", **PROFILE})
    learner.call(course.credit, "act", EVALUATION)
    with override_settings(CME_SCORE_SOURCE="xblocks.records.scores.submission_scores"):
        status, body = learner.call(course.credit, "act", {"action": "claim"})
    assert status == 200, body
    award = CreditAward.objects.get(learner_id=str(LEARNER.id))
    assert award.record["score_percent"] == 80


# ---- Studio editing and content libraries ----------------------------------------------------


def save_case(runtime, usage, title: str) -> tuple[int, dict]:
    source = demo_case_xml("chest_pain_gp").replace("<title>", f"<title>{title}", 1)
    payload = {"mode": "save", "display_name": title, "weight": 1, "case_source": source}
    return runtime.call(usage, "studio_submit", payload)


def test_studio_saves_for_an_author_with_write_access_and_refuses_others(course):
    """component_handler runs the handler for anyone signed in; our check is the course's write
    access (`studio_user_permissions.can_write`)."""
    status, _ = save_case(platform.studio(course, AUTHOR, can_write=True), course.case, "A")
    assert status == 200
    status, body = save_case(platform.studio(course, READER, can_write=False), course.case, "B")
    assert status == 403 and body["error"] == "Only course staff can do this."
    assert platform.lms(course, LEARNER).block(course.case).display_name == "A"


@pytest.fixture
def library():
    library = Course(context=LIBRARY)
    runtime = platform.library_v2(library, AUTHOR, can_edit=True)
    library.case = import_olx(runtime, library, demo_case_xml("chest_pain_gp"), "case")
    return library


EDITORS = {AUTHOR.id}


def library_editors(usage_key, user_id) -> bool:
    """content_libraries/library_context.py `can_edit_block` for the library double."""
    return int(user_id) in EDITORS


@override_settings(CME_LIBRARY_EDIT_CHECK=f"{__name__}.library_editors")
def test_a_library_author_who_is_not_global_staff_edits_and_a_reader_is_told(library):
    """openedx/core/djangoapps/xblock/runtime/runtime.py: staff is global staff, there is no
    `studio_user_permissions`; the library's own edit permission decides."""
    author = platform.library_v2(library, AUTHOR, can_edit=True)
    assert "cme-studio" in author.page(library.case, "studio_view")
    status, body = save_case(author, library.case, "Library edit")
    assert status == 200, body

    reader = platform.library_v2(library, READER, can_edit=False)
    status, body = save_case(reader, library.case, "Not allowed")
    assert status == 403 and body["error"] == "Only course staff can do this."
    assert platform.library_v2(library, AUTHOR, can_edit=True).block(library.case).display_name == (
        "Library edit"
    )


def test_trying_a_case_in_a_library_writes_no_course_records(library):
    before = counts()
    play_case(platform.library_v2(library, AUTHOR, can_edit=True), library.case, "chest_pain_gp")
    assert counts() == before


# ---- languages -------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["zh-hans", "zh", "zh-cn", "zh_CN"])
def test_a_learner_set_to_any_simplified_chinese_code_reads_chinese(course, language):
    """xmodule/modulestore/django.py `XBlockI18nService`: gettext over our
    translations/<to_locale(language)>/LC_MESSAGES/text.mo."""
    page = platform.lms(course, LEARNER, language=language).page(course.credit)
    assert "继续医学教育" in page or "学分" in page
    assert "CME credit for" not in page
