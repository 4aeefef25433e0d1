"""Growth: how time and peak memory of bulk work scale with the number of records.

Issue 6 asks for credit export (CSV, XML, xAPI to the real Ralph LRS) and referral analytics
at 1k, 10k and 100k records, each beside a plain writer over the same rows ("exports within
1.5x (CSV) and 2x (XML) of a plain writer; memory flat in N"). The xAPI push is in
`benchmarks.lrs`; the rest is here.

From the same query: for each N, a worker process (`python -m benchmarks.growth --worker N`)
configures the workbench settings on a temporary SQLite database of its own, migrates it and
seeds the plugin app's tables with N credit awards (one activity, N learners) and N referral
decisions (one course). Every case then reads those rows through the same query:
- our credit exporters read `xblocks.records.ledger.activity_records` (the export handlers'
  and the management command's query: each row read back as the ledger stored it,
  `credit_export.stored`); their
  baselines write the rows of that same query (`ledger_rows`, the JSON each row holds) with
  a plain `csv.writer` or a plain `lxml.etree.xmlfile` writer;
- the referral analytics (the staff view's aggregate, CSV and SVG chart) and its baseline,
  one plain pass counting decisions by tier in a dict, both read
  `xblocks.records.decisions.decision_records` (the staff view's query).

Time: the median of `repeats` runs per case (at most `FEWER_REPEATS` at 100k), interleaved
(A B C ..., B C ... A, ...) after one untimed warm-up round, so that whatever else the machine
does falls on every case alike.
Memory, for each case in a fresh process of its own: the peak of Python's allocations
(tracemalloc) in one traced run, and the growth of the resident set (the peak RSS, VmHWM,
reset just before, over the RSS before the run; Linux) in one untraced run. tracemalloc sees
only what Python allocates: libxml2 (under lxml) and SQLite allocate with C's malloc, which
only the RSS shows.

Correctness checks fail the run: every case must read exactly N records, the CSV exports must
hold N rows and the XML export must be valid against the shipped XSD with N credits.
"""

import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

SIZES = (1_000, 10_000, 100_000)
QUICK_SIZES = (1_000, 10_000)
#: The activity and course the seeded rows belong to (one activity's export, as staff ask).
PROJECT = "2026-05-01-003"
COURSE = "course-v1:Consortium+CME03+2026"
#: Learners in the seeded referral decisions: a consortium's cohort, whatever N.
REFERRAL_LEARNERS = 5_000
SEED_BATCH = 2_000
#: Memory counts as flat in N when the peak at every N is within this factor of the peak at
#: the reference N, plus `FLAT_SLACK_KIB` (allocator noise). The reference is the smallest N
#: measured from `FLAT_FROM` on: both queries fetch rows in chunks of 2,000
#: (`.iterator(chunk_size=2000)`), so below that every case, baselines included, holds more
#: rows at once as N grows; beyond it nothing may grow with N.
FLAT_FACTOR = 1.25
FLAT_SLACK_KIB = 64.0
FLAT_FROM = 2_000
#: From this N on, each case runs this many timed rounds at most (a full run stays minutes).
FEWER_REPEATS_FROM, FEWER_REPEATS = 100_000, 3


# ---- the seeded tables ----------------------------------------------------------------------


def use_database(var_dir: Path, migrate: bool) -> None:
    """Configure Django (the workbench settings) on the SQLite database in `var_dir`."""
    from benchmarks.records import use_database as configure

    configure(var_dir)
    if migrate:
        from django.core.management import call_command

        call_command("migrate", run_syncdb=True, verbosity=0, interactive=False)


def credit_template() -> dict:
    """One real award as the ledger stores it (`record`: a validated CreditRecord as JSON):
    a module's credit with its two components as evidence."""
    from credit_export import CreditRecord

    at = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
    record = CreditRecord.model_validate(
        {
            "learner_id": "learner-000000",
            "project_number": PROJECT,
            "activity_name": "Community management of hypertension and graded referral",
            "level": "provincial",
            "credit_class": "I",
            "credits": "1",
            "awarded_at": at,
            "score_percent": 85,
            "profile": {
                "name": "王晓梅",
                "licence_number": "110440100000000",
                "title": "intermediate",
                "institution": "青山镇卫生院",
                "tier": "primary",
                "department": "全科",
                "discipline": "General practice",
            },
            "evidence": [
                {"usage_id": "case", "score": 8, "max_score": 10, "completed_at": at},
                {"usage_id": "referral", "score": 9, "max_score": 10, "completed_at": at},
            ],
            "evaluation_done": True,
        }
    )
    return record.model_dump(mode="json")


