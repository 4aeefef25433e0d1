"""The CME office's report: credits awarded by professional title, discipline, institution
tier and month, in one pass over the ledger; and the summary of an activity's evaluations
(satisfaction and intended change in practice, as the consortium programmes evaluate).

Time is linear in the records; memory grows with the groups and the distinct learners in
them (to count learners, not awards), never with the records themselves. Revoked credits are
left out. Months are YYYY-MM in `zone` (UTC unless given; pass the CME office's zone).
"""

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, tzinfo
from decimal import Decimal
from xml.etree import ElementTree as ET

from .csv_export import safe_cell
from .messages import N_
from .schema import ActivityEvaluation
from .stored import ExportRecord

DIMENSIONS = ("title", "discipline", "tier", "month")
#: The natural order of the groups that have one (others are sorted).
ORDER = {
    "title": ("junior", "intermediate", "senior"),
    "tier": ("primary", "secondary", "tertiary"),
}
#: English labels of the report (translated by the adapter); keys of `labels` arguments.
REPORT_LABELS = {
    "dimension": N_("Grouped by"),
    "group": N_("Group"),
    "learners": N_("Learners"),
    "awards": N_("Awards"),
    "credits": N_("Credits"),
    "total": N_("All awards"),
    "title": N_("Professional title"),
    "discipline": N_("Discipline"),
    "tier": N_("Institution level"),
    "month": N_("Month"),
    "chart_title": N_("Credits awarded by {what}"),
    "no_data": N_("No credit awarded yet."),
}

Labels = Callable[[str], str] | Mapping[str, str] | None


@dataclass(slots=True)
class Group:
    """The awards of one group: distinct learners, number of awards, credits (Decimal)."""

    learners: set[str] = field(default_factory=set)
    awards: int = 0
    credits: Decimal = Decimal(0)


@dataclass(slots=True)
class CreditReport:
    total: Group = field(default_factory=Group)
    by: dict[str, dict[str, Group]] = field(default_factory=lambda: {d: {} for d in DIMENSIONS})


def credit_report(records: Iterable[ExportRecord], *, zone: tzinfo = UTC) -> CreditReport:
    """One pass over the records: awarded credits grouped by each dimension."""
    report = CreditReport()
    total, by = report.total, report.by
    for record in records:
        if record.status != "awarded":
            continue
        profile = record.profile
        keys = (
            ("title", profile.title),
            ("discipline", profile.discipline),
            ("tier", profile.tier),
            ("month", record.awarded_at.astimezone(zone).strftime("%Y-%m")),
        )
        learner, credits = record.learner_id, record.credits
        total.learners.add(learner)
        total.awards += 1
        total.credits += credits
        for dimension, key in keys:
            groups = by[dimension]
            group = groups.get(key)
            if group is None:
                group = groups[key] = Group()
            group.learners.add(learner)
            group.awards += 1
            group.credits += credits
    return report


def _labels(labels: Labels) -> dict[str, str]:
    if labels is None:
        return dict(REPORT_LABELS)
    if callable(labels):
        return {key: labels(text) for key, text in REPORT_LABELS.items()}
    return REPORT_LABELS | dict(labels)


def _number(value: Decimal) -> str:
    return format(value.normalize(), "f")


def ordered_groups(report: CreditReport, dimension: str) -> list[tuple[str, Group]]:
    groups = report.by[dimension]
    order = ORDER.get(dimension)
    if order:
        return [(key, groups[key]) for key in order if key in groups] + sorted(
            (key, group) for key, group in groups.items() if key not in order
        )
    return sorted(groups.items())


def report_csv_rows(report: CreditReport, labels: Labels = None) -> Iterator[list[str]]:
    """Rows for a CSV: header (dimension, group, learners, awards, credits), the total, then
    each group of each dimension. `labels`: gettext, or a map over `REPORT_LABELS`' keys.
    Group names are people's text (disciplines): guarded against formula injection."""
    text = _labels(labels)
    yield [safe_cell(text[k]) for k in ("dimension", "group", "learners", "awards", "credits")]
    total = report.total
    yield [
        safe_cell(text["total"]),
        "",
        str(len(total.learners)),
        str(total.awards),
        _number(total.credits),
    ]
    for dimension in DIMENSIONS:
        for key, group in ordered_groups(report, dimension):
            yield [
                safe_cell(text[dimension]),
                safe_cell(key),
                str(len(group.learners)),
                str(group.awards),
                _number(group.credits),
            ]


# ---- the activity evaluation ----------------------------------------------------------------

#: The evaluation's change-in-practice answers, in their natural order, with English labels.
CHANGE_NAMES = {
    "none": N_("No change to my practice"),
    "considering": N_("I am considering a change"),
    "planned": N_("I plan a specific change"),
    "already": N_("I have already changed my practice"),
}
EVALUATION_LABELS = {
    "question": N_("Question"),
    "answer": N_("Answer"),
    "count": N_("Learners"),
    "satisfaction": N_("Satisfaction (1: not at all, 5: very satisfied)"),
    "change": N_("Change in practice"),
    "comment": N_("Comment"),
}


