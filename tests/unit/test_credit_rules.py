"""Credit rules, conversions, profiles, awards and revocations, as a CME office needs them.

`records`, `NOW`, `PROFILE` and `RULE` are shared with the other credit tests and the LRS
integration tests."""

import json
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from credit_export import (
    ActivityEvaluation,
    ComponentRequirement,
    CreditActivity,
    CreditError,
    CreditRecord,
    CreditRule,
    HoursConversion,
    LearnerProfile,
    Outcome,
    award,
    credits_for_hours,
    demo_activity,
    evaluate_rule,
    revoke,
)

NOW = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)
BEIJING = timezone(timedelta(hours=8))
RULE = CreditRule(
    components=[
        ComponentRequirement(usage_id="case-1", label="Chest pain case", min_fraction=0.75),
        ComponentRequirement(usage_id="referral-1", label="Referral exercise", min_fraction=0.6),
    ],
    evaluation_required=True,
)
PROFILE = LearnerProfile(
    name="王晓梅",
    licence_number="110440100001234",
    title="intermediate",
    institution="青山镇卫生院",
    tier="primary",
    department="全科",
    discipline="General practice",
)


def outcome(usage_id: str, score: float, max_score: float = 10, at: datetime = NOW) -> Outcome:
    return Outcome(usage_id=usage_id, score=score, max_score=max_score, completed_at=at)


def activity(**changes) -> CreditActivity:
    data = demo_activity().model_dump() | changes
    return CreditActivity.model_validate(data)


def records(n: int, name: str = "王晓梅"):
    """n awarded records of the demo activity, learners learner-0 ... learner-(n-1)."""
    result = evaluate_rule(RULE, [outcome("case-1", 9), outcome("referral-1", 8)], True)
    profile = PROFILE.model_copy(update={"name": name})
    for i in range(n):
        yield award(demo_activity(), result, profile, f"learner-{i}", NOW)


# ---- activities: hours to credits -----------------------------------------------------------


@pytest.mark.parametrize(
    ("hours", "per_credit", "cap", "step", "credits"),
    [
        ("6", "6", None, "0.5", "1"),  # provincial: one credit per 6 hours
        ("9", "3", None, "0.5", "3"),  # national: one per 3 hours
        ("7", "3", None, "0.5", "2"),  # 2.33 -> rounded down to the half credit: 2
        ("8", "3", None, "0.5", "2.5"),  # 2.67 -> 2.5, never 3
        ("30", "3", "5", "0.5", "5"),  # capped per project
        ("2", "3", None, "0.5", "0.5"),  # 0.67 -> half a credit
        ("8", "3", None, "1", "2"),  # a province that counts whole credits only
        ("8", "3", None, "0.25", "2.5"),  # 2.67 in quarters: 2.5
    ],
)
def test_hours_convert_to_credits_rounded_down_to_the_step_and_capped(
    hours, per_credit, cap, step, credits
):
    conversion = HoursConversion(
        hours_per_credit=Decimal(per_credit),
        cap=Decimal(cap) if cap else None,
        step=Decimal(step),
    )
    converted = activity(hours=Decimal(hours), conversion=conversion)
    assert converted.awarded_credits == Decimal(credits)


@given(
    st.decimals(min_value="0.5", max_value="1000", places=2),
    st.decimals(min_value="0.5", max_value="100", places=2),
    st.sampled_from(["0.25", "0.5", "1"]),
)
def test_converted_credits_never_exceed_what_the_hours_earn_and_lose_less_than_a_step(
    hours, per_credit, step
):
    conversion = HoursConversion(hours_per_credit=per_credit, step=Decimal(step))
    credits = credits_for_hours(hours, conversion)
    earned = hours / per_credit
    assert credits <= earned < credits + Decimal(step)
    assert credits % Decimal(step) == 0


def test_an_activity_whose_hours_give_no_credit_is_refused_saying_why():
    conversion = HoursConversion(hours_per_credit=Decimal(3))
    with pytest.raises(ValidationError, match="1 hours give no credit at 3 hours per credit"):
        activity(hours=Decimal(1), conversion=conversion)