def seed(n: int) -> None:
    """n credit awards of `PROJECT` (n learners) and n referral decisions in `COURSE`."""
    from xblocks.records.models import CreditAward, ReferralDecisionRecord

    template = credit_template()
    start = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
    titles = ("junior", "intermediate", "senior")
    awards = []
    for i in range(n):
        at = start + timedelta(minutes=7 * i)
        learner = f"learner-{i:06d}"
        record = {
            **template,
            "learner_id": learner,
            "awarded_at": at.isoformat().replace("+00:00", "Z"),
            "score_percent": 60 + i % 41,
            "profile": {
                **template["profile"],
                "name": f"学员{i:06d}",
                "licence_number": f"1104401{i:08d}",
                "title": titles[i % 3],
                "institution": f"hospital-{i % 37:02d}",
            },
        }
        awards.append(
            CreditAward(
                learner_id=learner,
                anonymous_id=f"anon-{i}",
                project_number=PROJECT,
                course_id=COURSE,
                usage_id="credit",
                credit_class="I",
                credits=1,
                awarded_at=at,
                record=record,
            )
        )
        if len(awards) == SEED_BATCH:
            CreditAward.objects.bulk_create(awards)
            awards = []
    CreditAward.objects.bulk_create(awards)

    tiers = ("primary", "secondary", "tertiary")
    classes = ("correct", "correct", "over_referral", "under_referral")
    decisions = []
    for i in range(n):
        at = start + timedelta(minutes=3 * i)
        decisions.append(
            ReferralDecisionRecord(
                learner_id=f"learner-{i % REFERRAL_LEARNERS:05d}",
                course_id=COURSE,
                usage_id=f"referral-{i // REFERRAL_LEARNERS}",
                attempt=1,
                institution_id=f"hospital-{i % 37:02d}",
                tier=tiers[(i % 37) % 3],
                scenario_id=f"scenario-{i % 4}",
                ruleset_id="hypertension",
                classification=classes[i % 4],
                urgency_error=i % 5 == 0,
                missing_letter_items="question" if i % 6 == 0 else "",
                follow_up_due=i % 2 == 0,
                follow_up_on_time=i % 4 == 0,
                score=6 if i % 4 < 2 else 2,
                max_score=8,
                decided_at=at,
                updated_at=at,
            )
        )
        if len(decisions) == SEED_BATCH:
            ReferralDecisionRecord.objects.bulk_create(decisions)
            decisions = []
    ReferralDecisionRecord.objects.bulk_create(decisions)


def ledger_rows() -> Iterator[dict]:
    """The rows of the export's query, as the database gives them: the query of
    `xblocks.records.ledger.activity_records`, without turning each row into an
    exporter's record. `check_outputs` makes sure both give the same rows in the same order."""
    from xblocks.records.models import CreditAward

    rows = CreditAward.objects.order_by("awarded_at", "id").filter(project_number=PROJECT)
    yield from rows.values_list("record", flat=True).iterator(chunk_size=2000)


# ---- the cases ------------------------------------------------------------------------------

PLAIN_COLUMNS = (
    "name",
    "licence_number",
    "title",
    "institution",
    "department",
    "project_number",
    "activity_name",
    "level",
    "credit_class",
    "credits",
    "date",
    "score",
)


def plain_cells(row: dict) -> list:
    """A row's fields as they come: no formula guard, no number formatting, the date cut from
    the stored timestamp (UTC)."""
    p = row["profile"]
    return [
        p["name"],
        p["licence_number"],
        p["title"],
        p["institution"],
        p["department"],
        row["project_number"],
        row["activity_name"],
        row["level"],
        row["credit_class"],
        row["credits"],
        row["awarded_at"][:10],
        row["score_percent"],
    ]


def plain_csv(directory: Path) -> int:
    """Baseline: csv.writer over the query's rows."""
    count = 0
    with (directory / "credits-plain.csv").open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(PLAIN_COLUMNS)
        for row in ledger_rows():
            writer.writerow(plain_cells(row))
            count += 1
    return count


