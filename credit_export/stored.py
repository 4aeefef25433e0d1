"""Credit records as the ledger stored them, read back for the registration exports.

The ledger stores a record only as a validated `CreditRecord` serialized whole
(`model_dump(mode="json")`: every field present, text cleaned, numbers and dates checked). The
exports (CSV, XML) and the CME office's report read a dozen of its fields per row, for up to
100,000 rows; validating each row again costs about three times what writing the file costs
(some 40 µs a row), so these read `StoredRecord`s: light typed rows built straight from the
stored JSON, with the attributes the exporters read under the same names as `CreditRecord`'s
(`record.profile.name`, `record.credits`, ...).

Integrity: the values are those the ledger validated when it wrote the row (nothing else
writes the table; a revocation writes a validated record too). A row becomes a `StoredRecord`
only when every field the exports read is there in the form `CreditRecord` writes it (the
credits as decimal text, an aware ISO time, an integer score); any other row (an older
version's record, a hand edit) is validated as a `CreditRecord` instead, which gives the
validated record or a `ValidationError` saying what is wrong. The XML export is still
validated against its XSD as a whole before it is handed over.
"""

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple

from .schema import CreditRecord


class StoredProfile(NamedTuple):
    """The learner's profile as recorded with the award (`LearnerProfile`'s fields)."""

    name: str
    licence_number: str
    title: str
    institution: str
    tier: str
    department: str
    discipline: str


class StoredRecord(NamedTuple):
    """What the exports and the report read of a stored `CreditRecord`."""

    learner_id: str
    project_number: str
    activity_name: str
    level: str
    credit_class: str
    credits: Decimal
    awarded_at: datetime
    score_percent: int
    status: str
    profile: StoredProfile
    activity_name_translations: Mapping[str, str] = {}


#: What the exporters accept: a validated record, or a stored one read back.
ExportRecord = CreditRecord | StoredRecord


def stored_record(data: Mapping[str, Any]) -> ExportRecord:
    """A ledger row's `record` JSON as the exports read it (see the module)."""
    try:
        profile = data["profile"]
        awarded_at = datetime.fromisoformat(data["awarded_at"])
        score, credits = data["score_percent"], data["credits"]
        if awarded_at.tzinfo is None or type(score) is not int or type(credits) is not str:
            raise ValueError("not as CreditRecord writes it")
        return StoredRecord(
            data["learner_id"],
            data["project_number"],
            data["activity_name"],
            data["level"],
            data["credit_class"],
            Decimal(credits),
            awarded_at,
            score,
            data["status"],
            StoredProfile(
                profile["name"],
                profile["licence_number"],
                profile["title"],
                profile["institution"],
                profile["tier"],
                profile["department"],
                profile["discipline"],
            ),
            data.get("activity_name_translations") or {},
        )
    except (KeyError, TypeError, ValueError, AttributeError, InvalidOperation):
        return CreditRecord.model_validate(data)


def as_stored(record: ExportRecord) -> StoredRecord:
    """Either kind of record as a `StoredRecord` (to rewrite some of its texts)."""
    if isinstance(record, StoredRecord):
        return record
    profile = record.profile
    return StoredRecord(
        record.learner_id,
        record.project_number,
        record.activity_name,
        record.level,
        record.credit_class,
        record.credits,
        record.awarded_at,
        record.score_percent,
        record.status,
        StoredProfile(*(getattr(profile, field) for field in StoredProfile._fields)),
        record.activity_name_translations,
    )
