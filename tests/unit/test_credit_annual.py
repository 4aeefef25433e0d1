"""A learner's year of CME credits against the annual requirement: by class and level, the
classes not interchangeable, and 10 national-project credits in 5 years for tertiary staff."""

import csv
import io
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from credit_export import (
    BOM,
    CreditRecord,
    annual_summary,
    iter_summary_csv,
    learner_summaries,
    load_policy,
    revoke,
)
from tests.unit.test_credit_rules import PROFILE

NATIONAL = load_policy()
BEIJING = timezone(timedelta(hours=8))
AT = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
SERIAL = iter(range(10**6))


def credit(
    credits: str, credit_class: str = "II", level: str = "hospital", at: datetime = AT, **profile
) -> CreditRecord:
    return CreditRecord(
        learner_id=profile.pop("learner", "learner-1"),
        project_number=f"P-{next(SERIAL)}",
        activity_name="Activity",
        level=level,
        credit_class=credit_class,
        credits=Decimal(credits),
        awarded_at=at,
        score_percent=80,
        profile=PROFILE.model_copy(update=profile),
    )


def summary(*records, tier="primary", title="intermediate", policy=NATIONAL, year=2026):
    return annual_summary(records, policy, year, title=title, tier=tier, zone=BEIJING)


def test_25_credits_with_6_of_class_i_and_19_of_class_ii_meet_the_year():
    year = summary(credit("6", "I", "provincial"), credit("19"))
    assert (year.class_i.earned, year.class_ii.earned, year.counted) == (6, 19, 25)
    assert year.class_i.met and year.class_ii.met and year.met
    assert year.by_level == {"national": 0, "provincial": 6, "municipal": 0, "hospital": 19}


@pytest.mark.parametrize(
    ("class_i", "class_ii", "counted", "met"),
    [
        ("30", "0", "10", False),  # Class I never replaces Class II
        ("4", "25", "24", False),  # nor Class II Class I: 20 of it counts, and I is short
        ("12", "14", "24", False),  # 26 earned, but Class II is below 15
        ("12", "15", "25", True),  # Class I counts up to 10
        ("5", "15", "20", False),  # both minima, not the total
    ],
)
def test_the_classes_are_not_interchangeable(class_i, class_ii, counted, met):
    records = [credit(class_i, "I", "national")] + ([credit(class_ii)] if class_ii != "0" else [])
    year = summary(*records)
    assert year.counted == Decimal(counted) and year.met is met


@given(
    st.lists(
        st.tuples(
            st.decimals(min_value="0.25", max_value="25", places=2),
            st.sampled_from(["I", "II"]),
        ),
        max_size=12,
    )
)
def test_the_year_is_met_only_when_each_class_reaches_its_minimum_and_the_counted_total_25(
    awards,
):
    year = summary(*(credit(str(c), k, "national" if k == "I" else "hospital") for c, k in awards))
    class_i = sum((c for c, k in awards if k == "I"), Decimal(0))
    class_ii = sum((c for c, k in awards if k == "II"), Decimal(0))
    assert year.counted == min(class_i, 10) + min(class_ii, 20) <= class_i + class_ii
    assert year.met == (class_i >= 5 and class_ii >= 15 and year.counted >= 25)


def test_only_awarded_credits_of_the_year_in_the_offices_zone_count():
    revoked = revoke(credit("10"), "duplicate registration", "cme-office", AT)
    new_year = datetime(2025, 12, 31, 17, 0, tzinfo=UTC)  # 01:00 on 1 January in Beijing
    last_year = datetime(2025, 12, 31, 15, 0, tzinfo=UTC)  # 23:00 on 31 December
    year = summary(revoked, credit("2", at=new_year), credit("3", at=last_year))
    assert year.class_ii.earned == Decimal(2)


def test_tertiary_staff_also_need_10_national_project_credits_in_5_years():
    records = [
        credit("4", "I", "national", at=datetime(2022, 3, 1, tzinfo=UTC)),
        credit("5", "I", "national", at=datetime(2026, 3, 1, tzinfo=UTC)),
        credit("9", "I", "national", at=datetime(2021, 3, 1, tzinfo=UTC)),  # 6 years ago
        credit("8", "I", "provincial"),  # not national
    ]
    year = summary(*records, tier="tertiary")
    assert year.national is not None
    assert (year.national.first_year, year.national.last_year) == (2022, 2026)
    assert (year.national.earned, year.national.required, year.national.met) == (9, 10, False)
    assert summary(*records, credit("1", "I", "national"), tier="tertiary").national.met
    assert summary(*records, tier="primary").national is None


def test_a_province_may_ask_less_of_primary_care_staff():
    municipal = load_policy("municipal-class-i")
    records = (credit("3", "I", "municipal"), credit("12"))
    assert summary(*records, tier="primary", policy=municipal).met
    assert summary(*records, tier="primary", policy=municipal).requirement.total == 15
    assert not summary(*records, tier="secondary", policy=municipal).met


def test_the_summary_csv_has_one_row_per_learner_as_the_cme_office_checks_the_year():
    records = [
        credit("6", "I", "provincial", learner="a", name="=王晓梅"),
        credit("19", learner="a", name="=王晓梅"),
        credit("4", "I", "national", learner="b", name="李强", tier="tertiary", title="senior"),
        credit("2", learner="c", at=datetime(2024, 5, 1, tzinfo=UTC)),  # nothing this year
    ]
    text = "".join(iter_summary_csv(learner_summaries(records, NATIONAL, 2026, zone=BEIJING)))
    assert text.startswith(BOM)
    header, first, second = list(csv.reader(io.StringIO(text[1:])))
    assert header[:8] == [
        "Name",
        "Licence number",
        "Professional title",
        "Institution",
        "Institution level",
        "Year",
        "Class I credits",
        "Class II credits",
    ]
    row = dict(zip(header, first, strict=True))
    assert row["Name"] == "'=王晓梅"  # formula-guarded
    assert (row["Credits counted"], row["Credits required"]) == ("25", "25")
    assert (row["Class I required"], row["Class II required"]) == ("5-10", "15-20")
    assert row["Annual requirement met"] == "yes" and row["National-project years"] == ""
    row = dict(zip(header, second, strict=True))
    assert (row["Professional title"], row["Institution level"]) == ("senior", "tertiary hospital")
    assert (row["National-project credits"], row["Annual requirement met"]) == ("4", "no")
    assert row["National-project years"] == "2022-2026"
    assert (
        row["National-project credits in those years"],
        row["National-project requirement met"],
    ) == ("4", "no")


def test_the_summary_csv_speaks_the_offices_language():
    names = {
        "Name": "姓名",
        "yes": "是",
        "no": "否",
        "intermediate": "中级",
        "primary care": "基层医疗机构",
    }
    records = [credit("6", "I", "provincial"), credit("19")]
    text = "".join(
        iter_summary_csv(
            learner_summaries(records, NATIONAL, 2026, zone=BEIJING),
            lambda s: names.get(s, s),
            values=lambda s: names.get(s, s),
        )
    )
    header, row = list(csv.reader(io.StringIO(text[1:])))
    assert header[0] == "姓名"
    assert row[2] == "中级" and row[4] == "基层医疗机构" and "是" in row
