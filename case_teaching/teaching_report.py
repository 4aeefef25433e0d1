"""What a teacher reads before a live case discussion: how the cohort went through one case.

Input: each learner's latest completed attempt as the adapter stores it (one dict each:
`learner`, the name the teacher reads; `score`, `max_score`, `detail` = path, findings and
answers of `CaseProgress`), so that every count is of learners, not of attempts. One pass,
memory bounded by the size of the case, not by the number of learners (they stream from a
database iterator).
Attempts made on another version of the case count only where their stages, questions and
options still exist; how many there were is reported.
"""

import re
import unicodedata
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .schema import Case, ReflectionQuestion, plain_text, question_points, text_excerpt
from .scoring import expert_route

TOP_PATHS = 5
REFLECTIONS_SHOWN = 200
#: Columns of a decision's label (a CJK character counts two): a few lines of the chart.
LABEL_WIDTH = 160


@dataclass
class OptionShare:
    id: str
    text: str
    count: int = 0
    share: float = 0.0
    keyed: str | None = None  # "correct", "credit", "harmful" or None


@dataclass
class DecisionSummary:
    """One question: how many answered, how they split, how much credit they earned."""

    question: str
    stage_title: str
    prompt: str
    kind: str
    label: str = ""  # the prompt as a short line of text (two questions of a stage differ)
    answered: int = 0
    full: int = 0
    partial: int = 0
    none: int = 0
    mean_credit: float = 0.0
    options: list[OptionShare] = field(default_factory=list)
    reflections: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class FindingCount:
    label: str
    stage_title: str
    count: int
    share: float  # of the learners who reached its stage


@dataclass
class CohortReport:
    completed: int = 0
    passed: int = 0
    mean_fraction: float = 0.0
    other_versions: int = 0
    decisions: list[DecisionSummary] = field(default_factory=list)
    paths: list[tuple[list[str], int, bool]] = field(default_factory=list)
    missed: list[FindingCount] = field(default_factory=list)
    over_ordered: list[FindingCount] = field(default_factory=list)


def _keyed(question, option) -> str | None:
    if getattr(option, "harmful", False):
        return "harmful"
    if getattr(option, "correct", False):
        return "correct"
    if getattr(option, "credit", None):
        return "credit"
    if getattr(option, "votes", None):
        return "credit"
    return None


