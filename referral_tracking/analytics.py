"""Referral analytics: per learner, institution and tier, in one pass over decision records.

`aggregate` reads each record once and keeps one small counter per group, so time grows
linearly with the records and memory with the number of groups (learners, institutions,
tiers), never with the records. The adapter turns rows of the plugin app's decision table
into `DecisionRecord`s and streams them in (for example with `QuerySet.iterator()`).
"""

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from xml.etree import ElementTree as ET

from .engine import Exercise, Progress
from .messages import ReferralError
from .rules import Classification
from .schema import LETTER_ITEMS, TIERS, Tier


@dataclass(frozen=True, slots=True)
class DecisionRecord:
    """One learner's graded referral decision and its follow-up, as stored for analytics."""

    learner_id: str
    institution_id: str
    tier: Tier
    scenario_id: str
    ruleset_id: str
    classification: Classification
    urgency_error: bool
    missing_letter_items: tuple[str, ...] = ()
    follow_up_due: bool = False
    follow_up_on_time: bool = False
    score: float = 0.0
    max_score: float = 0.0


def decision_record(exercise: Exercise, progress: Progress, learner_id: str) -> DecisionRecord:
    """The record to store once the learner has decided (and again when follow-up is set)."""
    rubric = progress.rubric
    if rubric is None:
        raise ReferralError("record_not_decided")
    return DecisionRecord(
        learner_id=learner_id,
        institution_id=exercise.institution.id,
        tier=exercise.institution.tier,
        scenario_id=exercise.scenario.id,
        ruleset_id=exercise.ruleset.id,
        classification=rubric.classification,
        urgency_error=rubric.urgency_error,
        missing_letter_items=tuple(rubric.missing_letter_items),
        follow_up_due=progress.first_plan is not None,
        follow_up_on_time=bool(progress.closed_loop_met),
        score=progress.score,
        max_score=exercise.max_score,
    )


def _rate(count: int, total: int) -> float | None:
    return count / total if total else None


@dataclass(slots=True)
class GroupStats:
    """Counts for one group of decisions; rates are None when there is nothing to divide."""

    decisions: int = 0
    correct: int = 0
    over_referrals: int = 0
    #: Every under-referral, the critical under-triage ones (emergencies missed) included.
    under_referrals: int = 0
    critical_under_triage: int = 0
    urgency_errors: int = 0
    letters_with_gaps: int = 0
    missing_letter_items: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(LETTER_ITEMS, 0)
    )
    follow_ups_due: int = 0
    follow_ups_on_time: int = 0
    score: float = 0.0
    max_score: float = 0.0

    def add(self, record: DecisionRecord) -> None:
        self.decisions += 1
        if record.classification == "correct":
            self.correct += 1
        elif record.classification == "over_referral":
            self.over_referrals += 1
        else:
            self.under_referrals += 1
            self.critical_under_triage += record.classification == "critical_under"
        self.urgency_errors += record.urgency_error
        if record.missing_letter_items:
            self.letters_with_gaps += 1
            for item in record.missing_letter_items:
                self.missing_letter_items[item] = self.missing_letter_items.get(item, 0) + 1
        if record.follow_up_due:
            self.follow_ups_due += 1
            self.follow_ups_on_time += record.follow_up_on_time
        self.score += record.score
        self.max_score += record.max_score

    @property
    def over_referral_rate(self) -> float | None:
        return _rate(self.over_referrals, self.decisions)

    @property
    def under_referral_rate(self) -> float | None:
        return _rate(self.under_referrals, self.decisions)

    @property
    def critical_under_triage_rate(self) -> float | None:
        return _rate(self.critical_under_triage, self.decisions)

    @property
    def urgency_error_rate(self) -> float | None:
        return _rate(self.urgency_errors, self.decisions)

    @property
    def follow_up_adherence(self) -> float | None:
        return _rate(self.follow_ups_on_time, self.follow_ups_due)

    @property
    def score_rate(self) -> float | None:
        return self.score / self.max_score if self.max_score else None


@dataclass(slots=True)
class Report:
    overall: GroupStats = field(default_factory=GroupStats)
    by_learner: dict[str, GroupStats] = field(default_factory=dict)
    by_institution: dict[str, GroupStats] = field(default_factory=dict)
    institution_tiers: dict[str, Tier] = field(default_factory=dict)
    by_tier: dict[str, GroupStats] = field(default_factory=dict)