def plain_xml(directory: Path) -> int:
    """Baseline: lxml's incremental writer over the query's rows, each row built as a plain
    `<credit>` element (the textbook xmlfile idiom), same namespace and tags as ours."""
    from lxml import etree

    from credit_export.xml_export import NAMESPACE

    tags = [
        ("learner", ("name", "licence-number", "title", "institution", "department")),
        ("activity", ("project-number", "name", "level", "class")),
    ]
    ns = f"{{{NAMESPACE}}}"
    count = 0
    with etree.xmlfile(str(directory / "credits-plain.xml"), encoding="utf-8") as out:
        out.write_declaration()
        with out.element(f"{ns}cme-credits", nsmap={None: NAMESPACE}):
            for row in ledger_rows():
                cells = iter(plain_cells(row))
                credit = etree.Element(f"{ns}credit")
                for group, children in tags:
                    parent = etree.SubElement(credit, f"{ns}{group}")
                    for tag in children:
                        etree.SubElement(parent, f"{ns}{tag}").text = str(next(cells))
                for tag in ("credits", "awarded", "score"):
                    etree.SubElement(credit, f"{ns}{tag}").text = str(next(cells))
                out.write(credit)
                count += 1
    return count


class Counted:
    """An iterator that counts what passes through it."""

    def __init__(self, items):
        self.items, self.count = iter(items), 0

    def __iter__(self):
        return self

    def __next__(self):
        item = next(self.items)
        self.count += 1
        return item


def read_ledger(directory: Path) -> int:
    """The exports' input alone: `activity_records` read to the end, nothing written."""
    from xblocks.records.ledger import activity_records

    return sum(1 for _record in activity_records(PROJECT))


def credit_csv(directory: Path) -> int:
    """Our exporter as the CSV handler runs it: formula-safe cells, BOM, the registration
    columns, streamed in chunks from the ledger's query."""
    from credit_export import iter_csv
    from xblocks.records.ledger import activity_records

    records = Counted(activity_records(PROJECT))
    with (directory / "credits-ours.csv").open("w", newline="", encoding="utf-8") as out:
        for chunk in iter_csv(records):
            out.write(chunk)
    return records.count


def credit_xml(directory: Path) -> int:
    """Our XML exporter as the XML handler runs it (lxml's incremental writer, valid against
    the shipped XSD), from the ledger's query."""
    from credit_export import iter_xml
    from xblocks.records.ledger import activity_records

    records = Counted(activity_records(PROJECT))
    generated = datetime(2026, 11, 22, tzinfo=UTC)
    with (directory / "credits-ours.xml").open("wb") as out:
        for chunk in iter_xml(records, generated):
            out.write(chunk)
    return records.count


def count_by_tier(directory: Path) -> int:
    """Baseline: one plain pass over the staff view's query, decisions counted by tier in a
    dict, the counts written as CSV."""
    from xblocks.records.decisions import decision_records

    counts: dict[str, int] = {}
    for record in decision_records(COURSE):
        counts[record.tier] = counts.get(record.tier, 0) + 1
    with (directory / "referral-tiers.csv").open("w", newline="", encoding="utf-8") as out:
        csv.writer(out).writerows(sorted(counts.items()))
    return sum(counts.values())


def referral_analytics(directory: Path) -> int:
    """The staff view's work: one pass over its query (by learner, institution and tier),
    then the CSV and the SVG chart."""
    from referral_tracking import aggregate, report_to_csv_rows, report_to_svg
    from xblocks.records.decisions import decision_records

    report = aggregate(decision_records(COURSE))
    with (directory / "referral-analytics.csv").open("w", newline="", encoding="utf-8") as out:
        csv.writer(out).writerows(report_to_csv_rows(report))
    (directory / "referral-analytics.svg").write_text(report_to_svg(report), encoding="utf-8")
    return report.overall.decisions


@dataclass(frozen=True)
class GrowthCase:
    name: str
    run: Callable[[Path], int]  # does the work on the seeded tables; returns records read
    baseline: str | None = None  # name of the case it is compared with
    max_ratio: float | None = None  # the time target against the baseline
    flat_memory: bool = False  # ours: the issue asks for memory flat in N
    ours: bool = False


BASE_CSV = "csv.writer over the ledger rows"
BASE_XML = "lxml xmlfile over the ledger rows"
BASE_TIERS = "one pass counting decisions by tier"

CASES: list[GrowthCase] = [
    GrowthCase(BASE_TIERS, count_by_tier),
    GrowthCase("referral analytics", referral_analytics, BASE_TIERS, flat_memory=True, ours=True),
    GrowthCase(BASE_CSV, plain_csv),
    # Not a target: what the exporters' input costs before a byte is written.
    GrowthCase("reading the ledger (activity_records)", read_ledger, BASE_CSV),
    GrowthCase("credit CSV export", credit_csv, BASE_CSV, 1.5, flat_memory=True, ours=True),
    GrowthCase(BASE_XML, plain_xml),
    GrowthCase("credit XML export", credit_xml, BASE_XML, 2.0, flat_memory=True, ours=True),
]
BY_NAME = {case.name: case for case in CASES}


