"""Cases travel through course export/import as readable nested XML, and back unchanged."""

import pytest
from hypothesis import HealthCheck, given, settings
from lxml import etree

from case_teaching import (
    CaseError,
    case_from_xml,
    case_to_element,
    case_to_xml,
    demo_case_names,
    demo_case_xml,
    load_demo_case,
)
from tests.unit.test_case_strategies import cases, two_stage_case


def xml_error(text: str) -> CaseError:
    with pytest.raises(CaseError) as caught:
        case_from_xml(text)
    return caught.value


def numbered(xml: str) -> list[str]:
    return xml.splitlines()


@pytest.mark.parametrize("name", demo_case_names())
def test_every_demo_case_round_trips(name):
    case = load_demo_case(name)
    assert case_from_xml(case_to_xml(case)) == case
    assert case_from_xml(case_to_element(case)) == case


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_generated_cases_round_trip(case):
    assert case_from_xml(case_to_xml(case)) == case


def test_the_xml_is_nested_and_readable_with_html_as_cdata():
    xml = case_to_xml(load_demo_case("chest_pain_gp"))
    root = etree.fromstring(xml)
    assert root.tag == "cme_case" and root.get("id") == "chest-pain-gp"
    stage = root.find("stage[@id='investigations']")
    finding = stage.find("finding[@id='inv-ecg']")
    assert finding.get("relevance") == "essential" and finding.find("label").text == "12-lead ECG"
    assert finding.find("cost").get("money") == "30"
    option = root.find(".//question[@id='disposition']/option[@id='ambulance']")
    assert option.get("correct") == "true"
    branch = root.find("stage[@id='management']/branch")
    assert branch.attrib == {
        "id": "sent-away",
        "to": "collapse",
        "question": "disposition",
        "options": "outpatient omeprazole",
    }
    assert "<content><![CDATA[<p>Mr Wang" in xml
    assert "{" not in root.attrib.get("id", "")  # no JSON smuggled into attributes


def test_a_syntax_error_names_its_line():
    error = xml_error('<cme_case id="x">\n  <title>Chest pain</titel>\n</cme_case>')
    assert error.code == "xml_invalid" and error.params["line"] == 2


def test_an_unknown_element_names_its_line_and_parent():
    xml = case_to_xml(two_stage_case()).replace("<title>End</title>", "<titel>End</titel>")
    error = xml_error(xml)
    line = next(i for i, text in enumerate(numbered(xml), 1) if "<titel>" in text)
    assert error.code == "xml_unknown_element"
    assert error.params == {"line": line, "element": "titel", "parent": "stage"}


def test_an_unknown_attribute_is_refused():
    xml = case_to_xml(two_stage_case()).replace('<stage id="end"', '<stage colour="red" id="end"')
    error = xml_error(xml)
    assert error.code == "xml_unknown_attribute" and error.params["attribute"] == "colour"


def test_a_wrong_value_names_the_line_and_the_field():
    xml = case_to_xml(load_demo_case("child_pneumonia"))
    xml = xml.replace('relevance="harmful"', 'relevance="dangerous"')
    error = xml_error(xml)
    line = next(i for i, text in enumerate(numbered(xml), 1) if "dangerous" in text)
    assert error.code == "xml_field" and error.params["line"] == line
    assert error.params["field"] == "stages[3].findings[3].relevance"
    assert f"Line {line}" in str(error)


def test_a_problem_with_the_case_as_a_whole_points_at_the_stage():
    xml = case_to_xml(two_stage_case()).replace('next-stage="end"', 'next-stage="start"')
    error = xml_error(xml)
    line = next(i for i, text in enumerate(numbered(xml), 1) if '<stage id="start"' in text)
    assert error.params["error_code"] == "stage_cycle"
    assert error.params["line"] == line and error.params["field"] == 'stage "start"'


def test_an_unknown_question_kind_is_named():
    xml = case_to_xml(two_stage_case()).replace('kind="single_choice"', 'kind="essay"')
    error = xml_error(xml)
    assert error.code == "xml_unknown_question_kind" and error.params["kind"] == "essay"


def test_entities_and_doctypes_are_refused():
    xxe = (
        '<?xml version="1.0"?>\n<!DOCTYPE cme_case [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
        '<cme_case id="x"><title>&x;</title></cme_case>'
    )
    assert xml_error(xxe).code == "xml_doctype_forbidden"
    laughs = (
        '<!DOCTYPE cme_case [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>'
        "<cme_case><title>&b;</title></cme_case>"
    )
    assert xml_error(laughs).code == "xml_doctype_forbidden"


def test_another_root_is_refused():
    assert xml_error("<problem/>").code == "xml_unexpected_root"


def test_oversized_xml_is_refused_before_parsing():
    assert xml_error("<cme_case>" + " " * 2_000_001 + "</cme_case>").code == "xml_too_large"


def test_adapter_attributes_on_the_root_can_be_set_aside():
    element = case_to_element(two_stage_case())
    element.set("url_name", "case-1")
    element.set("display_name", "Case")
    with pytest.raises(CaseError):
        case_from_xml(element)
    case = case_from_xml(element, ignore_attributes=frozenset({"url_name", "display_name"}))
    assert case == two_stage_case()


def test_hand_written_html_without_cdata_is_accepted_and_sanitized():
    xml = case_to_xml(two_stage_case()).replace(
        "<title>End</title>",
        "<title>End</title><content><p>Discharged <em>well</em></p><script>x()</script></content>",
    )
    case = case_from_xml(xml)
    assert case.stage("end").content == "<p>Discharged <em>well</em></p>"


def test_the_shipped_demo_files_are_already_in_canonical_form_apart_from_layout():
    for name in demo_case_names():
        assert "<!DOCTYPE" not in demo_case_xml(name)
        assert case_from_xml(demo_case_xml(name)) == load_demo_case(name)


@pytest.mark.parametrize(
    "patient", ['age-months="14"', 'age-years="1" age-months="2"', 'age-years="0" age-months="14"']
)
def test_a_toddler_of_14_months_keeps_the_months(patient):
    xml = demo_case_xml("child_pneumonia").replace('age-years="3"', patient)
    case = case_from_xml(xml)
    assert (case.patient.age_years, case.patient.age_months) == (1, 2)
    assert 'age-years="1" age-months="2"' in case_to_xml(case)