def cohort_report(case: Case, attempts: Iterable[dict[str, Any]]) -> CohortReport:
    """The cohort's way through `case` (see the module docstring for `attempts`)."""
    report = CohortReport()
    questions = [(stage, q) for stage in case.stages for q in stage.questions]
    option_counts: dict[str, Counter] = {q.id: Counter() for _, q in questions}
    credit_sums: dict[str, float] = {q.id: 0.0 for _, q in questions}
    summaries = {
        q.id: DecisionSummary(
            question=q.id,
            stage_title=stage.title,
            prompt=q.prompt,
            kind=q.kind,
            label=text_excerpt(q.prompt, LABEL_WIDTH),
        )
        for stage, q in questions
    }
    paths: Counter = Counter()
    reached: Counter = Counter()
    requested: Counter = Counter()
    fraction_sum = 0.0
    for attempt in attempts:
        detail = attempt.get("detail") or {}
        if detail.get("case_fingerprint") != case.fingerprint:
            report.other_versions += 1
        report.completed += 1
        max_score = attempt.get("max_score") or 0
        fraction = (attempt.get("score") or 0) / max_score if max_score else 1.0
        fraction_sum += fraction
        if fraction >= case.scoring.pass_threshold - 1e-9:
            report.passed += 1
        path = [s for s in detail.get("path", []) if case.stage(s) is not None]
        paths[tuple(path)] += 1
        reached.update(set(path))
        requested.update(f for f in set(detail.get("findings", [])) if case.finding(f))
        for answer in detail.get("answers", []):
            summary = summaries.get(answer.get("question"))
            if summary is None or not answer.get("attempts"):
                continue
            last = answer["attempts"][-1]
            summary.answered += 1
            if summary.kind == "reflection":
                if last.get("text") and len(summary.reflections) < REFLECTIONS_SHOWN:
                    summary.reflections.append((str(attempt.get("learner", "")), last["text"]))
                continue
            credit = float(answer.get("credit", 0))
            credit_sums[summary.question] += credit
            if credit >= 1:
                summary.full += 1
            elif credit > 0:
                summary.partial += 1
            else:
                summary.none += 1
            chosen = last.get("options") or last.get("order", [])[:1]  # ranking: placed first
            option_counts[summary.question].update(chosen)
    if report.completed:
        report.mean_fraction = fraction_sum / report.completed
    for _stage, question in questions:
        summary = summaries[question.id]
        if summary.answered and not isinstance(question, ReflectionQuestion):
            summary.mean_credit = credit_sums[question.id] / summary.answered
        for option in getattr(question, "options", []):
            count = option_counts[question.id][option.id]
            summary.options.append(
                OptionShare(
                    id=option.id,
                    text=option.text,
                    count=count,
                    share=count / summary.answered if summary.answered else 0.0,
                    keyed=_keyed(question, option),
                )
            )
        report.decisions.append(summary)
    expert = tuple(step.stage for step in expert_route(case))
    for path, count in paths.most_common(TOP_PATHS):
        titles = [case.stage(s).title for s in path]  # type: ignore[union-attr]
        report.paths.append((titles, count, path == expert))
    for stage in case.stages:
        visitors = reached[stage.id]
        if not visitors:
            continue
        for finding in stage.findings:
            asked = requested[finding.id]
            if finding.relevance == "essential" and asked < visitors:
                missing = visitors - asked
                report.missed.append(
                    FindingCount(finding.label, stage.title, missing, missing / visitors)
                )
            if finding.relevance in ("unnecessary", "harmful") and asked:
                report.over_ordered.append(
                    FindingCount(finding.label, stage.title, asked, asked / visitors)
                )
    report.missed.sort(key=lambda f: -f.share)
    report.over_ordered.sort(key=lambda f: -f.share)
    return report


def graded_decisions(report: CohortReport, case: Case) -> list[DecisionSummary]:
    return [
        d
        for d in report.decisions
        if d.kind != "reflection" and question_points(case.question(d.question)[1]) > 0  # type: ignore[index]
    ]


@dataclass(frozen=True)
class CohortChartLabels:
    """Every word of the chart, already in the teacher's language."""

    title: str = "How the cohort answered each decision"
    full: str = "full credit"
    partial: str = "partial credit"
    none: str = "no credit"
    no_data: str = "No learner has completed this case yet."
    answered: str = "{count} answered"
    #: Per-option charts: their title (`{label}`: the question) and each bar's numbers.
    options_title: str = "How the learners answered: {label}"
    chosen: str = "{count} ({percent}%)"
    #: What the key says of an option ("correct", "credit", "harmful"), shown beside its bar.
    keyed: dict[str, str] = field(
        default_factory=lambda: {
            "correct": "correct",
            "credit": "partial credit",
            "harmful": "harmful",
        }
    )


#: The charts are drawn for a phone: WIDTH px wide at FONT px (scaled down to the screen's
#: width, text stays at 12 px or more on a 360 px phone), labels wrapped at LINE columns.
WIDTH = 320
FONT = 14
LINE_HEIGHT = 18
LINE = 40
MARGIN = 8
NUMBERS = 84  # room right of a bar for "12 answered"
SEGMENTS = (("full", "#0b6e4f", ""), ("partial", "#c98a00", "4 2"), ("none", "#a4161a", "1 2"))


