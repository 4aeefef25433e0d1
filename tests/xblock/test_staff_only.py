"""Every staff-only handler of every block answers 403 with a sentence to a learner and 200 to
staff; the list of them is checked against the code, so a new staff handler cannot be added
without being listed (and swept) here.

Handlers are found on the block classes (every `XBlock.handler`); a handler is staff-only when
`json_action(staff_only=True)` or `json_action(author_only=True)` (xblocks/base.py) wraps it, or
when a plain handler refuses anyone who is not staff or an author
(`if not self.user_is_staff` / `if not self.user_can_author`) before it does anything.
"""

import inspect
import json
import re

import pytest
from django.test import override_settings

from tests.support.figures import tally
from tests.xblock.test_credit_block import PROFILE, act, complete
from xblocks.case_block import CaseBlock
from xblocks.credit_block import CreditBlock
from xblocks.referral_block import ReferralBlock

BLOCKS = {"cme_case": CaseBlock, "cme_referral": ReferralBlock, "cme_credit": CreditBlock}

#: Who may call what. Every handler of every block is in exactly one of the two lists.
STAFF_ONLY = {
    ("cme_case", "cohort"),
    ("cme_case", "export_case"),
    ("cme_case", "reset_learner"),
    ("cme_case", "studio_submit"),
    ("cme_referral", "analytics"),
    ("cme_referral", "analytics_csv"),
    ("cme_referral", "export_scenario"),
    ("cme_referral", "reset_learner"),
    ("cme_referral", "studio_submit"),
    ("cme_referral", "upgrade_ruleset"),
    ("cme_credit", "evaluation_csv"),
    ("cme_credit", "export_csv"),
    ("cme_credit", "export_settings"),
    ("cme_credit", "export_summary_csv"),
    ("cme_credit", "export_xml"),
    ("cme_credit", "push_lrs"),
    ("cme_credit", "report"),
    ("cme_credit", "report_csv"),
    ("cme_credit", "revoke"),
    ("cme_credit", "studio_submit"),
}
LEARNERS_TOO = {
    ("cme_case", "act"),
    ("cme_case", "view_data"),
    ("cme_referral", "act"),
    ("cme_referral", "download_referral"),
    ("cme_referral", "view_data"),
    ("cme_credit", "act"),
    ("cme_credit", "view_data"),
    ("cme_credit", "badge"),
}

#: What staff send each JSON handler (a request that succeeds); plain handlers are downloads.
STAFF_BODIES = {
    "cohort": {"action": "cohort"},
    "reset_learner": {"learner": "student_1", "reason": "Asked to start again."},
    "analytics": {"action": "analytics"},
    "report": {"action": "report"},
    "push_lrs": {"action": "push"},
    "revoke": {"learner": "student_1", "reason": "Attended for a colleague."},
    "upgrade_ruleset": {"action": "upgrade", "version": "2.0"},
}
REFUSAL = re.compile(r"\w+ \w+ \w+.*[.!?]$")


def handlers(block_class) -> list[str]:
    return sorted(
        name
        for name in dir(block_class)
        if getattr(getattr(block_class, name, None), "_is_xblock_handler", False)
    )


def json_action_flags(handler) -> dict | None:
    """The `json_action` options a handler was wrapped with (None: a plain handler)."""
    code = getattr(handler, "__code__", None)
    if code is None or not handler.__closure__ or "staff_only" not in code.co_freevars:
        return None
    cells = dict(zip(code.co_freevars, handler.__closure__, strict=True))
    return {name: cells[name].cell_contents for name in ("staff_only", "author_only")}


GUARD = re.compile(r"^\s*if not self\.(user_is_staff|user_can_author)\s*:", re.MULTILINE)


def is_staff_only(handler) -> bool:
    flags = json_action_flags(handler)
    if flags is not None:
        return flags["staff_only"] or flags["author_only"]
    return GUARD.search(inspect.getsource(handler)) is not None