@dataclass(slots=True)
class EvaluationSummary:
    """How learners rated an activity: answers per satisfaction level (1-5) and per
    change-in-practice answer, the mean satisfaction, and the comments (without who wrote
    them)."""

    answers: int = 0
    satisfaction: dict[int, int] = field(default_factory=lambda: dict.fromkeys(range(1, 6), 0))
    change: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CHANGE_NAMES, 0))
    comments: list[str] = field(default_factory=list)

    @property
    def mean_satisfaction(self) -> Decimal | None:
        """Rounded to one decimal (half up); None without answers."""
        if not self.answers:
            return None
        total = sum(level * count for level, count in self.satisfaction.items())
        return (Decimal(total) / self.answers).quantize(Decimal("0.1"), rounding="ROUND_HALF_UP")


def evaluation_summary(evaluations: Iterable[ActivityEvaluation]) -> EvaluationSummary:
    """One pass over the answers (memory grows with the comments only)."""
    summary = EvaluationSummary()
    for evaluation in evaluations:
        summary.answers += 1
        summary.satisfaction[evaluation.satisfaction] += 1
        summary.change[evaluation.change_in_practice] += 1
        if evaluation.comment:
            summary.comments.append(evaluation.comment)
    return summary


def evaluation_csv_rows(summary: EvaluationSummary, labels: Labels = None) -> Iterator[list[str]]:
    """Rows for a CSV: question, answer, learners; satisfaction 1-5, then each change in
    practice (translated by `labels`, gettext or a map over the English texts), then each
    comment on its own row (people's text: guarded against formula injection)."""

    def text(english: str) -> str:
        if labels is None:
            return english
        if callable(labels):
            return labels(english)
        return labels.get(english, english)

    names = EVALUATION_LABELS
    yield [safe_cell(text(names[k])) for k in ("question", "answer", "count")]
    for level, count in summary.satisfaction.items():
        yield [safe_cell(text(names["satisfaction"])), str(level), str(count)]
    for code, count in summary.change.items():
        yield [safe_cell(text(names["change"])), safe_cell(text(CHANGE_NAMES[code])), str(count)]
    for comment in summary.comments:
        yield [safe_cell(text(names["comment"])), safe_cell(comment), ""]


# ---- SVG chart ------------------------------------------------------------------------------

NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
WIDTH, ROW, LEFT, LABEL_CHARS = 560, 28, 180, 24
BAR_COLOUR = "#0072B2"  # Okabe-Ito blue: told apart by colour-blind readers, 5.2:1 on white


def _text(parent: ET.Element, tag: str, text: str, attrs: dict[str, str] | None = None):
    """A child with text; characters XML 1.0 cannot carry are dropped, the serializer
    escapes the rest."""
    element = ET.SubElement(parent, tag, attrs or {})
    element.text = NOT_XML.sub("", text)
    return element


def _short(text: str) -> str:
    return text if len(text) <= LABEL_CHARS else text[: LABEL_CHARS - 1] + "…"


def report_to_svg(
    report: CreditReport,
    dimension: str = "title",
    title: str | None = None,
    names: Mapping[str, str] | None = None,
    no_data: str | None = None,
    *,
    labels: Labels = None,
    id_prefix: str | None = None,
) -> str:
    """Credits awarded per group of one dimension as a horizontal bar chart (SVG text).

    Accessible: `role="img"` labelled by its `<title>` and `<desc>` (the desc lists every
    group and its credits, so a screen reader reads the whole chart), each bar has its own
    `<title>`, values are written beside the bars. No script, no external resource; every text
    is escaped by the serializer. `names` translate group keys ("junior" -> "初级");
    `title`/`no_data` override the labels (`labels` as in `report_csv_rows`); `id_prefix` keeps
    ids unique when several charts share a page (default: from the dimension).
    """
    text = _labels(labels)
    names = names or {}
    title = title or text["chart_title"].format(what=text[dimension].lower())
    no_data = no_data or text["no_data"]
    prefix = id_prefix or f"cme-credit-{dimension}"
    groups = ordered_groups(report, dimension)
    height = 50 + ROW * max(1, len(groups))
    svg = ET.Element(
        "svg",
        {
            "xmlns": "http://www.w3.org/2000/svg",
            "viewBox": f"0 0 {WIDTH} {height}",
            "width": "100%",
            "role": "img",
            "aria-labelledby": f"{prefix}-title {prefix}-desc",
            "font-family": "sans-serif",
            "font-size": "12",
        },
    )
    _text(svg, "title", title, {"id": f"{prefix}-title"})
    description = "; ".join(f"{names.get(k, k)}: {_number(g.credits)}" for k, g in groups)
    _text(svg, "desc", description or no_data, {"id": f"{prefix}-desc"})
    _text(svg, "text", title, {"x": "8", "y": "20", "font-size": "14"})
    top = max((g.credits for _, g in groups), default=Decimal(0))
    for index, (key, group) in enumerate(groups):
        y = 34 + index * ROW
        name = names.get(key, key)
        _text(svg, "text", _short(name), {"x": "8", "y": str(y + 14)})
        bar = float(group.credits / top) * (WIDTH - LEFT - 70) if top else 0.0
        rect = ET.SubElement(
            svg,
            "rect",
            {
                "x": str(LEFT),
                "y": str(y),
                "width": f"{bar:.1f}",
                "height": "18",
                "fill": BAR_COLOUR,
            },
        )
        _text(rect, "title", f"{name}: {_number(group.credits)}")
        _text(svg, "text", _number(group.credits), {"x": f"{LEFT + bar + 6:.1f}", "y": str(y + 14)})
    if not groups:
        _text(svg, "text", no_data, {"x": "8", "y": "44"})
    return ET.tostring(svg, encoding="unicode")
