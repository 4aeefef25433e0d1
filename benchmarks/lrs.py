"""xAPI push throughput against a real Ralph LRS, beside Ralph's own ingest of the same
statements posted in one bulk request (issue 5).

    .venv-bench/bin/python -m benchmarks.lrs [--sizes 1000 10000]

For each size, a fresh Ralph (its filesystem backend, as the tests start it) receives:
- the baseline: all N statements in one POST (Ralph's bulk ingest, nothing else);
- ours, on another fresh Ralph: `credit_export.lrs.push_statements` in batches of 500 (the
  block's and the command's default, `CME_LRS_BATCH_SIZE`), each confirmed before the
  checkpoint moves on, from the same statements.
Both must leave exactly N statements stored; a wrong count fails the run. Reported: statements
per second of each and the time ratio ours / bulk. `benchmarks.run` runs it at `SIZES`
(`QUICK_SIZES` with `--quick`) and adds `markdown(results)` to its report.
"""

import argparse
import json
import statistics
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import requests

from credit_export import CreditRecord, LearnerProfile
from credit_export.lrs import MemoryCheckpoint, push_statements
from credit_export.xapi import statement_for
from tests.conftest import free_port
from tests.support.ralph_lrs import MAX_PAGE, XAPI_HEADERS, RalphLRS

HOME = "https://lms.consortium.example.org"
SIZES = (1_000, 10_000, 100_000)
#: From this size on, each measurement runs once: with Ralph's filesystem backend, which reads
#: its whole store on every POST, a push of 100k takes about three minutes.
ONCE_FROM = 100_000
#: The adapter's default batch (xblocks.records.xapi_push.DEFAULT_BATCH_SIZE).
BATCH = 500
QUICK_SIZES = (200, 1_000)


def credit_records(n: int):
    """n awarded credit records, built without re-validation (as trusted rows), generated
    lazily. The push is timed against a live LRS in this process, without the ledger's
    database; the export cases of `benchmarks.growth` read the real ledger instead."""
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


def statements(n: int) -> list[dict]:
    return list(statements_stream(n)())


def _fresh_lrs() -> RalphLRS:
    return RalphLRS(free_port()).start()


def _stop(lrs: RalphLRS) -> None:
    lrs.discard()  # thousands of statements per run


def _stored(lrs: RalphLRS) -> int:
    ids = [s["id"] for s in lrs.statements(page=MAX_PAGE)]
    assert len(ids) == len(set(ids)), "a statement id is stored twice"
    return len(ids)


def bulk(items: list[dict]) -> float:
    lrs = _fresh_lrs()
    try:
        body = json.dumps(items)
        start = time.perf_counter()
        response = requests.post(
            f"{lrs.endpoint}/statements",
            data=body,
            auth=lrs.auth,
            headers={**XAPI_HEADERS, "Content-Type": "application/json"},
            timeout=600,
        )
        elapsed = time.perf_counter() - start
        assert response.status_code == 200, response.text[:300]
        assert _stored(lrs) == len(items), "bulk: not every statement stored"
        return elapsed
    finally:
        _stop(lrs)


def ours(items: list[dict], batch_size: int) -> tuple[float, float]:
    """Wall time of the push, and the CPU time of the pushing process alone (Ralph runs in its
    own): what the push itself costs, whatever the LRS does with each batch."""
    lrs = _fresh_lrs()
    try:
        cpu = time.process_time()
        start = time.perf_counter()
        report = push_statements(
            lambda: iter(items),
            endpoint=lrs.endpoint,
            auth=lrs.auth,
            checkpoint=MemoryCheckpoint(),
            batch_size=batch_size,
        )
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
        assert report.ok and report.sent == len(items), report
        assert _stored(lrs) == len(items), "push: not every statement stored"
        return elapsed, cpu
    finally:
        _stop(lrs)


def push_peak_kib(n: int, batch_size: int) -> float:
    """Peak memory of the push itself, statements made as it streams them (as the ledger's
    query does): flat in N means nothing holds the whole export."""
    lrs = _fresh_lrs()
    try:
        records = statements_stream(n)
        tracemalloc.start()
        try:
            report = push_statements(
                records,
                endpoint=lrs.endpoint,
                auth=lrs.auth,
                checkpoint=MemoryCheckpoint(),
                batch_size=batch_size,
            )
            _current, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert report.ok and report.sent == n, report
        assert _stored(lrs) == n, "push: not every statement stored"
        return round(peak / 1024, 1)
    finally:
        _stop(lrs)


