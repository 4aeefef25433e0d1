"""Growth: how time and peak memory of bulk work scale with the number of records.

Issue 6 asks for credit export (CSV, XML, xAPI to the real Ralph LRS) and referral analytics
at 1k, 10k and 100k records, each beside a plain writer over the same rows ("exports within
1.5x (CSV) and 2x (XML) of a plain writer; memory flat in N"). `CASES` holds the baseline and
the referral analytics; the credit exporters join when they land. Add a case with one `GrowthCase`
whose `run(n, directory)` does the work for n records and writes into `directory`.

Time is the median wall time of `repeats` runs without tracing; peak memory is the peak of
Python allocations (tracemalloc) in one more, traced run, since tracing itself slows the code.
"""

import csv
import statistics
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

SIZES = (1_000, 10_000, 100_000)
QUICK_SIZES = (1_000, 10_000)

CREDIT_COLUMNS = [
    "learner_id",
    "institution",
    "course_id",
    "activity",
    "credit_type",
    "hours",
    "awarded_at",
]


def credit_rows(n: int) -> Iterator[list[str]]:
    """n plausible credit rows, generated lazily so the input itself costs no memory in N."""
    start = datetime(2026, 1, 1, 8, 0, tzinfo=UTC)
    for i in range(n):
        yield [
            f"learner-{i % 5000:05d}",
            f"hospital-{i % 37:02d}",
            f"course-v1:Consortium+CME{i % 12:02d}+2026",
            f"case-{i % 240:03d}",
            "I" if i % 3 else "II",
            f"{0.5 * (1 + i % 4):.1f}",
            (start + timedelta(minutes=7 * i)).isoformat(),
        ]


def plain_csv_writer(n: int, directory: Path) -> None:
    """The baseline: the standard library's csv.writer streaming the rows to a file."""
    with (directory / "credits.csv").open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(CREDIT_COLUMNS)
        writer.writerows(credit_rows(n))


@dataclass(frozen=True)
class GrowthCase:
    name: str
    run: Callable[[int, Path], None]
    baseline: str | None = None  # name of the case it is compared with


def decision_records(n: int):
    """n referral decision records from 37 institutions of the three tiers and up to 5,000
    learners, generated lazily (as the plugin streams them from its table)."""
    from referral_tracking.analytics import DecisionRecord

    tiers = ("primary", "secondary", "tertiary")
    classes = ("correct", "correct", "over_referral", "under_referral")
    for i in range(n):
        yield DecisionRecord(
            learner_id=f"learner-{i % 5000:05d}",
            institution_id=f"hospital-{i % 37:02d}",
            tier=tiers[(i % 37) % 3],
            scenario_id=f"scenario-{i % 4}",
            ruleset_id="hypertension",
            classification=classes[i % 4],
            urgency_error=i % 5 == 0,
            missing_letter_items=("question",) if i % 6 == 0 else (),
            follow_up_due=i % 2 == 0,
            follow_up_on_time=i % 4 == 0,
        )


def referral_analytics(n: int, directory: Path) -> None:
    """The staff view's work: one pass over n records, then the CSV and the SVG chart."""
    from referral_tracking import aggregate, report_to_csv_rows, report_to_svg

    report = aggregate(decision_records(n))
    with (directory / "referral-analytics.csv").open("w", newline="", encoding="utf-8") as out:
        csv.writer(out).writerows(report_to_csv_rows(report))
    (directory / "referral-analytics.svg").write_text(report_to_svg(report), encoding="utf-8")


def credit_records(n: int):
    """n awarded credit records, built without re-validation (as trusted rows from the ledger);
    the same learners, institutions and dates as `credit_rows`."""
    from decimal import Decimal

    from credit_export import CreditRecord, LearnerProfile

    start = datetime(2026, 1, 1, 8, 0, tzinfo=UTC)
    titles = ("junior", "intermediate", "senior")
    for i in range(n):
        profile = LearnerProfile.model_construct(
            name=f"learner-{i % 5000:05d}",
            licence_number=f"1104401{i % 5000:08d}",
            title=titles[i % 3],
            institution=f"hospital-{i % 37:02d}",
            tier="primary",
            department="General practice",
            discipline="General practice",
        )
        yield CreditRecord.model_construct(
            learner_id=f"learner-{i % 5000:05d}",
            project_number=f"2026-05-{i % 240:03d}",
            activity_name=f"case-{i % 240:03d}",
            level="provincial",
            credit_class="I" if i % 3 else "II",
            credits=Decimal("0.5") * (1 + i % 4),
            awarded_at=start + timedelta(minutes=7 * i),
            score_percent=80,
            profile=profile,
            evidence=[],
            status="awarded",
        )