def aggregate(records: Iterable[DecisionRecord]) -> Report:
    """One pass: O(records) time, O(groups) memory."""
    report = Report()
    by_learner, by_institution, by_tier = (
        report.by_learner,
        report.by_institution,
        report.by_tier,
    )
    for record in records:
        report.overall.add(record)
        stats = by_learner.get(record.learner_id)
        if stats is None:
            stats = by_learner[record.learner_id] = GroupStats()
        stats.add(record)
        stats = by_institution.get(record.institution_id)
        if stats is None:
            stats = by_institution[record.institution_id] = GroupStats()
            report.institution_tiers[record.institution_id] = record.tier
        stats.add(record)
        stats = by_tier.get(record.tier)
        if stats is None:
            stats = by_tier[record.tier] = GroupStats()
        stats.add(record)
    return report


# ---- CSV ------------------------------------------------------------------------------------

CSV_HEADER = [
    "scope",
    "group",
    #: The learner's username on learner rows, where the platform knows it (the group is the
    #: learner id the records hold); empty on other rows.
    "username",
    "tier",
    "decisions",
    "correct",
    "over_referrals",
    "under_referrals",
    "over_referral_rate",
    "under_referral_rate",
    #: Emergencies missed (kept here or sent less urgently): also counted in under_referrals.
    "critical_under_triage",
    "critical_under_triage_rate",
    "urgency_errors",
    "urgency_error_rate",
    *[f"letter_missing_{item}" for item in LETTER_ITEMS],
    "follow_ups_due",
    "follow_ups_on_time",
    "follow_up_adherence",
    "score_rate",
]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\0")


