"""The records app's reads and writes on the databases Open edX runs (MariaDB/MySQL) and on
PostgreSQL, not only on the workbench's SQLite: the statements `xblocks.records.sql` writes by
hand (INSERT ... ON CONFLICT / ON DUPLICATE KEY UPDATE, scalar subqueries, `LIMIT 1` reads),
the raw reads and the locking read of the ledger, each checked by what ends up in the tables.

Each backend is a throwaway server of the module's own (tests/support/database_servers.py),
added to Django as a database alias at runtime; the `cme_records` tables are migrated there and
the app's models are routed to it while the tests run. The real functions run; nothing is
mocked but the router."""

import os
import shutil
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest

from tests.support.database_servers import MariaDBServer, PostgreSQLServer

pytestmark = pytest.mark.integration

SERVERS = {"postgresql": PostgreSQLServer, "mariadb": MariaDBServer}
APP = "cme_records"
T0 = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)
LEARNER, OTHER = "learner-7", "learner-8"
BLOCK = "block-v1:Consortium+CME101+2026+type@case_block+block@case-1"
BLOCK_2 = "block-v1:Consortium+CME101+2026+type@referral_block+block@referral-1"
COURSE, COURSE_2 = "course-v1:Consortium+CME101+2026", "course-v1:Consortium+CME102+2026"


@pytest.fixture(scope="module")
def django_configured():
    """Django with the workbench settings, as tests/xblock/conftest.py configures it (already
    done when the whole suite runs); this module's tables live on its own servers."""
    import django
    from django.apps import apps

    var_dir = None
    if not apps.ready:
        var_dir = tempfile.mkdtemp(prefix="cme-records-db-tests-")
        os.environ.setdefault("CME_VAR_DIR", var_dir)
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xblocks.workbench.settings")
        os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        django.setup()
    yield
    if var_dir:
        shutil.rmtree(var_dir, ignore_errors=True)


class RecordsRouter:
    """The cme_records models on `alias`, every other app where it was."""

    def __init__(self, alias: str):
        self.alias = alias

    def db_for_read(self, model, **hints):
        return self.alias if model._meta.app_label == APP else None

    db_for_write = db_for_read

    def allow_migrate(self, db, app_label, **hints):
        if db == self.alias:
            return app_label == APP
        return None if app_label != APP else False


def routed_to(alias: str):
    from django.db import router

    return mock.patch.object(router, "routers", [RecordsRouter(alias)])


@pytest.fixture(scope="module", params=sorted(SERVERS))
def records_database(request, django_configured):
    """A throwaway server of one backend with the cme_records tables migrated: its alias."""
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connections

    server = SERVERS[request.param]()
    alias = f"cme_records_on_{request.param}"
    try:
        server.start()
        settings.DATABASES[alias] = server.django_settings()
        # What Django fills in for a configured database (ATOMIC_REQUESTS, TIME_ZONE, TEST...).
        connections.settings[alias] = connections.configure_settings(settings.DATABASES)[alias]
        with routed_to(alias):
            call_command("migrate", APP, database=alias, verbosity=0, interactive=False)
        yield alias
    finally:
        if alias in connections.settings:
            connections[alias].close()
            del connections[alias]
            del connections.settings[alias]
        settings.DATABASES.pop(alias, None)
        server.discard()


@pytest.fixture
def db(records_database):
    """The backend's alias, the records routed to it and their tables empty."""
    from django.apps import apps
    from django.db import connections, router

    with routed_to(records_database):
        models = list(apps.get_app_config(APP).get_models())
        assert {router.db_for_write(model) for model in models} == {records_database}
        assert connections[records_database].vendor in ("postgresql", "mysql")
        for model in models:
            model.objects.all().delete()
        yield records_database


def at_once(db: str, work, n: int = 2, *, meet_after_reads: bool = False) -> list:
    """`work(i)` in n threads at once, each in a transaction of its own connection (as n
    simultaneous requests of a handler run); their results. `meet_after_reads`: `work(i,
    meet)` is given a `meet()` that returns once every thread has called it (after their
    reads, before their writes), so the interleaving is forced, not left to the scheduler."""
    from django.db import connections, transaction

    barrier = threading.Barrier(n, timeout=30)
    reads_done = threading.Barrier(n, timeout=30)

    def run(i):
        try:
            with transaction.atomic(using=db):
                barrier.wait()
                return work(i, reads_done.wait) if meet_after_reads else work(i)
        finally:
            connections[db].close()

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(run, range(n), timeout=60))


