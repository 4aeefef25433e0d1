"""Learner outcomes: the durable evidence credit rules read."""

from datetime import UTC, datetime

import pytest

from xblocks.records.models import LearnerOutcome
from xblocks.records.outcomes import OutcomeWrite, best_outcomes, record_outcome

NOW = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)


def outcome(**overrides) -> OutcomeWrite:
    values = dict(
        learner_id="student_1",
        usage_id="demo.cme_case.d0.u0",
        block_type="cme_case",
        attempt=1,
        score=7.0,
        max_score=10.0,
        completed_at=NOW,
    )
    return OutcomeWrite(**{**values, **overrides})


def test_a_replayed_completion_is_stored_once_and_keeps_the_first_score():
    first, created = record_outcome(outcome())
    again, created_again = record_outcome(outcome(score=9.0))
    assert created and not created_again
    assert again.pk == first.pk and again.score == 7.0
    assert LearnerOutcome.objects.count() == 1


def test_a_new_attempt_after_a_staff_reset_is_a_new_row_and_the_best_one_counts():
    record_outcome(outcome(attempt=1, score=4.0))
    record_outcome(outcome(attempt=2, score=9.0))
    record_outcome(
        outcome(usage_id="demo.cme_referral.d0.u0", block_type="cme_referral", score=3.0)
    )
    best = best_outcomes("student_1", ["demo.cme_case.d0.u0", "demo.cme_referral.d0.u0", "missing"])
    assert best["demo.cme_case.d0.u0"].score == 9.0
    assert best["demo.cme_referral.d0.u0"].score == 3.0
    assert "missing" not in best
    assert LearnerOutcome.objects.count() == 3


def test_another_learners_outcomes_never_count_for_me():
    record_outcome(outcome(learner_id="student_2", score=10.0))
    assert best_outcomes("student_1", ["demo.cme_case.d0.u0"]) == {}


@pytest.mark.parametrize("score", [-1.0, 10.5])
def test_a_score_outside_zero_to_max_is_refused_and_nothing_is_written(score):
    with pytest.raises(ValueError, match="outside"):
        record_outcome(outcome(score=score))
    assert LearnerOutcome.objects.count() == 0


def test_a_learner_without_records_begins_at_step_0_and_one_with_records_after_them():
    from xblocks.records.outcomes import resume_point, take_step

    assert resume_point("student_1", "demo.cme_case.d0.u0") == (0, 0)
    for step in (0, 1, 2):
        assert take_step("student_1", "demo.cme_case.d0.u0", step)
    record_outcome(outcome(attempt=1))
    take_step("student_2", "demo.cme_case.d0.u0", 9)  # someone else's steps do not count
    assert resume_point("student_1", "demo.cme_case.d0.u0") == (3, 1)
    assert not take_step("student_1", "demo.cme_case.d0.u0", 2)
    assert take_step("student_1", "demo.cme_case.d0.u0", 3)


def test_the_cohort_reads_each_learners_latest_attempt_once():
    from xblocks.records.outcomes import latest_block_outcomes

    record_outcome(outcome(attempt=1, score=9.0))
    record_outcome(outcome(attempt=2, score=3.0))
    record_outcome(outcome(learner_id="student_2", attempt=1, score=5.0))
    record_outcome(outcome(usage_id="demo.cme_case.d1.u0", attempt=3))
    rows = [(r.learner_id, r.attempt, r.score) for r in latest_block_outcomes(outcome().usage_id)]
    assert rows == [("student_1", 2, 3.0), ("student_2", 1, 5.0)]


def test_the_ledger_table_itself_refuses_a_second_credit_for_one_learner_and_activity():
    """The one-award guarantee is the table's (a unique index the migrations create), not only
    the code's check before writing: a second row for the same learner and project is refused
    by the database, whatever writes it."""
    from django.db import IntegrityError, transaction

    from xblocks.records.models import CreditAward

    row = {
        "learner_id": "student_9",
        "project_number": "2026-05-01-003",
        "usage_id": "cme_credit.0.u1",
        "credit_class": "I",
        "credits": 1,
        "awarded_at": datetime.now(UTC),
        "record": {},
    }
    CreditAward.objects.create(**row)
    with pytest.raises(IntegrityError), transaction.atomic():
        CreditAward.objects.create(**(row | {"usage_id": "cme_credit.1.u1", "course_id": "other"}))
    assert CreditAward.objects.filter(learner_id="student_9").count() == 1
