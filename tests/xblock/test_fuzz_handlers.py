"""Every JSON handler of every block, attacked with generated bodies: wrong types, missing and
extra fields, huge strings, unicode, negative and huge numbers, replayed and out-of-order steps.

Property: never a 5xx; a refused request (4xx) carries a readable message and leaves the
learner's state and the block's content as they were. `CME_FUZZ_EXAMPLES` sets the examples per
handler, each handler its own test (CI: the default below; `make fuzz`: 5,000).
"""

import json
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.figures import tally
from tests.xblock.test_case_block import case_scenarios
from tests.xblock.test_referral_block import referral_usages

EXAMPLES = int(os.environ.get("CME_FUZZ_EXAMPLES", "120"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    st.text(max_size=40),
    st.text(alphabet="=+-@\t\r<>\"'&{}\\/\u202e\u0000中文", max_size=20),
    st.just("x" * 30_000),
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)


def mutated(valid: dict, keys: list[str]) -> st.SearchStrategy:
    """A valid body with fields replaced, dropped or added."""
    return st.fixed_dictionaries(
        {},
        optional={key: values for key in keys} | {"surprise": values},
    ).map(lambda changes: {**valid, **changes}) | st.dictionaries(
        st.sampled_from([*keys, "surprise"]), values, max_size=len(keys) + 1
    )


def snapshot(block) -> dict:
    """What a refused request must not change."""
    from xblocks.records.models import CreditAward

    stored = (
        "progress_json",
        "state_json",
        "case_json",
        "content_json",
        "activity_json",
        "rule_json",
        "profile_json",
        "evaluation_json",
    )
    names = [n for n in stored if n in block.fields]
    return {name: getattr(block, name) for name in names} | {
        "display_name": block.display_name,
        "weight": getattr(block, "weight", None),
        "ledger": list(CreditAward.objects.values_list("learner_id", "status")),
    }


def check(workbench, usage_id: str, handler: str, body, student: str) -> None:
    before = snapshot(workbench.block(usage_id, student))
    raw = body if isinstance(body, (str, bytes)) else json.dumps(body)
    response = workbench.handler(usage_id, handler, raw, student=student)
    tally("fuzz.requests")
    tally(f"fuzz.requests.{workbench.block(usage_id, student).scope_ids.block_type}.{handler}")
    assert response.status_code < 500, (handler, body, response.content[:500])
    if response.status_code >= 400:
        tally("fuzz.refused")
        answer = json.loads(response.content)
        assert isinstance(answer.get("error"), str) and len(answer["error"]) > 5, answer
        assert snapshot(workbench.block(usage_id, student)) == before, (handler, body)


CASE_KEYS = ["action", "step", "finding", "question", "options", "order", "text"]
REFERRAL_KEYS = [
    "action",
    "step",
    "disposition",
    "priority",
    "recognised_red_flags",
    "target_institution_id",
    "department",
    "letter_reason",
    "letter_key_findings",
    "interval_days",
    "monitoring",
    "choice",
    "note",
]
STUDIO_KEYS = ["mode", "display_name", "weight", "case_source", "scenario_source"]


@pytest.fixture
def case_usage(scenarios, workbench) -> str:
    usage_id = case_scenarios(scenarios)["chest_pain_gp"]
    workbench.page(
        next(k for k, s in scenarios.items() if s.usage_id == usage_id), student="fuzzer"
    )
    return usage_id


@pytest.fixture
def referral_usage(scenarios, workbench) -> str:
    scenario_id, usage_id = referral_usages(scenarios)["hypertension_township"]
    workbench.page(scenario_id, student="fuzzer")
    return usage_id


@FUZZ
@given(body=mutated({"action": "submit_answer", "step": 0, "question": "sct-reflux"}, CASE_KEYS))
def test_the_case_handler_never_fails_and_refusals_change_nothing(workbench, case_usage, body):
    check(workbench, case_usage, "act", body, "fuzzer")


@FUZZ
@given(body=mutated({"action": "decide", "step": 0, "disposition": "refer_upward"}, REFERRAL_KEYS))
def test_the_referral_handler_never_fails_and_refusals_change_nothing(
    workbench, referral_usage, body
):
    check(workbench, referral_usage, "act", body, "fuzzer")


@pytest.mark.parametrize("which", ["case", "referral"])
@FUZZ
@given(
    body=mutated({"mode": "save", "display_name": "x", "weight": 1}, STUDIO_KEYS),
)
def test_studio_saves_never_fail_and_refusals_change_nothing(
    workbench, case_usage, referral_usage, body, which
):
    usage_id = case_usage if which == "case" else referral_usage
    check(workbench, usage_id, "studio_submit", body, "staff")


@pytest.mark.parametrize("which", ["case", "referral"])
@FUZZ
@given(
    body=st.one_of(
        mutated({"learner": "student_2"}, ["learner", "reason", "action"]),
        st.text(max_size=50),
        st.binary(max_size=50),
    ),
)
def test_staff_resets_never_fail(workbench, case_usage, referral_usage, body, which):
    usage_id = case_usage if which == "case" else referral_usage
    check(workbench, usage_id, "reset_learner", body, "staff")


@FUZZ
@given(body=st.one_of(st.text(max_size=200), st.binary(max_size=200), values.map(json.dumps)))
def test_any_bytes_at_all_are_answered_without_a_server_error(workbench, case_usage, body):
    check(workbench, case_usage, "act", body, "fuzzer")


CREDIT_KEYS = [
    "action",
    "name",
    "licence_number",
    "title",
    "institution",
    "tier",
    "department",
    "discipline",
    "satisfaction",
    "change_in_practice",
    "comment",
]
PROFILE = {
    "action": "profile",
    "name": "王晓梅",
    "licence_number": "110440100001234",
    "title": "intermediate",
    "institution": "青山镇卫生院",
    "tier": "primary",
    "department": "全科",
    "discipline": "General practice",
}


@pytest.fixture
def credit_usage(module) -> str:
    return module[1]["cme_credit"]


@FUZZ
@given(
    body=st.one_of(
        mutated(PROFILE, CREDIT_KEYS),
        mutated(
            {"action": "evaluate", "satisfaction": 4, "change_in_practice": "none"}, CREDIT_KEYS
        ),
        mutated({"action": "claim"}, CREDIT_KEYS),
    )
)
def test_the_credit_handler_never_fails_and_refusals_change_nothing(workbench, credit_usage, body):
    check(workbench, credit_usage, "act", body, "fuzzer")


SETTINGS_XML = (
    "<cme-credit><cme-activity project-number='2026-05-01-003' level='provincial' class='I' "
    "start-date='2026-09-01' end-date='2026-12-31'><name>N</name><organiser>O</organiser>"
    "<discipline>D</discipline><credits>1</credits></cme-activity></cme-credit>"
)
xml_texts = st.builds(
    lambda a, b, cut: (SETTINGS_XML[:cut] + a + SETTINGS_XML[cut:]).replace("N", b, 1),
    st.text(alphabet="<>&;'\"=/ !-[]?xmlDOCTYPEENTITY中\u0000", max_size=30),
    st.text(max_size=30),
    st.integers(min_value=0, max_value=len(SETTINGS_XML)),
)


@FUZZ
@given(
    body=st.one_of(
        mutated(
            {"mode": "save", "display_name": "x", "settings_source": SETTINGS_XML},
            ["mode", "display_name", "settings_source"],
        ),
        xml_texts.map(lambda x: {"mode": "save", "display_name": "x", "settings_source": x}),
    )
)
def test_credit_settings_saves_never_fail_and_refusals_change_nothing(
    workbench, credit_usage, body
):
    check(workbench, credit_usage, "studio_submit", body, "staff")


@pytest.mark.parametrize("handler", ["revoke", "report"])
@FUZZ
@given(
    body=st.one_of(
        mutated({"learner": "student_1", "reason": "Duplicate"}, ["learner", "reason", "action"]),
        st.text(max_size=50),
    ),
)
def test_staff_credit_handlers_never_fail(workbench, credit_usage, body, handler):
    check(workbench, credit_usage, handler, body, "staff")


@pytest.mark.parametrize("which", ["case cohort", "referral analytics", "credit push"])
@FUZZ
@given(
    body=st.one_of(values.map(json.dumps), st.text(max_size=50), st.binary(max_size=50)),
)
def test_staff_reports_never_fail(workbench, case_usage, referral_usage, credit_usage, body, which):
    """The staff views' handlers (the credit push without an LRS configured: it must refuse
    with what to set, not reach out)."""
    usage_id, handler = {
        "case cohort": (case_usage, "cohort"),
        "referral analytics": (referral_usage, "analytics"),
        "credit push": (credit_usage, "push_lrs"),
    }[which]
    check(workbench, usage_id, handler, body, "staff")
