"""Credit records as XML, written incrementally with lxml and validated against the XSD
shipped in `schemas/cme_credits.xsd`.

Characters that XML 1.0 forbids (control characters a learner may have pasted into a name)
are dropped; everything else, Chinese included, is written as it is.
"""

import io
import re
from collections.abc import Iterable, Iterator
from datetime import datetime
from functools import lru_cache
from importlib import resources

from lxml import etree

from .schema import CreditRecord

NAMESPACE = "https://consortium-cme.example.org/xml/cme-credits/1"
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
CHUNK_RECORDS = 500
NSMAP = {None: NAMESPACE}


def _clean(value: str) -> str:
    return _FORBIDDEN.sub("", value) if _FORBIDDEN.search(value) else value


_TAG = {
    name: f"{{{NAMESPACE}}}{name}"
    for name in (
        "credit",
        "learner",
        "name",
        "licence-number",
        "title",
        "institution",
        "department",
        "activity",
        "credits",
        "awarded",
        "score",
    )
}


def _credit(record: CreditRecord) -> etree._Element:
    sub = etree.SubElement
    credit = etree.Element(_TAG["credit"], nsmap=NSMAP)
    learner = sub(credit, _TAG["learner"])
    profile = record.profile
    sub(learner, _TAG["name"]).text = _clean(profile.name)
    sub(learner, _TAG["licence-number"]).text = _clean(profile.licence_number)
    sub(learner, _TAG["title"]).text = profile.title
    sub(learner, _TAG["institution"]).text = _clean(profile.institution)
    sub(learner, _TAG["department"]).text = _clean(profile.department)
    activity = sub(
        credit,
        _TAG["activity"],
        {
            "project-number": _clean(record.project_number),
            "level": record.level,
            "class": record.credit_class,
        },
    )
    sub(activity, _TAG["name"]).text = _clean(record.activity_name)
    sub(credit, _TAG["credits"]).text = format(record.credits.normalize(), "f")
    sub(credit, _TAG["awarded"]).text = record.awarded_at.date().isoformat()
    sub(credit, _TAG["score"]).text = str(record.score_percent)
    return credit


def iter_xml(records: Iterable[CreditRecord], generated: datetime) -> Iterator[bytes]:
    """The document in chunks, constant memory: awarded records only."""
    buffer = io.BytesIO()
    with etree.xmlfile(buffer, encoding="utf-8") as out:
        out.write_declaration()
        with out.element(
            f"{{{NAMESPACE}}}cme-credits",
            {"generated": generated.isoformat()},
            nsmap={None: NAMESPACE},
        ):
            count = 0
            for record in records:
                if record.status != "awarded":
                    continue
                out.write(_credit(record))
                count += 1
                if count % CHUNK_RECORDS == 0:
                    out.flush()
                    yield buffer.getvalue()
                    buffer.seek(0)
                    buffer.truncate()
    yield buffer.getvalue()


@lru_cache(maxsize=1)
def _schema() -> etree.XMLSchema:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    source = resources.files("credit_export").joinpath("schemas", "cme_credits.xsd").read_bytes()
    return etree.XMLSchema(etree.fromstring(source, parser))


def validate_xml(data: bytes) -> list[str]:
    """The problems of an export against the XSD, one line each (empty: valid)."""
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True
    )
    schema = _schema()
    document = etree.fromstring(data, parser)
    if schema.validate(document):
        return []
    return [f"line {e.line}: {e.message}" for e in schema.error_log]
