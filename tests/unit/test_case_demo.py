"""The demo cases are complete, clinically framed teaching cases that play end to end; the
cases written in Chinese ship an English version with the same answer key."""

import re

import pytest

from case_teaching import (
    CHINESE_DEMO_CASES,
    DEMO_CASES,
    ENGLISH,
    CaseError,
    demo_case_names,
    expert_route,
    load_demo_case,
    max_score,
)
from tests.unit.test_case_learner_view import walk
from tests.unit.test_case_strategies import play_expert


def all_paths(case) -> list[list[str]]:
    def paths_from(stage_id: str) -> list[list[str]]:
        stage = case.stage(stage_id)
        if stage.ending:
            return [[stage_id]]
        return [[stage_id, *rest] for target in stage.targets for rest in paths_from(target)]

    return paths_from(case.start_stage.id)


def test_the_cases_the_consortium_asked_for_are_shipped_the_chinese_ones_with_english():
    assert (
        demo_case_names()
        == list(DEMO_CASES)
        == [
            "child_pneumonia",
            "chest_pain_gp",
            "hypertensive_emergency",
            "acute_limb_ischaemia",
            "sulfonylurea_hypoglycaemia",
            "paediatric_septic_shock",
            "paediatric_septic_shock.en",
            "febrile_status_epilepticus",
            "febrile_status_epilepticus.en",
            "neonatal_fever",
            "neonatal_fever.en",
            "neonatal_jaundice",
            "neonatal_jaundice.en",
            "child_acute_asthma",
            "child_acute_asthma.en",
            "severe_hfmd",
            "severe_hfmd.en",
            "copd_exacerbation",
            "copd_exacerbation.en",
            "stemi_thrombolysis",
            "stemi_thrombolysis.en",
        ]
    )
    assert set(CHINESE_DEMO_CASES) <= set(DEMO_CASES)


CJK = re.compile(r"[\u4e00-\u9fff]")
#: The text values of a case that are codes, not prose: they must match across languages.
CODES = {"id", "kind", "relevance", "next_stage", "to", "question", "options", "correct_order"}
CODES |= {"value", "sex", "target_tiers", "target_titles", "version", "currency", "url"}


def answer_key(node, key=None):
    """The case without its prose: structure, ids, points, keys, formulas, votes, costs."""
    if isinstance(node, dict):
        return {k: answer_key(v, k) for k, v in node.items()}
    if isinstance(node, list):
        return [answer_key(item, key) for item in node]
    if isinstance(node, str) and key not in CODES:
        return "prose"
    return node


@pytest.mark.parametrize("name", CHINESE_DEMO_CASES)
def test_a_chinese_case_and_its_english_version_teach_and_score_the_same(name):
    chinese, english = load_demo_case(name), load_demo_case(name + ENGLISH)
    assert CJK.search(chinese.title) and not CJK.search(english.title)
    assert chinese.id + "-en" == english.id
    zh_key, en_key = chinese.model_dump(exclude={"id"}), english.model_dump(exclude={"id"})
    assert answer_key(zh_key) == answer_key(en_key)
    assert max_score(chinese) == max_score(english)
    assert expert_route(chinese) == expert_route(english)


@pytest.mark.parametrize("name", CHINESE_DEMO_CASES)
def test_the_chinese_version_is_written_in_chinese_throughout(name):
    case = load_demo_case(name)
    prose = [case.summary, *(s.title for s in case.stages), *(s.content for s in case.stages)]
    prose += [q.prompt for s in case.stages for q in s.questions]
    prose += [f.label for s in case.stages for f in s.findings]
    assert all(CJK.search(text) for text in prose if text)


def test_an_unknown_demo_is_refused_by_name():
    with pytest.raises(CaseError) as caught:
        load_demo_case("appendicitis")
    assert caught.value.code == "demo_unknown" and "appendicitis" in str(caught.value)


@pytest.mark.parametrize("name", demo_case_names())
def test_each_demo_uses_findings_on_request_a_branch_and_dated_guidelines(name):
    case = load_demo_case(name)
    findings = [f for s in case.stages for f in s.findings]
    assert len(findings) >= 10
    assert {f.relevance for f in findings} >= {"essential", "useful", "unnecessary"}
    assert any(f.cost.minutes or f.cost.money for f in findings)
    assert any(stage.branches for stage in case.stages)
    assert len(case.guidelines) >= 2
    assert all(1990 <= g.year <= 2025 for g in case.guidelines if g.id != "rutherford-1997")
    assert case.learning_objectives and case.authors and case.estimated_minutes >= 15
    kinds = {q.kind for s in case.stages for q in s.questions}
    assert {"single_choice", "reflection"} <= kinds and len(kinds) >= 4


@pytest.mark.parametrize("name", demo_case_names())
def test_each_path_of_a_demo_has_five_to_eight_stages_and_ends(name):
    case = load_demo_case(name)
    paths = all_paths(case)
    assert len(paths) >= 2
    for path in paths:
        assert 5 <= len(path) <= 8, path
        assert case.stage(path[-1]).ending


@pytest.mark.parametrize("name", demo_case_names())
def test_the_branch_leads_to_a_worse_outcome_and_a_lower_score(name):
    case = load_demo_case(name)
    expert = play_expert(case)[-1].progress
    assert expert.path == [s.stage for s in expert_route(case)]
    assert expert.score == max_score(case)
    branch = next(b for s in case.stages for b in s.branches)
    *_, detour = walk(case, {branch.question: branch.options[0]}, request_findings=True)
    assert branch.to in detour.progress.path
    assert detour.progress.score < expert.score
    assert not detour.progress.passed


def test_the_paediatric_case_follows_who_fast_breathing_thresholds():
    case = load_demo_case("child_pneumonia")
    rate = case.finding("ex-respiratory-rate")[1]
    assert case.patient.age_years == 3 and float(rate.value) >= 40
    assert "40" in rate.normal_range
    treatment = case.question("treatment")[1]
    correct = next(o for o in treatment.options if o.correct)
    assert "amoxicillin" in correct.text.lower()


def test_the_limb_case_classifies_the_leg_as_rutherford_iib():
    question = load_demo_case("acute_limb_ischaemia").question("rutherford")[1]
    assert next(o for o in question.options if o.correct).id == "cat-iib"
