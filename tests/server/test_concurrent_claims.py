"""Concurrency against the real, threaded workbench server: 50 simultaneous requests of one
learner that each award the credit the moment its rule is met (claims from an app, views of
the block in several tabs, retries) give exactly one ledger record and one award event; 20
simultaneous submissions of one case answer count once."""

import json
import re
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests

from credit_export import (
    ComponentRequirement,
    CreditRule,
    CreditSettings,
    demo_activity,
)
from tests.conftest import free_port
from tests.support.figures import tally
from tests.support.workbench_server import WorkbenchServer


@pytest.fixture(scope="module")
def server():
    running = WorkbenchServer(free_port()).start()
    yield running
    running.stop()


class Browser:
    """One learner's session: the CSRF cookie and header a browser sends."""

    def __init__(self, server: WorkbenchServer, student: str):
        self.server, self.student = server, student
        self.session = requests.Session()

    def page(self, description: str) -> str:
        return self.session.get(self.page_url(description), timeout=30).text

    def page_url(self, description: str) -> str:
        index = self.session.get(f"{self.server.url}/?student={self.student}", timeout=30).text
        href = re.search(rf'href="([^"]+)"[^>]*>\s*{re.escape(description)}', index).group(1)
        return self.server.url + href

    def post(self, usage_id: str, handler: str, body: dict) -> requests.Response:
        token = self.session.cookies.get("csrftoken", "")
        return requests.post(
            f"{self.server.url}/handler/{usage_id}/{handler}/?student={self.student}",
            data=json.dumps(body),
            headers={"Content-Type": "application/json", "X-CSRFToken": token},
            cookies=self.session.cookies.get_dict(),
            timeout=60,
        )


def rows(server: WorkbenchServer, sql: str, *params) -> list[tuple]:
    database = next(Path(server.var_dir).glob("*.db"))
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=30) as connection:
        return connection.execute(sql, params).fetchall()


def rule_of_one_case(server: WorkbenchServer, usage_id: str) -> str:
    """The credit's rule names one case (a credit with nothing to assess is never awarded):
    its usage id."""
    staff = Browser(server, "staff")
    case_page = staff.page("Case: A 3-year-old with fever and fast breathing at a community clinic")
    case_id = re.search(r"data-usage='([^']+)' data-block-type='cme_case'", case_page).group(1)
    settings = CreditSettings(
        activity=demo_activity(),
        rule=CreditRule(components=[ComponentRequirement(usage_id=case_id, label="The case")]),
    )
    body = {
        "mode": "save",
        "display_name": "CME credit",
        "settings_source": settings.model_dump_json(),
    }
    assert staff.post(usage_id, "studio_submit", body).status_code == 200
    return case_id


def complete_case(server: WorkbenchServer, case_id: str, learner: str) -> None:
    """The learner has completed the case: the outcome row the case writes, put in place
    directly (working through the case over HTTP is another test's business)."""
    database = next(Path(server.var_dir).glob("*.db"))
    with sqlite3.connect(database, timeout=30) as connection:
        connection.execute(
            "INSERT INTO cme_records_learneroutcome (learner_id, course_id, usage_id, block_type,"
            " attempt, score, max_score, completed_at, detail) VALUES (?, '', ?, 'cme_case', 1,"
            " 9, 10, ?, '{}')",
            (learner, case_id, datetime.now(UTC).isoformat()),
        )


def test_fifty_simultaneous_claims_and_views_give_exactly_one_credit(server):
    """The profile and the evaluation are saved while the case is still open; the case is
    then completed elsewhere, and 50 requests arrive at once: 25 explicit claims (an app) and
    25 views of the block (tabs opened, reloads), each of which awards the credit."""
    learner = Browser(server, "cc_learner")
    page_url = learner.page_url("Credit: a CME credit alone")
    page = learner.session.get(page_url, timeout=30).text
    usage_id = re.search(r"data-usage='([^']+)' data-block-type='cme_credit'", page).group(1)
    case_id = rule_of_one_case(server, usage_id)
    profile = {
        "action": "profile",
        "name": "Zhou Min",
        "licence_number": "330440100004321",
        "title": "senior",
        "institution": "County hospital",
        "tier": "secondary",
        "department": "Cardiology",
        "discipline": "Cardiology",
    }
    assert learner.post(usage_id, "act", profile).status_code == 200
    evaluation = {"action": "evaluate", "satisfaction": 4, "change_in_practice": "already"}
    assert learner.post(usage_id, "act", evaluation).status_code == 200
    awarded = "SELECT learner_id, project_number FROM cme_records_creditaward WHERE learner_id = ?"
    assert rows(server, awarded, "cc_learner") == []  # the case is not completed yet
    complete_case(server, case_id, "cc_learner")

    def claim_or_view(i: int) -> requests.Response:
        if i % 2:
            return learner.post(usage_id, "act", {"action": "claim"})
        return requests.get(page_url, cookies=learner.session.cookies.get_dict(), timeout=60)

    with ThreadPoolExecutor(max_workers=10) as pool:  # runserver queues 10 connections
        answers = list(pool.map(claim_or_view, range(50)))
    assert [a.status_code for a in answers if a.status_code >= 500] == []
    assert sum(a.status_code == 200 for a in answers) >= 1
    awards = rows(server, awarded, "cc_learner")
    assert awards == [("cc_learner", "2026-05-01-003")]
    events = rows(
        server,
        "SELECT COUNT(*) FROM cme_workbench_publishedevent "
        "WHERE student_id = ? AND event_type = 'cme.credit.awarded'",
        "cc_learner",
    )
    assert events == [(1,)]
    assert "cme-certificate" in learner.session.get(page_url, timeout=30).text
    tally("concurrency.claims", len(answers))
    tally("concurrency.ledger_rows", len(awards))


def test_twenty_simultaneous_submissions_of_one_answer_count_once(server):
    learner = Browser(server, "cc_doctor")
    page = learner.page("Case: A 3-year-old with fever and fast breathing at a community clinic")
    usage_id = re.search(r"data-usage='([^']+)' data-block-type='cme_case'", page).group(1)
    step = int(re.search(r'name="step" value="(\d+)"', page).group(1))
    answer = {
        "action": "submit_answer",
        "step": step,
        "question": "danger-signs",
        "options": ["unable-to-drink", "vomits-everything", "convulsions", "lethargic"],
    }
    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(lambda _: learner.post(usage_id, "act", answer), range(20)))
    assert [a.status_code for a in answers if a.status_code >= 500] == []
    accepted = [a for a in answers if a.status_code == 200]
    assert len(accepted) >= 1
    published = rows(
        server,
        "SELECT COUNT(*) FROM cme_workbench_publishedevent "
        "WHERE student_id = ? AND event_type = 'cme.case.answer_submitted'",
        "cc_doctor",
    )
    assert published == [(1,)]
    tally("concurrency.submissions", len(answers))
    tally("concurrency.counted", published[0][0])
