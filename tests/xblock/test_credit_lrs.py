"""The credit block's push to a real Ralph LRS (started by the test, never mocked): the
ledger's awards and revocations arrive once, a second push stores nothing new, and the staff
panel says what happened."""

import json

from django.test import override_settings

from tests.xblock.test_credit_block import PROFILE, act, complete
from xblocks.records.models import LrsPush


def ledger_of_three(workbench, children) -> str:
    """Two awards and one revocation in the ledger: three statements. The credit's usage id."""
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
    return credit


def pusher(workbench, credit):
    def push():
        response = workbench.handler(credit, "push_lrs", {"action": "push"}, student="staff")
        return response.status_code, json.loads(response.content)

    return push


def test_staff_push_the_ledger_to_the_lrs_and_a_second_push_sends_nothing(
    workbench,
    module,
    ralph,
):
    credit = ledger_of_three(workbench, module[1])
    push = pusher(workbench, credit)

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


def test_a_push_out_of_time_says_more_remain_and_the_next_goes_on_from_there(
    workbench, module, ralph
):
    push = pusher(workbench, ledger_of_three(workbench, module[1]))
    with override_settings(
        CME_LRS_URL=ralph.endpoint,
        CME_LRS_USERNAME=ralph.username,
        CME_LRS_PASSWORD=ralph.password,
        CME_LRS_BATCH_SIZE=2,
        CME_LRS_PUSH_SECONDS=0,  # the request's time is spent after its first batch
    ):
        first = push()[1]["message"]
        assert first.startswith("2 statement(s) stored") and "More remain to be sent" in first
        assert len(ralph.statements()) == 2  # confirmed, and its checkpoint kept
        second = push()[1]["message"]
        assert second.startswith("1 statement(s) stored") and "2 sent by an earlier push" in second
        assert "More remain" not in second
    assert len({s["id"] for s in ralph.statements()}) == 3
