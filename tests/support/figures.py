"""Counts the adversarial tests keep while they run (requests fuzzed, vectors placed, faults
injected, statements stored, server errors seen). With `CME_FIGURES=<file>` set, the session
writes them there as JSON at its end; `tools/reliability.py` turns them into the figures of
docs/RELIABILITY.md (`make fuzz` does both)."""

import json
import os
from collections import Counter
from pathlib import Path

FIGURES: Counter = Counter()


def tally(key: str, n: int = 1) -> None:
    FIGURES[key] += n


def write_if_asked() -> None:
    target = os.environ.get("CME_FIGURES")
    if target:
        path = Path(target)
        path.parent.mkdir(parents=True, exist_ok=True)
        old = json.loads(path.read_text()) if path.exists() else {}
        path.write_text(json.dumps(dict(Counter(old) + FIGURES), indent=2, sort_keys=True))
