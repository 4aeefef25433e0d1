"""Fixtures shared by every test tier.

Tiers: unit/ (domain, no runtime), xblock/ (blocks in the real workbench runtime, in process),
browser/ (Chromium against a workbench server), integration/ (real services), packaging/.
"""

import socket
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture
def ralph():
    """A real Ralph LRS of the test's own (never mocked), discarded with its data after."""
    from tests.support.ralph_lrs import RalphLRS

    lrs = RalphLRS(free_port()).start()
    yield lrs
    lrs.discard()


def pytest_sessionfinish(session, exitstatus):
    """With CME_FIGURES set (make fuzz), keep the adversarial tests' counts for RELIABILITY."""
    from tests.support.figures import write_if_asked

    if exitstatus == 0:  # figures of a run where something failed are not figures of what held
        write_if_asked()


def pytest_runtest_logreport(report):
    """Count each passed test for the figures (the leak scan, the two authors, the XML export:
    tests that keep no counts of their own)."""
    if report.when == "call" and report.passed:
        from tests.support.figures import tally_passed

        tally_passed(report.nodeid)
