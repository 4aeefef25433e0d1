"""Writing and reading learner outcomes (the evidence credit rules read)."""

from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction

from .models import LearnerOutcome


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
    }
    try:
        with transaction.atomic():
            return LearnerOutcome.objects.get_or_create(**key, defaults=values)
    except IntegrityError:
        return LearnerOutcome.objects.get(**key), False


def best_outcomes(learner_id: str, usage_ids: list[str]) -> dict[str, LearnerOutcome]:
    """The learner's best-scoring completed attempt per block, for the blocks asked."""
    best: dict[str, LearnerOutcome] = {}
    rows = LearnerOutcome.objects.filter(learner_id=learner_id, usage_id__in=usage_ids)
    for row in rows:
        current = best.get(row.usage_id)
        if current is None or row.score / (row.max_score or 1) > current.score / (
            current.max_score or 1
        ):
            best[row.usage_id] = row
    return best
