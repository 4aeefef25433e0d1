"""The rule sets and demo content shipped with the package (package data, read-only)."""

import json
from functools import cache
from importlib.resources import files

from .engine import Exercise, build_exercise
from .messages import ReferralError
from .schema import Consortium, ReferralScenario, RuleSet
from .xml_mapping import scenario_from_xml

PACKAGE = files("referral_tracking")

#: Demo scenarios for the workbench course, by name (file demo/<name>.xml).
DEMO_SCENARIOS: tuple[str, ...] = (
    "hypertension_township",
    "diabetes_six_months",
    "child_pneumonia_hypoxia",
    "stroke_downward_referral",
)


def available_rulesets() -> list[str]:
    """Ids of the shipped rule sets."""
    return sorted(
        entry.name.removesuffix(".json")
        for entry in (PACKAGE / "rulesets").iterdir()
        if entry.name.endswith(".json")
    )


@cache
def _ruleset(ruleset_id: str) -> RuleSet:
    if ruleset_id not in available_rulesets():
        raise ReferralError("ruleset_unknown", ruleset=ruleset_id)
    text = (PACKAGE / "rulesets" / f"{ruleset_id}.json").read_text(encoding="utf-8")
    return RuleSet.model_validate(json.loads(text))


def load_ruleset(ruleset_id: str, version: str | None = None) -> RuleSet:
    """A shipped rule set by id; with `version`, refuse any other version."""
    ruleset = _ruleset(ruleset_id)
    if version is not None and version != ruleset.version:
        raise ReferralError(
            "ruleset_version_unknown",
            ruleset=ruleset_id,
            version=version,
            available=ruleset.version,
        )
    return ruleset.model_copy(deep=True)


def load_demo_consortium() -> Consortium:
    """A tertiary children's hospital and a tertiary general hospital, two county hospitals
    (one with PCI, one without), a township health centre and a community health centre."""
    text = (PACKAGE / "demo" / "consortium.json").read_text(encoding="utf-8")
    return Consortium.model_validate(json.loads(text))


def demo_scenario_xml(name: str) -> str:
    if name not in DEMO_SCENARIOS:
        raise ReferralError("demo_unknown", name=name)
    return (PACKAGE / "demo" / f"{name}.xml").read_text(encoding="utf-8")


def load_demo_scenario(name: str) -> ReferralScenario:
    return scenario_from_xml(demo_scenario_xml(name))


def demo_exercise(name: str) -> Exercise:
    """A demo scenario with its shipped rule set and the demo consortium, ready to play."""
    scenario = load_demo_scenario(name)
    ruleset = load_ruleset(scenario.ruleset_id, scenario.ruleset_version)
    return build_exercise(scenario, ruleset, load_demo_consortium())
