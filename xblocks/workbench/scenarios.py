"""A scenario loader that one broken block cannot take down.

The SDK collects scenarios from every installed block with `fail_silently=False`, so a single
third-party block whose `workbench_scenarios` raises (branching-xblock 0.3.3 lacks
`@staticmethod`) makes the index answer 500. We load each class on its own, log what failed
and show it on the index page instead.
"""

import logging

from workbench import runtime_util
from workbench import scenarios as sdk_scenarios
from xblock.core import XBlock

log = logging.getLogger("xblocks.workbench")

#: (block type, reason) for every block whose scenarios could not be loaded.
BROKEN: list[tuple[str, str]] = []


def add_scenarios_of(class_name: str, cls) -> list[tuple[str, str]]:
    """Add the scenarios of one block class; return what failed as (block type, reason)."""
    failed = []
    try:
        for index, (description, xml) in enumerate(cls.workbench_scenarios()):
            try:
                sdk_scenarios.add_xml_scenario(f"{class_name}.{index}", description, xml)
            except Exception as exc:  # pylint: disable=broad-exception-caught
                log.warning("Scenario %r of %s not loaded", description, class_name, exc_info=True)
                failed.append((class_name, f"{description}: {type(exc).__name__}: {exc}"))
    except Exception as exc:  # pylint: disable=broad-exception-caught
        log.warning("Scenarios of %s not loaded", class_name, exc_info=True)
        failed.append((class_name, f"{type(exc).__name__}: {exc}"))
    return failed


def init_scenarios_tolerantly() -> None:
    """Load the scenarios of every installed block, skipping those that fail."""
    from django.conf import settings

    sdk_scenarios.SCENARIOS.clear()
    BROKEN.clear()
    if settings.WORKBENCH["reset_state_on_restart"]:
        sdk_scenarios.WORKBENCH_KVS.clear()
    else:
        sdk_scenarios.WORKBENCH_KVS.prep_for_scenario_loading()

    for class_name, cls in sorted(XBlock.load_classes(fail_silently=True)):
        if hasattr(cls, "workbench_scenarios"):
            BROKEN.extend(add_scenarios_of(class_name, cls))


def install() -> None:
    sdk_scenarios.init_scenarios = init_scenarios_tolerantly
    runtime_util.init_scenarios = init_scenarios_tolerantly
