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
    path: str
    method: str = "GET"
    body: Callable[[int], dict] | None = None  # round number -> JSON payload
    check: Callable[[int, bytes], None] | None = None  # status, body -> raise if wrong
    samples: list[float] = field(default_factory=list)

    def summary(self) -> dict:
        ordered = sorted(self.samples)
        return {
            "name": self.name,
            "n": len(ordered),
            "median_ms": round(statistics.median(ordered), 2),
            "p90_ms": round(ordered[int(0.9 * (len(ordered) - 1))], 2),
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
    """Time each target `rounds` times, interleaved, after `warmup` untimed rounds."""
    for round_no in range(-warmup, rounds):
        for target in targets:
            payload = target.body(round_no) if target.body else None
            start = time.perf_counter()
            status, data = session.request(target.method, target.path, payload)
            elapsed = (time.perf_counter() - start) * 1000
            if target.check:
                target.check(status, data)
            elif status != 200:
                raise AssertionError(f"{target.name}: HTTP {status}: {data[:300]!r}")
            if round_no >= 0:
                target.samples.append(elapsed)


def ratios(summaries: list[dict], floor_name: str) -> list[dict]:
    floor = next(s for s in summaries if s["name"] == floor_name)["median_ms"]
    return [{**s, "ratio_to_floor": round(s["median_ms"] / floor, 2)} for s in summaries]