def test_fixed_credits_and_hours_cannot_both_be_given_and_dates_must_be_in_order():
    with pytest.raises(ValidationError, match="either fixed credits or hours"):
        activity(credits=Decimal("2"))
    with pytest.raises(ValidationError, match="either fixed credits or hours"):
        activity(hours=None, conversion=None)
    with pytest.raises(ValidationError, match="ends"):
        activity(start_date=date(2026, 12, 31), end_date=date(2026, 1, 1))


def test_half_credits_are_exact_decimals():
    half = activity(hours=None, conversion=None, credits="0.5")
    assert half.awarded_credits == Decimal("0.5") and isinstance(half.awarded_credits, Decimal)


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("2025-04-01-012 (国)", "2025-04-01-012 (国)"),
        (" 2025-04-01-012（省） ", "2025-04-01-012(省)"),  # full-width brackets normalised
        ("QS/2026/II-17", "QS/2026/II-17"),
    ],
)
def test_project_numbers_as_offices_write_them_are_accepted(typed, kept):
    assert activity(project_number=typed).project_number == kept


@pytest.mark.parametrize("number", ["", " -1", "=HYPERLINK(1)", "2026|05"])
def test_a_project_number_that_is_not_one_is_refused(number):
    with pytest.raises(ValidationError, match="project_number"):
        activity(project_number=number)


# ---- the rule ------------------------------------------------------------------------------


def test_the_rule_says_exactly_what_is_missing_with_usage_ids_and_both_numbers():
    result = evaluate_rule(RULE, [outcome("case-1", 6), outcome("case-1", 7)], False)
    assert not result.met and result.done == []
    by_code = {m.code: m for m in result.missing}
    assert by_code["missing_score"].params == {
        "component": "Chest pain case",
        "usage_id": "case-1",
        "score": 70,
        "minimum": 75,
        "points": 7,
        "max_points": 10,
    }
    assert by_code["missing_not_attempted"].usage_id == "referral-1"
    assert by_code["missing_evaluation"].usage_id is None
    assert [m.code for m in result.missing] == [
        "missing_score",
        "missing_not_attempted",
        "missing_evaluation",
    ]


def test_the_best_attempt_counts_and_the_evidence_is_the_attempt_that_satisfied_the_rule():
    early = outcome("case-1", 5, at=NOW - timedelta(days=2))
    best = outcome("case-1", 9, at=NOW - timedelta(days=1))
    outcomes = [early, best, outcome("referral-1", 6), outcome("other-block", 10)]
    result = evaluate_rule(RULE, outcomes, True)
    assert result.met and result.missing == []
    assert result.done == ["case-1", "referral-1"]
    assert result.evidence == [best, outcome("referral-1", 6)]
    assert result.score_percent == 75  # mean of 90% and 60%


def test_a_score_exactly_at_the_minimum_passes_even_where_floats_would_round_up():
    """0.7 * 10 is 7.000000000000001 in floating point: 7 of 10 must still meet 70%."""
    rule = CreditRule(
        components=[ComponentRequirement(usage_id="q", label="Quiz", min_fraction=0.7)]
    )
    assert evaluate_rule(rule, [outcome("q", 7)], True).met
    assert not evaluate_rule(rule, [outcome("q", 6.99)], True).met


@given(
    st.integers(min_value=0, max_value=1000),
    st.integers(min_value=1, max_value=1000),
    st.integers(min_value=0, max_value=100).map(lambda p: p / 100),
)
def test_the_percentages_a_learner_reads_never_contradict_the_verdict(points, max_points, minimum):
    points = min(points, max_points)
    rule = CreditRule(
        components=[ComponentRequirement(usage_id="q", label="Quiz", min_fraction=minimum)],
        evaluation_required=False,
    )
    result = evaluate_rule(rule, [outcome("q", points, max_points)])
    assert result.met == (Decimal(points) >= Decimal(str(minimum)) * max_points)
    for item in result.missing:
        assert item.params["score"] < item.params["minimum"], item.params


def test_a_block_without_points_counts_as_done_once_completed():
    rule = CreditRule(
        components=[ComponentRequirement(usage_id="video", label="Lecture", min_fraction=1)]
    )
    assert evaluate_rule(rule, [outcome("video", 0, max_score=0)], True).met


