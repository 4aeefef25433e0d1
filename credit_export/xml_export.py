"""Credit records as XML, written incrementally with lxml's `xmlfile` and valid against the
XSD shipped in `schemas/cme_credits.xsd` (namespace `NAMESPACE`).

```xml
<cme-credits xmlns="https://consortium-cme.example.org/xml/cme-credits/1"
             generated="2026-11-22T10:00:00+00:00">
  <credit>
    <learner><name>王晓梅</name><licence-number>110440100001234</licence-number>
      <title>intermediate</title><institution>青山镇卫生院</institution>
      <department>全科</department></learner>
    <activity><project-number>2026-05-01-003</project-number>
      <name>Community management of hypertension and graded referral</name>
      <level>provincial</level><class>I</class></activity>
    <credits>1</credits><awarded>2026-11-22</awarded><score>85</score>
  </credit>
</cme-credits>
```

Awarded records only. Streaming: one `<credit>` element is built once and refilled for each
record (building elements and setting attributes is what costs, so values are element text),
serialized into a small buffer that is yielded every `CHUNK_RECORDS` records; memory stays
flat whatever the number of records. A credit whose licence number another account's credit
of the same activity carries has `licence-shared="true"` (the CME office checks it first).

Characters that XML 1.0 forbids (C0 controls but tab/newline/CR, lone surrogates, U+FFFE,
U+FFFF) never reach a validated record: the schema drops them from what people type. Should
one arrive anyway (a record built without validation), it is *replaced* by U+FFFD in the
export, so the file stays well-formed and shows that something was there.

`validate_xml` checks a file or bytes against the XSD while parsing (entities, DTDs and the
network off), in constant memory. `write_valid_xml` is what every export hands over: the
document written to a file, then validated as a whole in a stream; an export that does not
validate is an error (`CreditError("xml_export_invalid")`), never a silent file.
"""

import io
import os
import re
from collections.abc import Callable, Collection, Iterable, Iterator
from datetime import UTC, datetime, tzinfo
from functools import lru_cache
from importlib import resources
from typing import IO

from lxml import etree

from .messages import CreditError
from .schema import activity_name_in
from .stored import ExportRecord, StoredRecord, as_stored

NAMESPACE = "https://consortium-cme.example.org/xml/cme-credits/1"
CHUNK_RECORDS = 500
NSMAP = {None: NAMESPACE}
NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(value: str) -> str:
    """`value` with every character XML 1.0 cannot carry replaced by U+FFFD."""
    return NOT_XML.sub("\ufffd", value)


def _tag(name: str) -> str:
    return f"{{{NAMESPACE}}}{name}"


def _credit_filler(
    zone: tzinfo, language: str | None = None, flagged: Collection[tuple[str, str]] = ()
) -> Callable[[ExportRecord], etree._Element]:
    """A function that refills one `<credit>` element, built once, with a record's values."""
    sub = etree.SubElement
    credit = etree.Element(_tag("credit"), nsmap=NSMAP)
    learner = sub(credit, _tag("learner"))
    name, licence, title, institution, department = (
        sub(learner, _tag(tag))
        for tag in ("name", "licence-number", "title", "institution", "department")
    )
    activity = sub(credit, _tag("activity"))
    number, activity_name, level, credit_class = (
        sub(activity, _tag(tag)) for tag in ("project-number", "name", "level", "class")
    )
    credits_element, awarded, score = (
        sub(credit, _tag(tag)) for tag in ("credits", "awarded", "score")
    )
    credit.tail = "\n"  # one record per line: readable, and a validator's line is a record
    credits_text: dict = {}  # a few distinct values: format each once

    def fill(record: ExportRecord) -> etree._Element:
        profile = record.profile
        name.text = profile.name
        licence.text = profile.licence_number
        title.text = profile.title
        institution.text = profile.institution
        department.text = profile.department
        number.text = record.project_number
        activity_name.text = activity_name_in(record, language)
        level.text = record.level
        credit_class.text = record.credit_class
        credits = record.credits
        text = credits_text.get(credits)
        if text is None:
            text = credits_text[credits] = format(credits.normalize(), "f")
        credits_element.text = text
        at = record.awarded_at
        if at.tzinfo is not zone:
            at = at.astimezone(zone)
        awarded.text = at.date().isoformat()
        score.text = str(record.score_percent)
        if (record.project_number, profile.licence_number) in flagged:
            credit.set("licence-shared", "true")
        else:
            credit.attrib.pop("licence-shared", None)
        return credit

    return fill


PROFILE_TEXTS = ("name", "licence_number", "title", "institution", "department")
RECORD_TEXTS = ("project_number", "activity_name", "level", "credit_class")


def _xml_safe(record: ExportRecord) -> StoredRecord:
    """The record with xml_text applied to every text (the rare path, see the module)."""
    stored = as_stored(record)
    profile = stored.profile
    safe_profile = profile._replace(
        **{key: xml_text(getattr(profile, key)) for key in PROFILE_TEXTS}
    )
    update = {key: xml_text(getattr(stored, key)) for key in RECORD_TEXTS}
    names = {tag: xml_text(name) for tag, name in stored.activity_name_translations.items()}
    return stored._replace(**update, profile=safe_profile, activity_name_translations=names)


