"""xAPI push throughput against a real Ralph LRS, beside Ralph's own ingest of the same
statements posted in one bulk request (issue 5).

    .venv-bench/bin/python -m benchmarks.lrs [--sizes 1000 10000]

For each size, a fresh Ralph (its filesystem backend, as the tests start it) receives:
- the baseline: all N statements in one POST (Ralph's bulk ingest, nothing else);
- ours, on another fresh Ralph: `credit_export.lrs.push_statements` with its defaults (batches of
  100, each confirmed before the checkpoint moves on), from the same statements.
Both must leave exactly N statements stored; a wrong count fails the run. Reported: statements
per second of each and the time ratio ours / bulk.
"""

import argparse
import json
import statistics
import time

import requests

from credit_export.lrs import MemoryCheckpoint, push_statements
from credit_export.xapi import statement_for
from tests.conftest import free_port
from tests.support.ralph_lrs import XAPI_HEADERS, RalphLRS

from .growth import credit_records

HOME = "https://lms.consortium.example.org"


def statements(n: int) -> list[dict]:
    return [
        statement_for(record, actor_id=f"anon-{i}", homepage=HOME, platform=HOME)
        for i, record in enumerate(credit_records(n))
    ]


def _fresh_lrs() -> RalphLRS:
    return RalphLRS(free_port()).start()


def _stored(lrs: RalphLRS) -> int:
    return len({s["id"] for s in lrs.statements()})


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
        lrs.stop()


def ours(items: list[dict], batch_size: int) -> float:
    lrs = _fresh_lrs()
    try:
        start = time.perf_counter()
        report = push_statements(
            lambda: iter(items),
            endpoint=lrs.endpoint,
            auth=lrs.auth,
            checkpoint=MemoryCheckpoint(),
            batch_size=batch_size,
        )
        elapsed = time.perf_counter() - start
        assert report.ok and report.sent == len(items), report
        assert _stored(lrs) == len(items), "push: not every statement stored"
        return elapsed
    finally:
        lrs.stop()


def run_lrs(sizes: tuple[int, ...], repeats: int = 1, batch_size: int = 100) -> list[dict]:
    results = []
    for n in sizes:
        items = statements(n)
        base = statistics.median(bulk(items) for _ in range(repeats))
        mine = statistics.median(ours(items, batch_size) for _ in range(repeats))
        results.append(
            {
                "n": n,
                "batch": batch_size,
                "bulk_s": round(base, 3),
                "push_s": round(mine, 3),
                "bulk_per_s": round(n / base),
                "push_per_s": round(n / mine),
                "ratio": round(mine / base, 2),
            }
        )
        print(json.dumps(results[-1]), flush=True)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--batch", type=int, default=100, help="statements per POST (ours)")
    args = parser.parse_args(argv)
    run_lrs(tuple(args.sizes), args.repeats, args.batch)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