def outcome(attempt: int, score: float, max_score: float = 10, **changes):
    from xblocks.records.outcomes import OutcomeWrite

    values = {
        "learner_id": LEARNER,
        "usage_id": BLOCK,
        "block_type": "case_block",
        "attempt": attempt,
        "score": score,
        "max_score": max_score,
        "completed_at": T0 + timedelta(minutes=attempt),
        "course_id": COURSE,
        "detail": {"path": ["history", "exam"], "答案": "肺炎"},
    } | changes
    return OutcomeWrite(**values)


def decision(**changes):
    from referral_tracking import DecisionRecord

    values = {
        "learner_id": LEARNER,
        "institution_id": "qingshan",
        "tier": "primary",
        "scenario_id": "chest-pain",
        "ruleset_id": "provincial-2026",
        "classification": "under_referral",
        "urgency_error": True,
        "missing_letter_items": ("history",),
    } | changes
    return DecisionRecord(**values)


# ---- action receipts and where a learner resumes --------------------------------------------


def test_a_step_is_taken_once_and_a_refused_step_leaves_the_transaction_usable(db):
    from django.db import transaction

    from xblocks.records.models import ActionReceipt
    from xblocks.records.outcomes import has_worked_on, resume_point, take_step

    assert not has_worked_on(LEARNER, BLOCK)
    with transaction.atomic(using=db):  # as a handler runs (ATOMIC_REQUESTS)
        assert take_step(LEARNER, BLOCK, 0) is True
        assert take_step(LEARNER, BLOCK, 0) is False  # the replay is refused...
        assert take_step(LEARNER, BLOCK, 1) is True  # ...and the transaction goes on
        assert ActionReceipt.objects.filter(learner_id=LEARNER).count() == 2
        assert take_step(OTHER, BLOCK, 0) is True  # another learner's step 0 is theirs
    rows = ActionReceipt.objects.filter(learner_id=LEARNER).order_by("step")
    assert [(r.usage_id, r.step) for r in rows] == [(BLOCK, 0), (BLOCK, 1)]
    assert all(r.created_at is not None for r in rows)
    assert ActionReceipt.objects.count() == 3
    assert resume_point(LEARNER, BLOCK) == (2, 0)
    assert has_worked_on(LEARNER, BLOCK) and not has_worked_on(LEARNER, BLOCK_2)


def test_resume_point_reads_the_last_step_attempt_and_decision_of_this_learner_here(db):
    from xblocks.records.decisions import record_decision
    from xblocks.records.outcomes import record_outcome, resume_point, take_step

    assert resume_point(LEARNER, BLOCK) == (0, 0)
    assert resume_point(LEARNER, BLOCK, decisions=True) == (0, 0)
    for step in range(3):
        assert take_step(LEARNER, BLOCK, step)
    record_outcome(outcome(1, 4))
    record_outcome(outcome(2, 6))
    assert resume_point(LEARNER, BLOCK) == (3, 2)
    assert resume_point(LEARNER, BLOCK, decisions=True) == (3, 2)
    # A decision of an unfinished third attempt counts only when asked for.
    record_decision(decision(), usage_id=BLOCK, course_id=COURSE, attempt=3, now=T0)
    assert resume_point(LEARNER, BLOCK) == (3, 2)
    assert resume_point(LEARNER, BLOCK, decisions=True) == (3, 3)
    # Other learners' and other blocks' rows are not this learner's here.
    take_step(OTHER, BLOCK, 40)
    record_outcome(outcome(9, 1, learner_id=OTHER))
    take_step(LEARNER, BLOCK_2, 50)
    record_outcome(outcome(8, 1, usage_id=BLOCK_2))
    record_decision(decision(), usage_id=BLOCK_2, course_id=COURSE, attempt=12, now=T0)
    assert resume_point(LEARNER, BLOCK, decisions=True) == (3, 3)
    assert resume_point(OTHER, BLOCK, decisions=True) == (41, 9)
    assert resume_point(LEARNER, BLOCK_2, decisions=True) == (51, 12)
    # Only outcomes, no receipt: the step is 0.
    assert resume_point(OTHER, BLOCK_2, decisions=True) == (0, 0)
    record_outcome(outcome(5, 1, learner_id=OTHER, usage_id=BLOCK_2))
    assert resume_point(OTHER, BLOCK_2) == (0, 5)


