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
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from datetime import UTC, tzinfo
from decimal import Decimal
from itertools import islice
from typing import TextIO

from .annual import LEVELS, AnnualSummary
from .messages import N_
from .schema import activity_name_in
from .stored import ExportRecord, StoredProfile

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
    ("licence_shared", N_("Licence number on another account")),
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
    "primary": N_("primary care"),
    "secondary": N_("secondary hospital"),
    "tertiary": N_("tertiary hospital"),
    "yes": N_("yes"),
    "no": N_("no"),
}
#: The annual summary's columns, one row per learner and year (`iter_summary_csv`).
SUMMARY_COLUMNS = (
    ("name", N_("Name")),
    ("licence_number", N_("Licence number")),
    ("title", N_("Professional title")),
    ("institution", N_("Institution")),
    ("tier", N_("Institution level")),
    ("year", N_("Year")),
    ("class_i", N_("Class I credits")),
    ("class_ii", N_("Class II credits")),
    ("national", N_("National-project credits")),
    ("provincial", N_("Provincial-project credits")),
    ("municipal", N_("Municipal-project credits")),
    ("hospital", N_("Hospital-level credits")),
    ("counted", N_("Credits counted")),
    ("required", N_("Credits required")),
    ("class_i_required", N_("Class I required")),
    ("class_ii_required", N_("Class II required")),
    ("met", N_("Annual requirement met")),
    ("national_years", N_("National-project years")),
    ("national_earned", N_("National-project credits in those years")),
    ("national_required", N_("National-project credits required")),
    ("national_met", N_("National-project requirement met")),
)
#: What a spreadsheet treats as the start of a formula, full-width forms included.
FORMULA_STARTS = frozenset("=+-@\t\r\n\0＝＋－＠")

Labels = Callable[[str], str] | Mapping[str, str] | None
#: An RFC 5646 tag ("zh-CN") picking the activity name's translation; None: as registered.
Language = str | None


def safe_cell(value: str) -> str:
    """A text cell that no spreadsheet evaluates: prefixed with ' when it could start one."""
    if value and (
        value[0] in FORMULA_STARTS or (value[0].isspace() and value.lstrip()[:1] in FORMULA_STARTS)
    ):
        return "'" + value
    return value


def header(labels: Labels = None, columns: tuple = COLUMNS) -> list[str]:
    """The header row: English, translated by a gettext callable, or from a key -> label map."""
    if labels is None:
        texts = [label for _, label in columns]
    elif callable(labels):
        texts = [labels(label) for _, label in columns]
    else:
        texts = [labels.get(key, label) for key, label in columns]
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
    records: Iterable[ExportRecord],
    zone: tzinfo,
    values: Labels = None,
    language: Language = None,
    flagged: Collection[tuple[str, str]] = (),
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
            cell(activity_name_in(record, language)),
            names.get(record.level) or cell(record.level),
            cell(record.credit_class),
            text,
            at.date().isoformat(),
            str(record.score_percent),
            names["yes"] if (record.project_number, profile.licence_number) in flagged else "",
        ]


def iter_csv(
    records: Iterable[ExportRecord],
    labels: Labels = None,
    *,
    values: Labels = None,
    zone: tzinfo = UTC,
    language: Language = None,
    flagged: Collection[tuple[str, str]] = (),
) -> Iterator[str]:
    """The file in chunks of text: BOM and header first, then the awarded records. An empty
    export is the header alone (a valid file). `labels` translate the header, `values` the
    title and level cells (pass the same gettext for both: one language per file);
    `language` (an RFC 5646 tag) picks the activity's name in the file's language; a row
    whose (project, licence number) is in `flagged` (`licences.shared_licences`) says so."""
    return _chunks(header(labels), _rows(records, zone, values, language, flagged))


def _chunks(first: list[str], rows: Iterator[list[str]]) -> Iterator[str]:
    """BOM and the header row, then the rows, as text in chunks of CHUNK_ROWS rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write(BOM)
    writer.writerow(first)
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
    language: Language = None,
    flagged: Collection[tuple[str, str]] = (),
) -> int:
    """Write the file to a text stream (open it with newline=""); returns the rows written."""
    out.write(BOM)
    writer = csv.writer(out)
    writer.writerow(header(labels))
    count = 0
    for row in _rows(records, zone, values, language, flagged):
        writer.writerow(row)
        count += 1
    return count


def _number(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _share(minimum: Decimal, maximum: Decimal | None) -> str:
    """A class's required range as a CME office writes it: "5-10", or "≥5" without a top."""
    return (
        f"{_number(minimum)}-{_number(maximum)}" if maximum is not None else f"≥{_number(minimum)}"
    )


def _summary_row(
    profile: StoredProfile, summary: AnnualSummary, names: dict[str, str]
) -> list[str]:
    cell = safe_cell
    national = summary.national
    requirement = summary.requirement
    return [
        cell(profile.name),
        cell(profile.licence_number),
        names.get(profile.title) or cell(profile.title),
        cell(profile.institution),
        names.get(profile.tier) or cell(profile.tier),
        str(summary.year),
        _number(summary.class_i.earned),
        _number(summary.class_ii.earned),
        *(_number(summary.by_level[level]) for level in LEVELS),
        _number(summary.counted),
        _number(requirement.total),
        _share(requirement.class_i.minimum, requirement.class_i.maximum),
        _share(requirement.class_ii.minimum, requirement.class_ii.maximum),
        names["yes" if summary.met else "no"],
        f"{national.first_year}-{national.last_year}" if national else "",
        _number(national.earned) if national else "",
        _number(national.required) if national else "",
        (names["yes" if national.met else "no"]) if national else "",
    ]


def iter_summary_csv(
    summaries: Iterable[tuple[StoredProfile, AnnualSummary]],
    labels: Labels = None,
    *,
    values: Labels = None,
) -> Iterator[str]:
    """The annual summary, one row per learner (`annual.learner_summaries`), as the CME
    office's yearly check reads it: BOM, header, rows; the national-project cells empty for a
    learner the multi-year requirement does not concern."""
    names = value_names(values)
    rows = (_summary_row(profile, summary, names) for profile, summary in summaries)
    return _chunks(header(labels, SUMMARY_COLUMNS), rows)
