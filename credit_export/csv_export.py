"""Credit records as CSV for the provincial CME platforms' spreadsheet upload.

- Streaming: rows go through `csv.writer` into a small buffer that is yielded every
  `CHUNK_ROWS` rows, so memory stays flat whatever the number of records.
- UTF-8 with a byte-order mark first, so that spreadsheet software shows Chinese.
- Columns as the registration forms have them; the header labels are English templates
  (marked N_) that the adapter translates (`labels`: gettext, or a dict column -> label).
- The professional title and the level are written as display names in the file's language
  (`values`: gettext over `VALUE_NAMES`, or a dict code -> name), never as raw codes under a
  Chinese header ("中级", "省级", not "intermediate", "provincial"); without `values`, the
  English names (which are the codes).
- Awarded records only: a revoked credit is never registered.
- Formula injection (OWASP): every text cell whose first character, or first character after
  leading white space, is `=`, `+`, `-`, `@`, tab, CR, LF or NUL, or the full-width `＝`,
  `＋`, `－`, `＠` that a Chinese input method types, is prefixed with a single quote.
  Every cell taken from a record is guarded, whatever field it comes from.
- Numbers are not user text and are written as they are: credits are positive decimals
  ("0.5"), the score an integer 0-100, the date YYYY-MM-DD, so none can start with a trigger.
  A negative number can only reach the file as text a person typed (a name "-5"), and that is
  guarded ("'-5"): in this file a leading minus is never a number.
- Dates are days in `zone` (UTC unless given): pass the CME office's zone (Asia/Shanghai) so an
  award at 01:00 Beijing time on 1 January counts in the new year.
"""

import csv
import io
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, tzinfo
from itertools import islice
from typing import TextIO

from .messages import N_
from .stored import ExportRecord

BOM = "\ufeff"
CHUNK_ROWS = 500

#: Columns as the registration forms have them: (key, English label).
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
#: Display names of the coded cells (title, level): English templates, translated by `values`.
VALUE_NAMES = {
    "junior": N_("junior"),
    "intermediate": N_("intermediate"),
    "senior": N_("senior"),
    "national": N_("national"),
    "provincial": N_("provincial"),
    "municipal": N_("municipal"),
    "hospital": N_("hospital"),
}
#: What a spreadsheet treats as the start of a formula, full-width forms included.
FORMULA_STARTS = frozenset("=+-@\t\r\n\0＝＋－＠")

Labels = Callable[[str], str] | Mapping[str, str] | None


def safe_cell(value: str) -> str:
    """A text cell that no spreadsheet evaluates: prefixed with ' when it could start one."""
    if value and (
        value[0] in FORMULA_STARTS or (value[0].isspace() and value.lstrip()[:1] in FORMULA_STARTS)
    ):
        return "'" + value
    return value


def header(labels: Labels = None) -> list[str]:
    """The header row: English, translated by a gettext callable, or from a key -> label map."""
    if labels is None:
        texts = [label for _, label in COLUMNS]
    elif callable(labels):
        texts = [labels(label) for _, label in COLUMNS]
    else:
        texts = [labels.get(key, label) for key, label in COLUMNS]
    return [safe_cell(text) for text in texts]


def value_names(values: Labels = None) -> dict[str, str]:
    """Code -> display name of the coded cells, in the file's language (formula-guarded)."""
    if values is None:
        names = dict(VALUE_NAMES)
    elif callable(values):
        names = {code: values(name) for code, name in VALUE_NAMES.items()}
    else:
        names = {code: values.get(code, name) for code, name in VALUE_NAMES.items()}
    return {code: safe_cell(name) for code, name in names.items()}


def _rows(
    records: Iterable[ExportRecord], zone: tzinfo, values: Labels = None
) -> Iterator[list[str]]:
    """One row per awarded record; per-row work kept to attribute reads and the guard."""
    cell = safe_cell
    names = value_names(values)
    credits_text: dict = {}  # a few distinct values: format each once
    for record in records:
        if record.status != "awarded":
            continue
        profile = record.profile
        credits = record.credits
        text = credits_text.get(credits)
        if text is None:
            text = credits_text[credits] = format(credits.normalize(), "f")
        at = record.awarded_at
        if at.tzinfo is not zone:
            at = at.astimezone(zone)
        yield [
            cell(profile.name),
            cell(profile.licence_number),
            names.get(profile.title) or cell(profile.title),
            cell(profile.institution),
            cell(profile.department),
            cell(record.project_number),
            cell(record.activity_name),
            names.get(record.level) or cell(record.level),
            cell(record.credit_class),
            text,
            at.date().isoformat(),
            str(record.score_percent),
        ]


def iter_csv(
    records: Iterable[ExportRecord],
    labels: Labels = None,
    *,
    values: Labels = None,
    zone: tzinfo = UTC,
) -> Iterator[str]:
    """The file in chunks of text: BOM and header first, then the awarded records. An empty
    export is the header alone (a valid file). `labels` translate the header, `values` the
    title and level cells (pass the same gettext for both: one language per file)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write(BOM)
    writer.writerow(header(labels))
    rows = _rows(records, zone, values)
    while True:
        writer.writerows(islice(rows, CHUNK_ROWS))
        chunk = buffer.getvalue()
        if not chunk:
            return
        yield chunk
        buffer.seek(0)
        buffer.truncate()


def write_csv(
    records: Iterable[ExportRecord],
    out: TextIO,
    labels: Labels = None,
    *,
    values: Labels = None,
    zone: tzinfo = UTC,
) -> int:
    """Write the file to a text stream (open it with newline=""); returns the rows written."""
    out.write(BOM)
    writer = csv.writer(out)
    writer.writerow(header(labels))
    count = 0
    for row in _rows(records, zone, values):
        writer.writerow(row)
        count += 1
    return count
