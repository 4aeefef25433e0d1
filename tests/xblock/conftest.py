"""Blocks in the real workbench runtime, in this process.

Django is configured with our workbench settings on a fresh database in a temporary `var/`;
handlers are called through the workbench's own URL and view, as the LMS calls them
(`POST /handler/<usage_id>/<handler>/?student=<id>`), and published events are read back
from the recorder.
"""

import atexit
import json
import os
import shutil
import tempfile

import django
import pytest

os.environ["CME_VAR_DIR"] = tempfile.mkdtemp(prefix="cme-xblock-tests-")
atexit.register(shutil.rmtree, os.environ["CME_VAR_DIR"], True)
os.environ["DJANGO_SETTINGS_MODULE"] = "xblocks.workbench.settings"
# Playwright's sync API (browser tests, same pytest process) leaves an event loop on the main
# thread, which makes Django refuse ORM calls; these in-process tests are synchronous.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

setup_test_environment()
call_command("migrate", run_syncdb=True, verbosity=0, interactive=False)


@pytest.fixture(scope="session")
def scenarios():
    """Every workbench scenario, loaded once (our tolerant loader)."""
    from workbench.scenarios import get_scenarios

    return get_scenarios()


@pytest.fixture(autouse=True)
def _rollback_each_test(scenarios):
    """Each test sees the loaded scenarios and leaves nothing behind."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


class Workbench:
    """A learner's or staff member's way into the workbench, as the browser goes."""

    def __init__(self):
        self.client = Client()

    def page(self, scenario_id: str, student: str = "student_1", view: str = "student_view"):
        return self.client.get(f"/scenario/{scenario_id}/{view}/", {"student": student})

    def handler(self, usage_id: str, handler: str, payload, student: str = "student_1"):
        """POST JSON to a handler; returns the Django response."""
        body = payload if isinstance(payload, (str, bytes)) else json.dumps(payload)
        return self.client.post(
            f"/handler/{usage_id}/{handler}/?student={student}",
            data=body,
            content_type="application/json",
        )

    @staticmethod
    def events(student: str | None = None, event_type: str | None = None) -> list[dict]:
        from xblocks.workbench.models import PublishedEvent

        rows = PublishedEvent.objects.all()
        if student:
            rows = rows.filter(student_id=student)
        if event_type:
            rows = rows.filter(event_type=event_type)
        return [row.as_dict() for row in rows]

    def page_of(self, usage_id: str, student: str, view: str = "student_view") -> str:
        """One block's view as the runtime renders it for `student` (its HTML)."""
        block = self.block(usage_id, student)
        return block.runtime.render(block, view).content

    @staticmethod
    def block(usage_id: str, student: str = "student_1"):
        from workbench.runtime import WorkbenchRuntime

        return WorkbenchRuntime(student).get_block(usage_id)


@pytest.fixture
def workbench(scenarios) -> Workbench:
    return Workbench()


@pytest.fixture
def module(scenarios):
    """The consortium module: (scenario id, block type -> usage id of its child)."""
    scenario_id = next(k for k, s in scenarios.items() if "Consortium module" in s.description)
    from workbench.runtime import WorkbenchRuntime

    unit = WorkbenchRuntime("student_1").get_block(scenarios[scenario_id].usage_id)
    children = {}
    for child_id in unit.children:
        children[child_id.split(".")[-3]] = child_id
    return scenario_id, children
