"""Writing and reading referral decisions (what the referral analytics aggregate)."""

from collections.abc import Iterator
from datetime import datetime

from referral_tracking import DecisionRecord

from .models import ReferralDecisionRecord
from .sql import insert

#: Columns brought up to date when the same attempt is written again (plan set, finished).
UPDATED_ON_CONFLICT = (
    "course_id",
    "institution_id",
    "tier",
    "scenario_id",
    "ruleset_id",
    "classification",
    "urgency_error",
    "missing_letter_items",
    "follow_up_due",
    "follow_up_on_time",
    "score",
    "max_score",
    "updated_at",
)
KEY = ("learner_id", "usage_id", "attempt")


def record_decision(
    record: DecisionRecord, *, usage_id: str, course_id: str, attempt: int, now: datetime
) -> None:
    """Store the learner's decision for this attempt, or bring the stored one up to date.

    One statement (INSERT ... ON CONFLICT DO UPDATE / ON DUPLICATE KEY UPDATE): two requests
    of the same attempt racing each other still leave exactly one row, and the time of the
    first decision is kept.
    """
    row = ReferralDecisionRecord(
        learner_id=record.learner_id,
        course_id=course_id,
        usage_id=usage_id,
        attempt=attempt,
        institution_id=record.institution_id,
        tier=record.tier,
        scenario_id=record.scenario_id,
        ruleset_id=record.ruleset_id,
        classification=record.classification,
        urgency_error=record.urgency_error,
        missing_letter_items=" ".join(record.missing_letter_items),
        follow_up_due=record.follow_up_due,
        follow_up_on_time=record.follow_up_on_time,
        score=record.score,
        max_score=record.max_score,
        decided_at=now,
        updated_at=now,
    )
    insert(row, unique=KEY, update=UPDATED_ON_CONFLICT)


def decision_records(course_id: str) -> Iterator[DecisionRecord]:
    """Every referral decision of a course, streamed in chunks (memory does not grow with
    the number of rows): the input of `referral_tracking.aggregate`."""
    rows = (
        ReferralDecisionRecord.objects.filter(course_id=course_id)
        .order_by()
        .values_list(
            "learner_id",
            "institution_id",
            "tier",
            "scenario_id",
            "ruleset_id",
            "classification",
            "urgency_error",
            "missing_letter_items",
            "follow_up_due",
            "follow_up_on_time",
            "score",
            "max_score",
        )
        .iterator(chunk_size=2000)
    )
    for (
        learner_id,
        institution_id,
        tier,
        scenario_id,
        ruleset_id,
        classification,
        urgency_error,
        missing,
        follow_up_due,
        follow_up_on_time,
        score,
        max_score,
    ) in rows:
        yield DecisionRecord(
            learner_id=learner_id,
            institution_id=institution_id,
            tier=tier,
            scenario_id=scenario_id,
            ruleset_id=ruleset_id,
            classification=classification,
            urgency_error=urgency_error,
            missing_letter_items=tuple(missing.split()),
            follow_up_due=follow_up_due,
            follow_up_on_time=follow_up_on_time,
            score=score,
            max_score=max_score,
        )
