"""The CME office's report: credits awarded by professional title, discipline, institution
tier and month, in one pass over the ledger (memory: one counter per group)."""

import xml.etree.ElementTree as ET
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from .schema import CreditRecord

DIMENSIONS = ("title", "discipline", "tier", "month")


@dataclass
class Group:
    learners: set[str] = field(default_factory=set)
    awards: int = 0
    credits: Decimal = Decimal(0)


@dataclass
class CreditReport:
    total: Group = field(default_factory=Group)
    by: dict[str, dict[str, Group]] = field(
        default_factory=lambda: {d: defaultdict(Group) for d in DIMENSIONS}
    )


def credit_report(records: Iterable[CreditRecord]) -> CreditReport:
    report = CreditReport()
    for record in records:
        if record.status != "awarded":
            continue
        keys = {
            "title": record.profile.title,
            "discipline": record.profile.discipline,
            "tier": record.profile.tier,
            "month": record.awarded_at.strftime("%Y-%m"),
        }
        for group in (report.total, *(report.by[d][k] for d, k in keys.items())):
            group.learners.add(record.learner_id)
            group.awards += 1
            group.credits += record.credits
    return report


def report_csv_rows(report: CreditReport, labels: dict[str, str]) -> Iterable[list[str]]:
    """dimension, group, learners, awards, credits (header labels given, translated)."""
    yield [labels[k] for k in ("dimension", "group", "learners", "awards", "credits")]
    yield [
        labels["total"],
        "",
        str(len(report.total.learners)),
        str(report.total.awards),
        format(report.total.credits.normalize(), "f"),
    ]
    for dimension in DIMENSIONS:
        for key, group in sorted(report.by[dimension].items()):
            yield [
                labels[dimension],
                key,
                str(len(group.learners)),
                str(group.awards),
                format(group.credits.normalize(), "f"),
            ]


def report_to_svg(
    report: CreditReport, dimension: str, title: str, names: dict[str, str], no_data: str
) -> str:
    """Credits awarded per group of one dimension: labelled horizontal bars, accessible."""
    groups = sorted(report.by[dimension].items())
    width, row, left = 560, 28, 170
    height = 50 + row * max(1, len(groups))
    svg = ET.Element(
        "svg",
        {
            "xmlns": "http://www.w3.org/2000/svg",
            "viewBox": f"0 0 {width} {height}",
            "width": "100%",
            "role": "img",
            "aria-label": title,
            "font-family": "sans-serif",
            "font-size": "12",
        },
    )
    ET.SubElement(svg, "title").text = title
    ET.SubElement(svg, "desc").text = (
        "; ".join(f"{names.get(k, k)}: {format(g.credits.normalize(), 'f')}" for k, g in groups)
        or no_data
    )
    ET.SubElement(svg, "text", {"x": "8", "y": "20", "font-size": "14"}).text = title
    top = max((g.credits for _, g in groups), default=Decimal(0))
    for index, (key, group) in enumerate(groups):
        y = 34 + index * row
        ET.SubElement(svg, "text", {"x": "8", "y": str(y + 14)}).text = names.get(key, key)[:26]
        bar = float(group.credits / top) * (width - left - 70) if top else 0
        ET.SubElement(
            svg,
            "rect",
            {"x": str(left), "y": str(y), "width": f"{bar:.1f}", "height": "18", "fill": "#0b4f8a"},
        )
        ET.SubElement(svg, "text", {"x": f"{left + bar + 6:.1f}", "y": str(y + 14)}).text = format(
            group.credits.normalize(), "f"
        )
    if not groups:
        ET.SubElement(svg, "text", {"x": "8", "y": "44"}).text = no_data
    return ET.tostring(svg, encoding="unicode")
