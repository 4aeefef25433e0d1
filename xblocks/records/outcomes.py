"""Writing and reading learner outcomes (the evidence credit rules read)."""

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from django.db import IntegrityError, router, transaction
from django.db.models import OuterRef, Subquery

from .models import ActionReceipt, AttemptReset, LearnerOutcome, ReferralDecisionRecord
from .sql import insert, max_columns, quoted


@dataclass(frozen=True)
class OutcomeWrite:
    learner_id: str
    usage_id: str
    block_type: str
    attempt: int
    score: float
    max_score: float
    completed_at: datetime
    course_id: str = ""
    detail: dict = field(default_factory=dict)


def record_outcome(outcome: OutcomeWrite) -> tuple[LearnerOutcome, bool]:
    """Store a completed attempt once. Returns (row, created).

    A second write of the same (learner, block, attempt) -- a replayed request, a double
    click, two tabs -- returns the first row unchanged, even when both race.
    """
    if not 0 <= outcome.score <= outcome.max_score:
        raise ValueError(f"score {outcome.score} outside 0..{outcome.max_score}")
    key = {
        "learner_id": outcome.learner_id,
        "usage_id": outcome.usage_id,
        "attempt": outcome.attempt,
    }
    values = {
        "course_id": outcome.course_id,
        "block_type": outcome.block_type,
        "score": outcome.score,
        "max_score": outcome.max_score,
        "completed_at": outcome.completed_at,
        "detail": outcome.detail,
    }
    try:
        with transaction.atomic(using=router.db_for_write(LearnerOutcome)):
            return LearnerOutcome.objects.get_or_create(**key, defaults=values)
    except IntegrityError:
        return LearnerOutcome.objects.get(**key), False


def best_outcomes(learner_id: str, usage_ids: list[str]) -> dict[str, LearnerOutcome]:
    """The learner's best-scoring completed attempt per block, for the blocks asked."""
    best: dict[str, LearnerOutcome] = {}
    if not usage_ids:
        return best
    table, (learner, usage, completed_at, pk) = quoted(
        LearnerOutcome, "learner_id", "usage_id", "completed_at", "id"
    )
    # The credit block's state reads this on every view and action (see `records.sql`).
    rows = LearnerOutcome.objects.raw(
        f"SELECT * FROM {table} WHERE {learner} = %s AND {usage} IN "  # noqa: S608
        f"({', '.join(['%s'] * len(usage_ids))}) ORDER BY {completed_at}, {pk}",
        [learner_id, *usage_ids],
    )
    for row in rows:
        current = best.get(row.usage_id)
        if current is None or row.score / (row.max_score or 1) > current.score / (
            current.max_score or 1
        ):
            best[row.usage_id] = row
    return best


def latest_block_outcomes(usage_id: str) -> Iterator[LearnerOutcome]:
    """Each learner's latest completed attempt at one block (one row per learner), in the
    order the learners first completed it: what a cohort view counts."""
    latest = (
        LearnerOutcome.objects.filter(usage_id=usage_id, learner_id=OuterRef("learner_id"))
        .order_by("-attempt", "-completed_at", "-pk")
        .values("pk")[:1]
    )
    return (
        LearnerOutcome.objects.filter(usage_id=usage_id, pk=Subquery(latest))
        .order_by("pk")
        .iterator(chunk_size=500)
    )


def request_reset(
    learner_id: str, usage_id: str, requested_by: str, now: datetime, reason: str = ""
) -> AttemptReset:
    """Staff reset of one learner's attempt, applied when the learner's block next loads."""
    return AttemptReset.objects.create(
        learner_id=learner_id,
        usage_id=usage_id,
        requested_by=requested_by,
        reason=reason,
        requested_at=now,
    )


def take_pending_reset(learner_id: str, usage_id: str, now: datetime) -> AttemptReset | None:
    """The learner's pending reset for this block, marked applied; None if there is none.

    Marked with a conditional UPDATE so that two concurrent page loads apply it only once.
    Every page view of an exercise asks (see `records.sql`); nearly always there is none.
    """
    table, (learner, usage, applied, requested, pk) = quoted(
        AttemptReset, "learner_id", "usage_id", "applied_at", "requested_at", "id"
    )
    pending = next(
        iter(
            AttemptReset.objects.raw(
                f"SELECT * FROM {table} WHERE {learner} = %s AND {usage} = %s "  # noqa: S608
                f"AND {applied} "
                f"IS NULL ORDER BY {requested}, {pk} LIMIT 1",
                [learner_id, usage_id],
            )
        ),
        None,
    )
    if pending is None:
        return None
    claimed = AttemptReset.objects.filter(pk=pending.pk, applied_at__isnull=True).update(
        applied_at=now
    )
    if not claimed:
        return None
    # Every other pending request for the same learner and block is covered by this one.
    AttemptReset.objects.filter(
        learner_id=learner_id, usage_id=usage_id, applied_at__isnull=True
    ).update(applied_at=now)
    return pending


def take_step(learner_id: str, usage_id: str, step: int) -> bool:
    """Claim one learner action; False if that step was already taken (a simultaneous or
    replayed submission of the same page).

    One INSERT in a savepoint: the unique step decides, and a refused insert leaves the
    handler's transaction usable (written as SQL: every learner action runs it, see
    `records.sql`)."""
    try:
        with transaction.atomic(using=router.db_for_write(ActionReceipt)):
            insert(ActionReceipt(learner_id=learner_id, usage_id=usage_id, step=step))
    except IntegrityError:
        return False
    return True


def resume_point(learner_id: str, usage_id: str, *, decisions: bool = False) -> tuple[int, int]:
    """(the first step no action receipt has used, the last attempt with an outcome row) of a
    learner at one block, both 0 when there are none; with `decisions`, the last attempt with
    an outcome or a referral decision row.

    A learner whose XBlock state the platform deleted ("Delete learner's state") begins again
    from here: at step 0 every action would be refused as a replay of an old receipt, and at
    attempt 1 the new completion would collide with the first attempt's outcome row (and a
    referral's new decision would overwrite the decision of an unfinished attempt).
    """
    columns = ((ActionReceipt, "step"), (LearnerOutcome, "attempt"))
    if decisions:
        columns += ((ReferralDecisionRecord, "attempt"),)
    top_step, *top_attempts = max_columns(learner_id, usage_id, columns)
    return (0 if top_step is None else top_step + 1), max(a or 0 for a in top_attempts)


def has_worked_on(learner_id: str, usage_id: str) -> bool:
    """Has this learner done anything at this block that the records hold (an accepted action
    or a completed attempt)?"""
    return (
        ActionReceipt.objects.filter(learner_id=learner_id, usage_id=usage_id).exists()
        or LearnerOutcome.objects.filter(learner_id=learner_id, usage_id=usage_id).exists()
    )
