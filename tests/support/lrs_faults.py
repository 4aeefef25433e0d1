"""A faulty network in front of the real Ralph LRS: each request to the statements endpoint
takes the next fault of a plan, so tests can make the LRS answer 500 or time out, before or
after it has stored what it was sent. Everything else is forwarded unchanged.

It also keeps the ids of every statement the real LRS confirmed storing (a 2xx from Ralph, whether
or not the client then saw a fault) and, when the network closes, reads Ralph back: a confirmed
statement missing there is a lost one (`lrs.statements_lost`, an error at once)."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests

from tests.support.figures import tally

#: What a request meets. "pass": forwarded. "500": refused, Ralph never sees it.
#: "500-after-store": forwarded (stored), then answered 500. "slow-after-store": forwarded
#: (stored), then held past the client's timeout before the answer. "429": too many requests,
#: come back in a second (Retry-After: 1), Ralph never sees it.
FAULTS = ("pass", "500", "500-after-store", "slow-after-store", "429")


class FaultyLRS:
    def __init__(self, upstream: str, plan: list[str], hold_seconds: float = 2.0):
        assert all(fault in FAULTS for fault in plan), plan
        self.upstream = upstream.rstrip("/")
        self.plan = list(plan)
        self.hold_seconds = hold_seconds
        self.seen: list[str] = []  # the fault each statements request met
        self.confirmed: set[str] = set()  # ids Ralph answered 2xx for
        self._authorization = ""
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> "FaultyLRS":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self.confirmed and exc[0] is None:
            lost = sorted(self.confirmed - self.stored_ids())
            tally("lrs.statements_confirmed", len(self.confirmed))
            tally("lrs.statements_lost", len(lost))
            assert not lost, f"{len(lost)} confirmed statement(s) are not stored: {lost[:5]}"

    def stored_ids(self) -> set[str]:
        """The ids Ralph holds now (following its `more` links)."""
        headers = {"Authorization": self._authorization, "X-Experience-API-Version": "1.0.3"}
        path = "/xAPI/statements/?limit=500"
        found: set[str] = set()
        while path:
            response = requests.get(self.upstream + path, headers=headers, timeout=30)
            response.raise_for_status()
            body = response.json()
            found |= {statement["id"] for statement in body["statements"]}
            path = body.get("more") or ""
        return found

    def _confirmed(self, method: str, path: str, body: bytes | None, status: int) -> None:
        """Note the statements of a request Ralph stored (2xx)."""
        if method not in ("POST", "PUT") or not 200 <= status < 300 or not body:
            return
        sent = json.loads(body)
        sent = sent if isinstance(sent, list) else [sent]
        with self._lock:
            self.confirmed |= {s["id"] for s in sent if isinstance(s, dict) and "id" in s}

    def _next_fault(self, path: str) -> str:
        if "/statements" not in path:
            return "pass"
        with self._lock:
            fault = self.plan.pop(0) if self.plan else "pass"
            self.seen.append(fault)
            if fault != "pass":
                tally("lrs.faults_injected")
            return fault

    def _handler(self):
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # quiet
                pass

            def _forward(self, body: bytes | None) -> requests.Response:
                headers = {
                    k: v
                    for k, v in self.headers.items()
                    if k.lower() not in ("host", "content-length")
                }
                return requests.request(
                    self.command,
                    proxy.upstream + self.path,
                    data=body,
                    headers=headers,
                    timeout=30,
                )

            def _answer(
                self, status: int, body: bytes, content_type: str = "application/json", **more
            ):
                try:
                    self.send_response(status)
                    for name, value in more.items():
                        self.send_header(name.replace("_", "-"), value)
                    self.send_header("Content-Type", content_type)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting (a timeout it was meant to hit)

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                fault = proxy._next_fault(self.path)
                if fault == "500":
                    self._answer(500, b'{"detail": "injected fault"}')
                    return
                if fault == "429":
                    self._answer(429, b'{"detail": "slow down"}', Retry_After="1")
                    return
                upstream = self._forward(body)
                if "/statements" in self.path:
                    proxy._authorization = self.headers.get("Authorization", "")
                    proxy._confirmed(self.command, self.path, body, upstream.status_code)
                if fault == "500-after-store":
                    self._answer(500, b'{"detail": "injected fault after storing"}')
                    return
                if fault == "slow-after-store":
                    time.sleep(proxy.hold_seconds)
                kind = upstream.headers.get("Content-Type", "application/json")
                self._answer(upstream.status_code, upstream.content, kind)

            do_GET = do_POST = do_PUT = _serve

        return Handler


class ScriptedLRS:
    """An HTTP server on 127.0.0.1 answering each POST with the next of its `answers`:
    (status, JSON body, headers, seconds to wait before answering); when they run out, 200
    with the ids it was sent. It records when each request arrived."""

    def __init__(self, *answers: tuple):
        self.answers = list(answers)
        self.arrivals: list[float] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/xAPI"

    def __enter__(self) -> "ScriptedLRS":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handler(self):
        lrs = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                lrs.arrivals.append(time.monotonic())
                if lrs.answers:
                    status, answer, headers, delay = lrs.answers.pop(0)
                else:
                    status, headers, delay = 200, {}, 0
                    answer = [s["id"] for s in json.loads(body)]
                time.sleep(delay)
                data = json.dumps(answer).encode()
                try:
                    self.send_response(status)
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client timed out, as the test meant it to

        return Handler
