"""The credit block's push to a real Ralph LRS (started by the test, never mocked): the
ledger's awards and revocations arrive once, a second push stores nothing new, and the staff
panel says what happened."""

import json

import pytest
from django.test import override_settings

from tests.conftest import free_port
from tests.support.ralph_lrs import RalphLRS
from tests.xblock.test_credit_block import PROFILE, act, complete
from xblocks.records.models import LrsPush


@pytest.fixture
def ralph():
    lrs = RalphLRS(free_port()).start()
    yield lrs
    lrs.stop()


def test_staff_push_the_ledger_to_the_lrs_and_a_second_push_sends_nothing(
    workbench,
    module,
    ralph,
):
    _, children = module
    credit = children["cme_credit"]
    for student in ("student_1", "student_2"):
        complete(student, children["cme_case"], 8)
        complete(student, children["cme_referral"], 9)
        act(workbench, credit, "profile", student=student, **PROFILE)
        act(
            workbench,
            credit,
            "evaluate",
            student=student,
            satisfaction=5,
            change_in_practice="none",
        )
        assert act(workbench, credit, "claim", student=student)[0] == 200
    workbench.handler(
        credit, "revoke", {"learner": "student_2", "reason": "Duplicate"}, student="staff"
    )

    def push():
        response = workbench.handler(credit, "push_lrs", {"action": "push"}, student="staff")
        return response.status_code, json.loads(response.content)

    with override_settings(
        CME_LRS_URL=ralph.endpoint,
        CME_LRS_USERNAME=ralph.username,
        CME_LRS_PASSWORD=ralph.password,
        CME_LRS_BATCH_SIZE=2,  # the operator's batch size: 3 statements in 2 requests
    ):
        assert push()[1]["message"].startswith("3 statement(s) stored")
        assert LrsPush.objects.get(endpoint=ralph.endpoint).last_report["batches"] == 2
        second = push()[1]["message"]
        assert second.startswith("0 statement(s) stored") and "3 sent by an earlier push" in second
        page = workbench.page(module[0], student="staff").content.decode()
        assert "Last push" in page
        assert workbench.handler(credit, "push_lrs", {"action": "push"}).status_code == 403

    stored = ralph.statements()
    assert len(stored) == 3
    verbs = sorted(s["verb"]["id"].rsplit("/", 1)[-1] for s in stored)
    assert verbs == ["earned", "earned", "revoked"]
    assert "王晓梅" not in json.dumps(stored, ensure_ascii=False)


def test_a_push_without_a_configured_lrs_says_what_to_set(workbench, module):
    _, children = module
    with override_settings(CME_LRS_URL=""):
        response = workbench.handler(
            children["cme_credit"], "push_lrs", {"action": "push"}, student="staff"
        )
    assert "CME_LRS_URL" in json.loads(response.content)["message"]
