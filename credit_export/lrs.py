"""Pushing statements to a learning-record store: batches, retries (urllib3's, honouring
Retry-After), a checkpoint so that an interrupted push resumes where it stopped, and a report
an operator can act on.

Idempotent by construction: statement ids are deterministic, so a statement the LRS already
holds answers 204 (identical) and is counted as stored. One it holds with other content (409)
is a conflict: never counted as sent, kept in the checkpoint and sent again by every later
push, so that each push reports it until the LRS's copy is corrected or voided (then it is
stored, or answers 204, and leaves the list).
"""

import json
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from .lrs_messages import LRS_MESSAGES  # noqa: F401 (re-exported)

HEADERS = {"X-Experience-API-Version": "1.0.3", "Content-Type": "application/json"}
#: Answers worth trying again: too many requests, and the server's or a proxy's failures.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class _BoundedRetry(Retry):
    """urllib3's Retry; the wait an LRS asks for (Retry-After) is honoured up to
    `retry_after_cap` seconds (an LRS asking for an hour must not hold a staff request)."""

    retry_after_cap = 30.0

    def get_retry_after(self, response):
        seconds = super().get_retry_after(response)
        return None if seconds is None else min(seconds, self.retry_after_cap)


def lrs_session(
    max_retries: int, backoff: tuple[float, float], retry_after_cap: float
) -> requests.Session:
    """A session that retries POSTs of statements on 429 and 5xx answers, connection errors
    and timeouts, `max_retries` times, waiting backoff[0] * 2^(n-1) seconds (at most
    backoff[1]) or what Retry-After says (at most `retry_after_cap`)."""
    bounded = type("BoundedRetry", (_BoundedRetry,), {"retry_after_cap": retry_after_cap})
    retry = bounded(
        total=max_retries,
        connect=max_retries,
        read=max_retries,
        status=max_retries,
        other=0,
        status_forcelist=RETRY_STATUSES,
        allowed_methods=frozenset({"POST"}),  # safe: statement ids make a resend idempotent
        backoff_factor=backoff[0],
        backoff_max=backoff[1],
        respect_retry_after_header=True,
        raise_on_status=False,
    )
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def _retries_taken(response) -> int:
    """How many times urllib3 tried again before this answer."""
    retries = getattr(getattr(response, "raw", None), "retries", None)
    return len(getattr(retries, "history", ()) or ())


class Checkpoint(Protocol):
    def load(self) -> dict: ...
    def save(self, state: dict) -> None: ...


class MemoryCheckpoint:
    def __init__(self) -> None:
        self.state: dict = {}

    def load(self) -> dict:
        return dict(self.state)

    def save(self, state: dict) -> None:
        self.state = dict(state)


