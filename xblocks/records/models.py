"""Tables of the plugin app."""

from django.db import models


class LearnerOutcome(models.Model):
    """A learner's completed attempt at a case or referral exercise: evidence for credit.

    One row per (learner, block, attempt); writing the same attempt again changes nothing, so
    a replayed completion is never counted twice. Rows are never deleted by the blocks: a staff
    reset starts a new attempt instead.
    """

    learner_id = models.CharField(max_length=255, db_index=True)
    course_id = models.CharField(max_length=255, blank=True, default="", db_index=True)
    usage_id = models.CharField(max_length=255, db_index=True)
    block_type = models.CharField(max_length=64)
    attempt = models.PositiveIntegerField(default=1)
    score = models.FloatField()
    max_score = models.FloatField()
    completed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["learner_id", "usage_id", "attempt"], name="cme_outcome_once_per_attempt"
            ),
        ]
        ordering = ["completed_at", "id"]

    def __str__(self) -> str:
        return f"{self.learner_id} {self.usage_id} #{self.attempt}: {self.score}/{self.max_score}"
