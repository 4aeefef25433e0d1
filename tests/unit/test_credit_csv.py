"""The registration CSV: opens in a spreadsheet with Chinese intact and never runs a formula."""

import csv
import io
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from credit_export import (
    BOM,
    COLUMNS,
    FORMULA_STARTS,
    CreditRecord,
    LearnerProfile,
    iter_csv,
    revoke,
    safe_cell,
    write_csv,
)
from credit_export.csv_export import CHUNK_ROWS
from tests.support.figures import tally
from tests.unit.test_credit_rules import NOW, PROFILE, records

ENGLISH_HEADER = [
    "Name",
    "Licence number",
    "Professional title",
    "Institution",
    "Department",
    "Project number",
    "Project name",
    "Level",
    "Credit class",
    "Credits",
    "Date",
    "Score",
    "Licence number on another account",
]


def read(text: str) -> list[list[str]]:
    assert text.startswith(BOM)
    return list(csv.reader(io.StringIO(text[len(BOM) :], newline="")))


def test_the_csv_has_a_bom_the_registration_columns_and_chinese_intact():
    rows = read("".join(iter_csv(records(3))))
    assert rows[0] == ENGLISH_HEADER
    assert rows[1] == [
        "王晓梅",
        "110440100001234",
        "intermediate",
        "青山镇卫生院",
        "全科",
        "2026-05-01-003",
        "Community management of hypertension and graded referral",
        "provincial",
        "I",
        "0.25",
        "2026-11-22",
        "85",
        "",
    ]
    assert len(rows) == 4


def test_the_bytes_a_spreadsheet_opens_start_with_the_utf8_bom():
    data = "".join(iter_csv(records(1))).encode("utf-8")
    assert data.startswith(b"\xef\xbb\xbf") and "王晓梅".encode() in data


def test_the_header_is_translated_by_the_adapters_gettext_or_a_map():
    chinese = {"Name": "姓名", "Licence number": "执业证书编号", "Credits": "学分"}
    rows = read("".join(iter_csv([], lambda s: chinese.get(s, s))))
    assert rows[0][:2] == ["姓名", "执业证书编号"] and rows[0][9] == "学分"
    rows = read("".join(iter_csv([], {"score": "成绩"})))
    assert rows[0][11] == "成绩" and rows[0][0] == "Name"
    assert [label for _, label in COLUMNS] == ENGLISH_HEADER


def test_an_export_with_no_records_is_a_valid_file_with_the_header_only():
    assert read("".join(iter_csv([]))) == [ENGLISH_HEADER]


def test_revoked_records_are_not_exported():
    first, second = records(2)
    rows = read("".join(iter_csv([first, revoke(second, "duplicate", "admin", NOW)])))
    assert [row[0] for row in rows[1:]] == ["王晓梅"] and len(rows) == 2


def test_half_credits_are_written_as_a_decimal_number():
    record = next(records(1)).model_copy(update={"credits": Decimal("0.50")})
    assert read("".join(iter_csv([record])))[1][9] == "0.5"


def test_the_date_is_the_day_in_the_cme_offices_zone():
    """00:30 in Beijing on 1 January is still 31 December in UTC: the credit year differs."""
    late = next(records(1)).model_copy(
        update={"awarded_at": datetime(2026, 12, 31, 16, 30, tzinfo=UTC)}
    )
    assert read("".join(iter_csv([late])))[1][10] == "2026-12-31"
    beijing = timezone(timedelta(hours=8))
    assert read("".join(iter_csv([late], zone=beijing)))[1][10] == "2027-01-01"


def test_write_csv_writes_the_same_file_to_a_stream_and_counts_the_rows(tmp_path):
    path = tmp_path / "credits.csv"
    first, second, third = records(3)
    items = [first, revoke(second, "duplicate", "admin", NOW), third]
    with path.open("w", encoding="utf-8", newline="") as out:
        assert write_csv(items, out) == 2
    assert path.read_bytes().decode("utf-8") == "".join(iter_csv(items))


@pytest.mark.parametrize(
    ("typed", "written"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1", "'+1"),
        ("-5", "'-5"),  # a minus in a text cell is never a number here
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\r=1", "'\r=1"),
        ("＝1+1", "'＝1+1"),  # full-width, as a Chinese input method types it
        ("－1", "'－1"),
        ("  =1", "'  =1"),  # leading blanks, even the ideographic one
        ("\u3000＋1", "'\u3000＋1"),
        ("Dr Li", "Dr Li"),
        ("王=1", "王=1"),
        ("", ""),
    ],
)
def test_safe_cell_guards_exactly_the_cells_that_could_start_a_formula(typed, written):
    assert safe_cell(typed) == written