class FileCheckpoint:
    """The checkpoint in a JSON file, replaced atomically."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def load(self) -> dict:
        try:
            return json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}

    def save(self, state: dict) -> None:
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(json.dumps(state), encoding="utf-8")
        os.replace(temporary, self.path)


@dataclass
class PushReport:
    sent: int = 0
    already_stored: int = 0
    skipped_by_checkpoint: int = 0
    batches: int = 0
    retries: int = 0
    #: Ids of statements that conflict with what the LRS holds under the same id (409),
    #: found by this push or still open from an earlier one: not sent.
    conflicts: list[str] = field(default_factory=list)
    error: tuple[str, dict] | None = None
    #: The time budget ran out with statements left to send; the checkpoint holds what was
    #: confirmed, so the next push goes on from there.
    unfinished: bool = False

    @property
    def ok(self) -> bool:
        return self.error is None and not self.conflicts


def _stored_ids(response) -> list | None:
    """The ids a 200 answer lists (xAPI: a JSON array of statement ids); None when the body
    is not one (a proxy's HTML page, a truncated answer)."""
    try:
        body = response.json()
    except ValueError:  # requests' JSONDecodeError is a ValueError
        return None
    if not isinstance(body, list) or not all(isinstance(i, str) for i in body):
        return None
    return body


def _excerpt(response) -> str:
    text = " ".join(str(getattr(response, "text", "") or "").split())
    return (text[:200] + "…") if len(text) > 200 else text


def push_statements(
    statements: Callable[[], Iterable[dict]],
    *,
    endpoint: str,
    auth: tuple[str, str] | None,
    checkpoint: Checkpoint,
    batch_size: int = 100,
    max_retries: int = 4,
    backoff: tuple[float, float] = (0.5, 10.0),
    retry_after_cap: float = 30.0,
    timeout: float = 15.0,
    session: requests.Session | None = None,
    on_batch: Callable[[PushReport], None] | None = None,
    time_budget: float | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> PushReport:
    """Send the statements `statements()` yields (JSON-ready dicts with ids, in a
    deterministic order) in batches.

    The checkpoint holds how many leading statements have been answered, the id of the last
    of them, and the ids among them that conflicted (409); a resume skips that many if the
    stream still has that id at that place (sending the conflicting ones again first, to see
    whether they still conflict), and otherwise starts over (safe: the ids are deterministic,
    stored ones answer 204).

    `time_budget` (seconds): no new batch is begun once it is spent (a push inside a web
    request must end before the server's timeout); the report is then `unfinished`.
    """
    http = session or lrs_session(max_retries, backoff, retry_after_cap)
    deadline = None if time_budget is None else clock() + time_budget
    url = endpoint.rstrip("/") + "/statements"
    report = PushReport()
    state = checkpoint.load()

    def unreachable(problem: str) -> bool:
        report.error = (
            "lrs_unreachable",
            {"endpoint": endpoint, "attempts": max_retries + 1, "problem": problem},
        )
        return False

    def send(items: list[dict]) -> bool:
        """One batch; the session retries what is worth retrying (see `lrs_session`)."""
        try:
            response = http.post(
                url, data=json.dumps(items), auth=auth, headers=HEADERS, timeout=timeout
            )
        except requests.RequestException as exc:  # connection errors and timeouts, retried
            report.retries += max_retries
            return unreachable(type(exc).__name__)
        report.retries += _retries_taken(response)
        status = response.status_code
        if status in (200, 204):
            stored = _stored_ids(response) if status == 200 else []
            if stored is None:
                # Stored or not, we cannot tell: nothing is marked sent (a resend is harmless,
                # the ids are deterministic).
                report.error = (
                    "lrs_unreadable_answer",
                    {"endpoint": endpoint, "detail": _excerpt(response)},
                )
                return False
            report.sent += len(stored)
            report.already_stored += len(items) - len(stored)
            return True
        if status in (401, 403):
            report.error = ("lrs_refused_credentials", {"endpoint": endpoint, "status": status})
            return False
        if status == 409:
            if len(items) == 1:
                report.conflicts.append(items[0]["id"])
                return True
            # Which ones differ? Each alone; the others are stored.
            return all(send([item]) for item in items)
        if status in RETRY_STATUSES or status >= 500:
            return unreachable(f"HTTP {status}")
        report.error = (
            "lrs_rejected",
            {"endpoint": endpoint, "status": status, "detail": response.text[:500]},
        )
        return False

    def save(count: int, last_id: str) -> None:
        state = {"count": count, "last_id": last_id}
        if report.conflicts:
            state["conflicts"] = list(report.conflicts)
        checkpoint.save(state)

    def run(skip: int, last_id: str, open_conflicts: frozenset[str]) -> bool:
        """False: the stream no longer matches the checkpoint."""
        confirmed, batch, recheck = 0, [], []

        def flush() -> bool:
            nonlocal confirmed
            if not batch:
                return True
            if not send(batch):
                return False
            report.batches += 1
            confirmed += len(batch)
            save(confirmed, batch[-1]["id"])
            batch.clear()
            if on_batch:
                on_batch(report)
            return True

        for statement in statements():
            if confirmed < skip:
                confirmed += 1
                if statement["id"] in open_conflicts:
                    recheck.append(statement)
                if confirmed == skip:
                    if statement["id"] != last_id:
                        return False
                    report.skipped_by_checkpoint = skip - len(recheck)
                    # The earlier conflicts first: still there, or resolved in the LRS?
                    if recheck:
                        if not send(recheck):
                            report.conflicts.extend(  # unanswered: they stay open
                                i for i in sorted(open_conflicts) if i not in report.conflicts
                            )
                            return True
                        save(skip, last_id)
                continue
            if not batch and report.batches and deadline is not None and clock() >= deadline:
                report.unfinished = True  # more to send, no time left: the checkpoint resumes
                return True
            batch.append(statement)
            if len(batch) >= batch_size and not flush():
                return True
        if confirmed < skip:
            return False  # fewer statements than the checkpoint says were sent
        flush()
        return True

    conflicts = frozenset(state.get("conflicts", ()))
    if not run(state.get("count", 0), state.get("last_id", ""), conflicts):
        checkpoint.save({})
        report.skipped_by_checkpoint = 0
        report.conflicts.clear()
        run(0, "", frozenset())
    return report