def discovered() -> dict[tuple[str, str], bool]:
    """(block type, handler) -> staff only, as the code says."""
    return {
        (block_type, name): is_staff_only(getattr(block_class, name))
        for block_type, block_class in BLOCKS.items()
        for name in handlers(block_class)
    }


def test_every_handler_is_listed_as_staff_only_or_open_to_learners_as_the_code_says():
    found = discovered()
    listed = STAFF_ONLY | LEARNERS_TOO
    assert not STAFF_ONLY & LEARNERS_TOO
    unlisted = sorted(set(found) - listed)
    assert not unlisted, f"new handlers: list them in STAFF_ONLY or LEARNERS_TOO: {unlisted}"
    gone = sorted(listed - set(found))
    assert not gone, f"handlers listed here no longer exist: {gone}"
    staff_in_code = {key for key, staff in found.items() if staff}
    assert staff_in_code == STAFF_ONLY, (
        f"staff-only in the code but not listed: {sorted(staff_in_code - STAFF_ONLY)}; "
        f"listed but open to learners in the code: {sorted(STAFF_ONLY - staff_in_code)}"
    )


def call(workbench, usage_id: str, handler: str, student: str):
    """A JSON handler gets its body by POST; a download is fetched by GET, as its link does."""
    if json_action_flags(getattr(type(workbench.block(usage_id, student)), handler)) is None:
        return workbench.client.get(f"/handler/{usage_id}/{handler}/", {"student": student})
    body = STAFF_BODIES.get(handler, {})
    if handler == "studio_submit":
        body = studio_body(workbench, usage_id)
    return workbench.handler(usage_id, handler, body, student=student)


def studio_body(workbench, usage_id: str) -> dict:
    """The block's own content, to validate (a save that changes nothing)."""
    block = workbench.block(usage_id, "staff")
    body = {"mode": "validate", "display_name": block.display_name}
    if isinstance(block, CaseBlock):
        return body | {"weight": 1, "case_source": block.case.model_dump_json()}
    if isinstance(block, ReferralBlock):
        return body | {"weight": 1, "scenario_source": block.exercise.scenario.model_dump_json()}
    return body | {"settings_source": block.settings.model_dump_json()}


@pytest.fixture
def awarded(workbench, module):
    """student_1 holds an award of the module's credit (staff can revoke it, report on it)."""
    _, children = module
    credit = children["cme_credit"]
    complete("student_1", children["cme_case"], 8)
    complete("student_1", children["cme_referral"], 9)
    act(workbench, credit, "profile", **PROFILE)
    act(workbench, credit, "evaluate", satisfaction=5, change_in_practice="none")
    assert act(workbench, credit, "claim")[0] == 200
    return children


@pytest.mark.parametrize(("block_type", "handler"), sorted(STAFF_ONLY))
def test_a_learner_is_refused_with_a_sentence_and_staff_are_served(
    workbench, awarded, block_type, handler, request
):
    usage_id = awarded[block_type]
    before = json.dumps(
        [(b := workbench.block(usage_id, "staff")).display_name, getattr(b, "case_json", "")]
    )
    refused = call(workbench, usage_id, handler, "student_1")
    assert refused.status_code == 403, (handler, refused.content[:300])
    message = json.loads(refused.content)["error"]
    assert REFUSAL.search(message), message
    tally("authz.learner_refusals")

    if handler == "push_lrs":  # staff push to a real LRS; without one it says what to set
        ralph = request.getfixturevalue("ralph")
        with override_settings(
            CME_LRS_URL=ralph.endpoint,
            CME_LRS_USERNAME=ralph.username,
            CME_LRS_PASSWORD=ralph.password,
        ):
            served = call(workbench, usage_id, handler, "staff")
    else:
        served = call(workbench, usage_id, handler, "staff")
    assert served.status_code == 200, (handler, served.content[:300])
    assert b"Only course staff" not in served.content
    tally("authz.staff_handlers")
    if handler not in ("revoke", "reset_learner"):  # what staff asked to change, changed
        after = workbench.block(usage_id, "staff")
        assert json.dumps([after.display_name, getattr(after, "case_json", "")]) == before
