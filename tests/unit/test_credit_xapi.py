"""xAPI statements of credit awards: stable ids, pseudonymous actors, valid by our own strict
model and by Ralph's (a test-only dependency: the package never imports Ralph)."""

import json
import uuid
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from ralph.models.xapi.base.statements import BaseXapiStatement

from credit_export import (
    CreditRecord,
    iter_statements,
    revoke,
    statement_for,
    statement_id,
    statements_for,
)
from credit_export.xapi import (
    ACTIVITY_TYPE,
    EARNED,
    EXTENSIONS,
    NAMESPACE,
    REVOKED,
    Statement,
)
from tests.unit.test_credit_rules import NOW, records

HOME = "https://lms.consortium.example.org"
PLATFORM = "https://lms.consortium.example.org/"


def statement(record, actor=None):
    return statement_for(record, platform_iri=PLATFORM, homepage=HOME, actor_id=actor)


def test_an_award_is_an_earned_statement_valid_for_ralph_that_carries_the_credit():
    record = next(records(1))
    data = statement(record)
    BaseXapiStatement.model_validate(data)
    assert data["verb"]["id"] == EARNED == "http://id.tincanapi.com/verb/earned"
    assert data["actor"] == {
        "objectType": "Agent",
        "account": {"homePage": HOME, "name": "learner-0"},
    }
    assert data["object"] == {
        "objectType": "Activity",
        "id": "https://lms.consortium.example.org/cme/projects/2026-05-01-003",
        "definition": {
            "name": {
                "en": "Community management of hypertension and graded referral",
                "zh-CN": "高血压社区管理与分级转诊",
            },
            "type": ACTIVITY_TYPE,
        },
    }
    assert data["result"] == {
        "score": {"scaled": 0.85},
        "success": True,
        "completion": True,
        "extensions": {
            f"{EXTENSIONS}/credit-class": "I",
            f"{EXTENSIONS}/credits": 0.25,
            f"{EXTENSIONS}/project-number": "2026-05-01-003",
            f"{EXTENSIONS}/activity-level": "provincial",
        },
    }
    assert data["timestamp"] == "2026-11-22T09:30:00+00:00" == record.awarded_at.isoformat()
    json.dumps(data)  # JSON-ready as it is


def test_the_actor_is_pseudonymous_no_name_or_licence_leaves():
    record = next(records(1))
    text = json.dumps(
        statements_for(record, platform_iri=PLATFORM, homepage=HOME), ensure_ascii=False
    )
    assert record.profile.name not in text and record.profile.licence_number not in text
    assert record.profile.institution not in text
    assert statement(record, actor="a1b2c3")["actor"]["account"]["name"] == "a1b2c3"


def test_the_statement_id_is_pinned_to_the_documented_key_and_stable_across_runs():
    """Changing the namespace or the key would make every LRS report conflicts on resend."""
    record = next(records(1))
    key = "learner-0|2026-05-01-003|2026-11-22T09:30:00+00:00|awarded"
    assert statement(record)["id"] == str(uuid.uuid5(NAMESPACE, key))
    assert statement(record)["id"] == "5171651b-8ccc-520c-9864-8b7351cbae2c"
    assert statement(record) == statement(record.model_copy())


def test_a_revocation_is_its_own_statement_referring_to_the_award():
    record = next(records(1))
    later = NOW + timedelta(days=3)
    revoked = revoke(record, "Duplicate registration", "admin", later)
    award_statement, revocation = statements_for(revoked, platform_iri=PLATFORM, homepage=HOME)
    assert award_statement == statement(record)  # resending the award changes nothing
    assert revocation == statement(revoked)
    assert revocation["verb"]["id"] == REVOKED and revocation["id"] != award_statement["id"]
    assert revocation["context"]["statement"] == {
        "objectType": "StatementRef",
        "id": award_statement["id"],
    }
    assert revocation["timestamp"] == later.isoformat()
    assert "score" not in revocation["result"] and "Duplicate" not in json.dumps(revocation)
    BaseXapiStatement.model_validate(revocation)


def test_iter_statements_gives_each_record_its_statements_in_order():
    first, second = records(2)
    revoked = revoke(second, "duplicate", "admin", NOW)
    stream = iter_statements([first, revoked], platform_iri=PLATFORM, homepage=HOME)
    assert [s["verb"]["id"] for s in stream] == [EARNED, EARNED, REVOKED]


def test_the_old_platform_keyword_still_gives_the_same_statement():
    record = next(records(1))
    assert statement_for(record, platform=PLATFORM, homepage=HOME) == statement(record)
    with pytest.raises(TypeError):
        statement_for(record, homepage=HOME)


@pytest.mark.parametrize(
    "change",
    [
        {"verb": {"id": "earned", "display": {"en-US": "earned"}}},  # not an IRI
        {"timestamp": "2026-11-22T09:30:00"},  # no time zone
        {"id": "not-a-uuid"},
        {
            "object": {
                "objectType": "Activity",
                "id": "urn:x",
                "definition": {"name": {}, "type": "urn:t"},
            }
        },
        {"actor": {"objectType": "Agent", "account": {"homePage": "lms", "name": "a"}}},
        {"verb": {"id": EARNED, "display": {"english!": "earned"}}},  # not a language tag
        {"stored": "2026-11-22T09:30:00+00:00"},  # a key we never send
    ],
)
def test_our_model_refuses_what_the_spec_forbids(change):
    data = statement(next(records(1))) | change
    with pytest.raises(ValidationError):
        Statement.model_validate(data)


def test_a_statement_that_would_be_invalid_is_never_returned():
    record = next(records(1))
    with pytest.raises(ValidationError):
        statement_for(record, platform_iri=PLATFORM, homepage="not an address")
    with pytest.raises(ValidationError):
        statement_for(record, platform_iri="has spaces/", homepage=HOME)


PROJECT = st.from_regex(r"\A[A-Za-z0-9][A-Za-z0-9 ._/()国省-]{0,20}\Z")
NAME = st.text(min_size=1, max_size=40).filter(lambda s: s.strip() and s.isprintable())
ACTOR = st.text(min_size=1, max_size=40).filter(str.strip)


@settings(max_examples=100, deadline=None)
@given(ACTOR, PROJECT, NAME, st.integers(min_value=0, max_value=10**8), st.booleans())
def test_every_statement_validates_against_ralph(actor, project, name, seconds, revoked):
    try:
        record = CreditRecord.model_validate(
            next(records(1)).model_dump()
            | {
                "project_number": project,
                "activity_name": name,
                "awarded_at": NOW + timedelta(seconds=seconds),
            }
        )
    except ValidationError:
        return
    if revoked:
        record = revoke(record, "duplicate", "admin", NOW + timedelta(seconds=seconds + 60))
    for data in statements_for(record, platform_iri=PLATFORM, homepage=HOME, actor_id=actor):
        BaseXapiStatement.model_validate(data)
        Statement.model_validate(data)


@given(
    st.lists(
        st.tuples(ACTOR, PROJECT, st.integers(min_value=0, max_value=10**6)),
        min_size=2,
        max_size=8,
        unique=True,
    )
)
def test_ids_are_distinct_across_learners_activities_and_awards(awards):
    base = next(records(1))
    ids = set()
    for actor, project, seconds in awards:
        record = base.model_copy(
            update={"project_number": project, "awarded_at": NOW + timedelta(seconds=seconds)}
        )
        ids.add(statement_id(record, actor))
        ids.add(statement_id(record, actor, "revoked"))
    assert len(ids) == 2 * len(awards)
