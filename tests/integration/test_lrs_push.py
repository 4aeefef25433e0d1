"""The xAPI push against a real Ralph LRS (never mocked): each statement stored exactly once,
re-runs send nothing new, an interrupted push resumes, refusals are reported clearly."""

import time
import uuid

from credit_export import CreditError
from credit_export.lrs import FileCheckpoint, MemoryCheckpoint, push_statements
from credit_export.xapi import statement_for
from tests.support.figures import tally
from tests.support.lrs_faults import FaultyLRS
from tests.unit.test_credit_rules import records

HOME = "https://lms.consortium.example.org"
FAST = {"backoff": (0.01, 0.05), "max_retries": 2, "timeout": 5}


def statements(n: int):
    return lambda: (
        statement_for(record, actor_id=f"anon-{i}", homepage=HOME, platform=HOME)
        for i, record in enumerate(records(n))
    )


def stored_ids(ralph) -> list[str]:
    ids = [s["id"] for s in ralph.statements()]
    tally("lrs.statements_checked", len(ids))
    tally("lrs.statements_duplicated", len(ids) - len(set(ids)))
    return ids


def test_a_push_stores_each_statement_once_and_a_rerun_sends_nothing_new(ralph):
    checkpoint = MemoryCheckpoint()
    report = push_statements(
        statements(250), endpoint=ralph.endpoint, auth=ralph.auth, checkpoint=checkpoint, **FAST
    )
    assert report.ok and (report.sent, report.batches) == (250, 3)
    ids = stored_ids(ralph)
    assert len(ids) == 250 and len(set(ids)) == 250

    again = push_statements(
        statements(250),
        endpoint=ralph.endpoint,
        auth=ralph.auth,
        checkpoint=MemoryCheckpoint(),
        **FAST,
    )
    assert again.ok and again.sent == 0 and again.already_stored == 250
    assert len(stored_ids(ralph)) == 250


def test_a_push_interrupted_by_the_lrs_stopping_resumes_after_a_restart(ralph, tmp_path):
    checkpoint = FileCheckpoint(tmp_path / "push.json")

    def stop_after_first_batch(report):
        if report.batches == 1:
            ralph.stop()

    report = push_statements(
        statements(300),
        endpoint=ralph.endpoint,
        auth=ralph.auth,
        checkpoint=checkpoint,
        on_batch=stop_after_first_batch,
        **FAST,
    )
    assert not report.ok and report.error[0] == "lrs_unreachable"
    message = str(CreditError(report.error[0], **report.error[1]))
    assert ralph.endpoint in message and "resumes" in message
    assert checkpoint.load()["count"] == 100  # nothing marked sent that was not

    tally("lrs.faults_injected")  # the LRS stopped mid-push
    ralph.start()
    resumed = push_statements(
        statements(300), endpoint=ralph.endpoint, auth=ralph.auth, checkpoint=checkpoint, **FAST
    )
    assert resumed.ok and resumed.skipped_by_checkpoint == 100 and resumed.sent == 200
    ids = stored_ids(ralph)
    assert len(ids) == 300 and len(set(ids)) == 300


def test_wrong_credentials_are_reported_and_nothing_is_marked_sent(ralph):
    tally("lrs.faults_injected")  # a wrong password: 401
    checkpoint = MemoryCheckpoint()
    report = push_statements(
        statements(5),
        endpoint=ralph.endpoint,
        auth=(ralph.username, "wrong"),
        checkpoint=checkpoint,
        **FAST,
    )
    assert report.error[0] == "lrs_refused_credentials" and report.error[1]["status"] == 401
    assert "CME_LRS_PASSWORD" in str(CreditError(report.error[0], **report.error[1]))
    assert checkpoint.load() == {} and stored_ids(ralph) == []


