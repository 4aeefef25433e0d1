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
    #: What the staff view aggregates: the path taken, findings requested, answers given
    #: (reflections included). Never sent to other learners.
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["learner_id", "usage_id", "attempt"], name="cme_outcome_once_per_attempt"
            ),
        ]
        ordering = ["completed_at", "id"]

    def __str__(self) -> str:
        return f"{self.learner_id} {self.usage_id} #{self.attempt}: {self.score}/{self.max_score}"


class AttemptReset(models.Model):
    """Staff asked to reset one learner's attempt at one block.

    A block cannot write another user's state; the learner's block applies the reset the next
    time it loads (a new attempt, score back to zero) and stamps `applied_at`. Kept as an audit
    trail: who reset whom, when and why.
    """

    learner_id = models.CharField(max_length=255, db_index=True)
    usage_id = models.CharField(max_length=255, db_index=True)
    requested_by = models.CharField(max_length=255)
    reason = models.CharField(max_length=500, blank=True, default="")
    requested_at = models.DateTimeField()
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["requested_at", "id"]

    def __str__(self) -> str:
        return f"reset {self.learner_id} {self.usage_id} by {self.requested_by}"


class ReferralDecisionRecord(models.Model):
    """A learner's graded referral decision and its follow-up: what referral analytics read.

    One row per (learner, block, attempt), written when the learner decides and brought up to
    date when they set the follow-up plan and when they finish; a replayed request rewrites the
    same row, so a decision is never counted twice. The columns are those of
    `referral_tracking.DecisionRecord`, plus where and when, so that the staff view can
    aggregate a course in one pass without parsing JSON.
    """

    learner_id = models.CharField(max_length=255)
    course_id = models.CharField(max_length=255, blank=True, default="", db_index=True)
    usage_id = models.CharField(max_length=255, db_index=True)
    attempt = models.PositiveIntegerField(default=1)
    institution_id = models.CharField(max_length=64)
    tier = models.CharField(max_length=16)
    scenario_id = models.CharField(max_length=64)
    ruleset_id = models.CharField(max_length=64)
    classification = models.CharField(max_length=16)
    urgency_error = models.BooleanField(default=False)
    #: Letter items left out, space-separated codes of `referral_tracking.schema.LETTER_ITEMS`.
    missing_letter_items = models.CharField(max_length=255, blank=True, default="")
    follow_up_due = models.BooleanField(default=False)
    follow_up_on_time = models.BooleanField(default=False)
    score = models.FloatField(default=0.0)
    max_score = models.FloatField(default=0.0)
    decided_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["learner_id", "usage_id", "attempt"],
                name="cme_referral_decision_once_per_attempt",
            ),
        ]
        ordering = ["decided_at", "id"]

    def __str__(self) -> str:
        return f"{self.learner_id} {self.usage_id} #{self.attempt}: {self.classification}"


class CreditAward(models.Model):
    """The credit ledger: one record per learner and CME activity, ever.

    The unique constraint makes concurrent claims give exactly one record. Nothing deletes a
    row; a revocation sets `status`, with who, when and why. `record` is the domain's
    `credit_export.CreditRecord` as JSON (the profile as it was at the award).
    """

    learner_id = models.CharField(max_length=255)
    anonymous_id = models.CharField(max_length=255, blank=True, default="")
    project_number = models.CharField(max_length=64, db_index=True)
    course_id = models.CharField(max_length=255, blank=True, default="", db_index=True)
    #: The credit block that awarded it (a course import reads what each block recorded).
    usage_id = models.CharField(max_length=255, db_index=True)
    credit_class = models.CharField(max_length=4)
    credits = models.DecimalField(max_digits=6, decimal_places=2)
    awarded_at = models.DateTimeField(db_index=True)
    status = models.CharField(max_length=16, default="awarded")
    record = models.JSONField()
    revoked_reason = models.CharField(max_length=500, blank=True, default="")
    revoked_by = models.CharField(max_length=255, blank=True, default="")
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["learner_id", "project_number"], name="cme_credit_once_per_activity"
            ),
        ]
        ordering = ["awarded_at", "id"]

    def __str__(self) -> str:
        return f"{self.learner_id} {self.project_number}: {self.credits} ({self.status})"


class ActionReceipt(models.Model):
    """One row per accepted learner action (learner, block, step).

    Learner state lives in XBlock fields, which the platform saves after the handler returns,
    outside any transaction; two simultaneous submissions of the same page would both be
    accepted. The unique step decides which one counts: the second is refused as a replay.
    """

    learner_id = models.CharField(max_length=255)
    usage_id = models.CharField(max_length=255)
    step = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["learner_id", "usage_id", "step"], name="cme_action_once_per_step"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.learner_id} {self.usage_id} step {self.step}"


class LrsPush(models.Model):
    """Where the xAPI push of one selection of the ledger to one LRS stands: its checkpoint
    and the last push's report.

    One row per (endpoint, activity): the staff panel pushes its own activity (`activity` is
    the project number), the management command the whole ledger (`activity` empty) or one
    activity; each selection resumes from its own checkpoint, so pushing one activity never
    makes another's push start over.
    """

    endpoint = models.CharField(max_length=500)
    activity = models.CharField(max_length=64, blank=True, default="")
    checkpoint = models.JSONField(default=dict, blank=True)
    last_report = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["endpoint", "activity"], name="cme_lrs_push_once_per_selection"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.endpoint} {self.activity or '(all activities)'}"


class CreditEvaluation(models.Model):
    """A learner's answer to a credit block's activity evaluation (satisfaction 1-5, intended
    change in practice, optional comment): what the staff's evaluation summary reads.

    One row per (learner, block); answering again replaces the answer. The learner's own view
    still reads the block's state; this row is the durable copy staff can aggregate.
    """

    learner_id = models.CharField(max_length=255)
    usage_id = models.CharField(max_length=255)
    course_id = models.CharField(max_length=255, blank=True, default="")
    project_number = models.CharField(max_length=64, db_index=True)
    satisfaction = models.PositiveSmallIntegerField()
    change_in_practice = models.CharField(max_length=16)
    comment = models.TextField(blank=True, default="")
    answered_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["learner_id", "usage_id"], name="cme_evaluation_once_per_block"
            ),
        ]
        ordering = ["answered_at", "id"]

    def __str__(self) -> str:
        return f"{self.learner_id} {self.project_number}: {self.satisfaction}"
