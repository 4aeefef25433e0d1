"""A real Ralph LRS per test module (never mocked): started once, stopped at the end."""

import pytest

from tests.conftest import free_port
from tests.support.ralph_lrs import RalphLRS


@pytest.fixture
def ralph():
    lrs = RalphLRS(free_port()).start()
    yield lrs
    lrs.stop()
