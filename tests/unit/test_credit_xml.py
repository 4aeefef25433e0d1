"""The XML export validates against the shipped XSD, whatever learners typed."""

import io
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree
from pydantic import ValidationError

from credit_export import CreditRecord, LearnerProfile, iter_xml, revoke, validate_xml
from credit_export.xml_export import CHUNK_RECORDS, NAMESPACE
from tests.unit.test_credit_rules import NOW, PROFILE, records

GENERATED = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
NS = {"c": NAMESPACE}


def export(items) -> bytes:
    return b"".join(iter_xml(items, GENERATED))


def parse(data: bytes) -> etree._Element:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    return etree.fromstring(data, parser)


def test_an_export_validates_and_carries_every_registration_field_in_chinese():
    data = export(records(3))
    assert validate_xml(data) == []
    root = parse(data)
    assert root.get("generated") == GENERATED.isoformat()
    credits = root.findall("c:credit", NS)
    assert len(credits) == 3
    first = credits[0]
    assert first.findtext("c:learner/c:name", namespaces=NS) == "王晓梅"
    assert first.findtext("c:learner/c:institution", namespaces=NS) == "青山镇卫生院"
    assert first.findtext("c:activity/c:project-number", namespaces=NS) == "2026-05-01-003"
    assert first.findtext("c:activity/c:class", namespaces=NS) == "I"
    assert [
        first.findtext(f"c:{tag}", namespaces=NS) for tag in ("credits", "awarded", "score")
    ] == [
        "0.25",
        "2026-11-22",
        "85",
    ]


def test_an_export_with_no_records_is_a_valid_document_with_an_empty_root():
    data = export([])
    assert validate_xml(data) == []
    assert len(parse(data)) == 0


def test_revoked_credits_are_left_out():
    first, second = records(2)
    data = export([first, revoke(second, "duplicate", "admin", NOW)])
    assert validate_xml(data) == [] and len(parse(data).findall("c:credit", NS)) == 1


def test_the_validator_names_the_line_and_what_is_wrong():
    """One record per line: the line of a problem is the record's (header on lines 1-2)."""
    lines = export(records(5)).split(b"\n")
    lines[4] = lines[4].replace(b"<score>85</score>", b"<score>850</score>")
    lines[6] = lines[6].replace(b"<awarded>2026-11-22</awarded>", b"")
    problems = validate_xml(b"\n".join(lines))
    assert len(problems) == 2
    assert problems[0].startswith("line 5: ") and "850" in problems[0] and "100" in problems[0]
    assert problems[1].startswith("line 7: ") and "awarded" in problems[1]
    assert validate_xml(b"<cme-credits")[0].startswith("line 1: ")  # not even well-formed
    assert "other" in validate_xml(b"<other/>")[0]


def test_the_validator_reads_a_path_or_a_file(tmp_path):
    path = tmp_path / "credits.xml"
    path.write_bytes(export(records(2)))
    assert validate_xml(path) == [] and validate_xml(str(path)) == []
    with path.open("rb") as handle:
        assert validate_xml(handle) == []


