"""Write the figures of docs/RELIABILITY.md from a run's counts (`make fuzz`).

    python tools/reliability.py var/reliability.json docs/RELIABILITY.md

The counts come from tests/support/figures.py, kept by the adversarial tests while they ran;
they are only written when the whole run passed, so every "held" below is an assertion that
held for each of the counted attempts. The section between the markers is replaced; the rest
of the page (what each test does) is kept.
"""

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

BEGIN = "<!-- figures: begin (tools/reliability.py) -->"
END = "<!-- figures: end -->"


def _n(figures: dict, key: str) -> str:
    return f"{figures.get(key, 0):,}"


def section(figures: dict, commit: str, when: str) -> str:
    fuzz_rows = sorted(k for k in figures if k.startswith("fuzz.requests."))
    per_handler = ", ".join(
        f"{key.removeprefix('fuzz.requests.')} {figures[key]:,}" for key in fuzz_rows
    )
    lines = [
        BEGIN,
        f"Figures of the run at {when} (commit {commit}), written by `make fuzz` from the "
        "suite's own counts; the run passed, so each figure under *held* is an assertion that "
        "held every time.",
        "",
        "| what | tried | held |",
        "| --- | --- | --- |",
        f"| Fuzzed JSON handlers | {_n(figures, 'fuzz.requests')} generated requests "
        f"({per_handler}) | 0 server errors; {_n(figures, 'fuzz.refused')} refusals, each a "
        "4xx with a sentence and nothing changed |",
        f"| Script injection in Chromium | {_n(figures, 'xss.fields_poisoned')} author fields "
        f"poisoned, {_n(figures, 'xss.pages_checked')} page states checked | 0 scripts ran, "
        "0 dialogs |",
        f"| Hostile XML | {_n(figures, 'hostile_xml.documents')} hostile documents through OLX "
        "and the Studio editors of the three blocks | all refused; nothing expanded or saved |",
        f"| Concurrency | {_n(figures, 'concurrency.claims')} simultaneous credit claims, "
        f"{_n(figures, 'concurrency.submissions')} simultaneous submissions of one answer | "
        f"{_n(figures, 'concurrency.ledger_rows')} ledger row, answer counted "
        f"{_n(figures, 'concurrency.counted')} time |",
        f"| LRS faults (real Ralph) | {_n(figures, 'lrs.faults_injected')} faults injected "
        "(stop and restart, 500 before and after storing, timeouts after storing, 401, 409), "
        f"{_n(figures, 'lrs.statements_checked')} statements read back | "
        f"{_n(figures, 'lrs.statements_duplicated')} duplicated, 0 lost |",
        f"| CSV formula injection | {_n(figures, 'csv.cells_checked')} cells from arbitrary "
        "text in every field | 0 formula cells |",
        "",
        END,
    ]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    counts_path, page_path = Path(argv[1]), Path(argv[2])
    figures = json.loads(counts_path.read_text())
    commit = (
        subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
        ).stdout.strip()
        or "unknown"
    )
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    page = page_path.read_text(encoding="utf-8")
    new = section(figures, commit, when)
    if BEGIN in page:
        head, rest = page.split(BEGIN, 1)
        page = head + new + rest.split(END, 1)[1]
    else:
        first, _, rest = page.partition("\n\n")
        page = f"{first}\n\n{new}\n\n{rest}"
    page_path.write_text(page, encoding="utf-8")
    print(f"{page_path}: figures of {figures.get('fuzz.requests', 0):,} fuzzed requests written")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