def wrap(text: str, columns: int = LINE) -> list[str]:
    """Text in lines of at most `columns` (a CJK character counts two), broken at spaces where
    there are any, anywhere in Chinese."""
    lines: list[str] = []
    line, used = "", 0
    for word in re.findall(r"\S+\s*|\s+", text) if " " in text else list(text):
        width = sum(2 if unicodedata.east_asian_width(c) in ("W", "F") else 1 for c in word)
        if line and used + width > columns:
            lines.append(line.rstrip())
            line, used = "", 0
        line, used = line + word, used + width
    if line.strip():
        lines.append(line.rstrip())
    return lines or [""]


def _text(parent: ET.Element, tag: str, text: str, attrs: dict | None = None) -> ET.Element:
    element = ET.SubElement(parent, tag, attrs or {})
    element.text = text
    return element


def _lines(parent: ET.Element, text: str, y: float, attrs: dict | None = None) -> ET.Element:
    """`text` wrapped into lines (tspans) from baseline `y`; returns the text element."""
    element = ET.SubElement(parent, "text", {"x": str(MARGIN), "y": f"{y}", **(attrs or {})})
    for number, line in enumerate(wrap(text)):
        span = {"x": str(MARGIN), "dy": str(LINE_HEIGHT) if number else "0"}
        _text(element, "tspan", line, span)
    return element


def _svg_root(height: int, id_prefix: str) -> ET.Element:
    """An accessible chart's root: labelled by its <title> and <desc> (ids from id_prefix)."""
    return ET.Element(
        "svg",
        {
            "xmlns": "http://www.w3.org/2000/svg",
            "viewBox": f"0 0 {WIDTH} {height}",
            "width": str(WIDTH),
            "role": "img",
            "aria-labelledby": f"{id_prefix}-title {id_prefix}-desc",
            "font-family": "sans-serif",
            "font-size": str(FONT),
        },
    )


def _bar(svg: ET.Element, x: float, y: float, width: float, style: tuple, title: str) -> None:
    """A bar segment: colour and a dash pattern (it reads without colour too), its numbers in
    its <title>."""
    colour, dash = style
    attrs = {"x": f"{x:.1f}", "y": f"{y}", "width": f"{width:.1f}", "height": "16"}
    attrs |= {"fill": colour, "stroke": "#1d2733"}
    if dash:
        attrs["stroke-dasharray"] = dash
    _text(ET.SubElement(svg, "rect", attrs), "title", title)


def _legend(svg: ET.Element, labels: "CohortChartLabels", y: float) -> float:
    """The three segments' meanings, one a line (they fit a phone); returns the next y."""
    for key, colour, dash in SEGMENTS:
        attrs = {"x": str(MARGIN), "y": f"{y}", "width": "14", "height": "14", "fill": colour}
        if dash:
            attrs |= {"stroke": "#1d2733", "stroke-dasharray": dash}
        ET.SubElement(svg, "rect", attrs)
        _text(svg, "text", getattr(labels, key), {"x": str(MARGIN + 20), "y": f"{y + 12}"})
        y += LINE_HEIGHT + 2
    return y


def _decision_row(
    svg: ET.Element, number: int, decision: DecisionSummary, labels: "CohortChartLabels", y: float
) -> float:
    """A decision's label (wrapped, the full prompt in its <title>) over its bar, split into
    full, partial and no credit; returns the next row's top."""
    name = f"{number}. {decision.label}"
    label = _lines(svg, name, y + FONT)
    _text(label, "title", f"{decision.stage_title}: {plain_text(decision.prompt)}")
    y += FONT + LINE_HEIGHT * (len(wrap(name)) - 1) + 6
    plot, x = WIDTH - 2 * MARGIN - NUMBERS, float(MARGIN)
    for key, colour, dash in SEGMENTS:
        count = getattr(decision, key)
        width = plot * count / decision.answered if decision.answered else 0
        if width > 0:
            _bar(svg, x, y, width, (colour, dash), f"{name}: {getattr(labels, key)} {count}")
            x += width
    answered = labels.answered.format(count=decision.answered)
    _text(svg, "text", answered, {"x": f"{MARGIN + plot + 6}", "y": f"{y + 13}"})
    return y + 16 + 14


