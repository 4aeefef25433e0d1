"""A real Ralph LRS for the integration tests: started, stopped and restarted on 127.0.0.1
with its data kept in a temporary directory (never mocked)."""

import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import bcrypt
import requests

LAUNCHER = Path(__file__).with_name("ralph_launcher.py")
XAPI_HEADERS = {"X-Experience-API-Version": "1.0.3"}
MAX_PAGE = 10_000


class RalphLRS:
    def __init__(self, port: int, username: str = "cme-export"):
        self.port = port
        self.username, self.password = username, secrets.token_urlsafe(16)
        self.directory = Path(tempfile.mkdtemp(prefix="cme-ralph-"))
        self.url = f"http://127.0.0.1:{port}"
        self.endpoint = f"{self.url}/xAPI"
        self.process: subprocess.Popen | None = None
        self._write_auth_file()

    @property
    def auth(self) -> tuple[str, str]:
        return self.username, self.password

    def _write_auth_file(self) -> None:
        hashed = bcrypt.hashpw(self.password.encode(), bcrypt.gensalt(rounds=4)).decode()
        users = [
            {
                "username": self.username,
                "hash": hashed,
                "scopes": ["all"],
                "agent": {"mbox": "mailto:cme-export@consortium.example.org"},
            }
        ]
        (self.directory / "auth.json").write_text(json.dumps(users), encoding="utf-8")
        (self.directory / "statements").mkdir(exist_ok=True)

    def start(self, timeout: float = 40.0) -> "RalphLRS":
        env = {
            **os.environ,
            "RALPH_RUNSERVER_BACKEND": "fs",
            "RALPH_AUTH_FILE": str(self.directory / "auth.json"),
            "RALPH_BACKENDS__LRS__FS__DEFAULT_DIRECTORY_PATH": str(self.directory / "statements"),
            "RALPH_APP_DIR": str(self.directory / "app"),
            # Ralph answers at most this many statements per GET page (100 by default): reading
            # a large store back would otherwise take thousands of pages, each a full scan.
            "RALPH_RUNSERVER_MAX_SEARCH_HITS_COUNT": str(MAX_PAGE),
        }
        log = (self.directory / "ralph.log").open("ab")
        self.process = subprocess.Popen(
            [sys.executable, str(LAUNCHER), str(self.port)],
            cwd=self.directory,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                if requests.get(f"{self.url}/__heartbeat__", timeout=2).status_code == 200:
                    return self
            except requests.RequestException:
                time.sleep(0.2)
        self.stop()
        tail = (self.directory / "ralph.log").read_text(errors="replace")[-3000:]
        raise RuntimeError(f"Ralph did not start on port {self.port}:\n{tail}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def discard(self) -> None:
        """Stop it and delete its data directory (statements, log, credentials)."""
        self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)

    def restart(self) -> "RalphLRS":
        self.stop()
        return self.start()

    def statements(self, page: int = 500) -> list[dict]:
        """Every stored statement, following `more` links (`page` at a time, up to MAX_PAGE)."""
        found, url = [], f"{self.endpoint}/statements/?limit={page}"
        while url:
            response = requests.get(url, auth=self.auth, headers=XAPI_HEADERS, timeout=30)
            response.raise_for_status()
            body = response.json()
            found += body["statements"]
            more = body.get("more")
            url = f"{self.url}{more}" if more else ""
        return found
