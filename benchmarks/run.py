"""`python -m benchmarks.run [--quick]`: our blocks beside the runtime floor and peer XBlocks.

Starts the workbench (`benchmarks.serve`: `make run`'s server plus benchmark scenarios) on a
free port with a fresh var directory, then measures, interleaved:
- server: each block's learner action (a new learner per round, a new connection per request)
  and each block's `student_view` page;
- browser: each block's own JS+CSS bytes and the time until it is ready in Chromium;
- growth: the bulk cases of `benchmarks.growth`;
- lrs: the xAPI push into a real Ralph beside one bulk POST (`benchmarks.lrs`).

Full mode writes `benchmarks/results/latest.json`, `results/growth.png` and the generated part
of `benchmarks/README.md`. `--quick` (CI) runs few rounds and writes `results/quick.json`,
`results/quick.md` and `results/growth-quick.png` only (not committed), so the published
numbers stay those of a full run; `--out-dir DIR` puts a run's files in DIR instead and leaves
`benchmarks/` as it is. Numbers never fail a run; a wrong answer from a handler, a page, a
ledger check or an export does (exit status 1).
"""

import argparse
import json
import socket
import sys
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

from benchmarks import browser, growth, lrs, records, report
from benchmarks.targets import BLOCKS, HANDLER_FLOOR, PAGE_FLOOR, Block, judge, target_text
from benchmarks.timing import Session, Target, measure, ratios, summarize
from tests.support.workbench_server import WorkbenchServer

BENCH_DIR = Path(__file__).resolve().parent
RESULTS_DIR = BENCH_DIR / "results"
PAGE_STUDENT = "bench-page"
WARMUP = 3  # untimed server rounds before the timed ones


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def scenario_path(block: Block) -> str:
    return f"/scenario/{block.scenario_id}/?student={PAGE_STUDENT}"


def usage_id_in(html: str, block_type: str) -> str | None:
    """The usage id of the first element of `block_type` in a workbench page."""
    marker = f"data-block-type='{block_type}'"
    at = html.find(marker)
    if at < 0:
        return None
    start = html.rfind("data-usage='", 0, at)
    if start < 0:
        return None
    start += len("data-usage='")
    return html[start : html.index("'", start)]


def discover(session: Session) -> tuple[list[tuple[Block, str]], list[dict]]:
    """The registered blocks whose scenario the workbench has, with their usage ids."""
    found, skipped = [], []
    for block in BLOCKS:
        status, body = session.request("GET", scenario_path(block))
        if status == 404:
            print(f"skipped {block.name}: scenario {block.scenario_id} is not installed")
            skipped.append({"name": block.name, "scenario_id": block.scenario_id})
            continue
        if status != 200:
            raise AssertionError(f"{block.name}: scenario page answered HTTP {status}")
        usage_id = usage_id_in(body.decode(), block.block_type)
        if usage_id is None:
            raise AssertionError(f"{block.name}: no {block.block_type} block on its page")
        found.append((block, usage_id))
    names = {block.name for block, _usage in found}
    for floor in (HANDLER_FLOOR, PAGE_FLOOR):
        if floor not in names:
            raise AssertionError(f"the floor {floor!r} is missing: nothing to compare with")
    return found, skipped


def learner(block: Block, round_no: int) -> str:
    """The learner of one round: a new one each round (warm-up rounds are negative)."""
    return f"bench-{block.block_type.replace('_', '-')}-{round_no}"


def handler_path(block: Block, usage_id: str, round_no: int) -> str:
    assert block.action is not None
    return f"/handler/{usage_id}/{block.action.handler}/?student={learner(block, round_no)}"


