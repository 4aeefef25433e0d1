"""The credit OLX documented for authors is the format the importer reads."""

import re
from decimal import Decimal

from lxml import etree

from credit_export import (
    activity_problems,
    load_policy,
    rule_problems,
    settings_from_xml,
    settings_to_xml,
)
from tests.conftest import REPO_ROOT

DOC = REPO_ROOT / "docs" / "olx-cme-credit.md"
SAFE = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


def test_the_documented_example_imports_with_the_credits_the_text_promises():
    (block,) = re.findall(r"```xml\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)
    node = etree.fromstring(block.encode("utf-8"), SAFE)
    assert node.tag == "cme_credit" and node.get("display_name")
    settings = settings_from_xml(node, root_tag=None)
    assert settings.activity.awarded_credits == Decimal("1.5")  # "9 h at 6 h per credit"
    assert settings.activity.name_translations == {"zh-CN": "高血压社区管理与分级转诊"}
    assert [c.min_fraction for c in settings.rule.components] == [0.6, 0.8]
    assert settings.rule.min_minutes == 90
    assert settings_from_xml(settings_to_xml(settings)) == settings


def test_the_documented_error_is_the_one_the_importer_gives():
    (block,) = re.findall(r"```xml\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)
    broken = block.replace('level="provincial"', 'level="galactic"')
    node = etree.fromstring(broken.encode("utf-8"), SAFE)
    try:
        settings_from_xml(node, root_tag=None)
    except Exception as exc:
        message = str(exc)
    else:
        raise AssertionError("a wrong level was accepted")
    assert message.startswith("Line 3, activity.level:")


def documented_settings():
    (block,) = re.findall(r"```xml\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)
    return block


def test_the_documented_example_is_one_the_default_policy_accepts_and_its_minimum_measurable():
    """Its minimum study time named a problem before, which records no study time."""
    settings = settings_from_xml(
        etree.fromstring(documented_settings().encode("utf-8"), SAFE),
        root_tag=None,
        policy=load_policy(),
    )
    assert activity_problems(settings.activity, load_policy()) == []

    def kind_of(usage_id: str) -> str:
        return usage_id.split("type@")[1].split("+")[0]

    assert rule_problems(settings.rule, kind_of, ("cme_case", "cme_referral")) == []


def test_the_documented_policy_error_is_the_one_the_importer_gives():
    text = DOC.read_text(encoding="utf-8")
    broken = documented_settings().replace('level="provincial"', 'level="hospital"')
    node = etree.fromstring(broken.encode("utf-8"), SAFE)
    try:
        settings_from_xml(node, root_tag=None, policy=load_policy())
    except Exception as exc:
        message = str(exc)
    else:
        raise AssertionError("a hospital-level Class I activity was accepted")
    documented = re.search(r"`(Line 3,\s+activity\.credit_class: [^`]*?) …`", text)[1]
    assert message.startswith(" ".join(documented.split()))