def plain_writer_same_records(n: int, directory: Path) -> None:
    """The baseline for our exporter: csv.writer over the same records, no BOM, no formula
    guard, fields as they come ("the same rows from the same query")."""
    with (directory / "credits-plain.csv").open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        for r in credit_records(n):
            p = r.profile
            writer.writerow(
                [
                    p.name,
                    p.licence_number,
                    p.title,
                    p.institution,
                    p.department,
                    r.project_number,
                    r.activity_name,
                    r.level,
                    r.credit_class,
                    r.credits,
                    r.awarded_at.date().isoformat(),
                    r.score_percent,
                ]
            )


def credit_csv(n: int, directory: Path) -> None:
    """Our exporter: formula-safe cells, BOM, registration columns, streamed in chunks."""
    from credit_export import iter_csv

    with (directory / "credits-ours.csv").open("w", newline="", encoding="utf-8") as out:
        for chunk in iter_csv(credit_records(n)):
            out.write(chunk)


def credit_xml(n: int, directory: Path) -> None:
    """Our XML exporter (lxml's incremental writer), valid against the shipped XSD."""
    from credit_export import iter_xml

    generated = datetime(2026, 11, 22, tzinfo=UTC)
    with (directory / "credits-ours.xml").open("wb") as out:
        for chunk in iter_xml(credit_records(n), generated):
            out.write(chunk)


CASES: list[GrowthCase] = [
    GrowthCase("csv.writer baseline", plain_csv_writer),
    GrowthCase("referral analytics", referral_analytics, baseline="csv.writer baseline"),
    GrowthCase("csv.writer over the same credit records", plain_writer_same_records),
    GrowthCase(
        "credit CSV export",
        credit_csv,
        baseline="csv.writer over the same credit records",
    ),
    GrowthCase(
        "credit XML export",
        credit_xml,
        baseline="csv.writer over the same credit records",
    ),
]


def measure_case(case: GrowthCase, n: int, repeats: int) -> dict:
    """Median time over `repeats` untraced runs, then one traced run for peak memory."""
    times = []
    with tempfile.TemporaryDirectory(prefix="cme-growth-") as tmp:
        for _ in range(repeats):
            start = time.perf_counter()
            case.run(n, Path(tmp))
            times.append((time.perf_counter() - start) * 1000)
        tracemalloc.start()
        try:
            case.run(n, Path(tmp))
            _current, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    return {
        "case": case.name,
        "n": n,
        "median_ms": round(statistics.median(times), 2),
        "peak_kib": round(peak / 1024, 1),
        "baseline": case.baseline,
    }


def run_growth(sizes: tuple[int, ...], repeats: int) -> list[dict]:
    """Every case at every size; a case with a baseline gets its time ratio to it."""
    results = [measure_case(case, n, repeats) for case in CASES for n in sizes]
    by_key = {(r["case"], r["n"]): r for r in results}
    for result in results:
        if result["baseline"]:
            base = by_key[(result["baseline"], result["n"])]
            result["ratio_to_baseline"] = round(result["median_ms"] / base["median_ms"], 2)
    return results


def plot(results: list[dict], path: Path) -> None:
    """Time (log-log) and peak memory (from zero) against N, one line per case, as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax_time, ax_mem) = plt.subplots(1, 2, figsize=(10, 4), constrained_layout=True)
    for case in dict.fromkeys(r["case"] for r in results):
        rows = sorted((r for r in results if r["case"] == case), key=lambda r: r["n"])
        sizes = [r["n"] for r in rows]
        ax_time.plot(sizes, [r["median_ms"] for r in rows], marker="o", label=case)
        if all(r["peak_kib"] is not None for r in rows):  # a baseline in another process: none
            ax_mem.plot(sizes, [r["peak_kib"] for r in rows], marker="o", label=case)
    ax_time.set_yscale("log")  # linear growth is a slope-1 line
    ax_mem.set_ylim(bottom=0)  # linear axis from zero, so "flat in N" looks flat
    for axis, label in ((ax_time, "time (ms, median)"), (ax_mem, "peak Python memory (KiB)")):
        axis.set_xscale("log")
        axis.set_xlabel("records (N)")
        axis.set_ylabel(label)
        axis.grid(True, which="both", alpha=0.3)
        axis.legend()
    ax_time.set_title("Time against N")
    ax_mem.set_title("Peak memory against N")
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