def prepare_learners(
    session: Session, found: list[tuple[Block, str]], round_nos: range, var_dir: str
) -> None:
    """Untimed: what each round's learner did before the measured action (components
    completed, earlier handler calls), for the blocks whose action needs it."""
    needy = [(b, u) for b, u in found if b.action and (b.action.before or b.action.completed)]
    if any(b.action.completed for b, _u in needy):
        records.use_database(var_dir)
    for block, usage_id in needy:
        action = block.action
        if action.completed:
            records.seed_outcomes([learner(block, r) for r in round_nos], action.completed)
        for round_no in round_nos:
            for payload in action.before:
                status, body = session.request(
                    "POST", handler_path(block, usage_id, round_no), payload(round_no)
                )
                if status != 200:
                    raise AssertionError(
                        f"{block.name}: preparing a learner, {payload(round_no)['action']!r} "
                        f"answered HTTP {status}: {body[:300]!r}"
                    )


def check_awards(found: list[tuple[Block, str]], round_nos: range) -> None:
    """Each measured claim left exactly one award in the ledger, no more, no fewer."""
    for block, _usage_id in found:
        if not (block.action and block.action.awards):
            continue
        counts = records.awards_of([learner(block, r) for r in round_nos], block.action.awards)
        wrong = {who: n for who, n in counts.items() if n != 1}
        if wrong:
            raise AssertionError(f"{block.name}: awards in the ledger per learner: {wrong}")


def handler_target(block: Block, usage_id: str) -> Target:
    action = block.action
    assert action is not None
    return Target(
        name=block.name,
        # A new learner each round: every measured action is that learner's first.
        path=lambda r: handler_path(block, usage_id, r),
        method="POST",
        body=action.payload,
        check=lambda status, body: action.check(block.name, status, body),
    )


def page_target(block: Block) -> Target:
    marker = f"data-block-type='{block.block_type}'".encode()

    def check(status: int, body: bytes) -> None:
        if status != 200 or marker not in body:
            raise AssertionError(f"{block.name} page: HTTP {status} or no {marker!r} in it")

    return Target(name=f"{block.name} page", path=scenario_path(block), check=check)


def rows(kind: str, summaries: list[dict], floor: str, blocks: dict[str, Block]) -> list[dict]:
    """Summaries with ratio to the floor, role and the issue's target beside each."""
    out = []
    for summary in ratios(summaries, floor):
        block = blocks[summary["name"]]
        out.append({**summary, "role": block.role, "target": target_text(kind, block)})
    return out


def measure_server(
    session: Session, found: list[tuple[Block, str]], rounds: int, var_dir: str
) -> dict:
    """Handlers and pages, all interleaved in one loop; ratios within each kind."""
    round_nos = range(-WARMUP, rounds)
    prepare_learners(session, found, round_nos, var_dir)
    handlers = [handler_target(b, usage) for b, usage in found if b.action]
    pages = [page_target(b) for b, _usage in found if b.page]
    measure(session, handlers + pages, rounds, warmup=WARMUP)
    check_awards(found, round_nos)
    blocks = {b.name: b for b, _usage in found}
    page_blocks = {f"{b.name} page": b for b, _usage in found}
    handler_rows = rows("handler", [t.summary() for t in handlers], HANDLER_FLOOR, blocks)
    for row, block in zip(handler_rows, (b for b, _u in found if b.action), strict=True):
        row["handler"] = block.action.handler
    page_rows = rows("page", [t.summary() for t in pages], f"{PAGE_FLOOR} page", page_blocks)
    judge("handler", handler_rows)
    judge("page", page_rows)
    return {"handler": handler_rows, "page": page_rows}