def test_simultaneous_submissions_of_one_step_take_it_once(db):
    from xblocks.records.models import ActionReceipt
    from xblocks.records.outcomes import take_step

    assert sorted(at_once(db, lambda i: take_step(LEARNER, BLOCK, 0))) == [False, True]
    assert ActionReceipt.objects.filter(learner_id=LEARNER, step=0).count() == 1


# ---- outcomes ---------------------------------------------------------------------------------


def test_an_outcome_is_written_once_and_the_best_attempt_per_block_is_read(db):
    from django.db import transaction

    from xblocks.records.models import LearnerOutcome
    from xblocks.records.outcomes import best_outcomes, latest_block_outcomes, record_outcome

    first, created = record_outcome(outcome(1, 5))
    assert created
    with transaction.atomic(using=db):
        again, created = record_outcome(outcome(1, 10))  # a replay: the first row stands
        assert not created and again.pk == first.pk and again.score == 5
        assert LearnerOutcome.objects.count() == 1  # the transaction goes on
    record_outcome(outcome(2, 9))
    record_outcome(outcome(3, 7))
    record_outcome(outcome(1, 3, 4, usage_id=BLOCK_2))
    record_outcome(outcome(1, 10, learner_id=OTHER))
    assert LearnerOutcome.objects.count() == 5
    stored = LearnerOutcome.objects.get(learner_id=LEARNER, usage_id=BLOCK, attempt=1)
    assert stored.detail == {"path": ["history", "exam"], "答案": "肺炎"}
    assert stored.completed_at == T0 + timedelta(minutes=1)

    best = best_outcomes(LEARNER, [BLOCK, BLOCK_2, "block-v1:none"])
    assert {usage: (row.attempt, row.score) for usage, row in best.items()} == {
        BLOCK: (2, 9),
        BLOCK_2: (1, 3),
    }
    assert isinstance(best[BLOCK], LearnerOutcome) and best[BLOCK].course_id == COURSE
    assert best_outcomes(LEARNER, []) == {}
    assert best_outcomes("nobody", [BLOCK]) == {}
    latest = [(row.learner_id, row.attempt) for row in latest_block_outcomes(BLOCK)]
    assert latest == [(LEARNER, 3), (OTHER, 1)]


def test_a_pending_reset_is_applied_once_and_covers_the_earlier_requests(db):
    from xblocks.records.models import AttemptReset
    from xblocks.records.outcomes import request_reset, take_pending_reset

    assert take_pending_reset(LEARNER, BLOCK, T0) is None
    first = request_reset(LEARNER, BLOCK, "staff", T0, reason="retake")
    request_reset(LEARNER, BLOCK, "staff-2", T0 + timedelta(minutes=1))
    kept = request_reset(OTHER, BLOCK, "staff", T0)
    now = T0 + timedelta(hours=1)
    taken = take_pending_reset(LEARNER, BLOCK, now)
    assert taken is not None and taken.pk == first.pk and taken.reason == "retake"
    assert take_pending_reset(LEARNER, BLOCK, now + timedelta(minutes=1)) is None
    applied = AttemptReset.objects.filter(learner_id=LEARNER).values_list("applied_at", flat=True)
    assert list(applied) == [now, now]
    assert AttemptReset.objects.get(pk=kept.pk).applied_at is None
    assert take_pending_reset(OTHER, BLOCK, now).pk == kept.pk


# ---- referral decisions -------------------------------------------------------------------


