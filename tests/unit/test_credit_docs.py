"""The credit OLX documented for authors is the format the importer reads."""

import re
from decimal import Decimal

from lxml import etree

from credit_export import settings_from_xml, settings_to_xml
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