def check_outputs(directory: Path, n: int) -> None:
    """The baselines read the exports' rows, in order; the exports hold what they should:
    N rows, a valid XML document with N credits."""
    from credit_export import validate_xml
    from xblocks.records.ledger import activity_records

    ours = (record.learner_id for record in activity_records(PROJECT))
    plain = (row["learner_id"] for row in ledger_rows())
    if any(a != b for a, b in zip(ours, plain, strict=True)):
        raise AssertionError("ledger_rows and activity_records give different rows")

    with (directory / "credits-ours.csv").open(newline="", encoding="utf-8-sig") as source:
        rows = sum(1 for _row in csv.reader(source)) - 1
    if rows != n:
        raise AssertionError(f"credit CSV export: {rows} rows for {n} records")
    problems = validate_xml(directory / "credits-ours.xml")
    if problems:
        raise AssertionError(f"credit XML export is not valid: {problems[:3]}")
    with (directory / "credits-ours.xml").open("rb") as source:
        credits = sum(line.count(b"</credit>") for line in source)
    if credits != n:
        raise AssertionError(f"credit XML export: {credits} credit elements for {n} records")


# ---- measuring ------------------------------------------------------------------------------


def run_checked(case: GrowthCase, n: int, directory: Path) -> float:
    """One run of `case`; milliseconds. A case that reads other than n records fails."""
    start = time.perf_counter()
    count = case.run(directory)
    elapsed = (time.perf_counter() - start) * 1000
    if count != n:
        raise AssertionError(f"{case.name}: read {count} records, {n} are stored")
    return elapsed


def time_cases(n: int, repeats: int, directory: Path) -> dict[str, list[float]]:
    """Every case `repeats` times, interleaved and rotating, after one untimed round."""
    samples: dict[str, list[float]] = {case.name: [] for case in CASES}
    for round_no in range(-1, repeats):
        start_at = round_no % len(CASES)
        for case in CASES[start_at:] + CASES[:start_at]:
            elapsed = run_checked(case, n, directory)
            if round_no >= 0:
                samples[case.name].append(elapsed)
    return samples


def _status_kib(field: str) -> int:
    """A memory field of /proc/self/status (VmRSS: now; VmHWM: peak), in KiB."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise OSError(f"no {field} in /proc/self/status")


def _reset_peak_rss() -> None:
    """Let the peak (VmHWM) start again from now: Linux's clear_refs 5."""
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")


def memory_of(case: GrowthCase, n: int) -> dict:
    """In this (fresh) process: peak RSS growth of one untraced run, then tracemalloc's peak
    of one traced run."""
    # Imported before measuring: what the modules take is not the case's memory.
    import credit_export  # noqa: F401
    import referral_tracking  # noqa: F401
    import xblocks.records.decisions
    import xblocks.records.ledger  # noqa: F401

    with tempfile.TemporaryDirectory(prefix="cme-growth-mem-") as tmp:
        directory = Path(tmp)
        # The process's own peak (VmHWM), not getrusage's ru_maxrss: a child's ru_maxrss
        # starts from its parent's peak at exec (seen here: a 300 MB parent gave its 12 MB
        # child 320 MB), which would hide the case behind the benchmark's own memory.
        _reset_peak_rss()
        before = _status_kib("VmRSS")
        run_checked(case, n, directory)
        peak_rss = _status_kib("VmHWM")
        tracemalloc.start()
        try:
            run_checked(case, n, directory)
            _current, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    return {"peak_kib": round(peak / 1024, 1), "rss_growth_kib": max(0, peak_rss - before)}