def _cell(text: str) -> str:
    """Text a spreadsheet will not run as a formula (OWASP CSV injection)."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.3f}"


def _row(scope: str, group: str, tier: str, stats: GroupStats, username: str = "") -> list[str]:
    return [
        scope,
        _cell(group),
        _cell(username),
        tier,
        str(stats.decisions),
        str(stats.correct),
        str(stats.over_referrals),
        str(stats.under_referrals),
        _number(stats.over_referral_rate),
        _number(stats.under_referral_rate),
        str(stats.critical_under_triage),
        _number(stats.critical_under_triage_rate),
        str(stats.urgency_errors),
        _number(stats.urgency_error_rate),
        *[str(stats.missing_letter_items.get(item, 0)) for item in LETTER_ITEMS],
        str(stats.follow_ups_due),
        str(stats.follow_ups_on_time),
        _number(stats.follow_up_adherence),
        _number(stats.score_rate),
    ]


def report_to_csv_rows(
    report: Report, usernames: Mapping[str, str] | None = None
) -> Iterator[list[str]]:
    """Header, then one row overall, per tier, per institution and per learner (named by the
    learner id of the records and, when `usernames` has it, by username too)."""
    usernames = usernames or {}
    yield list(CSV_HEADER)
    yield _row("all", "all", "", report.overall)
    for tier in TIERS:
        if tier in report.by_tier:
            yield _row("tier", tier, tier, report.by_tier[tier])
    for institution_id in sorted(report.by_institution):
        tier = report.institution_tiers[institution_id]
        yield _row("institution", institution_id, tier, report.by_institution[institution_id])
    for learner_id in sorted(report.by_learner):
        stats = report.by_learner[learner_id]
        yield _row("learner", learner_id, "", stats, usernames.get(learner_id, ""))


# ---- SVG chart ------------------------------------------------------------------------------

METRICS: tuple[tuple[str, str, str], ...] = (
    # (attribute of GroupStats, English label, colour from the Okabe-Ito colour-blind palette)
    ("over_referral_rate", "Over-referral", "#E69F00"),
    ("under_referral_rate", "Under-referral", "#D55E00"),
    ("critical_under_triage_rate", "Critical under-triage", "#000000"),
    ("urgency_error_rate", "Urgency errors", "#0072B2"),
    ("follow_up_adherence", "Follow-up on time", "#009E73"),
)


@dataclass(frozen=True)
class ChartLabels:
    """Every text of the chart, so the adapter can pass translated strings."""

    title: str = "Referral decisions by tier of the learner's institution"
    metrics: dict[str, str] = field(default_factory=lambda: {m: label for m, label, _ in METRICS})
    tiers: dict[str, str] = field(
        default_factory=lambda: {
            "primary": "Primary / community",
            "secondary": "Secondary / county",
            "tertiary": "Tertiary",
        }
    )
    decisions: str = "{count} decisions"
    no_data: str = "no data"


WIDTH, HEIGHT = 720, 380
LEGEND_COLUMNS = 3
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 48, 110


NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _text(parent: ET.Element, tag: str, text: str, attrs: dict[str, str] | None = None):
    """A child element with text; characters XML 1.0 cannot carry are dropped (the serializer
    escapes the rest)."""
    element = ET.SubElement(parent, tag, attrs or {})
    element.text = NOT_XML.sub("", text)
    return element


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{round(value * 100)}%"


def _description(report: Report, labels: ChartLabels) -> str:
    parts = []
    for tier in TIERS:
        stats = report.by_tier.get(tier)
        if stats is None:
            parts.append(f"{labels.tiers[tier]}: {labels.no_data}.")
            continue
        values = ", ".join(
            f"{labels.metrics[m]} {_percent(getattr(stats, m))}" for m, _, _ in METRICS
        )
        parts.append(
            f"{labels.tiers[tier]} ({labels.decisions.format(count=stats.decisions)}): {values}."
        )
    return " ".join(parts)


def report_to_svg(report: Report, labels: ChartLabels | None = None, id_prefix: str = "rt") -> str:
    """A self-contained bar chart: per tier, the four rates side by side, values written on the
    bars, a legend, and <title>/<desc> that a screen reader reads out. No external resources;
    every text is escaped by the XML serializer."""
    labels = labels or ChartLabels()
    svg = ET.Element(
        "svg",
        {
            "xmlns": "http://www.w3.org/2000/svg",
            "viewBox": f"0 0 {WIDTH} {HEIGHT}",
            "width": str(WIDTH),
            "height": str(HEIGHT),
            "role": "img",
            "aria-labelledby": f"{id_prefix}-title {id_prefix}-desc",
            "font-family": "sans-serif",
            "font-size": "12",
        },
    )
    _text(svg, "title", labels.title, {"id": f"{id_prefix}-title"})
    _text(svg, "desc", _description(report, labels), {"id": f"{id_prefix}-desc"})
    _text(svg, "text", labels.title, {"x": str(LEFT), "y": "24", "font-size": "15"})
    plot_height = HEIGHT - TOP - BOTTOM
    plot_width = WIDTH - LEFT - RIGHT
    baseline = TOP + plot_height
    for tick in (0, 25, 50, 75, 100):
        y = baseline - plot_height * tick / 100
        line = {"x1": str(LEFT), "x2": str(WIDTH - RIGHT), "y1": f"{y:.1f}", "y2": f"{y:.1f}"}
        line["stroke"] = "#cccccc" if tick else "#333333"
        ET.SubElement(svg, "line", line)
        _text(
            svg, "text", f"{tick}%", {"x": str(LEFT - 6), "y": f"{y + 4:.1f}", "text-anchor": "end"}
        )
    group_width = plot_width / len(TIERS)
    bar_width = group_width * 0.8 / len(METRICS)
    for group_index, tier in enumerate(TIERS):
        stats = report.by_tier.get(tier)
        group_x = LEFT + group_index * group_width + group_width * 0.1
        centre = f"{group_x + group_width * 0.4:.1f}"
        _text(
            svg,
            "text",
            labels.tiers[tier],
            {"x": centre, "y": str(baseline + 18), "text-anchor": "middle", "font-weight": "bold"},
        )
        count = labels.decisions.format(count=stats.decisions) if stats else labels.no_data
        _text(svg, "text", count, {"x": centre, "y": str(baseline + 34), "text-anchor": "middle"})
        for metric_index, (metric, _, colour) in enumerate(METRICS):
            value = getattr(stats, metric) if stats else None
            x = group_x + metric_index * bar_width
            height = plot_height * (value or 0)
            bar = ET.SubElement(
                svg,
                "rect",
                {
                    "x": f"{x:.1f}",
                    "y": f"{baseline - height:.1f}",
                    "width": f"{bar_width - 2:.1f}",
                    "height": f"{height:.1f}",
                    "fill": colour,
                },
            )
            tooltip = f"{labels.tiers[tier]}: {labels.metrics[metric]} {_percent(value)}"
            _text(bar, "title", tooltip)
            _text(
                svg,
                "text",
                _percent(value),
                {
                    "x": f"{x + bar_width / 2 - 1:.1f}",
                    "y": f"{baseline - height - 4:.1f}",
                    "text-anchor": "middle",
                    "font-size": "11",
                },
            )
    for index, (metric, _, colour) in enumerate(METRICS):
        # three to a row: room for the longer labels ("Critical under-triage")
        x = LEFT + (index % LEGEND_COLUMNS) * (plot_width / LEGEND_COLUMNS)
        legend_y = HEIGHT - 48 + (index // LEGEND_COLUMNS) * 20
        swatch = {"x": f"{x:.1f}", "y": str(legend_y), "width": "12", "height": "12"}
        ET.SubElement(svg, "rect", swatch | {"fill": colour})
        _text(svg, "text", labels.metrics[metric], {"x": f"{x + 18:.1f}", "y": str(legend_y + 11)})
    return ET.tostring(svg, encoding="unicode")


# ---- SVG chart of the letter items ----------------------------------------------------------


def _letters(count: int) -> str:
    return f"{count} letter" if count == 1 else f"{count} letters"


@dataclass(frozen=True)
class LetterChartLabels:
    """Every text of the letter-item chart (`letters(n)`: "3 letters", in the adapter's
    language with its plural forms)."""

    title: str = "Referral letters: how often each item was missing"
    items: dict[str, str] = field(
        default_factory=lambda: {item: item.replace("_", " ").capitalize() for item in LETTER_ITEMS}
    )
    letters: Callable[[int], str] = _letters


LETTER_LEFT, LETTER_ROW, LETTER_TOP = 250, 30, 44


def letter_items_to_svg(
    report: Report, labels: LetterChartLabels | None = None, id_prefix: str = "rt-letters"
) -> str:
    """One horizontal bar per letter item, the most often missing first, its count written at
    the end of the bar; <title>/<desc> say the same in words for a screen reader. Bars are
    relative to the most missed item (the counts say how many letters)."""
    labels = labels or LetterChartLabels()
    counts = report.overall.missing_letter_items
    ranked = sorted(LETTER_ITEMS, key=lambda item: (-counts.get(item, 0), LETTER_ITEMS.index(item)))
    most = max((counts.get(item, 0) for item in LETTER_ITEMS), default=0) or 1
    height = LETTER_TOP + LETTER_ROW * len(ranked) + 12
    svg = ET.Element(
        "svg",
        {
            "xmlns": "http://www.w3.org/2000/svg",
            "viewBox": f"0 0 {WIDTH} {height}",
            "width": str(WIDTH),
            "height": str(height),
            "role": "img",
            "aria-labelledby": f"{id_prefix}-title {id_prefix}-desc",
            "font-family": "sans-serif",
            "font-size": "12",
        },
    )
    _text(svg, "title", labels.title, {"id": f"{id_prefix}-title"})
    described = "; ".join(
        f"{labels.items[item]}: {labels.letters(counts.get(item, 0))}" for item in ranked
    )
    _text(svg, "desc", described + ".", {"id": f"{id_prefix}-desc"})
    _text(svg, "text", labels.title, {"x": "8", "y": "24", "font-size": "15"})
    bar_room = WIDTH - LETTER_LEFT - 90
    for row, item in enumerate(ranked):
        count = counts.get(item, 0)
        y = LETTER_TOP + row * LETTER_ROW
        _text(
            svg,
            "text",
            labels.items[item],
            {"x": str(LETTER_LEFT - 8), "y": str(y + 15), "text-anchor": "end"},
        )
        width = bar_room * count / most
        bar = ET.SubElement(
            svg,
            "rect",
            {
                "x": str(LETTER_LEFT),
                "y": str(y + 3),
                "width": f"{width:.1f}",
                "height": str(LETTER_ROW - 10),
                "fill": "#D55E00",
            },
        )
        _text(bar, "title", f"{labels.items[item]}: {labels.letters(count)}")
        _text(
            svg,
            "text",
            labels.letters(count),
            {"x": f"{LETTER_LEFT + width + 6:.1f}", "y": str(y + 15)},
        )
    return ET.tostring(svg, encoding="unicode")
