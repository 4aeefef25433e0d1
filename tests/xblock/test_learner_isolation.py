"""No handler parameter lets learner A read or change learner B's state or records.

B works through the consortium module (a case answer, a referral decision, a CME profile, an
evaluation and a credit with its certificate). A then calls every handler of every block (found
in the code, as the staff-only sweep finds them) with bodies naming B every way a request could:
`learner`, `student_id`, `user_id`, `usage_id`, `anonymous_user_id`, in the body, in the query
string and as the handler's suffix; and asks for B's badge and certificate. B's fields, rows and
events stay as they were, and nothing A receives holds anything of B's.
"""

import json

import pytest

from tests.support.figures import tally
from tests.xblock.test_credit_block import PROFILE, act, complete
from tests.xblock.test_fuzz_handlers import (
    case_moves,
    case_progress_view,
    records,
    referral_moves,
    referral_progress_view,
    store,
)
from tests.xblock.test_staff_only import (
    STAFF_BODIES,
    STAFF_ONLY,
    discovered,
    json_action_flags,
    studio_body,
)
from xblocks.workbench.services import anonymous_id

A, B = "learner_a", "learner_b"
B_PROFILE = PROFILE | {"name": "李明远", "licence_number": "110440100007777"}
ID_FIELDS = ("learner", "student_id", "user_id", "usage_id", "anonymous_user_id")


def of_b(taken: dict) -> dict:
    """Everything of B's in a snapshot: B's fields, B's rows, B's events."""
    rows = {
        name: [row for row in found if row.get("learner_id") == B]
        for name, found in taken["records"].items()
        if name != "events"
    }
    return {
        "store": [row for row in taken["store"] if row[2] == B],
        "records": rows,
        "events": taken["records"]["events"].get(B, 0),
    }


@pytest.fixture
def b_at_work(workbench, module) -> dict[str, str]:
    """B answered in the case and the referral exercise, and holds the module's credit."""
    scenario_id, children = module
    workbench.page(scenario_id, student=B)
    case, referral, credit = (children[t] for t in ("cme_case", "cme_referral", "cme_credit"))
    first_case_move = case_moves(case_progress_view(workbench, case, B))[0]
    assert workbench.handler(case, "act", first_case_move, student=B).status_code == 200
    decision = referral_moves(referral_progress_view(workbench, referral, B))[0]
    assert workbench.handler(referral, "act", decision, student=B).status_code == 200
    complete(B, case, 8)
    complete(B, referral, 9)
    act(workbench, credit, "profile", student=B, **B_PROFILE)
    act(workbench, credit, "evaluate", student=B, satisfaction=5, change_in_practice="none")
    assert act(workbench, credit, "claim", student=B)[0] == 200
    workbench.page(scenario_id, student=A)
    return children


def aimed_at_b(base: dict, usage_id: str) -> list[dict]:
    """`base` carrying B's ids, one field at a time and all at once."""
    values = {
        "learner": B,
        "student_id": B,
        "user_id": B,
        "usage_id": usage_id,
        "anonymous_user_id": anonymous_id(B),
    }
    return [base | {name: values[name]} for name in ID_FIELDS] + [base | values]


def bases(workbench, block_type: str, handler: str, usage_id: str) -> list[dict]:
    """What A sends a JSON handler: a body it accepts from someone (A's next move in an
    exercise, each action of the credit, a staff body), to which B's ids are added."""
    if handler == "studio_submit":
        return [studio_body(workbench, usage_id)]
    if handler in STAFF_BODIES:
        return [STAFF_BODIES[handler]]
    if (block_type, handler) == ("cme_case", "act"):
        return case_moves(case_progress_view(workbench, usage_id, A))[:1]
    if (block_type, handler) == ("cme_referral", "act"):
        return referral_moves(referral_progress_view(workbench, usage_id, A))[:1]
    if (block_type, handler) == ("cme_credit", "act"):
        return [{"action": "profile", **PROFILE}, {"action": "claim"}]
    return [{}]


def test_learner_a_naming_b_in_any_handler_neither_reads_nor_changes_anything_of_b(
    workbench, b_at_work
):
    from xblocks.records.models import CreditAward

    before = {"store": store(), "records": records()}
    secrets = [B, anonymous_id(B), B_PROFILE["name"], B_PROFILE["licence_number"]]
    answers = []
    for block_type, handler in sorted(discovered()):
        usage_id = b_at_work[block_type]
        if json_action_flags(getattr(type(workbench.block(usage_id, A)), handler)) is None:
            # A plain handler (a download, the badge): B named in the query and the suffix.
            query = {"student": A, "learner": B, "user_id": B, "anonymous_user_id": anonymous_id(B)}
            for suffix in ("", B, anonymous_id(B)):
                answers.append(
                    (
                        handler,
                        workbench.client.get(f"/handler/{usage_id}/{handler}/{suffix}", query),
                    )
                )
            continue
        for base in bases(workbench, block_type, handler, usage_id):
            for body in aimed_at_b(base, usage_id):
                answers.append((handler, workbench.handler(usage_id, handler, body, student=A)))
                url = f"/handler/{usage_id}/{handler}/{B}?student={A}&learner={B}"
                answers.append(
                    (
                        handler,
                        workbench.client.post(
                            url, data=json.dumps(body), content_type="application/json"
                        ),
                    )
                )
    assert len(answers) > 100
    for handler, response in answers:
        assert response.status_code < 500, (handler, response.content[:300])
        text = response.content.decode("utf-8", "replace")
        for secret in secrets:
            assert secret not in text, (handler, response.status_code, secret, text[:300])
    # Staff-only handlers refused A whatever the body said.
    staff_answers = [(h, r) for h, r in answers if any(h == name for _, name in STAFF_ONLY)]
    assert staff_answers and all(r.status_code == 403 for _, r in staff_answers)

    assert of_b({"store": store(), "records": records()}) == of_b(before)
    assert CreditAward.objects.get(learner_id=B).status == "awarded"
    tally("isolation.requests", len(answers))
    tally("isolation.handlers", len(discovered()))


def test_learner_a_never_gets_bs_badge_or_certificate(workbench, module, b_at_work):
    scenario_id, _ = module
    credit = b_at_work["cme_credit"]
    for suffix in ("", B, anonymous_id(B)):
        badge = workbench.client.get(
            f"/handler/{credit}/badge/{suffix}", {"student": A, "learner": B, "user_id": B}
        )
        assert badge.status_code == 404, badge.content[:300]
        assert "You have no credit here yet." in json.loads(badge.content)["error"]
        assert B_PROFILE["licence_number"] not in badge.content.decode()
    page = workbench.page(scenario_id, student=A).content.decode()
    assert B_PROFILE["name"] not in page and B_PROFILE["licence_number"] not in page
    # The mobile app's structure data holds nobody's; A's own view holds A's only.
    structure = workbench.block(credit, A).student_view_data()
    assert "certificate" not in structure
    answer = workbench.handler(credit, "view_data", {}, student=A)
    assert answer.status_code == 200
    data = json.loads(answer.content)
    assert data["certificate"] is None  # A has none, and B's is not A's
    for payload in (structure, data):
        assert B_PROFILE["name"] not in json.dumps(payload, ensure_ascii=False)

    # B's own badge is B's (the control: the secret is there to be found).
    mine = workbench.client.get(f"/handler/{credit}/badge/", {"student": B})
    assert mine.status_code == 200 and B_PROFILE["licence_number"] in mine.content.decode()