def test_a_statement_that_differs_from_the_stored_one_is_reported_by_id(ralph):
    push_statements(
        statements(3),
        endpoint=ralph.endpoint,
        auth=ralph.auth,
        checkpoint=MemoryCheckpoint(),
        **FAST,
    )
    changed = [dict(s) for s in statements(3)()]
    changed[1]["result"] = dict(changed[1]["result"], success=False)
    tally("lrs.faults_injected")  # a differing statement under a stored id: 409
    extra = dict(changed[0], id=str(uuid.uuid4()))
    checkpoint = MemoryCheckpoint()

    def push_changed():
        return push_statements(
            lambda: [*changed, extra],
            endpoint=ralph.endpoint,
            auth=ralph.auth,
            checkpoint=checkpoint,
            **FAST,
        )

    report = push_changed()
    assert report.conflicts == [changed[1]["id"]]
    assert report.sent == 1  # the new one is stored, the others already were
    assert len(stored_ids(ralph)) == 4
    # Not marked sent: the next push checks it again and still reports it.
    again = push_changed()
    assert again.conflicts == [changed[1]["id"]] and not again.ok
    assert again.skipped_by_checkpoint == 3 and again.sent == 0
    assert len(stored_ids(ralph)) == 4


def test_500s_and_timeouts_before_and_after_storing_end_with_each_statement_stored_once(ralph):
    """The network between the LMS and the LRS fails in every way the issue names; the push
    retries and every statement ends up stored exactly once, and the report says what it
    took."""
    endpoint_path = ralph.endpoint.removeprefix(ralph.url)
    plan = ["500", "pass", "500-after-store", "pass", "slow-after-store", "500", "pass"]
    with FaultyLRS(ralph.url, plan, hold_seconds=1.5) as faulty:
        report = push_statements(
            statements(300),
            endpoint=faulty.url + endpoint_path,
            auth=ralph.auth,
            checkpoint=MemoryCheckpoint(),
            batch_size=100,
            max_retries=3,
            backoff=(0.01, 0.05),
            timeout=0.5,
        )
    assert report.ok, report.error
    assert report.retries == 4 and report.batches == 3
    assert report.sent + report.already_stored == 300  # stored by us, or by the faulted try
    ids = stored_ids(ralph)
    assert len(ids) == 300 and len(set(ids)) == 300
    assert faulty.seen[:7] == plan


def test_an_lrs_that_keeps_failing_stops_the_push_with_the_checkpoint_behind_it(ralph):
    endpoint_path = ralph.endpoint.removeprefix(ralph.url)
    checkpoint = MemoryCheckpoint()
    plan = ["pass"] + ["500"] * 3
    with FaultyLRS(ralph.url, plan) as faulty:
        report = push_statements(
            statements(200),
            endpoint=faulty.url + endpoint_path,
            auth=ralph.auth,
            checkpoint=checkpoint,
            max_retries=2,
            backoff=(0.01, 0.05),
            timeout=5,
        )
    assert report.error[0] == "lrs_unreachable" and report.error[1]["problem"] == "HTTP 500"
    message = str(CreditError(report.error[0], **report.error[1]))
    assert "3" in message and "HTTP 500" in message
    assert checkpoint.load()["count"] == 100  # the first batch, and nothing it did not store
    assert len(stored_ids(ralph)) == 100


def test_an_lrs_asking_to_slow_down_is_waited_for_and_every_statement_stored_once(ralph):
    """429 with Retry-After from a real server in front of the real Ralph: the push waits as
    asked, then stores the batch; nothing is lost or sent twice."""
    endpoint_path = ralph.endpoint.removeprefix(ralph.url)
    with FaultyLRS(ralph.url, ["429", "pass", "429", "pass"]) as faulty:
        started = time.monotonic()
        report = push_statements(
            statements(150),
            endpoint=faulty.url + endpoint_path,
            auth=ralph.auth,
            checkpoint=MemoryCheckpoint(),
            batch_size=100,
            **FAST,
        )
        waited = time.monotonic() - started
    assert report.ok, report.error
    assert report.retries == 2 and report.batches == 2 and report.sent == 150
    assert waited >= 2.0  # one second before each retry, as the LRS asked
    ids = stored_ids(ralph)
    assert len(ids) == 150 and len(set(ids)) == 150
