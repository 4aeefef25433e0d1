"""Scenario OLX: readable nested XML that round-trips, parsed safely, errors name the line."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from referral_tracking import (
    DEMO_SCENARIOS,
    demo_scenario_xml,
    load_demo_scenario,
    scenario_from_xml,
    scenario_to_xml,
)
from referral_tracking.messages import ReferralError
from referral_tracking.schema import ReferralScenario
from referral_tracking.xml_mapping import MAX_XML_BYTES


def error_of(text: str | bytes) -> ReferralError:
    with pytest.raises(ReferralError) as caught:
        scenario_from_xml(text)
    return caught.value


@pytest.mark.parametrize("name", DEMO_SCENARIOS)
def test_each_demo_scenario_round_trips_through_xml_unchanged(name):
    scenario = load_demo_scenario(name)
    again = scenario_from_xml(scenario_to_xml(scenario))
    assert again == scenario
    assert scenario_to_xml(again) == scenario_to_xml(scenario)


def test_the_xml_reads_like_the_case_with_nested_elements_not_json_in_attributes():
    text = demo_scenario_xml("hypertension_township")
    assert '<referral-scenario id="hypertension-township" ruleset="hypertension"' in text
    assert '<measure id="sbp_mmhg" value="198"/>' in text
    assert '<visit day="14" expected-choice="adjust">' in text
    assert "{" not in text


safe_text = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=40
).filter(lambda s: s.strip() == s)


@settings(max_examples=60, deadline=None)
@given(
    title=safe_text,
    presentation=safe_text,
    age=st.floats(min_value=0, max_value=120, allow_nan=False),
    value=st.floats(min_value=-1e6, max_value=1e6, allow_nan=False),
    abnormal=st.booleans(),
)
def test_any_scenario_text_and_numbers_survive_the_round_trip(
    title, presentation, age, value, abnormal
):
    data = load_demo_scenario("diabetes_six_months").model_dump()
    data.update(title=title, presentation=presentation)
    data["patient"]["age_years"] = age
    data["findings"][1]["measures"] = {"hba1c_percent": value}
    data["visits"][0]["findings"][0].update(text=title, abnormal=abnormal)
    scenario = ReferralScenario.model_validate(data)
    assert scenario_from_xml(scenario_to_xml(scenario)) == scenario


# ---- safe parsing ---------------------------------------------------------------------------


def test_an_entity_expansion_attack_is_refused_without_expanding_anything():
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        "<referral-scenario><title>&b;</title></referral-scenario>"
    )
    assert error_of(bomb).code == "xml_doctype_forbidden"


def test_an_external_entity_is_never_fetched():
    xxe = (
        '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        "<referral-scenario><title>&x;</title></referral-scenario>"
    )
    error = error_of(xxe)
    assert error.code == "xml_doctype_forbidden"
    assert "root:" not in str(error)


def test_oversized_xml_is_refused_before_parsing():
    error = error_of(b" " * (MAX_XML_BYTES + 1))
    assert error.code == "xml_too_large"


def test_broken_xml_names_the_line():
    text = demo_scenario_xml("stroke_downward_referral").replace("</title>", "</titel>", 1)
    error = error_of(text)
    assert error.code == "xml_syntax" and error.params["line"] == 3


def test_an_unexpected_element_names_itself_its_parent_and_the_line():
    text = demo_scenario_xml("stroke_downward_referral").replace(
        "<findings>", "<findings>\n    <script>alert(1)</script>", 1
    )
    error = error_of(text)
    assert error.code == "xml_unknown_element"
    assert error.params["element"] == "script" and error.params["parent"] == "findings"
    line = text.splitlines().index("    <script>alert(1)</script>") + 1
    assert f"Line {line}:" in str(error)


def test_an_unexpected_attribute_is_refused():
    text = demo_scenario_xml("stroke_downward_referral").replace(
        '<patient age-years="67"', '<patient onclick="x" age-years="67"', 1
    )
    error = error_of(text)
    assert error.code == "xml_unknown_attribute" and error.params["attribute"] == "onclick"


def test_an_invalid_value_names_the_line_and_the_field():
    text = demo_scenario_xml("hypertension_township").replace(
        '<visit day="90" expected-choice="continue">',
        '<visit day="ninety" expected-choice="continue">',
    )
    error = error_of(text)
    assert error.code == "xml_invalid"
    assert error.params["field"] == "visits[1].day"
    line = next(
        number
        for number, content in enumerate(text.splitlines(), start=1)
        if 'day="ninety"' in content
    )
    assert error.params["line"] == line
    assert f"Line {line}, visits[1].day" in str(error)


def test_a_visit_out_of_order_is_reported_with_its_day():
    text = demo_scenario_xml("hypertension_township").replace('day="180"', 'day="60"')
    error = error_of(text)
    assert error.code == "xml_invalid" and error.params["error_code"] == "visits_out_of_order"
    assert "60" in str(error)


def test_a_document_that_is_not_a_referral_scenario_is_refused():
    error = error_of("<problem><p>2+2</p></problem>")
    assert error.code == "xml_unexpected_root" and error.params["found"] == "problem"
