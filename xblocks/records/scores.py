"""Scores of graded blocks that are not ours, as evidence for a credit rule.

Our own blocks write durable `LearnerOutcome` rows. A rule may also name any graded block of the
course (a problem, an ORA) by usage id; its score comes from the platform: a *score source*, a
callable `(learner_id, usage_ids) -> {usage_id: Score}` named by the `CME_SCORE_SOURCE` setting.

- In the LMS (default when edx-platform is importable): `studentmodule_scores` reads the
  courseware's `StudentModule` rows (`grade`, `max_grade`, `modified`), where the LMS keeps the
  score each block published.
- In our workbench: `xblocks.workbench.scores.published_grades`, the `grade` events the runtime
  recorded (the workbench's equivalent of the gradebook).
- Elsewhere (no source): only our blocks' outcomes count; other components stay "not completed".
"""

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from django.conf import settings
from django.utils.module_loading import import_string

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Score:
    score: float
    max_score: float
    completed_at: datetime


ScoreSource = Callable[[str, list[str]], dict[str, Score]]

LMS_SOURCE = "xblocks.records.scores.studentmodule_scores"


def studentmodule_scores(learner_id: str, usage_ids: list[str]) -> dict[str, Score]:
    """The LMS's stored scores (`courseware_studentmodule`) of the blocks asked for."""
    from lms.djangoapps.courseware.models import StudentModule  # pylint: disable=import-error
    from opaque_keys import InvalidKeyError
    from opaque_keys.edx.keys import UsageKey

    keys = []
    for usage_id in usage_ids:
        try:
            keys.append(UsageKey.from_string(usage_id))
        except InvalidKeyError:
            continue  # not a course block: nothing the LMS can have graded
    rows = StudentModule.objects.filter(
        student_id=int(learner_id), module_state_key__in=keys, max_grade__gt=0
    ).exclude(grade=None)
    return {
        str(row.module_state_key): Score(float(row.grade), float(row.max_grade), row.modified)
        for row in rows
    }


@lru_cache(maxsize=4)
def _source(path: str) -> ScoreSource | None:
    if not path:
        return None
    try:
        return import_string(path)
    except ImportError:
        log.warning("CME_SCORE_SOURCE %s cannot be imported: other blocks' scores unused", path)
        return None


def _configured() -> str:
    path = getattr(settings, "CME_SCORE_SOURCE", None)
    if path is not None:
        return path
    try:  # inside edx-platform: the courseware's scores
        import lms.djangoapps.courseware.models  # noqa: F401  # pylint: disable=import-error,unused-import
    except ImportError:
        return ""
    return LMS_SOURCE


def platform_scores(learner_id: str, usage_ids: Iterable[str]) -> dict[str, Score]:
    """Scores of the asked blocks from the configured source (empty without one)."""
    wanted = list(usage_ids)
    source = _source(_configured())
    if not wanted or source is None:
        return {}
    return source(learner_id, wanted)
