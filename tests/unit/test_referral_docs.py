"""The referral OLX documented for authors is the format the importer reads."""

import re

from lxml import etree

from referral_tracking import (
    build_exercise,
    load_demo_consortium,
    load_ruleset,
    scenario_from_xml,
    scenario_to_xml,
)
from tests.conftest import REPO_ROOT

DOC = REPO_ROOT / "docs" / "olx-cme-referral.md"
SAFE = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


def documented_scenario():
    blocks = re.findall(r"```xml\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)
    assert len(blocks) == 1
    block = etree.fromstring(blocks[0].encode("utf-8"), SAFE)
    assert block.tag == "cme_referral" and block.get("display_name")
    return scenario_from_xml(etree.tostring(block.find("referral-scenario")))


def test_the_documented_example_imports_and_the_rule_set_gives_its_answer():
    scenario = documented_scenario()
    exercise = build_exercise(
        scenario,
        load_ruleset(scenario.ruleset_id, scenario.ruleset_version),
        load_demo_consortium(),
    )
    assert (exercise.expected.disposition, exercise.expected.priority) == (
        "emergency_transfer",
        "emergency",
    )
    assert scenario_from_xml(scenario_to_xml(scenario)) == scenario


def test_every_element_and_attribute_the_exporter_writes_is_documented():
    written = scenario_to_xml(documented_scenario())
    text = DOC.read_text(encoding="utf-8")
    for element in set(re.findall(r"<([a-z-]+)[ />]", written)):
        assert f"`{element}`" in text, element
    for attribute in set(re.findall(r" ([a-z-]+)=", written)):
        assert f"`{attribute}`" in text, attribute
