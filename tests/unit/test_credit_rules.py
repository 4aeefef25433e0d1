"""Credit rules, conversions, profiles, awards and revocations, as a CME office needs them."""

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from credit_export import (
    ComponentRequirement,
    CreditActivity,
    CreditError,
    CreditRule,
    HoursConversion,
    LearnerProfile,
    Outcome,
    award,
    demo_activity,
    evaluate_rule,
    iter_csv,
    revoke,
    safe_cell,
)

NOW = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)
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


def outcome(usage_id: str, score: float, max_score: float = 10) -> Outcome:
    return Outcome(usage_id=usage_id, score=score, max_score=max_score, completed_at=NOW)


def activity(**changes) -> CreditActivity:
    data = demo_activity().model_dump() | changes
    return CreditActivity.model_validate(data)


@pytest.mark.parametrize(
    ("hours", "per_credit", "cap", "credits"),
    [
        ("6", "6", None, "1"),  # provincial: one credit per 6 hours
        ("9", "3", None, "3"),  # national: one per 3 hours
        ("7", "3", None, "2"),  # 2.33 -> rounded down to the half credit: 2
        ("8", "3", None, "2.5"),  # 2.67 -> 2.5
        ("30", "3", "5", "5"),  # capped per project
        ("2", "3", None, "0.5"),
    ],
)
def test_hours_convert_to_credits_rounded_down_to_half_a_credit_and_capped(
    hours, per_credit, cap, credits
):
    conversion = HoursConversion(
        hours_per_credit=Decimal(per_credit), cap=Decimal(cap) if cap else None
    )
    assert activity(hours=Decimal(hours), conversion=conversion).awarded_credits == Decimal(credits)


def test_fixed_credits_and_hours_cannot_both_be_given_and_dates_must_be_in_order():
    with pytest.raises(ValidationError, match="either fixed credits or hours"):
        activity(credits=Decimal("2"))
    with pytest.raises(ValidationError, match="ends"):
        activity(start_date=date(2026, 12, 31), end_date=date(2026, 1, 1))


def test_the_rule_says_exactly_what_is_missing():
    result = evaluate_rule(RULE, [outcome("case-1", 6), outcome("case-1", 7)], False)
    assert not result.met
    codes = {m.code: m.params for m in result.missing}
    assert codes["missing_score"] == {
        "component": "Chest pain case",
        "usage_id": "case-1",
        "score": 70,
        "minimum": 75,
    }
    assert codes["missing_not_attempted"]["usage_id"] == "referral-1"
    assert "missing_evaluation" in codes


def test_the_best_attempt_counts_and_the_evidence_names_it():
    outcomes = [outcome("case-1", 5), outcome("case-1", 9), outcome("referral-1", 6)]
    result = evaluate_rule(RULE, outcomes, True)
    assert result.met and result.missing == []
    assert [e["score"] for e in result.evidence] == [9, 6]
    assert result.score_percent == 75


def test_a_minimum_study_time_is_checked_when_the_rule_has_one():
    rule = RULE.model_copy(update={"min_minutes": 120})
    outcomes = [outcome("case-1", 10), outcome("referral-1", 10)]
    assert not evaluate_rule(rule, outcomes, True, minutes=90).met
    assert evaluate_rule(rule, outcomes, True, minutes=120).met


def test_an_award_before_the_rule_is_met_is_refused_with_every_missing_item():
    result = evaluate_rule(RULE, [outcome("case-1", 9)], False)
    with pytest.raises(CreditError) as caught:
        award(demo_activity(), result, None, "learner-1", NOW)
    assert caught.value.code == "rule_not_met"
    text = str(caught.value)
    assert "Referral exercise is not completed yet" in text
    assert "evaluation" in text and "profile" in text


def test_an_award_carries_the_activity_the_credits_and_the_profile():
    result = evaluate_rule(RULE, [outcome("case-1", 9), outcome("referral-1", 8)], True)
    record = award(demo_activity(), result, PROFILE, "learner-1", NOW)
    assert (record.project_number, record.credit_class, record.credits) == (
        "2026-05-01-003",
        "I",
        Decimal("1"),
    )
    assert record.profile.name == "王晓梅" and record.status == "awarded"


def test_revocation_needs_a_reason_happens_once_and_keeps_the_award():
    result = evaluate_rule(RULE, [outcome("case-1", 9), outcome("referral-1", 8)], True)
    record = award(demo_activity(), result, PROFILE, "learner-1", NOW)
    with pytest.raises(CreditError, match="Say why"):
        revoke(record, "  ", "admin", NOW)
    revoked = revoke(record, "Duplicate registration", "admin", NOW)
    assert (revoked.status, revoked.revoked_by, revoked.credits) == ("revoked", "admin", 1)
    with pytest.raises(CreditError, match="already revoked"):
        revoke(revoked, "again", "admin", NOW)


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("name", "   ", "name is empty"),
        ("licence_number", "12-34", "6 to 30 letters and digits"),
        ("licence_number", "证书号码一二三四五", "6 to 30 letters and digits"),
        ("title", "professor", "title"),
    ],
)
def test_profile_problems_name_the_field_in_words_a_learner_understands(field, value, words):
    data = PROFILE.model_dump() | {field: value}
    with pytest.raises(ValidationError) as caught:
        LearnerProfile.model_validate(data)
    assert words in str(caught.value)


# ---- CSV ------------------------------------------------------------------------------------


def records(n: int, name: str = "王晓梅"):
    result = evaluate_rule(RULE, [outcome("case-1", 9), outcome("referral-1", 8)], True)
    for i in range(n):
        profile = PROFILE.model_copy(update={"name": name})
        yield award(demo_activity(), result, profile, f"learner-{i}", NOW)


def test_the_csv_has_a_bom_the_registration_columns_and_chinese_intact():
    text = "".join(iter_csv(records(3)))
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:])))
    assert rows[0][:3] == ["Name", "Licence number", "Professional title"]
    assert rows[1][0] == "王晓梅" and rows[1][3] == "青山镇卫生院" and rows[1][9] == "1"
    assert len(rows) == 4


def test_an_export_with_no_records_is_a_valid_file_with_the_header_only():
    rows = list(csv.reader(io.StringIO("".join(iter_csv([]))[1:])))
    assert len(rows) == 1 and len(rows[0]) == 12


def test_revoked_records_are_not_exported():
    first, second = records(2)
    text = "".join(iter_csv([first, revoke(second, "duplicate", "admin", NOW)]))
    assert len(list(csv.reader(io.StringIO(text[1:])))) == 2


@given(st.text(min_size=1, max_size=40).filter(lambda s: s.strip()))
def test_no_csv_cell_ever_starts_a_formula(name):
    text = "".join(iter_csv(records(1, name=name)))
    for row in csv.reader(io.StringIO(text[1:])):
        for cell in row:
            assert cell[:1] not in set("=+-@\t\r\0＝＋－＠"), row


def test_the_export_streams_in_chunks_and_never_holds_every_row():
    chunks = iter_csv(records(2000))
    first = next(chunks)
    assert first.count("\n") <= 501  # header and the first 500 rows, not all 2,000
    assert sum(chunk.count("\n") for chunk in chunks) + first.count("\n") == 2001


def test_safe_cell_leaves_ordinary_text_alone():
    assert safe_cell("Dr Li") == "Dr Li" and safe_cell("=1+1") == "'=1+1"
