"""The credit block's push to a real Ralph LRS (started by the test, never mocked): the
ledger's awards and revocations arrive once, a second push stores nothing new, and the staff
panel says what happened."""

import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from credit_export import ComponentRequirement, CreditRule
from tests.xblock.test_credit_block import PROFILE, act, complete, studio, unit_settings
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


class LoginPage:
    """Not an LRS: a web server that answers every request 200 with an HTML page (what a
    CME_LRS_URL pointing at a portal or behind a sign-in proxy gets)."""

    def __enter__(self):
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        class Page(BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                body = b"<html><body>Please sign in</body></html>"
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Page)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/xAPI"
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def test_an_lrs_answer_that_is_not_xapi_is_reported_and_nothing_is_marked_sent(workbench, module):
    push = pusher(workbench, ledger_of_three(workbench, module[1]))
    with LoginPage() as page, override_settings(CME_LRS_URL=page.url, CME_LRS_USERNAME=""):
        status, body = push()
        assert status == 200
        assert "answered, but not with the list of stored statements" in body["message"]
        assert "Please sign in" in body["message"]
        assert body["message"].startswith("0 statement(s) stored")
        assert LrsPush.objects.get(endpoint=page.url).checkpoint == {}


def lrs_of(ralph, **more):
    return override_settings(
        CME_LRS_URL=ralph.endpoint,
        CME_LRS_USERNAME=ralph.username,
        CME_LRS_PASSWORD=ralph.password,
        **more,
    )


def test_pushing_another_activity_keeps_each_activitys_checkpoint(
    workbench, module, scenarios, ralph
):
    _, children = module
    alone = next(s.usage_id for s in scenarios.values() if "CME credit alone" in s.description)
    rule = CreditRule(
        components=[ComponentRequirement(usage_id=children["cme_case"], label="The case")],
        evaluation_required=False,
    )
    assert studio(workbench, alone, unit_settings(rule, project_number="2026-07-02-001"))[0] == 200
    credit = ledger_of_three(workbench, children)  # activity 2026-05-01-003: 3 statements
    assert act(workbench, alone, "claim")[0] == 200  # activity 2026-07-02-001: 1 statement

    with lrs_of(ralph):
        assert pusher(workbench, credit)()[1]["message"].startswith("3 statement(s) stored")
        assert pusher(workbench, alone)()[1]["message"].startswith("1 statement(s) stored")
        again = pusher(workbench, credit)()[1]["message"]
        assert again.startswith("0 statement(s) stored, 0 already in the LRS, 3 sent by an")
        page = workbench.page_of(alone, "staff")
        assert "1 statement(s) stored" in page and "3 statement(s) stored" not in page
    assert sorted(LrsPush.objects.values_list("activity", flat=True)) == [
        "2026-05-01-003",
        "2026-07-02-001",
    ]
    assert len(ralph.statements()) == 4


def test_statements_that_conflict_with_the_lrs_are_reported_at_every_push(workbench, module, ralph):
    """The platform's address changed after a push: the same statement ids now carry other
    activity ids, and the LRS keeps the first copies (409). Every push says so."""
    credit = ledger_of_three(workbench, module[1])
    with lrs_of(ralph):
        assert pusher(workbench, credit)()[1]["message"].startswith("3 statement(s) stored")
    with lrs_of(ralph, LMS_ROOT_URL="https://cme.other-platform.example.org"):
        for _ in range(2):  # a cron job notices: not 0, the report says what conflicts
            errors = io.StringIO()
            with pytest.raises(CommandError) as failed:
                call_command("export_cme_credits", format="xapi", stderr=errors)
            assert failed.value.returncode == 3
            report = str(failed.value)
            assert report.startswith("3 statement(s) conflict with what the LRS holds")
            conflicts = LrsPush.objects.get(activity="").checkpoint["conflicts"]
            assert len(conflicts) == 3 and all(i in report for i in conflicts)
            assert errors.getvalue().startswith("0 statement(s) stored, 0 already in the LRS")
        row = LrsPush.objects.get(activity="")
        assert len(row.checkpoint["conflicts"]) == 3 and len(row.last_report["conflicts"]) == 3
        LrsPush.objects.filter(activity="2026-05-01-003").delete()  # the panel starts afresh
        for _ in range(2):
            message = pusher(workbench, credit)()[1]["message"]
            assert "3 statement(s) conflict with what the LRS holds" in message
            assert "checked again at every push" in message
    assert len(ralph.statements()) == 3