def test_a_decision_written_twice_for_one_attempt_is_one_row_brought_up_to_date(db):
    from xblocks.records.decisions import decision_records, record_decision
    from xblocks.records.models import ReferralDecisionRecord

    record_decision(decision(), usage_id=BLOCK, course_id=COURSE, attempt=1, now=T0)
    later = T0 + timedelta(minutes=5)
    finished = decision(
        classification="correct",
        urgency_error=False,
        missing_letter_items=("history", "allergies"),
        follow_up_due=True,
        follow_up_on_time=True,
        score=8.5,
        max_score=10.0,
    )
    record_decision(finished, usage_id=BLOCK, course_id=COURSE, attempt=1, now=later)
    record_decision(decision(), usage_id=BLOCK, course_id=COURSE, attempt=2, now=later)
    record_decision(
        decision(learner_id=OTHER), usage_id=BLOCK, course_id=COURSE_2, attempt=1, now=T0
    )

    assert ReferralDecisionRecord.objects.count() == 3
    row = ReferralDecisionRecord.objects.get(learner_id=LEARNER, usage_id=BLOCK, attempt=1)
    assert (row.classification, row.urgency_error, row.missing_letter_items) == (
        "correct",
        False,
        "history allergies",
    )
    assert (row.follow_up_due, row.follow_up_on_time, row.score, row.max_score) == (
        True,
        True,
        8.5,
        10.0,
    )
    assert row.decided_at == T0 and row.updated_at == later  # the first decision's time kept
    records = sorted(decision_records(COURSE), key=lambda r: r.classification)
    assert records == [finished, decision()]
    assert list(decision_records(COURSE_2)) == [decision(learner_id=OTHER)]


# ---- the credit ledger and evaluations -------------------------------------------------------


def test_a_second_claim_reads_the_first_award_and_the_ledger_reads_back(db):
    from django.db import transaction

    from tests.unit.test_credit_rules import PROFILE, records
    from xblocks.records import ledger
    from xblocks.records.models import CreditAward
    from xblocks.records.xapi_push import ledger_statements

    mine, others = list(records(2))  # learner-0 and learner-1, the demo activity
    project = mine.project_number
    row, created = ledger.claim(mine, anonymous_id="anon-0", course_id=COURSE, usage_id=BLOCK)
    assert created and row.pk is not None
    with transaction.atomic(using=db):  # a handler: it looked for an award first
        assert ledger.award_of(others.learner_id, project) is None
        again, created = ledger.claim(
            mine, anonymous_id="anon-other", course_id=COURSE_2, usage_id=BLOCK_2
        )
        assert not created and again.pk == row.pk
        assert (again.anonymous_id, again.course_id, again.usage_id) == ("anon-0", COURSE, BLOCK)
        assert CreditAward.objects.count() == 1  # the transaction goes on
    ledger.claim(others, anonymous_id="anon-1", course_id=COURSE_2, usage_id=BLOCK)
    assert CreditAward.objects.count() == 2

    award = ledger.award_of(mine.learner_id, project)
    assert isinstance(award, CreditAward) and award.pk == row.pk
    assert award.credits == mine.credits and award.record == mine.model_dump(mode="json")
    assert ledger.award_of(mine.learner_id, "no-such-project") is None

    in_course = list(ledger.activity_records(course_id=COURSE))
    assert [r.learner_id for r in in_course] == [mine.learner_id]
    assert in_course[0].profile.licence_number == PROFILE.licence_number
    assert [r.learner_id for r in ledger.activity_records(course_id=COURSE_2)] == [
        others.learner_id
    ]
    assert list(ledger.activity_records(course_id="course-v1:none+x+y")) == []
    assert len(list(ledger.activity_records(project))) == 2
    assert len(ledger.awards_with_licence(project, PROFILE.licence_number)) == 2  # JSON lookup
    assert ledger.awards_with_licence(project, "000") == []
    assert ledger.projects_awarded_by(BLOCK) == {project: 2}
    assert ledger.awards_under(project) == 2 and ledger.awarded_count(project) == 2

    ledger.revoke_award(award, "duplicate account", "staff", T0 + timedelta(days=1))
    assert ledger.awarded_count(project) == 1 and ledger.awards_under(project) == 2
    assert CreditAward.objects.get(pk=row.pk).status == "revoked"
    statements = list(ledger_statements("https://lms.example.org", project)())
    assert len(statements) == 3  # two awards and one revocation


