"""Records read back from the ledger for the exports without validating them again: the files
are the same as from validated records, and a row of another shape is validated after all."""

import json
from datetime import timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from credit_export import (
    CreditRecord,
    LearnerProfile,
    credit_report,
    iter_csv,
    iter_xml,
    report_csv_rows,
    revoke,
    validate_xml,
)
from credit_export.stored import StoredRecord, stored_record
from tests.unit.test_credit_rules import NOW, PROFILE, records

BEIJING = timezone(timedelta(hours=8))


def as_the_ledger_stores_it(record: CreditRecord) -> dict:
    """The `record` column: the validated record as JSON, read back through the database."""
    return json.loads(json.dumps(record.model_dump(mode="json")))


def files(items, zone=BEIJING) -> tuple[str, bytes, list]:
    items = list(items)
    return (
        "".join(iter_csv(items, zone=zone)),
        b"".join(iter_xml(items, NOW, zone=zone)),
        list(report_csv_rows(credit_report(items, zone=zone))),
    )


def test_a_stored_record_is_read_back_light_with_every_exported_field_as_validated():
    record = next(records(1))
    stored = stored_record(as_the_ledger_stores_it(record))
    assert isinstance(stored, StoredRecord)
    for field in StoredRecord._fields:
        if field != "profile":
            assert getattr(stored, field) == getattr(record, field), field
    assert stored.profile._asdict() == record.profile.model_dump()
    assert stored.awarded_at.utcoffset() == timedelta(0) and stored.credits == Decimal("0.25")


TYPED = st.text(min_size=1, max_size=30)


@settings(max_examples=60, deadline=None)
@given(
    name=TYPED,
    institution=TYPED,
    department=TYPED,
    credits=st.sampled_from(["0.5", "1", "2.25", "10"]),
    minutes=st.integers(min_value=0, max_value=60 * 24 * 400),
    revoked=st.booleans(),
)
def test_the_exports_from_stored_rows_are_the_files_validated_records_give(
    name, institution, department, credits, minutes, revoked
):
    """CSV (formula guard, BOM, the award day in Beijing), XML (valid against the XSD) and
    the report, byte for byte, whatever a learner typed, with revoked credits left out."""
    try:
        profile = LearnerProfile.model_validate(
            PROFILE.model_dump()
            | {"name": name, "institution": institution, "department": department}
        )
    except ValidationError:
        return  # not a profile the ledger could hold
    base = next(records(1))
    record = CreditRecord.model_validate(
        base.model_dump()
        | {"profile": profile, "credits": credits, "awarded_at": NOW + timedelta(minutes=minutes)}
    )
    if revoked:
        record = revoke(record, "Attended for a colleague", "staff", NOW + timedelta(days=500))
    validated = [base, record, base]
    stored = [stored_record(as_the_ledger_stores_it(r)) for r in validated]
    assert all(isinstance(r, StoredRecord) for r in stored)
    assert files(stored) == files(validated)
    assert validate_xml(files(stored)[1]) == []


def test_a_row_stored_by_an_earlier_version_or_in_another_form_is_validated_after_all():
    record = next(records(1))
    data = as_the_ledger_stores_it(record)
    older = {k: v for k, v in data.items() if k not in ("evaluation_done", "minutes_spent")}
    assert isinstance(stored_record(older), StoredRecord)  # what the exports read is there
    for other in (
        data | {"credits": 0.25},  # a number, not the decimal text: validated
        data | {"score_percent": "85"},
        {k: v for k, v in data.items() if k != "status"},
    ):
        again = stored_record(other)
        assert isinstance(again, CreditRecord) and files([again]) == files([record])


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"awarded_at": "2026-11-22T09:30:00"}, "timezone"),  # a naive time
        ({"credits": "a lot"}, "credits"),
        ({"profile": {"name": "王晓梅"}}, "licence_number"),
    ],
)
def test_a_row_that_is_not_a_record_is_refused_with_what_is_wrong(change, words):
    data = as_the_ledger_stores_it(next(records(1))) | change
    with pytest.raises(ValidationError, match=words):
        stored_record(data)


def test_a_character_xml_forbids_in_a_stored_row_is_replaced_and_the_file_validates():
    data = as_the_ledger_stores_it(next(records(1)))
    data["profile"]["name"] = "王\x00晓梅"
    stored = stored_record(data)
    assert isinstance(stored, StoredRecord)
    xml = b"".join(iter_xml([stored], NOW))
    assert validate_xml(xml) == [] and "王\ufffd晓梅".encode() in xml
