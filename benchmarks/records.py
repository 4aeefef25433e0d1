"""The plugin app's tables from the benchmark's own process: seeding and checking them.

The workbench server and this process share one SQLite file (the server's `var/` directory,
`CME_VAR_DIR`), configured by the same settings module (`xblocks.workbench.settings`). The
server creates the tables at start-up; this process only writes rows a measured learner needs
before the timed request (completed components for a credit claim) and, afterwards, checks
what the measured requests stored. Django can be configured once per process, so
`use_database` is called once, with the server's directory.
"""

import os
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

SETTINGS = "xblocks.workbench.settings"


def use_database(var_dir: str | Path) -> None:
    """Configure Django in this process on the database of the `var/` directory given."""
    os.environ["CME_VAR_DIR"] = str(var_dir)
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS
    import django

    django.setup()


def seed_outcomes(learners: Iterable[str], components: Iterable[str]) -> int:
    """Each learner has completed each component with 9 of 10 points (their first attempt)."""
    from django.db import connection

    from xblocks.records.models import LearnerOutcome

    now = datetime.now(UTC)
    rows = [
        LearnerOutcome(
            learner_id=learner,
            usage_id=usage_id,
            block_type="cme_case",
            attempt=1,
            score=9,
            max_score=10,
            completed_at=now,
        )
        for learner in learners
        for usage_id in components
    ]
    LearnerOutcome.objects.bulk_create(rows)
    connection.close()  # no lock or open transaction left on the server's database
    return len(rows)


def awards_of(learners: list[str], project_number: str) -> dict[str, int]:
    """How many ledger rows each learner has for the activity (one each after a claim)."""
    from django.db import connection

    from xblocks.records.models import CreditAward

    counts = dict.fromkeys(learners, 0)
    rows = CreditAward.objects.filter(
        learner_id__in=learners, project_number=project_number, status="awarded"
    ).values_list("learner_id", flat=True)
    for learner in rows:
        counts[learner] += 1
    connection.close()
    return counts