def test_a_learners_credits_of_every_course_are_read_for_the_annual_summary(db):
    """The learner's own rows (the annual summary in the credit block) and the rows of every
    learner awarded one activity (the summary download: a subquery on the ledger itself)."""
    from tests.unit.test_credit_rules import records
    from xblocks.records import ledger

    mine, others = list(records(2))
    elsewhere = mine.model_copy(update={"project_number": "2026-09-OTHER"})
    for record, course in ((mine, COURSE), (others, COURSE), (elsewhere, COURSE_2)):
        ledger.claim(record, anonymous_id="anon", course_id=course, usage_id=BLOCK)
    own = ledger.learner_records(mine.learner_id)
    assert [r.project_number for r in own] == [mine.project_number, "2026-09-OTHER"]
    assert ledger.learner_records("nobody") == []
    of_learners = list(ledger.records_of_learners(mine.project_number))
    assert [(r.learner_id, r.project_number) for r in of_learners] == [
        (mine.learner_id, mine.project_number),
        (mine.learner_id, "2026-09-OTHER"),
        (others.learner_id, mine.project_number),
    ]
    assert len(list(ledger.records_of_learners("2026-09-OTHER"))) == 2
    assert len(list(ledger.records_of_learners())) == 3


def test_simultaneous_claims_give_one_award_that_both_read(db):
    from django.db import connections

    from tests.unit.test_credit_rules import records
    from xblocks.records import ledger
    from xblocks.records.models import CreditAward

    (mine,) = records(1)

    def claim(i, meet):
        # The handler looks for an award first: under REPEATABLE READ, a plain read after this
        # one would not see the other request's row (hence the ledger's locking read).
        assert ledger.award_of(mine.learner_id, mine.project_number) is None
        meet()  # both have read "no award" before either writes
        row, created = ledger.claim(
            mine, anonymous_id=f"anon-{i}", course_id=COURSE, usage_id=BLOCK
        )
        return row.pk, row.anonymous_id, created

    options = connections.settings[db].setdefault("OPTIONS", {})
    # MySQL: Django's default (read committed) and InnoDB's own, which a deployment may set.
    levels = ["read committed", "repeatable read"] if connections[db].vendor == "mysql" else [None]
    for level in levels:
        CreditAward.objects.all().delete()
        if level:
            options["isolation_level"] = level  # read when the threads connect
        try:
            results = at_once(db, claim, meet_after_reads=True)
        finally:
            options.pop("isolation_level", None)
        assert sorted(created for *_, created in results) == [False, True], level
        assert len({(pk, anonymous) for pk, anonymous, _ in results}) == 1, level
        assert CreditAward.objects.count() == 1


def test_an_evaluation_answered_twice_is_one_row_with_the_later_answer(db):
    from credit_export import ActivityEvaluation
    from xblocks.records.ledger import activity_evaluations, record_evaluation
    from xblocks.records.models import CreditEvaluation

    where = {"learner_id": LEARNER, "usage_id": BLOCK, "project_number": "2026-01-001"}
    first = ActivityEvaluation(satisfaction=2, change_in_practice="none", comment="太长")
    record_evaluation(first, course_id=COURSE, now=T0, **where)
    later = ActivityEvaluation(satisfaction=5, change_in_practice="planned", comment="有用")
    record_evaluation(later, course_id=COURSE_2, now=T0 + timedelta(days=1), **where)
    record_evaluation(first, course_id=COURSE, now=T0, **(where | {"learner_id": OTHER}))

    assert CreditEvaluation.objects.count() == 2
    row = CreditEvaluation.objects.get(learner_id=LEARNER, usage_id=BLOCK)
    assert (row.satisfaction, row.change_in_practice, row.comment, row.course_id) == (
        5,
        "planned",
        "有用",
        COURSE_2,
    )
    assert row.answered_at == T0 + timedelta(days=1)
    answers = [(e.satisfaction, e.comment) for e in activity_evaluations("2026-01-001")]
    assert answers == [(2, "太长"), (5, "有用")]


def test_study_moments_read_receipts_and_completions(db):
    from xblocks.records.ledger import study_moments
    from xblocks.records.outcomes import record_outcome, take_step

    take_step(LEARNER, BLOCK, 0)
    record_outcome(outcome(1, 5))
    moments = study_moments(LEARNER, [BLOCK, BLOCK_2])
    assert len(moments) == 2 and T0 + timedelta(minutes=1) in moments
    assert study_moments(LEARNER, []) == [] and study_moments(OTHER, [BLOCK]) == []
