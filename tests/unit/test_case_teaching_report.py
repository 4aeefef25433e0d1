"""The teacher's view of a cohort: built from real attempts played through the engine."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from case_teaching import expert_route, load_demo_case
from case_teaching.teaching_report import (
    LABEL_WIDTH,
    CohortChartLabels,
    cohort_report,
    cohort_to_svg,
    options_to_svg,
    wrap,
)
from tests.unit.test_case_learner_view import walk

CASE = load_demo_case("child_pneumonia")
BRANCH = next(b for b in CASE.stage("management").branches if b.to == "deterioration")
SAFE = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


def attempt(learner: str, decisions: dict, findings: bool, case=CASE) -> dict:
    *_, last = walk(case, decisions, findings)
    progress = last.progress
    return {
        "learner": learner,
        "score": progress.score,
        "max_score": progress.max_score,
        "detail": {
            "case_fingerprint": progress.case_fingerprint,
            "case_version": progress.case_version,
            "path": progress.path,
            "findings": progress.findings,
            "answers": [a.model_dump(mode="json") for a in progress.answers],
        },
    }


def cohort():
    return [
        attempt("a", {}, True),
        attempt("b", {}, True),
        attempt("c", {BRANCH.question: BRANCH.options[0]}, False),
    ]


def test_the_split_of_a_branching_decision_and_the_most_common_path():
    report = cohort_report(CASE, cohort())
    assert report.completed == 3 and report.other_versions == 0
    decision = next(d for d in report.decisions if d.question == BRANCH.question)
    chosen = {o.id: o.count for o in decision.options}
    assert chosen[BRANCH.options[0]] == 1 and decision.answered == 3
    assert decision.full == 2 and decision.none + decision.partial == 1
    titles, count, is_expert = report.paths[0]
    assert count == 2 and is_expert
    assert titles == [CASE.stage(s.stage).title for s in expert_route(CASE)]
    assert any(CASE.stage("deterioration").title in t for t, _, e in report.paths if not e)


def test_missed_essential_findings_count_the_learners_who_reached_the_stage():
    report = cohort_report(CASE, cohort())
    essential = [f for s in CASE.stages for f in s.findings if f.relevance == "essential"]
    assert essential
    missed = {m.label: m for m in report.missed}
    for finding in essential:
        assert missed[finding.label].count == 1  # only the learner who asked for nothing
        assert round(missed[finding.label].share, 3) == round(1 / 3, 3)


def test_reflections_are_collected_for_the_teacher_with_the_learner_id():
    report = cohort_report(CASE, cohort())
    reflections = [r for d in report.decisions if d.kind == "reflection" for r in d.reflections]
    assert {learner for learner, _ in reflections} == {"a", "b", "c"}


def test_attempts_on_another_version_are_counted_and_what_still_exists_is_used():
    old = attempt("old", {}, True)
    old["detail"]["case_fingerprint"] = "an older case"
    old["detail"]["answers"].append({"question": "gone", "attempts": [{"options": ["x"]}]})
    report = cohort_report(CASE, [old])
    assert report.other_versions == 1 and report.completed == 1


def test_an_empty_cohort_gives_an_empty_report_and_a_chart_that_says_so():
    report = cohort_report(CASE, [])
    assert report.completed == 0 and report.paths == []
    svg = cohort_to_svg(report, CASE, CohortChartLabels(no_data="Nobody yet."))
    assert "Nobody yet." in svg
    etree.fromstring(svg.encode(), SAFE)


def test_the_chart_is_accessible_and_escapes_what_authors_wrote():
    hostile = CASE.model_copy(deep=True)
    hostile.stages[0].title = "</text><script>alert(1)</script>"
    report = cohort_report(hostile, cohort())
    svg = cohort_to_svg(report, hostile, CohortChartLabels())
    root = etree.fromstring(svg.encode(), SAFE)
    ns = "{http://www.w3.org/2000/svg}"
    assert root.get("role") == "img"
    assert root.find(f"{ns}title") is not None and root.find(f"{ns}desc").text
    assert root.find(f".//{ns}script") is None
    assert "<script>" not in svg


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.booleans(), st.booleans()), min_size=1, max_size=6))
def test_counts_add_up_and_shares_stay_between_zero_and_one(players):
    attempts = [
        attempt(str(i), {BRANCH.question: BRANCH.options[0]} if wrong else {}, findings)
        for i, (wrong, findings) in enumerate(players)
    ]
    report = cohort_report(CASE, attempts)
    for decision in report.decisions:
        if decision.kind in ("reflection",):
            continue
        assert decision.full + decision.partial + decision.none == decision.answered
        assert all(0 <= o.share <= 1 for o in decision.options)
        if decision.kind in ("single_choice", "script_concordance", "ranking"):
            assert sum(o.count for o in decision.options) == decision.answered
    assert sum(count for _, count, _ in report.paths) == len(attempts)


def test_chart_rows_name_the_question_so_two_decisions_of_one_stage_differ():
    report = cohort_report(CASE, cohort())
    svg = cohort_to_svg(report, CASE, CohortChartLabels())
    root = etree.fromstring(svg.encode(), SAFE)
    ns = "{http://www.w3.org/2000/svg}"
    rows = [
        " ".join(span.text for span in t.findall(f"{ns}tspan"))
        for t in root.findall(f"{ns}text")
        if t.find(f"{ns}title") is not None
    ]
    management = [d.label for d in report.decisions if d.stage_title == "Management"]
    assert len(management) >= 2 and len(set(management)) == len(management)
    assert len(rows) == len(set(rows))
    for label in management:
        assert any(row.endswith(label) for row in rows)
        assert "<" not in label and len(label) <= LABEL_WIDTH + 1


def test_a_long_label_is_wrapped_for_a_phone_not_cut_at_forty_characters():
    prompt = "Which of these findings makes you refer the child to the county hospital today?"
    assert wrap(prompt) == [
        "Which of these findings makes you refer",
        "the child to the county hospital today?",
    ]
    assert wrap("您认为下一步最合适的处理是什么？请结合患者的血糖和意识状态作答。") == [
        "您认为下一步最合适的处理是什么？请结合患",
        "者的血糖和意识状态作答。",
    ]


def test_each_decision_has_a_bar_per_option_with_its_numbers_as_text():
    report = cohort_report(CASE, cohort())
    decision = next(d for d in report.decisions if d.question == BRANCH.question)
    labels = CohortChartLabels(keyed={"correct": "right", "credit": "some", "harmful": "bad"})
    svg = options_to_svg(decision, labels, id_prefix="t")
    root = etree.fromstring(svg.encode(), SAFE)
    ns = "{http://www.w3.org/2000/svg}"
    assert root.get("role") == "img" and root.get("aria-labelledby") == "t-title t-desc"
    desc = root.find(f"{ns}desc").text
    wrong = next(o for o in decision.options if o.id == BRANCH.options[0])
    assert f"{wrong.text}: 1 (33%)" in desc
    right = next(o for o in decision.options if o.keyed == "correct")
    assert f"{right.text}: 2 (67%) · right" in desc
    bars = [r for r in root.findall(f"{ns}rect") if r.find(f"{ns}title") is not None]
    assert len(bars) == sum(1 for o in decision.options if o.count)
    widths = {b.find(f"{ns}title").text.rsplit(": ", 1)[0]: float(b.get("width")) for b in bars}
    assert widths[right.text] == pytest.approx(2 * widths[wrong.text], abs=0.2)


def test_the_option_chart_escapes_what_authors_wrote():
    hostile = CASE.model_copy(deep=True)
    question = hostile.question(BRANCH.question)[1]
    question.options[0].text = "</text><script>alert(1)</script>"
    report = cohort_report(hostile, cohort())
    decision = next(d for d in report.decisions if d.question == BRANCH.question)
    svg = options_to_svg(decision, CohortChartLabels())
    root = etree.fromstring(svg.encode(), SAFE)
    assert root.find(".//{http://www.w3.org/2000/svg}script") is None
    assert "<script>" not in svg
