"""Tables of the development runtime (created by `migrate --run-syncdb`, never in the LMS)."""

from django.db import models


class PublishedEvent(models.Model):
    """One `runtime.publish()` call, kept so tests can assert grades, completion and events."""

    created = models.DateTimeField(auto_now_add=True, db_index=True)
    student_id = models.CharField(max_length=255, db_index=True)
    block_type = models.CharField(max_length=64)
    usage_id = models.CharField(max_length=255, db_index=True)
    event_type = models.CharField(max_length=255, db_index=True)
    data = models.JSONField(default=dict)

    class Meta:
        ordering = ["id"]

    def as_dict(self) -> dict:
        return {
            "student_id": self.student_id,
            "block_type": self.block_type,
            "usage_id": self.usage_id,
            "event_type": self.event_type,
            "data": self.data,
        }


class StaffGrant(models.Model):
    """A workbench student id switched to staff from the toolbar."""

    student_id = models.CharField(max_length=255, unique=True)