def _python(*args: str, var_dir: Path) -> dict:
    """Run this module in a new process on `var_dir`'s database; its JSON answer."""
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "CME_VAR_DIR": str(var_dir), "PYTHONUNBUFFERED": "1"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.growth", *args, "--var-dir", str(var_dir)],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise AssertionError(f"growth {' '.join(args)}: {done.stderr.strip()[-1500:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def worker(n: int, repeats: int, var_dir: Path) -> dict:
    """In this process: seed n records, time every case, check the exports; then each case's
    memory in a process of its own."""
    use_database(var_dir, migrate=True)
    started = time.perf_counter()
    seed(n)
    seed_s = round(time.perf_counter() - started, 1)
    with tempfile.TemporaryDirectory(prefix="cme-growth-") as tmp:
        samples = time_cases(n, repeats, Path(tmp))
        check_outputs(Path(tmp), n)
    return {"seed_s": seed_s, "samples": samples}


def judge(results: list[dict]) -> None:
    """Our rows: `met` and `missed` against the issue's time target (ratio to the baseline)
    and memory flat in N (against the smallest N measured)."""
    reference: dict[str, dict] = {}
    for row in sorted(results, key=lambda r: r["n"]):
        if row["n"] >= FLAT_FROM:
            reference.setdefault(row["case"], row)
    for row in results:
        case = BY_NAME[row["case"]]
        if not case.ours:
            continue
        missed = []
        if case.max_ratio is not None and row["ratio_to_baseline"] > case.max_ratio:
            missed.append(
                f"{row['ratio_to_baseline']}x the baseline (target <= {case.max_ratio:g}x)"
            )
        first = reference.get(row["case"])
        if case.flat_memory and first and row["n"] > first["n"]:
            allowed = first["peak_kib"] * FLAT_FACTOR + FLAT_SLACK_KIB
            if row["peak_kib"] > allowed:
                missed.append(
                    f"peak memory {row['peak_kib']} KiB against {first['peak_kib']} KiB at "
                    f"{first['n']:,} (target: memory flat in N)"
                )
        row["met"] = not missed
        row["missed"] = missed


def target_text(case: GrowthCase) -> str:
    """The issue's targets for one case, as the report shows them."""
    if not case.ours:
        return "" if case.baseline else "baseline"
    targets = [f"<= {case.max_ratio:g}x baseline"] if case.max_ratio else []
    return "; ".join([*targets, "memory flat"] if case.flat_memory else targets)


def run_growth(sizes: tuple[int, ...], repeats: int) -> list[dict]:
    """Every case at every size (a worker process per size); ratios to each case's baseline
    within the same size and worker, and the issue's targets judged."""
    results = []
    for n in sizes:
        with tempfile.TemporaryDirectory(prefix="cme-growth-db-") as tmp:
            var_dir = Path(tmp)
            rounds = min(repeats, FEWER_REPEATS) if n >= FEWER_REPEATS_FROM else repeats
            timed = _python("--worker", str(n), "--repeats", str(rounds), var_dir=var_dir)
            print(f"  {n:,}: seeded in {timed['seed_s']} s, timed; memory ...", flush=True)
            memory = {
                case.name: _python("--memory", case.name, "--n", str(n), var_dir=var_dir)
                for case in CASES
            }
        rows = {}
        for case in CASES:
            samples = timed["samples"][case.name]
            rows[case.name] = {
                "case": case.name,
                "n": n,
                "median_ms": round(statistics.median(samples), 2),
                "samples_ms": [round(s, 2) for s in samples],
                **memory[case.name],
                "baseline": case.baseline,
                "target": target_text(case),
            }
        for row in rows.values():
            if row["baseline"]:
                base = rows[row["baseline"]]["median_ms"]
                row["ratio_to_baseline"] = round(row["median_ms"] / base, 2)
        results += rows.values()
    judge(results)
    return results


def plot(results: list[dict], path: Path) -> None:
    """Time (log-log) and peak memory (from zero) against N, one line per case, as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax_time, ax_mem) = plt.subplots(1, 2, figsize=(11, 6), layout="constrained")
    cases = list(dict.fromkeys(r["case"] for r in results))
    with_memory = [
        c for c in cases if all(r["peak_kib"] is not None for r in results if r["case"] == c)
    ]
    for case in with_memory + [c for c in cases if c not in with_memory]:
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
    # One legend under both plots (a case has the same colour in both: a line without memory
    # figures comes last).
    fig.legend(*ax_time.get_legend_handles_labels(), loc="outside lower center", ncols=3)
    ax_time.set_title("Time against N")
    ax_mem.set_title("Peak memory (tracemalloc) against N")
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="growth cases on a seeded database")
    parser.add_argument("--var-dir", type=Path, help="the worker's database directory")
    parser.add_argument("--worker", type=int, metavar="N", help="seed N records, time cases")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--memory", metavar="CASE", help="one case's memory on the seeded N")
    parser.add_argument("--n", type=int, help="the records seeded (with --memory)")
    parser.add_argument("--sizes", type=int, nargs="+", help="run every case at these sizes")
    args = parser.parse_args(argv)
    if args.worker:
        answer = worker(args.worker, args.repeats, args.var_dir)
    elif args.memory:
        use_database(args.var_dir, migrate=False)
        answer = memory_of(BY_NAME[args.memory], args.n)
    else:
        answer = run_growth(tuple(args.sizes or QUICK_SIZES), args.repeats)
    print(json.dumps(answer))
    return 0


if __name__ == "__main__":
    sys.exit(main())
