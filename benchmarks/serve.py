"""`python -m benchmarks.serve --port N`: `make run`'s workbench plus benchmark-only scenarios.

Why a launcher of our own: a scenario must be registered inside the server process (the SDK
keeps them in a module-level dict, which `serve.prepare()` fills before serving), and the benchmark
may not change `xblocks/`. So this module configures Django exactly as
`xblocks.workbench.serve` does, wraps the scenario loader our settings installed (the tolerant
one) so that it also adds `BENCH_SCENARIOS`, and then hands over to `xblocks.workbench.serve`.
Nothing else about the server differs from `make run`.

branching-xblock needs a scenario from us: its own `workbench_scenarios` lacks `@staticmethod`
(so the tolerant loader skips it) and would give an empty scenario anyway.
"""

import json
import logging
import os
import sys
from xml.sax.saxutils import quoteattr

from benchmarks.cases import credit_olx, twenty_stage_olx
from xblocks.workbench import serve

log = logging.getLogger("xblocks.workbench")

#: Branching scenario of three nodes with scoring on: the learner's first choice moves from
#: the presentation to the work-up node (not an end node, so no grade is published).
BRANCHING_CASE = {
    "start_node_id": "presentation",
    "nodes": {
        node_id: {
            "id": node_id,
            "content": f"<p>{content}</p>",
            "media": {"type": "", "url": "", "alt": ""},
            "left_image_url": "",
            "right_image_url": "",
            "left_image_alt_text": "",
            "right_image_alt_text": "",
            "overlay_text": False,
            "choices": choices,
            "hint": "",
            "transcript_url": "",
        }
        for node_id, content, choices in [
            (
                "presentation",
                "A 58-year-old man with chest pain for 40 minutes.",
                [
                    {"text": "Record an ECG now", "target_node_id": "workup", "score": 50},
                    {"text": "Send him home", "target_node_id": "outcome", "score": 0},
                ],
            ),
            (
                "workup",
                "ST elevation in II, III and aVF.",
                [{"text": "Refer for PCI", "target_node_id": "outcome", "score": 50}],
            ),
            ("outcome", "End of the case.", []),
        ]
    },
}

#: (scenario id, description, OLX) registered beside the installed blocks' own scenarios.
#: Each holds one block alone, so its page and bytes are the block's and no wrapper's.
BENCH_SCENARIOS = [
    (
        "drag-and-drop-v2.bench",
        "drag-and-drop-v2 standard, alone (benchmark)",
        "<drag-and-drop-v2/>",
    ),
    (
        "branching_xblock.bench",
        "branching-xblock: three-node case (benchmark)",
        "<branching_xblock enable_scoring='true' "
        f"scenario_data={quoteattr(json.dumps(BRANCHING_CASE))}/>",
    ),
    ("cme_case.bench20", "cme_case: a 20-stage case (benchmark)", twenty_stage_olx()),
    # The credit of a module whose rule names its two exercises by usage id; the benchmark
    # records both as completed for each measured learner, so the claim is an award.
    ("cme_credit.bench", "cme_credit: a module's credit, alone (benchmark)", credit_olx()),
]


def add_bench_scenarios() -> None:
    """Register `BENCH_SCENARIOS`; one that cannot load (block not installed) is logged."""
    from workbench import scenarios as sdk_scenarios

    for scenario_id, description, xml in BENCH_SCENARIOS:
        try:
            sdk_scenarios.add_xml_scenario(scenario_id, description, xml)
        except Exception:  # pylint: disable=broad-exception-caught
            log.warning("Benchmark scenario %s not loaded", scenario_id, exc_info=True)


def install_bench_scenarios() -> None:
    """Wrap whatever scenario loader is installed (ours, the tolerant one) to add ours after."""
    from workbench import runtime_util
    from workbench import scenarios as sdk_scenarios

    load_installed_blocks = sdk_scenarios.init_scenarios

    def init_scenarios_with_bench() -> None:
        load_installed_blocks()
        add_bench_scenarios()

    sdk_scenarios.init_scenarios = init_scenarios_with_bench
    runtime_util.init_scenarios = init_scenarios_with_bench


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", serve.SETTINGS)
    import django

    django.setup()  # runs our app's ready(): the tolerant loader is in place before we wrap it
    install_bench_scenarios()
    return serve.main(argv)


if __name__ == "__main__":
    sys.exit(main())