def test_a_minimum_study_time_is_checked_when_the_rule_has_one():
    rule = RULE.model_copy(update={"min_minutes": 120})
    outcomes = [outcome("case-1", 10), outcome("referral-1", 10)]
    short = evaluate_rule(rule, outcomes, True, minutes_spent=90)
    assert [(m.code, m.params) for m in short.missing] == [
        ("missing_minutes", {"minutes": 90, "required": 120})
    ]
    assert not evaluate_rule(rule, outcomes, True).met  # no time recorded
    assert evaluate_rule(rule, outcomes, True, minutes_spent=120).met


def test_study_time_is_the_time_between_actions_without_the_pauses():
    from credit_export import study_minutes

    def at(minutes: float) -> datetime:
        return NOW + timedelta(minutes=minutes)

    assert study_minutes([]) == 0 and study_minutes([at(0)]) == 0
    # Unsorted, from two blocks: one time line. 0-10-40 (a 30-minute gap: still study), then a
    # 31-minute pause (not counted), then 5 more minutes.
    moments = [at(40), at(0), at(71), at(10), at(76)]
    assert study_minutes(moments) == 45
    assert study_minutes(moments, idle_cap=timedelta(minutes=10)) == 15
    assert study_minutes([at(0), at(29.99)]) == 29  # whole minutes, never rounded up


def test_a_rule_with_no_component_is_never_met_by_the_evaluation_alone():
    result = evaluate_rule(CreditRule(), [], evaluation_done=True)
    assert not result.met and [m.code for m in result.missing] == ["rule_no_components"]
    with pytest.raises(CreditError, match="names no assessed component"):
        award(demo_activity(), result, PROFILE, "learner-1", NOW)


def test_the_evaluation_is_not_asked_when_the_rule_does_not_require_it():
    rule = RULE.model_copy(update={"evaluation_required": False})
    assert evaluate_rule(rule, [outcome("case-1", 10), outcome("referral-1", 10)]).met


def test_a_rule_naming_a_component_twice_is_refused():
    twice = [{"usage_id": "case-1", "label": "A"}, {"usage_id": "case-1", "label": "B"}]
    with pytest.raises(ValidationError, match='"case-1" more than once'):
        CreditRule.model_validate({"components": twice})


# ---- award and revocation --------------------------------------------------------------------


def test_an_award_before_the_rule_is_met_is_refused_with_every_missing_item():
    result = evaluate_rule(RULE, [outcome("case-1", 9)], False)
    with pytest.raises(CreditError) as caught:
        award(demo_activity(), result, None, "learner-1", NOW)
    assert caught.value.code == "rule_not_met"
    assert [m.code for m in caught.value.params["items"]] == [
        "missing_not_attempted",
        "missing_evaluation",
        "missing_profile",
    ]
    text = str(caught.value)
    assert "Referral exercise is not completed yet" in text
    assert "evaluation is not answered" in text and "profile is not filled in" in text


def test_an_award_carries_the_activity_the_credits_the_profile_and_the_evidence():
    result = evaluate_rule(
        RULE, [outcome("case-1", 9), outcome("referral-1", 8)], True, minutes_spent=400
    )
    record = award(demo_activity(), result, PROFILE, "learner-1", NOW.astimezone(BEIJING))
    assert (record.project_number, record.level, record.credit_class, record.credits) == (
        "2026-05-01-003",
        "provincial",
        "I",
        Decimal("0.25"),
    )
    assert record.activity_name_translations["zh-CN"] == "高血压社区管理与分级转诊"
    assert record.profile.name == "王晓梅" and record.status == "awarded"
    assert record.awarded_at == NOW and record.awarded_at.utcoffset() == timedelta(0)
    assert [e.usage_id for e in record.evidence] == ["case-1", "referral-1"]
    assert (record.score_percent, record.evaluation_done, record.minutes_spent) == (85, True, 400)


def test_an_award_needs_a_time_with_a_zone():
    result = evaluate_rule(RULE, [outcome("case-1", 9), outcome("referral-1", 8)], True)
    with pytest.raises(ValidationError, match="timezone"):
        award(demo_activity(), result, PROFILE, "learner-1", datetime(2026, 11, 22, 9, 30))


