"""Write the figures of docs/RELIABILITY.md from a run's counts (`make fuzz`).

    python tools/reliability.py var/reliability.json docs/RELIABILITY.md

The counts come from tests/support/figures.py, kept by the adversarial tests while they ran
(and, for tests that keep none of their own, how many of them passed); they are only written when
the whole run passed, so every "held" below is an assertion that held for each of the counted
attempts. Every figure is computed from the counts: a figure the run did not count stops the
script (a renamed test or a dropped tally must not turn into a silent 0). The section between the
markers is replaced; the rest of the page (what each test does) is kept.
"""

import json
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

BEGIN = "<!-- figures: begin (tools/reliability.py) -->"
END = "<!-- figures: end -->"

#: The tests that scan every payload for what the learner has not earned (file -> names).
LEAK_TESTS = {
    "tests/unit/test_case_learner_view.py": r"earn|unearned|reveal|before_answering|only_the_chosen"
    r"|commentary_appears|requestable_findings|not_reached",
    "tests/xblock/test_case_block.py": r"not_earned|nothing_more|same_for_everyone",
    "tests/xblock/test_referral_block.py": r"nothing_more|pairs_a_finding",
}
TWO_AUTHORS = {"tests/xblock/test_two_authors.py": r"."}
XML_EXPORT = {"tests/unit/test_credit_xml.py": r"."}


class Missing(Exception):
    """A figure the run did not count."""


def count(figures: dict, key: str) -> int:
    if key not in figures:
        raise Missing(key)
    return figures[key]


def passed(figures: dict, tests: dict[str, str]) -> int:
    """How many of the named tests passed (each parametrized case once)."""
    total = 0
    for key, n in figures.items():
        if not key.startswith("tests.passed."):
            continue
        path, _, function = key.removeprefix("tests.passed.").partition("::")
        if path in tests and re.search(tests[path], function):
            total += n
    if not total:
        raise Missing(f"passed tests of {', '.join(tests)}")
    return total


def _n(value: int) -> str:
    return f"{value:,}"


def rows(figures: dict) -> list[str]:
    def n(key: str) -> str:
        return _n(count(figures, key))

    fuzz_rows = sorted(k for k in figures if re.fullmatch(r"fuzz\.requests\.[\w-]+\.\w+", k))
    per_handler = ", ".join(
        f"{key.removeprefix('fuzz.requests.')} {figures[key]:,}" for key in fuzz_rows
    )
    lost = count(figures, "lrs.statements_lost")
    return [
        f"| Fuzzed JSON handlers | {n('fuzz.requests')} generated requests ({per_handler}), "
        f"{n('fuzz.stateful.requests')} of them by learners replaying and reordering pages | "
        f"0 server errors; {n('fuzz.refused')} refusals, each a 4xx with a sentence and nothing "
        f"changed; {n('fuzz.saves_rendered')} accepted Studio saves whose views rendered |",
        f"| Script injection in Chromium | {n('xss.fields_poisoned')} author and learner fields "
        f"poisoned, {n('xss.pages_checked')} page states checked by the hook, the console marker "
        f"and the DOM probe; {n('xss.controls_caught')} planted vectors caught by the positive "
        "control | 0 scripts ran, 0 dialogs, nothing runnable in the DOM |",
        f"| Hostile XML | {n('hostile_xml.documents')} hostile documents through OLX and the "
        f"Studio editors of the three blocks | {n('hostile_xml.refused')} refused with a message "
        "naming the problem, within 20 times a benign parse; no network connection; nothing "
        "stored |",
        f"| Leak scan | {_n(passed(figures, LEAK_TESTS))} tests over every path of every demo "
        "case and referral scenario | nothing unearned in any page, handler response or "
        "`student_view_data` |",
        f"| Staff-only handlers | {n('authz.staff_handlers')} staff-only handlers (every one the "
        "code has) called as a learner and as staff | "
        f"{n('authz.learner_refusals')} refusals (403 with a sentence); staff served |",
        f"| Learner isolation | {n('isolation.requests')} requests to {n('isolation.handlers')} "
        "handlers naming another learner (body, query, suffix) | nothing of theirs read or "
        "changed |",
        f"| Concurrency | {n('concurrency.claims')} simultaneous credit claims and views "
        "(opening the block awards too), "
        f"{n('concurrency.submissions')} simultaneous submissions of one answer | "
        f"{n('concurrency.ledger_rows')} ledger row, answer counted "
        f"{n('concurrency.counted')} time |",
        f"| Two authors | {_n(passed(figures, TWO_AUTHORS))} blocks edited by two authors at "
        "once | the second save refused (409) with what to do; nothing lost |",
        f"| LRS faults (real Ralph) | {n('lrs.faults_injected')} faults injected (stop and "
        "restart, 500 before and after storing, timeouts after storing, 401, 409), "
        f"{n('lrs.statements_checked')} statements read back, "
        f"{n('lrs.statements_confirmed')} confirmed by the LRS through the faulty network | "
        f"{n('lrs.statements_duplicated')} duplicated, {_n(lost)} lost |",
        f"| CSV formula injection | {n('csv.cells_checked')} cells from arbitrary text in every "
        "field | 0 formula cells |",
        f"| XML export | {_n(passed(figures, XML_EXPORT))} tests of the credit XML export "
        "(arbitrary learner text, hostile input) | every export valid against "
        "`cme_credits.xsd` |",
    ]


def section(figures: dict, commit: str, when: str) -> str:
    lines = [
        BEGIN,
        f"Figures of the run at {when} (commit {commit}), written by `make fuzz` from the "
        "suite's own counts; the run passed, so each figure under *held* is an assertion that "
        "held every time.",
        "",
        "| what | tried | held |",
        "| --- | --- | --- |",
        *rows(figures),
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
    try:
        new = section(figures, commit, when)
    except Missing as exc:
        print(f"{counts_path}: the run did not count {exc}; figures not written", file=sys.stderr)
        return 1
    page = page_path.read_text(encoding="utf-8")
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