def statements_stream(n: int):
    return lambda: (
        statement_for(record, actor_id=f"anon-{i}", homepage=HOME, platform=HOME)
        for i, record in enumerate(credit_records(n))
    )


def run_lrs(sizes: tuple[int, ...], repeats: int = 1, batch_size: int = BATCH) -> list[dict]:
    results = []
    for n in sizes:
        items = statements(n)
        runs = 1 if n >= ONCE_FROM else repeats
        base = statistics.median(bulk(items) for _ in range(runs))
        pushes = [ours(items, batch_size) for _ in range(runs)]
        mine = statistics.median(wall for wall, _cpu in pushes)
        results.append(
            {
                "n": n,
                "batch": batch_size,
                "runs": runs,
                "bulk_s": round(base, 3),
                "push_s": round(mine, 3),
                "push_cpu_s": round(statistics.median(cpu for _wall, cpu in pushes), 3),
                "bulk_per_s": round(n / base),
                "push_per_s": round(n / mine),
                "ratio": round(mine / base, 2),
                "push_peak_kib": push_peak_kib(n, batch_size),
            }
        )
        print(json.dumps(results[-1]), flush=True)
    judge(results)
    return results


#: The push's memory counts as flat when its peak at every N is within this factor (plus
#: `FLAT_SLACK_KIB`) of its peak at the smallest N from `FLAT_FROM` on (two batches: below,
#: the batch itself is not full).
FLAT_FACTOR, FLAT_SLACK_KIB, FLAT_FROM = 1.25, 64.0, 2 * BATCH
#: Above this ratio to the bulk ingest, the report says why (the issue sets no time target).
SLOW_RATIO = 2.0


def judge(results: list[dict]) -> None:
    """`met`/`missed` against the issue's only target for the push: memory flat in N."""
    by_n = sorted(results, key=lambda r: r["n"])
    reference = next((r for r in by_n if r["n"] >= FLAT_FROM), None)
    for r in results:
        missed = []
        if reference and r["n"] > reference["n"]:
            allowed = reference["push_peak_kib"] * FLAT_FACTOR + FLAT_SLACK_KIB
            if r["push_peak_kib"] > allowed:
                missed.append(
                    f"peak memory {r['push_peak_kib']} KiB against "
                    f"{reference['push_peak_kib']} KiB at {reference['n']:,} "
                    "(target: memory flat in N)"
                )
        r["met"], r["missed"] = not missed, missed


def markdown(results: list[dict]) -> str:
    """The report's subsection for `run_lrs` results."""
    lines = [
        "### xAPI push into Ralph beside one bulk POST of the same statements",
        "",
        "| N | batch | runs | bulk, statements/s | ours, statements/s | ours / bulk (time) "
        "| push CPU s (ours alone) | push peak KiB | memory flat? |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    lines += [
        f"| {r['n']:,} | {r['batch']} | {r.get('runs', '')} | {r['bulk_per_s']:,} "
        f"| {r['push_per_s']:,} | {r['ratio']}x | {r.get('push_cpu_s', '')} "
        f"| {r.get('push_peak_kib', '')} | {verdict(r)} |"
        for r in results
    ]
    return "\n".join(lines) + "\n"


def verdict(row: dict) -> str:
    if "met" not in row:
        return ""
    return "met" if row["met"] else "**missed**"


def plot_rows(results: list[dict]) -> list[dict]:
    """The push and its baseline as rows of the growth plot (time; the push's memory)."""
    rows = []
    for r in results:
        rows.append(
            {
                "case": "xAPI push to Ralph",
                "n": r["n"],
                "median_ms": r["push_s"] * 1000,
                "peak_kib": r.get("push_peak_kib"),
            }
        )
        rows.append(
            {
                "case": "Ralph bulk POST (baseline)",
                "n": r["n"],
                "median_ms": r["bulk_s"] * 1000,
                "peak_kib": None,
            }
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--batch", type=int, default=BATCH, help="statements per POST (ours)")
    args = parser.parse_args(argv)
    run_lrs(tuple(args.sizes), args.repeats, args.batch)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
