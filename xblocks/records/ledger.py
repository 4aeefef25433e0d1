"""The credit ledger: award once, never delete, revoke with an audit trail."""

import os
from collections.abc import Iterator
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, router, transaction
from django.db.models import Count

from credit_export import ActivityEvaluation, CreditRecord, revoke
from credit_export.stored import ExportRecord, stored_record

from .models import ActionReceipt, CreditAward, CreditEvaluation, LearnerOutcome
from .sql import insert, quoted

DEFAULT_IDLE_MINUTES = 30
#: A learner's evaluation of a block: one row, brought up to date by a new answer.
EVALUATION_KEY = ("learner_id", "usage_id")
EVALUATION_UPDATED = (
    "course_id",
    "project_number",
    "satisfaction",
    "change_in_practice",
    "comment",
    "answered_at",
)


def claim(
    record: CreditRecord, *, anonymous_id: str, course_id: str, usage_id: str
) -> tuple[CreditAward, bool]:
    """Store the award unless the learner already has one for this activity.

    Returns (row, created). Two claims at once (double click, two tabs, a retry) give one row:
    the database's unique constraint decides, and the loser reads the winner's row. The
    INSERT comes first (no read before it: the callers have looked for an award already, and
    a row that exists makes the INSERT fail like a lost race).
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
    # The savepoints on the ledger's own database (a router may put it beside `default`).
    database = router.db_for_write(CreditAward)
    try:
        with transaction.atomic(using=database):
            return CreditAward.objects.create(**key, **values), True
    except IntegrityError:
        # The other request's row, by a locking read: under MySQL's REPEATABLE READ a plain
        # read inside a transaction that has read the table before would not see a row
        # committed since (the handler's transaction has: it looked for an award first).
        with transaction.atomic(using=database):
            return CreditAward.objects.select_for_update().get(**key), False


def award_of(learner_id: str, project_number: str) -> CreditAward | None:
    """The learner's award of the activity, if any (read on every view and action of a credit
    block: see `records.sql`)."""
    table, (learner, project) = quoted(CreditAward, "learner_id", "project_number")
    rows = CreditAward.objects.raw(
        f"SELECT * FROM {table} WHERE {learner} = %s AND {project} = %s",  # noqa: S608
        [learner_id, project_number],
    )
    return next(iter(rows), None)


def awards_with_licence(project_number: str, licence_number: str) -> list[CreditAward]:
    """The credits of one activity whose learner gave this licence number (as the CSV shows
    it) in the profile recorded with the award: usually one; more when one person used two
    accounts."""
    return list(
        CreditAward.objects.filter(
            project_number=project_number, record__profile__licence_number=licence_number
        ).order_by("awarded_at", "id")
    )


def licence_on_other_account(course_id: str, licence_number: str, learner_id: str) -> bool:
    """Whether another account holds an awarded credit of this course under this licence."""
    return (
        CreditAward.objects.filter(
            course_id=course_id, status="awarded", record__profile__licence_number=licence_number
        )
        .exclude(learner_id=learner_id)
        .exists()
    )


def awards_under(project_number: str) -> int:
    """How many credits (awarded or revoked) the ledger holds under a project number."""
    return CreditAward.objects.filter(project_number=project_number).count()


def projects_awarded_by(usage_id: str) -> dict[str, int]:
    """Project number -> how many credits (awarded or revoked) a credit block has recorded
    under it: usually one number, the block's."""
    rows = CreditAward.objects.filter(usage_id=usage_id).values_list("project_number")
    return dict(rows.annotate(count=Count("id")).values_list("project_number", "count"))


def awarded_count(project_number: str) -> int:
    """How many credits of an activity stand awarded (not revoked): the records an export
    of it holds."""
    return CreditAward.objects.filter(project_number=project_number, status="awarded").count()


def revoke_award(row: CreditAward, reason: str, by: str, now: datetime) -> CreditAward:
    """Revoke (CreditError if already revoked or no reason); the row stays."""
    revoked = revoke(CreditRecord.model_validate(row.record), reason, by, now)
    row.status = "revoked"
    row.revoked_reason, row.revoked_by, row.revoked_at = reason.strip(), by, now
    row.record = revoked.model_dump(mode="json")
    row.save(update_fields=["status", "revoked_reason", "revoked_by", "revoked_at", "record"])
    return row


