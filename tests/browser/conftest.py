"""Chromium (Debian's, never `playwright install`) against a workbench server on a free port.

Every page fixture here fails the test on any JavaScript error, console error or failed
request: a learner would see a broken block.
"""

import re

import pytest

from tests.conftest import free_port
from tests.support.workbench_server import WorkbenchServer

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def workbench_server():
    server = WorkbenchServer(free_port()).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def base_url(workbench_server) -> str:
    """pytest-playwright resolves `page.goto("/...")` against this."""
    return workbench_server.url


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


class PageProblems:
    """Console errors, uncaught exceptions and failed requests seen by a page."""

    def __init__(self, page):
        self.items: list[str] = []
        self.expected: list[tuple[int, re.Pattern]] = []
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.items.append(f"uncaught: {exc}"))
        page.on(
            "requestfailed",
            lambda req: self.items.append(f"failed: {req.method} {req.url} {req.failure}"),
        )
        page.on("response", self._response)

    def expect(self, status: int, url: str) -> None:
        """A test that provokes an error answer on purpose (a refused edit) declares it."""
        self.expected.append((status, re.compile(url)))

    def _is_expected(self, status: int, url: str) -> bool:
        return any(status == s and pattern.search(url) for s, pattern in self.expected)

    def _console(self, message) -> None:
        if message.type not in ("error", "assert"):
            return
        refused = re.search(r"status of (\d{3})", message.text)
        url = (message.location or {}).get("url", "")
        if refused and self._is_expected(int(refused.group(1)), url):
            return
        self.items.append(f"console.{message.type}: {message.text}")

    def _response(self, response) -> None:
        if response.status >= 400 and not self._is_expected(response.status, response.url):
            self.items.append(f"HTTP {response.status}: {response.request.method} {response.url}")


@pytest.fixture
def page_problems(page):
    problems = PageProblems(page)
    yield problems
    assert problems.items == [], "the page had problems:\n" + "\n".join(problems.items)


@pytest.fixture
def clean_page(page, page_problems):
    """A Chromium page that fails the test on any console error or failed request."""
    page.set_default_timeout(15_000)
    return page
