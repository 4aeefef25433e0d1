"""Credit records as CSV for the provincial CME platforms' spreadsheet upload.

Streaming: rows are written in chunks to a small buffer and yielded, so memory stays flat
whatever the number of records. UTF-8 with a byte-order mark, so that spreadsheet software
shows Chinese; every text cell that a spreadsheet would read as a formula is prefixed with a
single quote (OWASP CSV injection).
"""

import csv
import io
from collections.abc import Callable, Iterable, Iterator

from .messages import N_
from .schema import CreditRecord

BOM = "\ufeff"
CHUNK_ROWS = 500

#: Columns as the registration forms have them.
COLUMNS = (
    ("name", N_("Name")),
    ("licence_number", N_("Licence number")),
    ("title", N_("Professional title")),
    ("institution", N_("Institution")),
    ("department", N_("Department")),
    ("project_number", N_("Project number")),
    ("project_name", N_("Project name")),
    ("level", N_("Level")),
    ("credit_class", N_("Credit class")),
    ("credits", N_("Credits")),
    ("date", N_("Date")),
    ("score", N_("Score")),
)
#: What a spreadsheet treats as the start of a formula, full-width forms included.
FORMULA_STARTS = frozenset("=+-@\t\r\n\0＝＋－＠")


def safe_cell(value: str) -> str:
    """A text cell that no spreadsheet evaluates."""
    if value and (value[0] in FORMULA_STARTS or value.lstrip()[:1] in FORMULA_STARTS):
        return "'" + value
    return value


def record_row(record: CreditRecord) -> list[str]:
    profile = record.profile
    return [
        safe_cell(profile.name),
        safe_cell(profile.licence_number),
        profile.title,
        safe_cell(profile.institution),
        safe_cell(profile.department),
        safe_cell(record.project_number),
        safe_cell(record.activity_name),
        record.level,
        record.credit_class,
        format(record.credits.normalize(), "f"),
        record.awarded_at.date().isoformat(),
        str(record.score_percent),
    ]


def iter_csv(
    records: Iterable[CreditRecord], translate: Callable[[str], str] = lambda s: s
) -> Iterator[str]:
    """The file in chunks: BOM and header first, then the awarded (not revoked) records."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write(BOM)
    writer.writerow([safe_cell(translate(label)) for _, label in COLUMNS])
    rows = 0
    for record in records:
        if record.status != "awarded":
            continue
        writer.writerow(record_row(record))
        rows += 1
        if rows % CHUNK_ROWS == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