def test_the_validator_never_expands_entities_or_reaches_out(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("licence 110440100001234")
    hostile = (
        f'<!DOCTYPE cme-credits [<!ENTITY x SYSTEM "file://{secret}">]>'
        f'<cme-credits xmlns="{NAMESPACE}" generated="2026-11-22T10:00:00+00:00">&x;</cme-credits>'
    ).encode()
    problems = validate_xml(hostile)
    assert problems and "DOCTYPE" in problems[0]
    assert not any("110440100001234" in p for p in problems)


def test_half_credits_and_a_zone_for_the_award_day():
    record = next(records(1)).model_copy(
        update={"credits": Decimal("0.5"), "awarded_at": datetime(2026, 12, 31, 17, 0, tzinfo=UTC)}
    )
    data = b"".join(iter_xml([record], GENERATED, zone=timezone(timedelta(hours=8))))
    assert validate_xml(data) == []
    credit = parse(data).find("c:credit", NS)
    assert credit.findtext("c:credits", namespaces=NS) == "0.5"
    assert credit.findtext("c:awarded", namespaces=NS) == "2027-01-01"


@settings(max_examples=80, deadline=None)
@given(
    st.text(min_size=1, max_size=60),
    st.text(min_size=1, max_size=60),
    st.text(min_size=1, max_size=60),
    st.text(min_size=1, max_size=60),
)
def test_every_export_validates_whatever_a_learner_typed(name, institution, department, course):
    """Through the form: what the schema accepts, the XSD accepts (Chinese, emoji, anything)."""
    try:
        profile = LearnerProfile.model_validate(
            PROFILE.model_dump()
            | {"name": name, "institution": institution, "department": department}
        )
        record = CreditRecord.model_validate(
            next(records(1)).model_dump() | {"profile": profile, "activity_name": course}
        )
    except ValidationError:
        return  # refused at the form: nothing to export
    data = export([record])
    assert validate_xml(data) == [], data
    assert parse(data).findtext("c:credit/c:learner/c:name", namespaces=NS) == profile.name


FORBIDDEN = st.sampled_from(["\x00", "\x01", "\x08", "\x0b", "\x1f", "\ufffe", "\uffff", "\ud800"])
RAW_TEXT = st.lists(st.one_of(st.characters(), FORBIDDEN), min_size=1, max_size=40).map("".join)


@settings(max_examples=80, deadline=None)
@given(RAW_TEXT, RAW_TEXT, RAW_TEXT, RAW_TEXT, RAW_TEXT)
def test_characters_xml_forbids_are_replaced_even_in_records_never_validated(
    name, institution, department, course, project
):
    """A record built without validation (e.g. read back from an old table) with control
    characters and lone surrogates in every text field still exports a valid document."""
    base = next(records(1))
    profile = LearnerProfile.model_construct(
        **(PROFILE.__dict__ | {"name": name, "institution": institution, "department": department})
    )
    record = CreditRecord.model_construct(
        **(
            base.__dict__
            | {"profile": profile, "activity_name": course, "project_number": project[:40]}
        )
    )
    data = export([base, record, base])
    assert validate_xml(data) == [], data
    names = parse(data).findall("c:credit/c:learner/c:name", NS)
    assert [n.text for n in names][0::2] == ["王晓梅", "王晓梅"]  # records after it unharmed
    assert "\x00" not in names[1].text and len(names[1].text) == len(name)


def test_the_export_streams_in_chunks():
    chunks = iter_xml(records(2 * CHUNK_RECORDS + 7), GENERATED)
    first = next(chunks)
    assert first.count(b"<learner>") == CHUNK_RECORDS
    rest = [chunk.count(b"<learner>") for chunk in chunks]
    assert rest == [CHUNK_RECORDS, 7]


def test_a_huge_export_is_validated_without_holding_it(tmp_path):
    path = tmp_path / "big.xml"
    with path.open("wb") as out:
        for chunk in iter_xml(records(3000), GENERATED):
            out.write(chunk)
    assert validate_xml(io.BytesIO(path.read_bytes())) == []


def test_write_valid_xml_hands_over_a_validated_file_or_refuses(monkeypatch):
    import pytest

    from credit_export import CreditError, write_valid_xml, xml_export

    handle = io.BytesIO()
    write_valid_xml(records(2), handle, GENERATED)
    assert handle.tell() == 0 and validate_xml(handle.read()) == []

    # The shipped XSD as a province might tighten it: the 15-digit licence number fails.
    strict = etree.XMLSchema(etree.fromstring(_stricter_xsd()))
    monkeypatch.setattr(xml_export, "schema", lambda: strict)
    with pytest.raises(CreditError) as refused:
        write_valid_xml(records(2), io.BytesIO(), GENERATED)
    assert refused.value.code == "xml_export_invalid" and refused.value.params["count"] == 2
    assert refused.value.params["problem"].startswith("line 3:")


def _stricter_xsd() -> bytes:
    from importlib import resources

    source = resources.files("credit_export").joinpath("schemas", "cme_credits.xsd").read_bytes()
    return source.replace(b"[A-Z0-9]{6,30}", b"[0-9]{6,8}")


def test_an_export_in_chinese_names_the_activity_in_chinese():
    data = b"".join(iter_xml(records(1), GENERATED, language="zh-CN"))
    assert validate_xml(data) == []
    credit = parse(data).find("c:credit", NS)
    assert credit.findtext("c:activity/c:name", namespaces=NS) == "高血压社区管理与分级转诊"


def test_a_credit_whose_licence_another_account_shares_is_flagged_and_still_valid():
    from credit_export.licences import shared_licences

    items = list(records(2))
    data = b"".join(iter_xml(items, GENERATED, flagged=shared_licences(items)))
    assert validate_xml(data) == []
    flags = [c.get("licence-shared") for c in parse(data).findall("c:credit", NS)]
    assert flags == ["true", "true"]
    assert parse(export(records(1))).find("c:credit", NS).get("licence-shared") is None
