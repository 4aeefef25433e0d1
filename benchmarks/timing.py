"""Measuring a running workbench the way a learner's browser meets it.

Every request opens a new connection (a keep-alive session to runserver adds a floor of its
own, about 40 ms here), and the things compared are measured interleaved -- A B C A B C ... --
so that whatever else the machine does falls on all of them alike.
"""

import http.client
import json
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit


@dataclass
class Target:
    """One thing to time: a page GET or a handler POST."""

    name: str
    path: str | Callable[[int], str]  # or round number -> path (e.g. a new learner per round)
    method: str = "GET"
    body: Callable[[int], dict] | None = None  # round number -> JSON payload
    check: Callable[[int, bytes], None] | None = None  # status, body -> raise if wrong
    samples: list[float] = field(default_factory=list)

    def path_for(self, round_no: int) -> str:
        return self.path(round_no) if callable(self.path) else self.path

    def summary(self) -> dict:
        return {"name": self.name, **summarize(self.samples)}


def summarize(samples: list[float]) -> dict:
    """n, median and p90 (inclusive quantile) of timings in milliseconds."""
    ordered = sorted(samples)
    p90 = statistics.quantiles(ordered, n=10, method="inclusive")[-1] if len(ordered) > 1 else None
    return {
        "n": len(ordered),
        "median_ms": round(statistics.median(ordered), 2),
        "p90_ms": round(p90 if p90 is not None else ordered[0], 2),
    }


class Session:
    """Cookies and CSRF token of one browser, but a fresh TCP connection per request."""

    def __init__(self, base_url: str):
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname, parts.port
        self.cookie = ""
        self.token = ""

    def request(self, method: str, path: str, payload: dict | None = None) -> tuple[int, bytes]:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        headers = {"Connection": "close"}
        if self.cookie:
            headers["Cookie"] = self.cookie
        body = None
        if payload is not None:
            body = json.dumps(payload)
            headers.update({"Content-Type": "application/json", "X-CSRFToken": self.token})
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
            for header, value in response.getheaders():
                if header.lower() == "set-cookie" and value.startswith("csrftoken="):
                    self.token = value.split(";")[0].split("=", 1)[1]
                    self.cookie = f"csrftoken={self.token}"
            return response.status, data
        finally:
            conn.close()


def measure(session: Session, targets: list[Target], rounds: int, warmup: int = 3) -> None:
    """Time each target `rounds` times, interleaved, after `warmup` untimed rounds.

    Each round starts one target further along (A B C, B C A, C A B ...), so no target always
    follows the same one.
    """
    for round_no in range(-warmup, rounds):
        start_at = round_no % len(targets)
        for target in targets[start_at:] + targets[:start_at]:
            payload = target.body(round_no) if target.body else None
            start = time.perf_counter()
            status, data = session.request(target.method, target.path_for(round_no), payload)
            elapsed = (time.perf_counter() - start) * 1000
            if target.check:
                target.check(status, data)
            elif status != 200:
                raise AssertionError(f"{target.name}: HTTP {status}: {data[:300]!r}")
            if round_no >= 0:
                target.samples.append(elapsed)


def ratios(summaries: list[dict], floor_name: str) -> list[dict]:
    """Each summary with `ratio_to_floor`: its median over the floor's median."""
    floor = next(s for s in summaries if s["name"] == floor_name)["median_ms"]
    return [{**s, "ratio_to_floor": round(s["median_ms"] / floor, 2)} for s in summaries]
