"""Staff analytics: one pass over decision records, a CSV and a chart read at a glance."""

import tracemalloc
from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from referral_tracking import (
    ChartLabels,
    DecisionRecord,
    LetterChartLabels,
    aggregate,
    apply,
    decision_record,
    demo_exercise,
    letter_items_to_svg,
    new_progress,
    report_to_csv_rows,
    report_to_svg,
)
from referral_tracking.analytics import CSV_HEADER
from referral_tracking.messages import ReferralError
from referral_tracking.schema import LETTER_ITEMS

INSTITUTION_TIERS = {
    "qingshui-township": "primary",
    "riverside-community": "primary",
    "xixian-county": "secondary",
    "dongxian-county": "secondary",
    "city-general": "tertiary",
}

records_strategy = st.lists(
    st.builds(
        lambda learner, institution, classification, urgency, missing, due, on_time: DecisionRecord(
            learner_id=learner,
            institution_id=institution,
            tier=INSTITUTION_TIERS[institution],
            scenario_id="s",
            ruleset_id="hypertension",
            classification=classification,
            urgency_error=urgency,
            missing_letter_items=tuple(missing),
            follow_up_due=due,
            follow_up_on_time=due and on_time,
            score=3.0,
            max_score=10.0,
        ),
        st.sampled_from(["ana", "bo", "=cmd()", "李医生"]),
        st.sampled_from(sorted(INSTITUTION_TIERS)),
        st.sampled_from(["correct", "over_referral", "under_referral"]),
        st.booleans(),
        st.lists(st.sampled_from(LETTER_ITEMS), unique=True),
        st.booleans(),
        st.booleans(),
    ),
    max_size=60,
)


@settings(max_examples=150, deadline=None)
@given(records_strategy)
def test_the_one_pass_report_matches_a_naive_recount_for_every_group(records):
    report = aggregate(iter(records))
    groupings = [
        (report.by_learner, lambda r: r.learner_id),
        (report.by_institution, lambda r: r.institution_id),
        (report.by_tier, lambda r: r.tier),
    ]
    for groups, key in groupings:
        assert set(groups) == {key(r) for r in records}
        for name, stats in groups.items():
            mine = [r for r in records if key(r) == name]
            assert stats.decisions == len(mine)
            assert stats.over_referrals == sum(r.classification == "over_referral" for r in mine)
            assert stats.under_referrals == sum(r.classification == "under_referral" for r in mine)
            assert stats.urgency_errors == sum(r.urgency_error for r in mine)
            missing = Counter(item for r in mine for item in r.missing_letter_items)
            assert stats.missing_letter_items == {i: missing[i] for i in LETTER_ITEMS}
            due = [r for r in mine if r.follow_up_due]
            assert stats.follow_ups_due == len(due)
            assert stats.follow_ups_on_time == sum(r.follow_up_on_time for r in due)
            assert stats.over_referral_rate == stats.over_referrals / len(mine)
    assert report.overall.decisions == len(records)


def test_rates_without_any_follow_up_due_are_unknown_rather_than_zero():
    report = aggregate([])
    assert report.overall.follow_up_adherence is None
    assert report.overall.over_referral_rate is None


def test_memory_grows_with_the_groups_not_with_the_records():
    def records(count):
        for index in range(count):
            yield DecisionRecord(
                learner_id=f"learner-{index % 5}",
                institution_id="qingshui-township",
                tier="primary",
                scenario_id="s",
                ruleset_id="hypertension",
                classification="correct",
                urgency_error=bool(index % 2),
            )

    peaks = []
    for count in (2_000, 20_000):
        tracemalloc.start()
        report = aggregate(records(count))
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
        assert report.overall.decisions == count
    assert peaks[1] < peaks[0] * 2, peaks


def test_a_played_exercise_becomes_a_record_with_its_classification_and_follow_up():
    exercise = demo_exercise("hypertension_township")
    decided = apply(
        exercise,
        new_progress(),
        {
            "kind": "decide",
            "step": 0,
            "decision": {"disposition": "manage_locally", "priority": "urgent"},
        },
    ).progress
    record = decision_record(exercise, decided, "learner-7")
    assert (record.classification, record.urgency_error, record.follow_up_due) == (
        "critical_under",
        True,
        False,
    )
    planned = apply(
        exercise, decided, {"kind": "set_plan", "step": 1, "plan": {"interval_days": 14}}
    ).progress
    record = decision_record(exercise, planned, "learner-7")
    assert record.follow_up_due and record.follow_up_on_time
    assert (record.tier, record.institution_id) == ("primary", "qingshui-township")