def measure_browser(base_url: str, found: list[tuple[Block, str]], rounds: int) -> dict:
    """Bytes once per block (they do not vary), readiness over `rounds` interleaved rounds."""
    paged = [b for b, _usage in found if b.page]
    selectors = {
        b.name: f"[data-block-type='{b.block_type}'] {b.ready_selector}".strip() for b in paged
    }
    with sync_playwright() as playwright:
        chromium = browser.launch(playwright)
        try:
            loads = {
                b.name: browser.load_page(chromium, base_url + scenario_path(b), selectors[b.name])
                for b in paged
            }
            ready = browser.measure_ready(
                chromium,
                [(b.name, base_url + scenario_path(b), selectors[b.name]) for b in paged],
                rounds,
            )
            version = chromium.version
        finally:
            chromium.close()
    floor_load = loads[PAGE_FLOOR]
    bytes_rows = []
    for block in paged:
        weight = browser.own_bytes(loads[block.name], floor_load)
        bytes_rows.append(
            {
                "name": block.name,
                "role": block.role,
                **weight,
                "failed_requests": loads[block.name].failed,
                "target": target_text("bytes", block),
            }
        )
    blocks = {b.name: b for b in paged}
    ready_rows = rows(
        "ready", [{"name": n, **summarize(s)} for n, s in ready.items()], PAGE_FLOOR, blocks
    )
    judge("bytes", bytes_rows)
    judge("ready", ready_rows)
    return {"bytes": bytes_rows, "ready": ready_rows, "chromium": version}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="few rounds: keeps the harness working"
    )
    parser.add_argument(
        "--rounds", type=int, help="server and browser rounds (default 30, quick 3)"
    )
    parser.add_argument(
        "--out-dir",
        type=Path,
        help="write the results here instead of benchmarks/results/ (and, in a full run, the "
        "generated section to README-section.md there instead of into benchmarks/README.md)",
    )
    args = parser.parse_args(argv)
    rounds = args.rounds or (3 if args.quick else 30)
    out_dir = (args.out_dir or RESULTS_DIR).resolve()
    published = out_dir == RESULTS_DIR.resolve()
    started = time.time()

    server = WorkbenchServer(free_port(), module="benchmarks.serve")
    server.start()
    try:
        session = Session(server.url)
        found, skipped = discover(session)
        print(f"server: {len(found)} blocks, {rounds} rounds, interleaved ...", flush=True)
        results = measure_server(session, found, rounds, server.var_dir)
        print(f"browser: {rounds} rounds, interleaved ...", flush=True)
        results.update(measure_browser(server.url, found, rounds))
    except AssertionError as exc:
        print(f"FAILED: {exc}", file=sys.stderr)
        return 1
    finally:
        server.stop()

    try:
        sizes = growth.QUICK_SIZES if args.quick else growth.SIZES
        repeats = 1 if args.quick else 5
        print(f"growth: {', '.join(f'{n:,}' for n in sizes)} records ...", flush=True)
        results["growth"] = growth.run_growth(sizes, repeats=repeats)
        print("lrs: fresh Ralph per measurement ...", flush=True)
        results["lrs"] = lrs.run_lrs(
            lrs.QUICK_SIZES if args.quick else lrs.SIZES, repeats=1 if args.quick else 3
        )
    except AssertionError as exc:
        print(f"FAILED: {exc}", file=sys.stderr)
        return 1
    stem = "quick" if args.quick else "latest"
    plot_name = "growth-quick.png" if args.quick else "growth.png"
    out_dir.mkdir(parents=True, exist_ok=True)
    growth.plot(results["growth"] + lrs.plot_rows(results["lrs"]), out_dir / plot_name)

    results = {
        "mode": "quick" if args.quick else "full",
        "rounds": rounds,
        "machine": report.machine(results.pop("chromium")),
        "skipped": skipped,
        **results,
        "raw_data": f"results/{stem}.json" if published else str(out_dir / f"{stem}.json"),
        "growth_plot": f"results/{plot_name}" if published else str(out_dir / plot_name),
        "duration_s": round(time.time() - started, 1),
    }
    section = report.markdown(results)
    (out_dir / f"{stem}.json").write_text(json.dumps(results, indent=2) + "\n")
    if args.quick:
        (out_dir / "quick.md").write_text(section)
    elif published:
        report.rewrite_readme(BENCH_DIR / "README.md", section)
    else:
        (out_dir / "README-section.md").write_text(section)
    print(section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
