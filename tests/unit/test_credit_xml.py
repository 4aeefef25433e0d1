"""The XML export validates against the shipped XSD, whatever learners typed."""

from datetime import UTC, datetime

from hypothesis import assume, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from credit_export import LearnerProfile, iter_xml, revoke, validate_xml
from tests.unit.test_credit_rules import NOW, PROFILE, records

GENERATED = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


def export(items) -> bytes:
    return b"".join(iter_xml(items, GENERATED))


def test_an_export_validates_and_keeps_chinese_text():
    data = export(records(3))
    assert validate_xml(data) == []
    assert "王晓梅".encode() in data and data.count(b"<credit>") + data.count(b"<credit ") == 3


def test_an_export_with_no_records_is_a_valid_empty_document():
    assert validate_xml(export([])) == []


def test_revoked_credits_are_left_out():
    first, second = records(2)
    data = export([first, revoke(second, "duplicate", "admin", NOW)])
    assert validate_xml(data) == [] and data.count(b"<learner>") == 1


def test_the_validator_names_what_is_wrong():
    broken = export(records(1)).replace(b"<score>", b"<score>1").replace(b"</score>", b"0</score>")
    problems = validate_xml(broken)
    assert problems and "score" in problems[0]


@settings(max_examples=60, deadline=None)
@given(st.text(min_size=1, max_size=60), st.text(min_size=1, max_size=60))
def test_every_export_validates_whatever_a_learner_typed(name, institution):
    try:
        profile = LearnerProfile.model_validate(
            PROFILE.model_dump() | {"name": name, "institution": institution}
        )
    except ValidationError:
        assume(False)
    record = next(records(1)).model_copy(update={"profile": profile})
    data = export([record])
    assert validate_xml(data) == [], data


def test_the_export_streams_in_chunks():
    chunks = iter_xml(records(1200), GENERATED)
    first = next(chunks)
    assert first.count(b"<learner>") <= 500
    assert first.count(b"<learner>") + sum(c.count(b"<learner>") for c in chunks) == 1200
