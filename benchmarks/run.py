"""`python -m benchmarks.run [--quick]`: our blocks beside the runtime floor and peer XBlocks.

Starts the workbench (`benchmarks.serve`: `make run`'s server plus benchmark scenarios) on a
free port with a fresh var directory, then measures, interleaved:
- server: each block's learner action (a new learner per round, a new connection per request)
  and each block's `student_view` page;
- browser: each block's own JS+CSS bytes and the time until it is ready in Chromium;
- growth: the bulk cases of `benchmarks.growth`;
- lrs: the xAPI push into a real Ralph beside one bulk POST (`benchmarks.lrs`).

Full mode writes `benchmarks/results/latest.json`, `results/growth.png` and the generated part
of `benchmarks/README.md`. `--quick` (CI) runs few rounds and writes `results/quick.json` and
`results/quick.md` only, so the published numbers stay those of a full run. Numbers never fail
a run; a wrong answer from a handler or page does (exit status 1).
"""

import argparse
import json
import socket
import sys
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

from benchmarks import browser, growth, lrs, report
from benchmarks.targets import BLOCKS, HANDLER_FLOOR, PAGE_FLOOR, Block, target_text
from benchmarks.timing import Session, Target, measure, ratios, summarize
from tests.support.workbench_server import WorkbenchServer

BENCH_DIR = Path(__file__).resolve().parent
RESULTS_DIR = BENCH_DIR / "results"
PAGE_STUDENT = "bench-page"


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


def handler_target(block: Block, usage_id: str) -> Target:
    action = block.action
    assert action is not None
    slug = block.block_type.replace("_", "-")
    return Target(
        name=block.name,
        # A new learner each round: every measured action is that learner's first.
        path=lambda r: f"/handler/{usage_id}/{action.handler}/?student=bench-{slug}-{r}",
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


def measure_server(session: Session, found: list[tuple[Block, str]], rounds: int) -> dict:
    """Handlers and pages, all interleaved in one loop; ratios within each kind."""
    handlers = [handler_target(b, usage) for b, usage in found if b.action]
    pages = [page_target(b) for b, _usage in found if b.page]
    measure(session, handlers + pages, rounds)
    blocks = {b.name: b for b, _usage in found}
    page_blocks = {f"{b.name} page": b for b, _usage in found}
    handler_rows = rows("handler", [t.summary() for t in handlers], HANDLER_FLOOR, blocks)
    for row, block in zip(handler_rows, (b for b, _u in found if b.action), strict=True):
        row["handler"] = block.action.handler
    page_rows = rows("page", [t.summary() for t in pages], f"{PAGE_FLOOR} page", page_blocks)
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
    return {"bytes": bytes_rows, "ready": ready_rows, "chromium": version}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="few rounds: keeps the harness working"
    )
    parser.add_argument(
        "--rounds", type=int, help="server and browser rounds (default 30, quick 3)"
    )
    args = parser.parse_args(argv)
    rounds = args.rounds or (3 if args.quick else 30)
    started = time.time()

    server = WorkbenchServer(free_port(), module="benchmarks.serve")
    server.start()
    try:
        session = Session(server.url)
        found, skipped = discover(session)
        print(f"server: {len(found)} blocks, {rounds} rounds, interleaved ...", flush=True)
        results = measure_server(session, found, rounds)
        print(f"browser: {rounds} rounds, interleaved ...", flush=True)
        results.update(measure_browser(server.url, found, rounds))
    except AssertionError as exc:
        print(f"FAILED: {exc}", file=sys.stderr)
        return 1
    finally:
        server.stop()

    print("growth ...", flush=True)
    sizes = growth.QUICK_SIZES if args.quick else growth.SIZES
    results["growth"] = growth.run_growth(sizes, repeats=1 if args.quick else 5)

    print("lrs: fresh Ralph per measurement ...", flush=True)
    try:
        results["lrs"] = lrs.run_lrs(
            lrs.QUICK_SIZES if args.quick else lrs.SIZES, repeats=1 if args.quick else 3
        )
    except AssertionError as exc:
        print(f"FAILED: xAPI push: {exc}", file=sys.stderr)
        return 1
    plot_name = "growth-quick.png" if args.quick else "growth.png"
    growth.plot(results["growth"] + lrs.plot_rows(results["lrs"]), RESULTS_DIR / plot_name)

    results = {
        "mode": "quick" if args.quick else "full",
        "rounds": rounds,
        "machine": report.machine(results.pop("chromium")),
        "skipped": skipped,
        **results,
        "growth_plot": f"results/{plot_name}",
        "duration_s": round(time.time() - started, 1),
    }
    RESULTS_DIR.mkdir(exist_ok=True)
    section = report.markdown(results) + "\n" + lrs.markdown(results["lrs"])
    if args.quick:
        (RESULTS_DIR / "quick.json").write_text(json.dumps(results, indent=2) + "\n")
        (RESULTS_DIR / "quick.md").write_text(section)
    else:
        (RESULTS_DIR / "latest.json").write_text(json.dumps(results, indent=2) + "\n")
        report.rewrite_readme(BENCH_DIR / "README.md", section)
    print(section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
