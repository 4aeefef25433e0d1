"""Scores of graded blocks that are not ours, as evidence for a credit rule.

Our own blocks write durable `LearnerOutcome` rows. A rule may also name any graded block of the
course (a problem, an ORA) by usage id; its score comes from the platform: a *score source*, a
callable `(Learner, usage_ids) -> {usage_id: Score}` named by the `CME_SCORE_SOURCE` setting.

- In the LMS (default when edx-platform is importable): `lms_scores` reads the courseware's
  `StudentModule` rows (problems: `grade`, `max_grade`, `modified`), then the submissions API
  (ORA and other submission-scored blocks keep their score there, not in StudentModule).
- In our workbench: `xblocks.workbench.scores.published_grades`, the `grade` events the runtime
  recorded (the workbench's equivalent of the gradebook).
- Elsewhere (no source): only our blocks' outcomes count; other components stay "not completed".
"""

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from ..platform import platform_function

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Score:
    score: float
    max_score: float
    completed_at: datetime


@dataclass(frozen=True)
class Learner:
    """Whose scores: the LMS user id and the course-scoped anonymous id (user service)."""

    user_id: str
    anonymous_id: str


ScoreSource = Callable[[Learner, list[str]], dict[str, Score]]

LMS_SOURCE = "xblocks.records.scores.lms_scores"


def _usage_keys(usage_ids: list[str]) -> list:
    """The asked ids that are course blocks (others: nothing the LMS can have graded)."""
    from opaque_keys import InvalidKeyError
    from opaque_keys.edx.keys import UsageKey

    keys = []
    for usage_id in usage_ids:
        try:
            keys.append(UsageKey.from_string(usage_id))
        except InvalidKeyError:
            continue
    return keys


def studentmodule_scores(learner: Learner, usage_ids: list[str]) -> dict[str, Score]:
    """Problems and other blocks that publish a grade: `courseware_studentmodule`, where the
    LMS keeps the published score (lms/djangoapps/grades/signals/handlers.py)."""
    from lms.djangoapps.courseware.models import StudentModule  # pylint: disable=import-error

    rows = StudentModule.objects.filter(
        student_id=int(learner.user_id),
        module_state_key__in=_usage_keys(usage_ids),
        max_grade__gt=0,
    ).exclude(grade=None)
    return {
        str(row.module_state_key): Score(float(row.grade), float(row.max_grade), row.modified)
        for row in rows
    }


def submission_scores(learner: Learner, usage_ids: list[str]) -> dict[str, Score]:
    """ORA and other submission-scored blocks: edx-submissions' score of the student item the
    block made, keyed by the course-scoped anonymous id (openassessment/xblock/
    openassessmentblock.py `get_student_item_dict`; submissions/api.py `get_scores`)."""
    from submissions import api  # pylint: disable=import-error

    wanted = {str(key): key for key in _usage_keys(usage_ids)}
    found = {}
    for course in {str(key.course_key) for key in wanted.values()}:
        for item_id, row in api.get_scores(course, learner.anonymous_id).items():
            if item_id in wanted and row["points_possible"]:
                at = row["created_at"]
                at = (
                    datetime.fromisoformat(at.replace("Z", "+00:00")) if isinstance(at, str) else at
                )
                found[item_id] = Score(
                    float(row["points_earned"]), float(row["points_possible"]), at
                )
    return found


def lms_scores(learner: Learner, usage_ids: list[str]) -> dict[str, Score]:
    """The LMS: the courseware's stored grade, else the submissions API's score."""
    found = studentmodule_scores(learner, usage_ids)
    rest = [u for u in usage_ids if u not in found]
    return found | submission_scores(learner, rest) if rest else found


def platform_scores(learner: Learner, usage_ids: Iterable[str]) -> dict[str, Score]:
    """Scores of the asked blocks from the configured source (empty without one)."""
    wanted = list(usage_ids)
    source = platform_function("CME_SCORE_SOURCE", "lms.djangoapps.courseware.models", LMS_SOURCE)
    if not wanted or source is None:
        return {}
    return source(learner, wanted)
