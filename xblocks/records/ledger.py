"""The credit ledger: award once, never delete, revoke with an audit trail."""

from collections.abc import Iterator
from datetime import datetime

from django.db import IntegrityError, transaction

from credit_export import CreditRecord, revoke

from .models import CreditAward


def claim(
    record: CreditRecord, *, anonymous_id: str, course_id: str, usage_id: str
) -> tuple[CreditAward, bool]:
    """Store the award unless the learner already has one for this activity.

    Returns (row, created). Two claims at once (double click, two tabs, a retry) give one row:
    the database's unique constraint decides, and the loser reads the winner's row.
    """
    key = {"learner_id": record.learner_id, "project_number": record.project_number}
    values = {
        "anonymous_id": anonymous_id,
        "course_id": course_id,
        "usage_id": usage_id,
        "credit_class": record.credit_class,
        "credits": record.credits,
        "awarded_at": record.awarded_at,
        "record": record.model_dump(mode="json"),
    }
    try:
        with transaction.atomic():
            return CreditAward.objects.get_or_create(**key, defaults=values)
    except IntegrityError:
        return CreditAward.objects.get(**key), False


def award_of(learner_id: str, project_number: str) -> CreditAward | None:
    return CreditAward.objects.filter(learner_id=learner_id, project_number=project_number).first()


def revoke_award(row: CreditAward, reason: str, by: str, now: datetime) -> CreditAward:
    """Revoke (CreditError if already revoked or no reason); the row stays."""
    revoked = revoke(CreditRecord.model_validate(row.record), reason, by, now)
    row.status = "revoked"
    row.revoked_reason, row.revoked_by, row.revoked_at = reason.strip(), by, now
    row.record = revoked.model_dump(mode="json")
    row.save(update_fields=["status", "revoked_reason", "revoked_by", "revoked_at", "record"])
    return row


def activity_records(project_number: str | None = None) -> Iterator[CreditRecord]:
    """Every award (of one activity), oldest first, streamed from the table."""
    rows = CreditAward.objects.order_by("awarded_at", "id")
    if project_number:
        rows = rows.filter(project_number=project_number)
    for data in rows.values_list("record", flat=True).iterator(chunk_size=2000):
        yield CreditRecord.model_validate(data)