def _guarded(cell: str) -> bool:
    return cell.startswith("'") or cell.lstrip()[:1] not in FORMULA_STARTS


ANY_TEXT = st.text(min_size=1, max_size=30)


@settings(max_examples=150, deadline=None)
@given(
    st.fixed_dictionaries(
        {
            "name": ANY_TEXT,
            "licence_number": ANY_TEXT,
            "title": ANY_TEXT,
            "institution": ANY_TEXT,
            "department": ANY_TEXT,
            "discipline": ANY_TEXT,
            "tier": ANY_TEXT,
        }
    ),
    st.fixed_dictionaries(
        {
            "project_number": ANY_TEXT,
            "activity_name": ANY_TEXT,
            "level": ANY_TEXT,
            "credit_class": ANY_TEXT,
        }
    ),
)
def test_no_csv_cell_ever_starts_a_formula_whatever_any_text_field_holds(profile, activity):
    """Every text field of the record, even data that never went through validation."""
    base = next(records(1))
    record = CreditRecord.model_construct(
        **(base.__dict__ | activity | {"profile": LearnerProfile.model_construct(**profile)})
    )
    rows = read("".join(iter_csv([record])))
    assert len(rows) == 2
    tally("csv.cells_checked", len(rows[1]))
    for cell in rows[1]:
        assert _guarded(cell), rows[1]


@given(st.text(min_size=1, max_size=40))
def test_a_learners_typed_name_reaches_the_file_unchanged_or_guarded(name):
    try:
        profile = LearnerProfile.model_validate(PROFILE.model_dump() | {"name": name})
    except ValueError:
        return  # refused at the form: nothing to export
    record = next(records(1)).model_copy(update={"profile": profile})
    cell = read("".join(iter_csv([record])))[1][0]
    assert cell in (profile.name, "'" + profile.name)
    assert _guarded(cell)


def test_the_export_streams_in_chunks_and_never_holds_every_row():
    chunks = iter_csv(records(2 * CHUNK_ROWS + 10))
    first = next(chunks)
    assert first.count("\n") == CHUNK_ROWS + 1  # the header and the first chunk of rows
    rest = list(chunks)
    assert [chunk.count("\n") for chunk in rest] == [CHUNK_ROWS, 10]


def test_title_and_level_cells_are_written_in_the_files_language():
    chinese = {"Name": "姓名", "intermediate": "中级", "provincial": "省级"}

    def gettext(text: str) -> str:
        return chinese.get(text, text)

    rows = read("".join(iter_csv(records(1), gettext, values=gettext)))
    assert rows[0][0] == "姓名"
    assert (rows[1][2], rows[1][7]) == ("中级", "省级")
    by_code = read("".join(iter_csv(records(1), values={"intermediate": "=中级"})))
    assert by_code[1][2] == "'=中级"  # a translation is a cell like any other: guarded
    out = io.StringIO(newline="")
    write_csv(records(1), out, gettext, values=gettext)
    assert read(out.getvalue())[1][7] == "省级"


def test_a_csv_in_chinese_carries_the_activitys_chinese_name_and_in_english_its_english_one():
    from credit_export.stored import as_stored, stored_record

    chinese = read("".join(iter_csv(records(1), language="zh-CN")))
    english = read("".join(iter_csv(records(1), language="en")))
    stored = [stored_record(r.model_dump(mode="json")) for r in records(1)]
    assert chinese[1][6] == "高血压社区管理与分级转诊"
    assert english[1][6] == "Community management of hypertension and graded referral"
    assert read("".join(iter_csv(stored, language="zh-CN")))[1][6] == "高血压社区管理与分级转诊"
    assert as_stored(next(records(1))).activity_name_translations["zh-CN"] == chinese[1][6]


def test_a_licence_number_on_two_accounts_is_flagged_and_the_export_says_so():
    from credit_export.licences import shared_licences

    first, second, third = records(3)
    other = third.model_copy(
        update={"profile": third.profile.model_copy(update={"licence_number": "220440100005678"})}
    )
    shared = shared_licences([first, second, other])
    assert shared == {("2026-05-01-003", "110440100001234"): ["learner-0", "learner-1"]}
    rows = read("".join(iter_csv([first, second, other], flagged=shared)))
    assert rows[0][-1] == "Licence number on another account"
    assert [row[-1] for row in rows[1:]] == ["yes", "yes", ""]