def test_no_record_before_a_decision():
    try:
        decision_record(demo_exercise("stroke_downward_referral"), new_progress(), "x")
    except ReferralError as error:
        assert error.code == "record_not_decided"
    else:
        raise AssertionError("a record without a decision must be refused")


# ---- CSV ------------------------------------------------------------------------------------


def sample_report():
    rows = [
        ("=HYPERLINK(1)", "qingshui-township", "under_referral", True, ("question",)),
        ("ana", "qingshui-township", "correct", False, ()),
        ("ana", "xixian-county", "over_referral", False, ("history", "question")),
    ]
    return aggregate(
        DecisionRecord(
            learner_id=learner,
            institution_id=institution,
            tier=INSTITUTION_TIERS[institution],
            scenario_id="s",
            ruleset_id="r",
            classification=classification,
            urgency_error=urgency,
            missing_letter_items=missing,
            follow_up_due=True,
            follow_up_on_time=classification == "correct",
        )
        for learner, institution, classification, urgency, missing in rows
    )


def test_the_csv_has_one_row_per_tier_institution_and_learner_after_the_overall_row():
    rows = list(report_to_csv_rows(sample_report()))
    assert rows[0] == CSV_HEADER
    assert [(r[0], r[1]) for r in rows[1:]] == [
        ("all", "all"),
        ("tier", "primary"),
        ("tier", "secondary"),
        ("institution", "qingshui-township"),
        ("institution", "xixian-county"),
        ("learner", "'=HYPERLINK(1)"),
        ("learner", "ana"),
    ]
    primary = dict(zip(CSV_HEADER, rows[2], strict=True))
    assert primary["under_referral_rate"] == "0.500"
    assert primary["letter_missing_question"] == "1"
    assert primary["follow_up_adherence"] == "0.500"
    assert all(len(r) == len(CSV_HEADER) for r in rows)


def test_a_learner_row_names_the_learner_by_username_where_known_next_to_the_learner_id():
    rows = list(report_to_csv_rows(sample_report(), {"ana": "ana_wang", "=HYPERLINK(1)": "-x"}))
    named = {r[1]: dict(zip(CSV_HEADER, r, strict=True)) for r in rows[1:]}
    assert named["ana"]["username"] == "ana_wang" and named["ana"]["scope"] == "learner"
    assert named["'=HYPERLINK(1)"]["username"] == "'-x"  # never a formula either
    assert named["all"]["username"] == named["qingshui-township"]["username"] == ""
    unnamed = list(report_to_csv_rows(sample_report()))
    assert all(dict(zip(CSV_HEADER, r, strict=True))["username"] == "" for r in unnamed[1:])


def test_no_csv_cell_can_start_a_spreadsheet_formula():
    for row in report_to_csv_rows(sample_report(), {"ana": "=cmd|' /C calc'!A0"}):
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))


# ---- SVG ------------------------------------------------------------------------------------

SVG = "{http://www.w3.org/2000/svg}"


def parse_svg(text: str):
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    return etree.fromstring(text.encode(), parser)


def test_the_chart_is_well_formed_self_contained_and_readable_by_a_screen_reader():
    svg = parse_svg(report_to_svg(sample_report()))
    assert svg.get("role") == "img"
    title, desc = svg.find(f"{SVG}title"), svg.find(f"{SVG}desc")
    assert svg.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    assert "Primary / community (2 decisions)" in desc.text
    assert "Under-referral 50%" in desc.text
    assert "Tertiary: no data." in desc.text
    text = etree.tostring(svg).decode()
    assert "href" not in text and "<script" not in text and "url(" not in text


def test_the_chart_draws_five_bars_per_tier_with_their_values_written_out():
    svg = parse_svg(report_to_svg(sample_report()))
    bars = [r for r in svg.iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None]
    assert len(bars) == 15
    tooltips = [bar.find(f"{SVG}title").text for bar in bars]
    assert "Secondary / county: Over-referral 100%" in tooltips
    labels = [t.text for t in svg.iter(f"{SVG}text")]
    assert "50%" in labels and "100%" in labels


XML_UNSAFE = "".join(chr(c) for c in range(32) if chr(c) not in "\t\n") + "\ufffe\uffff"


