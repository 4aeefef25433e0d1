"""The OLX format documented for authors is the format the importer reads."""

import re

from case_teaching import case_from_xml, case_to_xml, expert_route, max_score
from tests.conftest import REPO_ROOT

DOC = REPO_ROOT / "docs" / "olx-cme-case.md"


def documented_example() -> str:
    blocks = re.findall(r"```xml\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)
    assert len(blocks) == 1
    return blocks[0]


def test_the_documented_example_imports_with_every_part_it_shows():
    case = case_from_xml(
        documented_example(), ignore_attributes=frozenset({"display_name", "weight"})
    )
    assert case.id == "toddler-cough" and case.patient.age_years == 2
    assert [s.id for s in case.stages] == ["assessment", "plan", "ward", "home-outcome"]
    assert {f.relevance for f in case.stage("assessment").findings} == {
        "essential",
        "unnecessary",
    }
    assert [s.stage for s in expert_route(case)] == ["assessment", "plan", "home-outcome"]
    assert max_score(case) == 10
    dose = case.question("dose")[1]
    assert dose.expected(case.patient) == (480, False) and case.guidelines[0].section
    assert case_from_xml(case_to_xml(case)) == case


def test_every_element_the_exporter_writes_is_documented():
    case = case_from_xml(
        documented_example(), ignore_attributes=frozenset({"display_name", "weight"})
    )
    markup = re.sub(r"<!\[CDATA\[.*?\]\]>", "", case_to_xml(case), flags=re.S)
    written = set(re.findall(r"<([a-z_-]+)[ />]", markup))
    assert {"cme_case", "stage", "finding", "question", "option", "branch"} <= written
    table = DOC.read_text(encoding="utf-8")
    for element in written:
        assert f"`{element}`" in table, element


def test_the_documented_score_snippet_imports_into_a_stage():
    doc = " ".join(DOC.read_text(encoding="utf-8").split())
    snippet = re.search(r"`(<score .*?</score>)`", doc).group(1).replace("` `", "")
    example = documented_example().replace(
        '<question id="classify"',
        '<finding id="mental" kind="examination" relevance="useful"><label>Alertness</label>'
        "<result>Alert</result></finding>"
        '<finding id="bloods" kind="investigation" relevance="useful"><label>Urea</label>'
        f"<result>Normal</result></finding>{snippet}"
        '<question id="classify"',
    )
    case = case_from_xml(example, ignore_attributes=frozenset({"display_name", "weight"}))
    assert case.stage("assessment").scores[0].kind == "curb65"