def iter_xml(
    records: Iterable[ExportRecord],
    generated: datetime | None = None,
    *,
    zone: tzinfo = UTC,
    language: str | None = None,
    flagged: Collection[tuple[str, str]] = (),
) -> Iterator[bytes]:
    """The document in chunks of UTF-8 bytes, awarded records only. `generated` (default:
    now, UTC) is stamped on the root; `awarded` dates are days in `zone`; `language` picks the
    activity's name in that language; a credit whose (project, licence number) is in
    `flagged` (`licences.shared_licences`) gets licence-shared="true". An export without
    records is a valid document with an empty root."""
    generated = generated or datetime.now(UTC)
    buffer = io.BytesIO()
    fill = _credit_filler(zone, language, flagged)
    with etree.xmlfile(buffer, encoding="utf-8") as out:
        out.write_declaration()
        with out.element(_tag("cme-credits"), {"generated": generated.isoformat()}, nsmap=NSMAP):
            out.write("\n")
            count = 0
            write = out.write
            for record in records:
                if record.status != "awarded":
                    continue
                try:
                    element = fill(record)
                except ValueError:  # lxml refuses a character XML cannot carry
                    element = fill(_xml_safe(record))
                write(element)
                count += 1
                if count % CHUNK_RECORDS == 0:
                    out.flush()
                    yield buffer.getvalue()
                    buffer.seek(0)
                    buffer.truncate()
    yield buffer.getvalue()


def _parser_options() -> dict:
    return {"resolve_entities": False, "no_network": True, "load_dtd": False}


@lru_cache(maxsize=1)
def schema() -> etree.XMLSchema:
    """The shipped XSD, parsed once."""
    parser = etree.XMLParser(**_parser_options())
    source = resources.files("credit_export").joinpath("schemas", "cme_credits.xsd").read_bytes()
    return etree.XMLSchema(etree.fromstring(source, parser))


#: Up to this size, an invalid document is parsed once more, whole, to name lines.
LOCATE_LIMIT = 50_000_000


def _stream_problem(source: str | os.PathLike | IO[bytes]) -> str | None:
    """The first problem, parsing in a stream and forgetting each checked `<credit>`."""
    events = etree.iterparse(
        source,
        events=("end",),
        tag=_tag("credit"),
        schema=schema(),
        huge_tree=True,
        **_parser_options(),
    )
    try:
        for _event, element in events:
            element.clear(keep_tail=False)
            while element.getprevious() is not None:
                del element.getparent()[0]
    except etree.XMLSyntaxError as exc:
        return f"line {exc.lineno}: {exc.msg}" if exc.lineno else exc.msg
    docinfo = events.root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        return "line 1: a credit export has no DOCTYPE (entities are never expanded)"
    return None


def _located_problems(data: bytes) -> list[str]:
    """Every schema problem with its line (the streaming check cannot tell lines)."""
    try:
        document = etree.fromstring(data, etree.XMLParser(huge_tree=True, **_parser_options()))
    except etree.XMLSyntaxError as exc:
        return [f"line {exc.lineno}: {exc.msg}"]
    validator = schema()
    try:
        if validator.validate(document):
            return []
    except etree.XMLSchemaValidateError:  # e.g. an unexpanded entity: keep the stream's word
        return []
    return [f"line {error.line}: {error.message}" for error in validator.error_log]


def validate_xml(data_or_path: bytes | str | os.PathLike | IO[bytes]) -> list[str]:
    """The problems of an export against the XSD, "line N: message" each (empty: valid).

    Accepts the document's bytes, a path to it, or a binary file object. A valid document is
    checked in a stream that forgets each `<credit>` once checked: constant memory whatever
    its size. An invalid one of up to `LOCATE_LIMIT` bytes is read once more, whole, so that
    every problem is reported with its line (one `<credit>` per line in our exports). A
    DOCTYPE is a problem: entities are never expanded, and our exports have none.
    """
    data: bytes | None = None
    if isinstance(data_or_path, bytes | bytearray | memoryview):
        data = bytes(data_or_path)
        problem = _stream_problem(io.BytesIO(data))
    elif isinstance(data_or_path, str | os.PathLike):
        problem = _stream_problem(data_or_path)
        if problem and os.path.getsize(data_or_path) <= LOCATE_LIMIT:
            with open(data_or_path, "rb") as handle:
                data = handle.read()
    else:
        start = data_or_path.tell() if data_or_path.seekable() else None
        problem = _stream_problem(data_or_path)
        if problem and start is not None:
            data_or_path.seek(start)
            data = data_or_path.read(LOCATE_LIMIT + 1)
    if problem is None:
        return []
    if data is not None and len(data) <= LOCATE_LIMIT:
        return _located_problems(data) or [problem]
    return [problem]


def write_valid_xml(
    records: Iterable[ExportRecord],
    target: IO[bytes],
    generated: datetime | None = None,
    *,
    zone: tzinfo = UTC,
    language: str | None = None,
    flagged: Collection[tuple[str, str]] = (),
) -> None:
    """Write the export (`iter_xml`) into `target`, a seekable binary file (a temporary file,
    or the output file before it is put in place), and validate it against the XSD.

    Constant memory: written in chunks, validated in a stream. When the file is valid it is
    left positioned at its start, ready to hand over; when not, `CreditError
    ("xml_export_invalid", problem="line N: ...", count=N)` and the caller hands nothing over.
    """
    start = target.tell()
    for chunk in iter_xml(records, generated, zone=zone, language=language, flagged=flagged):
        target.write(chunk)
    target.flush()
    target.seek(start)
    problems = validate_xml(target)
    if problems:
        raise CreditError("xml_export_invalid", problem=problems[0], count=len(problems))
    target.seek(start)
