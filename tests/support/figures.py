"""Counts the adversarial tests keep while they run (requests fuzzed, vectors placed, faults
injected, statements stored, server errors seen), and how many tests of each file and function
passed (`tally_passed`, called by tests/conftest.py for every passed test). With
`CME_FIGURES=<file>` set, the session writes them there as JSON at its end; `tools/reliability.py`
turns them into the figures of docs/RELIABILITY.md (`make fuzz` does both). A count of 0 is kept
(0 lost is a figure; a count that is absent was never counted)."""

import json
import os
from collections import Counter
from pathlib import Path

FIGURES: Counter = Counter()


def tally(key: str, n: int = 1) -> None:
    FIGURES[key] += n


def tally_passed(nodeid: str) -> None:
    """`tests.passed.<file>::<function>` (each parameter of a test counts once)."""
    function = nodeid.split("[", 1)[0]
    tally(f"tests.passed.{function}")


def write_if_asked() -> None:
    target = os.environ.get("CME_FIGURES")
    if target:
        path = Path(target)
        path.parent.mkdir(parents=True, exist_ok=True)
        merged = json.loads(path.read_text()) if path.exists() else {}
        for key, n in FIGURES.items():
            merged[key] = merged.get(key, 0) + n
        path.write_text(json.dumps(merged, indent=2, sort_keys=True))
