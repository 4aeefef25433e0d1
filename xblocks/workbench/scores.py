"""The workbench's score source: the latest `grade` event each block published for a learner
(what the LMS would have stored in its courseware tables). See xblocks.records.scores."""

from xblocks.records.scores import Learner, Score

from .models import PublishedEvent


def published_grades(learner: Learner, usage_ids: list[str]) -> dict[str, Score]:
    rows = PublishedEvent.objects.filter(
        student_id=learner.user_id, usage_id__in=usage_ids, event_type="grade"
    ).order_by("id")
    scores = {}
    for row in rows:
        value, maximum = row.data.get("value"), row.data.get("max_value")
        if isinstance(value, int | float) and isinstance(maximum, int | float) and maximum > 0:
            scores[row.usage_id] = Score(float(value), float(maximum), row.created)
    return scores
