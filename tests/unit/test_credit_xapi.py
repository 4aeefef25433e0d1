"""xAPI statements of credit awards: stable ids, pseudonymous actors, valid by Ralph's own
strict models (a test-only dependency: the suite never imports Ralph at run time)."""

from hypothesis import given
from hypothesis import strategies as st
from ralph.models.xapi.base.statements import BaseXapiStatement

from credit_export import revoke
from credit_export.xapi import EARNED, REVOKED, statement_for
from tests.unit.test_credit_rules import NOW, records

HOME = "https://lms.consortium.example.org"


def statement(record, actor="a1b2c3"):
    return statement_for(record, actor_id=actor, homepage=HOME, platform=HOME)


def test_a_statement_is_valid_for_ralph_and_carries_the_credit():
    record = next(records(1))
    data = statement(record)
    BaseXapiStatement.model_validate(data)
    assert data["verb"]["id"] == EARNED
    extensions = data["result"]["extensions"]
    assert any(k.endswith("/credits") and v == 1.0 for k, v in extensions.items())
    assert any(k.endswith("/credit-class") and v == "I" for k, v in extensions.items())
    assert data["timestamp"] == record.awarded_at.isoformat()


def test_the_actor_is_pseudonymous_no_name_or_licence_leaves():
    record = next(records(1))
    text = str(statement(record))
    assert record.profile.name not in text and record.profile.licence_number not in text


def test_ids_are_stable_and_distinct_per_learner_and_for_a_revocation():
    record = next(records(1))
    assert statement(record)["id"] == statement(record)["id"]
    assert statement(record, "other")["id"] != statement(record)["id"]
    revoked = statement(revoke(record, "duplicate", "admin", NOW))
    assert revoked["verb"]["id"] == REVOKED and revoked["id"] != statement(record)["id"]
    BaseXapiStatement.model_validate(revoked)


@given(st.text(alphabet="abcdef0123456789", min_size=1, max_size=32))
def test_every_statement_validates_against_ralph(actor):
    BaseXapiStatement.model_validate(statement(next(records(1)), actor))