@settings(max_examples=80, deadline=None)
@given(st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\r"), min_size=1))
def test_every_text_in_the_chart_is_escaped_whatever_the_translation_says(label):
    labels = ChartLabels(
        title=label,
        tiers={"primary": label, "secondary": "<b>&amp;", "tertiary": "]]>"},
        decisions="{count} decisions",
    )
    svg = parse_svg(report_to_svg(sample_report(), labels))
    readable = "".join(c for c in label if c not in XML_UNSAFE)
    assert (svg.find(f"{SVG}title").text or "") == readable
    texts = [t.text for t in svg.iter(f"{SVG}text")]
    assert "<b>&amp;" in texts and "]]>" in texts


def letter_report():
    gaps = [("question", "reason"), ("question",), ("question", "supporting_info"), ()]
    return aggregate(
        DecisionRecord(
            learner_id=f"l{n}",
            institution_id="qingshui-township",
            tier="primary",
            scenario_id="s",
            ruleset_id="hypertension",
            classification="correct",
            urgency_error=False,
            missing_letter_items=missing,
        )
        for n, missing in enumerate(gaps)
    )


def test_the_letter_chart_shows_the_most_missed_item_first_with_its_count_in_words():
    svg = parse_svg(letter_items_to_svg(letter_report()))
    assert svg.get("role") == "img"
    title, desc = svg.find(f"{SVG}title"), svg.find(f"{SVG}desc")
    assert svg.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    assert desc.text.startswith("Question: 3 letters; Reason: 1 letter; Supporting info: 1 letter")
    assert "History: 0 letters" in desc.text
    bars = [r for r in svg.iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None]
    assert len(bars) == len(LETTER_ITEMS)
    widths = {bar.find(f"{SVG}title").text: float(bar.get("width")) for bar in bars}
    assert abs(widths["Question: 3 letters"] - 3 * widths["Reason: 1 letter"]) < 0.5
    assert widths["Reason: 1 letter"] > 0
    assert widths["History: 0 letters"] == 0
    ys = [float(bar.get("y")) for bar in bars]
    assert ys == sorted(ys) and bars[0].find(f"{SVG}title").text == "Question: 3 letters"


def test_the_letter_chart_escapes_its_translated_texts():
    labels = LetterChartLabels(
        title="<script>alert(1)</script>",
        items={item: "]]>&" for item in LETTER_ITEMS},
        letters=lambda count: f"{count} 封信",
    )
    text = letter_items_to_svg(letter_report(), labels)
    svg = parse_svg(text)
    assert svg.find(f"{SVG}title").text == "<script>alert(1)</script>"
    assert "<script" not in text and "3 封信" in svg.find(f"{SVG}desc").text


def test_a_missed_emergency_is_counted_as_critical_under_triage_in_the_report_and_csv():
    records = [
        DecisionRecord(
            learner_id=learner,
            institution_id="qingshui-township",
            tier="primary",
            scenario_id="s",
            ruleset_id="r",
            classification=classification,
            urgency_error=True,
        )
        for learner, classification in (("ana", "critical_under"), ("bo", "under_referral"))
    ]
    report = aggregate(records)
    assert (report.overall.under_referrals, report.overall.critical_under_triage) == (2, 1)
    assert report.overall.correct == 0
    rows = [dict(zip(CSV_HEADER, r, strict=True)) for r in report_to_csv_rows(report)]
    assert rows[1]["critical_under_triage"] == "1"
    assert rows[1]["critical_under_triage_rate"] == "0.500"
    learners = {r["group"]: r for r in rows if r["scope"] == "learner"}
    assert learners["ana"]["critical_under_triage"] == "1"
    assert learners["bo"]["critical_under_triage"] == "0"
    assert "Critical under-triage 50%" in report_to_svg(report)


def test_a_routine_referral_of_the_hypertensive_emergency_is_recorded_as_critical():
    exercise = demo_exercise("hypertension_township")
    decision = {
        "disposition": "refer_upward",
        "priority": "routine",
        "target_institution_id": "dongxian-county",
        "department": "emergency",
        "letter": {"reason": "High blood pressure and headache"},
    }
    decided = apply(
        exercise, new_progress(), {"kind": "decide", "step": 0, "decision": decision}
    ).progress
    record = decision_record(exercise, decided, "learner-8")
    assert record.classification == "critical_under"
    assert decided.rubric.points == 0