def test_revocation_needs_a_reason_and_who_happens_once_and_keeps_the_award():
    record = next(records(1))
    with pytest.raises(CreditError, match="Say why"):
        revoke(record, " \t ", "admin", NOW)
    with pytest.raises(CreditError, match="revoked_by is empty"):
        revoke(record, "Duplicate registration", " ", NOW)
    later = NOW + timedelta(days=3)
    revoked = revoke(record, "  Duplicate registration ", "admin", later)
    assert (revoked.status, revoked.revoked_reason, revoked.revoked_by) == (
        "revoked",
        "Duplicate registration",
        "admin",
    )
    assert revoked.revoked_at == later and revoked.credits == record.credits
    assert record.status == "awarded"  # a new version; the award itself is unchanged
    with pytest.raises(CreditError, match="already revoked on 2026-11-25"):
        revoke(revoked, "again", "admin", later)


def test_a_record_cannot_be_edited_in_place():
    record = next(records(1))
    with pytest.raises(ValidationError):
        record.credits = Decimal(5)


def test_a_revoked_record_without_its_reason_is_not_a_valid_record():
    data = next(records(1)).model_dump() | {"status": "revoked", "revoked_at": NOW}
    with pytest.raises(ValidationError, match="Say why"):
        CreditRecord.model_validate(data)


def test_a_record_survives_the_ledger_round_trip_and_records_stored_earlier_still_load():
    record = next(records(1))
    assert CreditRecord.model_validate_json(record.model_dump_json()) == record
    stored_by_the_first_version = {
        "learner_id": "student_1",
        "project_number": "2026-05-01-003",
        "activity_name": "Community management of hypertension and graded referral",
        "level": "provincial",
        "credit_class": "I",
        "credits": "1",
        "awarded_at": "2026-11-22T09:30:00Z",
        "score_percent": 85,
        "profile": PROFILE.model_dump(),
        "evidence": [
            {
                "usage_id": "case-1",
                "score": 8.0,
                "max_score": 10.0,
                "completed_at": "2026-11-22T09:00:00+00:00",
            }
        ],
        "status": "awarded",
        "revoked_reason": "",
        "revoked_by": "",
        "revoked_at": None,
    }
    old = CreditRecord.model_validate(json.loads(json.dumps(stored_by_the_first_version)))
    assert old.evidence[0].score == 8 and old.evaluation_done is None


# ---- the learner's profile and evaluation --------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("name", "   ", "name is empty"),
        ("name", "\x00\x07", "name is empty"),
        ("institution", "\n\t", "institution is empty"),
        ("licence_number", "12-34", "6 to 30 letters and digits"),
        ("licence_number", "12345", "6 to 30 letters and digits"),
        ("licence_number", "1" * 31, "6 to 30 letters and digits"),
        ("licence_number", "证书号码一二三四五", "6 to 30 letters and digits"),
        ("title", "professor", "junior"),
        ("tier", "quaternary", "primary"),
    ],
)
def test_profile_problems_are_told_in_words_a_learner_understands(field, value, words):
    data = PROFILE.model_dump() | {field: value}
    with pytest.raises(ValidationError) as caught:
        LearnerProfile.model_validate(data)
    assert words in str(caught.value)


def test_chinese_names_work_and_typing_quirks_are_forgiven():
    profile = LearnerProfile.model_validate(
        PROFILE.model_dump()
        | {
            "name": " 欧阳\u3000娜娜\x08 ",
            "licence_number": "１１０４ ４０１０ ａｂ１２",  # full-width, as a Chinese IME types it
            "department": "心内科\n（二病区）",
        }
    )
    assert profile.name == "欧阳\u3000娜娜"
    assert profile.licence_number == "11044010AB12"
    assert profile.department == "心内科 （二病区）"


def test_the_activity_evaluation_is_a_likert_score_a_choice_and_free_text():
    evaluation = ActivityEvaluation(
        satisfaction=4, change_in_practice="planned", comment="将在社区推广\n家庭血压监测"
    )
    assert evaluation.comment == "将在社区推广\n家庭血压监测"
    for bad in ({"satisfaction": 0}, {"satisfaction": 6}, {"change_in_practice": "maybe"}):
        with pytest.raises(ValidationError):
            ActivityEvaluation.model_validate(
                {"satisfaction": 3, "change_in_practice": "none"} | bad
            )
