"""An author pastes the referral OLX of the documentation into the Studio editor: the whole
`<cme_referral>` (as a course export writes it) or the scenario alone with the rule set and
consortium in their own boxes; both validate and save the same exercise."""

import json
import re

from lxml import etree

from referral_tracking import load_demo_consortium
from tests.conftest import REPO_ROOT
from tests.xblock.test_referral_block import referral_usages

DOC = (REPO_ROOT / "docs" / "olx-cme-referral.md").read_text(encoding="utf-8")
#: The documented complete example.
WHOLE = re.search(r"<cme_referral display_name=.*?</cme_referral>", DOC, re.S).group(0)
#: The scenario alone, as it sits inside the example.
SCENARIO_ALONE = re.search(r"<referral-scenario .*?</referral-scenario>", WHOLE, re.S).group(0)
CONSORTIUM = load_demo_consortium().model_dump_json()


def studio(workbench, scenarios, source, mode="validate", **boxes):
    _scenario_id, usage_id = referral_usages(scenarios)["hypertension_township"]
    payload = {"mode": mode, "display_name": "Pasted", "weight": 1, "scenario_source": source}
    payload.update(boxes)
    response = workbench.handler(usage_id, "studio_submit", payload, student="staff")
    return response.status_code, json.loads(response.content), usage_id


def test_the_documented_cme_referral_pasted_whole_validates_with_its_answer(workbench, scenarios):
    status, body, _usage = studio(workbench, scenarios, WHOLE)
    assert status == 200, body
    assert "Emergency transfer" in body["message"] and "3 findings" in body["message"]


def test_the_documented_cme_referral_with_its_own_consortium_saves_all_three(workbench, scenarios):
    whole = WHOLE.replace(
        "</cme_referral>", f"<consortium>{CONSORTIUM}</consortium></cme_referral>"
    )
    status, body, usage_id = studio(workbench, scenarios, whole, mode="save")
    assert status == 200, body
    stored = json.loads(workbench.block(usage_id, "staff").content_json)
    assert stored["scenario"]["id"] == "bp-headache-township"
    assert stored["consortium"]["id"] == load_demo_consortium().id


def test_the_scenario_alone_with_the_consortium_in_its_box_validates_the_same(workbench, scenarios):
    status, body, _usage = studio(
        workbench, scenarios, SCENARIO_ALONE, consortium_source=CONSORTIUM
    )
    assert status == 200, body
    assert "Emergency transfer" in body["message"]


def test_a_consortium_both_inside_the_paste_and_in_its_box_is_refused_saying_keep_one(
    workbench, scenarios
):
    whole = WHOLE.replace(
        "</cme_referral>", f"<consortium>{CONSORTIUM}</consortium></cme_referral>"
    )
    status, body, _usage = studio(workbench, scenarios, whole, consortium_source=CONSORTIUM)
    assert status == 400
    assert "keep one of them" in json.dumps(body["problems"])


def test_a_fault_in_the_pasted_block_names_its_line_in_the_whole_paste(workbench, scenarios):
    broken = WHOLE.replace('age-years="58"', 'age-years="old"')
    status, body, _usage = studio(workbench, scenarios, broken)
    line = next(n for n, text in enumerate(broken.splitlines(), 1) if 'age-years="old"' in text)
    assert status == 400 and f"Line {line}" in json.dumps(body["problems"])


def test_a_cme_referral_without_a_scenario_is_refused_saying_where_it_goes(workbench, scenarios):
    status, body, _usage = studio(workbench, scenarios, '<cme_referral display_name="x"/>')
    assert status == 400 and "referral-scenario" in json.dumps(body["problems"])


def test_the_documented_example_is_valid_xml_with_the_scenario_inside():
    assert etree.fromstring(WHOLE.encode()).find("referral-scenario") is not None


def test_a_misspelt_red_flag_pasted_in_studio_is_refused_naming_the_code(workbench, scenarios):
    misspelt = WHOLE.replace('id="severe_headache"', 'id="sever_headache"')
    status, body, _usage = studio(workbench, scenarios, misspelt)
    assert status == 400  # it was "valid ... Manage here" once
    assert 'nearly "severe_headache"' in body["problems"][0]["message"]


def test_a_chinese_author_reads_the_nearest_codes_with_chinese_punctuation(workbench, scenarios):
    scenario_id, _usage = referral_usages(scenarios)["hypertension_township"]
    workbench.client.get(f"/scenario/{scenario_id}/", {"student": "staff", "lang": "zh-cn"})
    misspelt = WHOLE.replace('id="sbp_mmhg"', 'id="sbp_mmhh"')
    status, body, _usage = studio(workbench, scenarios, misspelt)
    message = body["problems"][0]["message"]
    assert status == 400 and "已知的代码" in message
    assert "“sbp_mmhg”、“" in message and '", "' not in message


def test_a_fault_in_the_pasted_xml_names_the_field_as_the_form_does(workbench, scenarios):
    broken = WHOLE.replace('age-years="58"', 'age-years="old"')
    status, body, _usage = studio(workbench, scenarios, broken)
    message = body["problems"][0]["message"]
    assert status == 400 and "Patient (de-identified) › Age (years)" in message
    assert "age_years" not in message


def test_a_visit_finding_at_fault_is_named_a_finding_of_the_visit_in_chinese(workbench, scenarios):
    scenario_id, _usage = referral_usages(scenarios)["hypertension_township"]
    workbench.client.get(f"/scenario/{scenario_id}/", {"student": "staff", "lang": "zh-cn"})
    broken = WHOLE.replace(
        '<finding item="medication_adherence">Takes', '<finding item="medication_adherence"> '
    ).replace(" both tablets every day.</finding>", "</finding>")
    status, body, _usage = studio(workbench, scenarios, broken)
    message = body["problems"][0]["message"]
    assert status == 400 and "本次随访所见" in message, message
    assert "visits" not in message and "findings" not in message