def activity_records(
    project_number: str | None = None, *, course_id: str | None = None
) -> Iterator[ExportRecord]:
    """Every award (of one activity, or of one course's activities), oldest first, streamed
    from the table in chunks: what the CSV and XML exports and the staff report read.

    Each row's record as the ledger wrote it, read back without validating it again
    (`credit_export.stored`: it was validated when written, and a row of another shape is
    validated after all); about a third of the cost of `CreditRecord.model_validate` per row.
    Code that needs the full record (evidence, revocation) validates the row itself."""
    rows = CreditAward.objects.order_by("awarded_at", "id")
    if project_number:
        rows = rows.filter(project_number=project_number)
    if course_id is not None:
        rows = rows.filter(course_id=course_id)
    read = stored_record
    for data in rows.values_list("record", flat=True).iterator(chunk_size=2000):
        yield read(data)


def learner_records(learner_id: str) -> list[ExportRecord]:
    """Every credit of one learner, in every course, awarded or revoked, oldest first: what
    the learner's annual summary counts (a few dozen rows a year, read without validating)."""
    rows = CreditAward.objects.filter(learner_id=learner_id).order_by("awarded_at", "id")
    return [stored_record(data) for data in rows.values_list("record", flat=True)]


def records_of_learners(project_number: str | None = None) -> Iterator[ExportRecord]:
    """Every credit (all courses) of each learner awarded one of this activity (of any
    activity, without a number), grouped by learner, oldest first: what the annual summary
    export reads, streamed."""
    rows = CreditAward.objects.order_by("learner_id", "awarded_at", "id")
    if project_number:
        awarded = CreditAward.objects.filter(project_number=project_number, status="awarded")
        rows = rows.filter(learner_id__in=awarded.values("learner_id"))
    for data in rows.values_list("record", flat=True).iterator(chunk_size=2000):
        yield stored_record(data)


def study_idle_cap() -> timedelta:
    """CME_STUDY_IDLE_MINUTES (settings or environment, 1 to 240, default 30): a pause between
    two recorded actions longer than this is not counted as study time."""
    raw = getattr(settings, "CME_STUDY_IDLE_MINUTES", None)
    if raw in (None, ""):
        raw = os.environ.get("CME_STUDY_IDLE_MINUTES", "")
    try:
        minutes = int(raw) if raw != "" else DEFAULT_IDLE_MINUTES
    except (TypeError, ValueError):
        minutes = DEFAULT_IDLE_MINUTES
    if not 1 <= minutes <= 240:
        minutes = DEFAULT_IDLE_MINUTES
    return timedelta(minutes=minutes)


def study_moments(learner_id: str, usage_ids: list[str]) -> list[datetime]:
    """When the learner was seen working on these blocks, from durable records only: each
    accepted action (`ActionReceipt`, stamped by the database when it was accepted) and each
    completed attempt (`LearnerOutcome.completed_at`). Blocks that are not ours leave no
    receipts; they add nothing here."""
    if not usage_ids:
        return []
    actions = ActionReceipt.objects.filter(learner_id=learner_id, usage_id__in=usage_ids)
    completions = LearnerOutcome.objects.filter(learner_id=learner_id, usage_id__in=usage_ids)
    return [
        *actions.values_list("created_at", flat=True),
        *completions.values_list("completed_at", flat=True),
    ]


def record_evaluation(
    evaluation: ActivityEvaluation,
    *,
    learner_id: str,
    usage_id: str,
    course_id: str,
    project_number: str,
    now: datetime,
) -> None:
    """Keep the learner's evaluation of a credit block where staff can summarise it (one row
    per learner and block; a new answer replaces the old).

    One statement (INSERT ... ON CONFLICT DO UPDATE / ON DUPLICATE KEY UPDATE), where
    `update_or_create` took six (savepoints, a locking read, the insert): two answers at once
    still leave one row, the later answer in it."""
    row = CreditEvaluation(
        learner_id=learner_id,
        usage_id=usage_id,
        course_id=course_id,
        project_number=project_number,
        satisfaction=evaluation.satisfaction,
        change_in_practice=evaluation.change_in_practice,
        comment=evaluation.comment,
        answered_at=now,
    )
    insert(row, unique=EVALUATION_KEY, update=EVALUATION_UPDATED)


def activity_evaluations(project_number: str) -> Iterator[ActivityEvaluation]:
    """Every learner's evaluation of one activity, oldest first, streamed."""
    rows = CreditEvaluation.objects.filter(project_number=project_number).order_by(
        "answered_at", "id"
    )
    for satisfaction, change, comment in rows.values_list(
        "satisfaction", "change_in_practice", "comment"
    ).iterator(chunk_size=2000):
        yield ActivityEvaluation.model_construct(
            satisfaction=satisfaction, change_in_practice=change, comment=comment
        )
