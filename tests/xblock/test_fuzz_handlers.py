"""Every JSON handler of every block, attacked with generated bodies: wrong types, missing and
extra fields, huge strings, unicode, negative and huge numbers, replayed and out-of-order steps.

Property: never a 5xx; a refused request (4xx) carries a readable message and leaves the
learner's state and the block's content as they were. `CME_FUZZ_EXAMPLES` sets the examples per
handler (CI: the default below; `make fuzz`: 5,000).
"""

import json
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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
    names = [
        n for n in ("progress_json", "state_json", "case_json", "content_json") if n in block.fields
    ]
    return {name: getattr(block, name) for name in names} | {
        "display_name": block.display_name,
        "weight": block.weight,
    }


def check(workbench, usage_id: str, handler: str, body, student: str) -> None:
    before = snapshot(workbench.block(usage_id, student))
    raw = body if isinstance(body, (str, bytes)) else json.dumps(body)
    response = workbench.handler(usage_id, handler, raw, student=student)
    assert response.status_code < 500, (handler, body, response.content[:500])
    if response.status_code >= 400:
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


@FUZZ
@given(
    body=mutated({"mode": "save", "display_name": "x", "weight": 1}, STUDIO_KEYS),
    which=st.sampled_from(["case", "referral"]),
)
def test_studio_saves_never_fail_and_refusals_change_nothing(
    workbench, case_usage, referral_usage, body, which
):
    usage_id = case_usage if which == "case" else referral_usage
    check(workbench, usage_id, "studio_submit", body, "staff")


@FUZZ
@given(
    body=st.one_of(
        mutated({"learner": "student_2"}, ["learner", "reason", "action"]),
        st.text(max_size=50),
        st.binary(max_size=50),
    ),
    which=st.sampled_from(["case", "referral"]),
)
def test_staff_resets_never_fail(workbench, case_usage, referral_usage, body, which):
    usage_id = case_usage if which == "case" else referral_usage
    check(workbench, usage_id, "reset_learner", body, "staff")


@FUZZ
@given(body=st.one_of(st.text(max_size=200), st.binary(max_size=200), values.map(json.dumps)))
def test_any_bytes_at_all_are_answered_without_a_server_error(workbench, case_usage, body):
    check(workbench, case_usage, "act", body, "fuzzer")
