"""An author's credit settings (the activity and its rule) as readable XML, and back: what Studio's
source editor shows and what a course export holds."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from credit_export import (
    ComponentRequirement,
    CreditError,
    CreditRule,
    CreditSettings,
    load_demo_activity,
    load_demo_rule,
    settings_from_xml,
    settings_to_xml,
)

DEMO = CreditSettings(activity=load_demo_activity(), rule=load_demo_rule())


def test_settings_survive_the_round_trip_with_their_chinese_name_and_conversion():
    text = settings_to_xml(DEMO)
    assert text.startswith("<cme-credit>")
    assert 'xml:lang="zh-CN">高血压社区管理与分级转诊</name>' in text
    assert settings_from_xml(text) == DEMO
    assert settings_from_xml(text).activity.awarded_credits == Decimal("0.25")


@settings(max_examples=60, deadline=None)
@given(
    minimum=st.floats(min_value=0, max_value=1),
    minutes=st.none() | st.integers(min_value=1, max_value=100_000),
    evaluation=st.booleans(),
    label=st.text(
        st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=40
    ).filter(lambda s: s.strip()),
)
def test_any_valid_rule_reads_back_exactly(minimum, minutes, evaluation, label):
    rule = CreditRule(
        components=[
            ComponentRequirement(usage_id="block-v1:X+Y+Z", label=label, min_fraction=minimum)
        ],
        evaluation_required=evaluation,
        min_minutes=minutes,
    )
    original = CreditSettings(activity=DEMO.activity, rule=rule)
    assert settings_from_xml(settings_to_xml(original)) == original


def test_the_children_of_a_block_element_are_read_with_their_own_lines():
    olx = (
        '<cme_credit display_name="Credit">\n'
        + settings_to_xml(DEMO).split("\n", 1)[1].rsplit("\n", 1)[0]
        + "\n</cme_credit>"
    )
    node = etree.fromstring(olx)
    assert settings_from_xml(node, root_tag=None) == DEMO
    broken = etree.fromstring(olx.replace('level="provincial"', 'level="galactic"'))
    with pytest.raises(CreditError) as caught:
        settings_from_xml(broken, root_tag=None)
    assert caught.value.code == "xml_invalid"
    assert caught.value.params["line"] == 2 and caught.value.params["field"] == "activity.level"


def test_a_rule_alone_is_not_enough_and_two_activities_are_one_too_many():
    rule_only = "<cme-credit>\n  <cme-credit-rule/>\n</cme-credit>"
    with pytest.raises(CreditError) as caught:
        settings_from_xml(rule_only)
    assert caught.value.code == "xml_missing_element"
    assert "cme-activity" in str(caught.value)

    activity = settings_to_xml(DEMO).split("\n", 1)[1].split("</cme-activity>")[0]
    twice = f"<cme-credit>\n{activity}</cme-activity>\n{activity}</cme-activity>\n</cme-credit>"
    with pytest.raises(CreditError) as caught:
        settings_from_xml(twice)
    assert caught.value.code == "xml_duplicate_element"
    assert caught.value.params["line"] > 2


def test_without_a_rule_the_default_rule_applies():
    root = etree.fromstring(settings_to_xml(DEMO))
    root.remove(root.find("cme-credit-rule"))
    assert settings_from_xml(etree.tostring(root, encoding="unicode")).rule == CreditRule()


def test_entities_are_refused_before_anything_is_read():
    hostile = (
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "boom">]>'
        "<cme-credit><cme-activity project-number='&e;'/></cme-credit>"
    )
    with pytest.raises(CreditError) as caught:
        settings_from_xml(hostile)
    assert caught.value.code == "xml_doctype_forbidden"


def test_an_attribute_on_the_settings_root_is_refused_like_on_every_other_element():
    """`<cme-credit colour="red">` (or a 150,000-character attribute) is not silently saved;
    a block's own element keeps the runtime's attributes."""
    text = settings_to_xml(DEMO)
    for attribute in ('colour="red"', f'data-x="{"a" * 150_000}"'):
        with pytest.raises(CreditError) as refused:
            settings_from_xml(text.replace("<cme-credit>", f"<cme-credit {attribute}>", 1))
        assert refused.value.code == "xml_unknown_attribute"
        assert str(refused.value).startswith("Line 1: ")
    block = text.replace("<cme-credit>", '<cme_credit display_name="M3" url_name="m3">', 1)
    block = block.replace("</cme-credit>", "</cme_credit>")
    assert settings_from_xml(etree.fromstring(block), root_tag=None) == DEMO