def cohort_to_svg(
    report: CohortReport, case: Case, labels: "CohortChartLabels", id_prefix: str = "cc"
) -> str:
    """Per graded decision, its label (wrapped, never cut short) over one bar split into full,
    partial and no credit (colour and a dash pattern, so the split reads without colour too),
    its numbers beside it, and a <title>/<desc> that a screen reader reads out in full. Drawn
    for a phone; self-contained; every text escaped."""
    rows = graded_decisions(report, case) if report.completed else []
    svg = _svg_root(0, id_prefix)
    _text(svg, "title", labels.title, {"id": f"{id_prefix}-title"})
    lines = [
        f"{index + 1}. {d.stage_title}, {plain_text(d.prompt)}: {labels.full} {d.full}, "
        f"{labels.partial} {d.partial}, {labels.none} {d.none}"
        for index, d in enumerate(rows)
    ]
    _text(svg, "desc", "; ".join(lines) or labels.no_data, {"id": f"{id_prefix}-desc"})
    _lines(svg, labels.title, FONT + 4, {"font-weight": "bold"})
    y = FONT + 4 + LINE_HEIGHT * len(wrap(labels.title)) + 4
    if not rows:
        _lines(svg, labels.no_data, y + FONT)
        return _sized(svg, y + FONT + LINE_HEIGHT * len(wrap(labels.no_data)))
    for index, decision in enumerate(rows):
        y = _decision_row(svg, index + 1, decision, labels, y)
    return _sized(svg, _legend(svg, labels, y))


def _sized(svg: ET.Element, height: float) -> str:
    """The chart as text, its height what was drawn."""
    svg.set("viewBox", f"0 0 {WIDTH} {round(height) + 4}")
    return ET.tostring(svg, encoding="unicode")


#: The answer key's marks on an option's bar: colour and dash, so it reads without colour too.
KEY_STYLE = {
    "correct": ("#0b6e4f", ""),
    "credit": ("#c98a00", "4 2"),
    "harmful": ("#a4161a", "1 2"),
}


def options_to_svg(
    decision: DecisionSummary, labels: "CohortChartLabels", id_prefix: str = "co"
) -> str:
    """One decision's answer distribution: per option, its text (wrapped), its numbers and a
    bar as long as the share of the learners who answered that chose it; <title>/<desc> give
    the same as text for a screen reader. Drawn for a phone; self-contained; every text
    escaped."""
    options = decision.options
    svg = _svg_root(0, id_prefix)
    _text(
        svg,
        "title",
        labels.options_title.format(label=decision.label),
        {"id": f"{id_prefix}-title"},
    )

    def numbers(option: OptionShare) -> str:
        text = labels.chosen.format(count=option.count, percent=round(option.share * 100))
        keyed = labels.keyed.get(option.keyed or "", "")
        return f"{text} · {keyed}" if keyed else text

    desc = "; ".join(f"{o.text}: {numbers(o)}" for o in options) or labels.no_data
    _text(svg, "desc", desc, {"id": f"{id_prefix}-desc"})
    _text(svg, "text", labels.answered.format(count=decision.answered), {"x": "8", "y": "18"})
    y, plot = 30.0, WIDTH - 2 * MARGIN
    for option in options:
        name = _lines(svg, f"{option.text}: {numbers(option)}", y + FONT)
        _text(name, "title", option.text)
        y += FONT + LINE_HEIGHT * (len(wrap(f"{option.text}: {numbers(option)}")) - 1) + 6
        frame = {"x": str(MARGIN), "y": f"{y}", "width": str(plot), "height": "16"}
        ET.SubElement(svg, "rect", frame | {"fill": "none", "stroke": "#c5ccd3"})
        if option.count:
            style = KEY_STYLE.get(option.keyed or "", ("#1f5f8b", ""))
            _bar(svg, MARGIN, y, plot * option.share, style, f"{option.text}: {numbers(option)}")
        y += 16 + 12
    return _sized(svg, y)
