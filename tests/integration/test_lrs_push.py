"""The xAPI push against a real Ralph LRS (never mocked): each statement stored exactly once,
re-runs send nothing new, an interrupted push resumes, refusals are reported clearly."""

import uuid

from credit_export import CreditError
from credit_export.lrs import FileCheckpoint, MemoryCheckpoint, push_statements
from credit_export.xapi import statement_for
from tests.unit.test_credit_rules import records

HOME = "https://lms.consortium.example.org"
FAST = {"backoff": (0.01, 2.0, 0.05), "max_retries": 2, "timeout": 5}


def statements(n: int):
    return lambda: (
        statement_for(record, actor_id=f"anon-{i}", homepage=HOME, platform=HOME)
        for i, record in enumerate(records(n))
    )


def stored_ids(ralph) -> list[str]:
    return [s["id"] for s in ralph.statements()]


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

    ralph.start()
    resumed = push_statements(
        statements(300), endpoint=ralph.endpoint, auth=ralph.auth, checkpoint=checkpoint, **FAST
    )
    assert resumed.ok and resumed.skipped_by_checkpoint == 100 and resumed.sent == 200
    ids = stored_ids(ralph)
    assert len(ids) == 300 and len(set(ids)) == 300


def test_wrong_credentials_are_reported_and_nothing_is_marked_sent(ralph):
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
    extra = dict(changed[0], id=str(uuid.uuid4()))
    report = push_statements(
        lambda: [*changed, extra],
        endpoint=ralph.endpoint,
        auth=ralph.auth,
        checkpoint=MemoryCheckpoint(),
        **FAST,
    )
    assert report.conflicts == [changed[1]["id"]]
    assert report.sent == 1  # the new one is stored, the others already were
    assert len(stored_ids(ralph)) == 4
