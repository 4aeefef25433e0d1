"""The push client's decisions: retries of 429, 5xx and timeouts against a real HTTP server
(urllib3's Retry, honouring Retry-After within a bound), giving up clearly, never marking
unsent statements as sent; the decisions after an answer with a stand-in transport (the real
LRS is in tests/integration)."""

import json
import time

from credit_export.lrs import MemoryCheckpoint, push_statements
from tests.support.lrs_faults import ScriptedLRS


class Answer:
    def __init__(self, status, body=None):
        self.status_code, self._body, self.text = status, body, str(body)

    def json(self):
        return self._body


class Transport:
    """Answers in order; each item an Answer or an exception to raise."""

    def __init__(self, *answers):
        self.answers, self.posts = list(answers), []

    def post(self, url, data, **kwargs):
        self.posts.append(data)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def statements(n):
    return lambda: ({"id": f"id-{i}"} for i in range(n))


def push(n, transport, checkpoint=None, **options):
    """Push n statements through `transport` (a stand-in that answers in order)."""
    return push_statements(
        statements(n),
        endpoint="http://lrs",
        auth=None,
        checkpoint=checkpoint if checkpoint is not None else MemoryCheckpoint(),
        session=transport,
        **options,
    )


def send_to(lrs: ScriptedLRS, n: int, checkpoint=None, **options):
    options = {"backoff": (0.01, 0.05), "timeout": 2.0, **options}
    return push_statements(
        statements(n),
        endpoint=lrs.url,
        auth=("lrs", "secret"),
        checkpoint=checkpoint if checkpoint is not None else MemoryCheckpoint(),
        **options,
    )


def test_server_errors_and_timeouts_are_retried_and_the_statements_stored():
    with ScriptedLRS((503, {}, {}, 0), (200, [], {}, 1.0)) as lrs:  # the second one times out
        report = send_to(lrs, 2, timeout=0.3)
    assert report.ok and report.sent == 2 and report.retries == 2
    assert len(lrs.arrivals) == 3


def test_too_many_requests_waits_as_long_as_the_lrs_asks_then_sends():
    with ScriptedLRS((429, {"detail": "slow down"}, {"Retry-After": "1"}, 0)) as lrs:
        report = send_to(lrs, 2)
    assert report.ok and report.sent == 2 and report.retries == 1
    assert lrs.arrivals[1] - lrs.arrivals[0] >= 0.95


def test_a_retry_after_of_an_hour_is_cut_to_the_bound():
    with ScriptedLRS((429, {}, {"Retry-After": "3600"}, 0)) as lrs:
        started = time.monotonic()
        report = send_to(lrs, 1, retry_after_cap=0.2)
    assert report.ok and time.monotonic() - started < 5


def test_after_the_last_retry_the_push_stops_and_the_checkpoint_stays_behind():
    checkpoint = MemoryCheckpoint()
    with ScriptedLRS((200, ["id-0", "id-1"], {}, 0), *[(500, {}, {}, 0)] * 3) as lrs:
        report = send_to(lrs, 4, checkpoint, batch_size=2, max_retries=2)
    assert report.error[0] == "lrs_unreachable" and report.error[1]["attempts"] == 3
    assert report.error[1]["problem"] == "HTTP 500"
    assert checkpoint.load() == {"count": 2, "last_id": "id-1"}


def test_an_lrs_that_keeps_asking_for_patience_stops_the_push_saying_so():
    with ScriptedLRS(*[(429, {}, {"Retry-After": "0"}, 0)] * 3) as lrs:
        report = send_to(lrs, 1, max_retries=2)
    assert report.error == (
        "lrs_unreachable",
        {"endpoint": lrs.url, "attempts": 3, "problem": "HTTP 429"},
    )


def test_a_changed_stream_starts_over_instead_of_skipping_the_wrong_statements():
    checkpoint = MemoryCheckpoint()
    checkpoint.save({"count": 2, "last_id": "another-id"})
    transport = Transport(Answer(200, ["id-0", "id-1", "id-2"]))
    report = push(3, transport, checkpoint)
    assert report.ok and report.skipped_by_checkpoint == 0 and report.sent == 3


def test_a_spent_time_budget_stops_between_batches_and_the_next_push_goes_on():
    checkpoint = MemoryCheckpoint()
    now = [0.0]

    def stored(*ids):  # the LRS takes 4 seconds per batch
        now[0] += 4
        return Answer(200, list(ids))

    def push_five(transport):
        return push(5, transport, checkpoint, batch_size=2, time_budget=5, clock=lambda: now[0])

    class Timed(Transport):
        def post(self, url, data, **kwargs):
            self.posts.append(data)
            return self.answers.pop(0)()

    first = Timed(lambda: stored("id-0", "id-1"), lambda: stored("id-2", "id-3"))
    report = push_five(first)
    assert report.unfinished and report.ok and report.sent == 4 and len(first.posts) == 2
    assert checkpoint.load() == {"count": 4, "last_id": "id-3"}

    second = Timed(lambda: stored("id-4"))
    report = push_five(second)
    assert not report.unfinished and report.sent == 1 and report.skipped_by_checkpoint == 4


def test_a_budget_spent_before_the_first_batch_still_sends_one():
    transport = Transport(Answer(200, ["id-0", "id-1"]), Answer(200, ["id-2"]))
    report = push(3, transport, batch_size=2, time_budget=0)
    assert report.unfinished and report.sent == 2 and len(transport.posts) == 1


class NotJson(Answer):
    def json(self):
        raise ValueError("Expecting value: line 1 column 1 (char 0)")


def test_a_200_that_is_not_the_xapi_list_of_ids_stops_the_push_and_marks_nothing_sent():
    """A proxy's login page answers 200 in HTML: we cannot tell what was stored."""
    checkpoint = MemoryCheckpoint()
    page = "<html><body>Please sign in</body></html>"
    report = push(3, Transport(NotJson(200, page)), checkpoint)
    assert report.error[0] == "lrs_unreadable_answer" and report.sent == 0
    assert "Please sign in" in report.error[1]["detail"]
    assert checkpoint.load() == {}
    report = push(3, Transport(Answer(200, {"stored": 3})), checkpoint)  # JSON, not the list
    assert report.error[0] == "lrs_unreadable_answer" and checkpoint.load() == {}


def test_a_conflict_is_never_marked_sent_and_is_reported_until_the_lrs_copy_is_fixed():
    checkpoint = MemoryCheckpoint()
    first = Transport(Answer(409), Answer(200, ["id-0"]), Answer(409), Answer(200, ["id-2"]))
    report = push(3, first, checkpoint, batch_size=3)
    assert report.conflicts == ["id-1"] and report.sent == 2 and not report.ok
    assert checkpoint.load() == {"count": 3, "last_id": "id-2", "conflicts": ["id-1"]}

    again = Transport(Answer(409))  # a later push: only the conflicting one is sent again
    report = push(3, again, checkpoint, batch_size=3)
    assert report.conflicts == ["id-1"] and report.skipped_by_checkpoint == 2
    assert [json.loads(body) for body in again.posts] == [[{"id": "id-1"}]]

    fixed = Transport(Answer(204))  # the LRS's copy was corrected: identical now
    report = push(3, fixed, checkpoint, batch_size=3)
    assert report.ok and report.conflicts == [] and report.already_stored == 1
    assert checkpoint.load() == {"count": 3, "last_id": "id-2"}
