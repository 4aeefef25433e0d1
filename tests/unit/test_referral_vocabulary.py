"""An author misspells a finding, measure, capability or department: it is refused naming the
known ids nearest to it, so that a misspelt red flag never silently changes the answer."""

import json

import pytest
from pydantic import ValidationError

from referral_tracking import build_exercise, load_demo_consortium, load_demo_scenario, load_ruleset
from referral_tracking.messages import ReferralError
from referral_tracking.schema import Consortium, ReferralScenario, RuleSet
from referral_tracking.vocabulary import misspelt, nearest
from tests.conftest import REPO_ROOT

RULESET = REPO_ROOT / "referral_tracking" / "rulesets" / "hypertension" / "2.0.json"


def hypertension() -> dict:
    return json.loads(RULESET.read_text(encoding="utf-8"))


def township_with(**changes) -> ReferralScenario:
    data = load_demo_scenario("hypertension_township").model_dump()
    for finding in data["findings"]:
        finding.update(changes.get(finding["id"], {}))
    return ReferralScenario.model_validate(data)


def exercise_of(scenario: ReferralScenario):
    ruleset = load_ruleset(scenario.ruleset_id, scenario.ruleset_version)
    return build_exercise(scenario, ruleset, load_demo_consortium())


def test_the_nearest_known_codes_come_most_alike_first():
    assert nearest("sever_headache", ["vomiting", "severe_headache", "sudden_severe_headache"]) == (
        '"severe_headache", "sudden_severe_headache", "vomiting"'
    )
    assert misspelt("blood_pressure", ["bp_off_target", "severe_headache"]) == []


def test_a_misspelt_red_flag_in_a_scenario_is_refused_naming_the_code_it_nearly_is():
    scenario = township_with(severe_headache={"id": "sever_headache"})
    with pytest.raises(ReferralError) as refused:
        exercise_of(scenario)
    assert refused.value.code == "scenario_misspelt_finding"
    assert '"severe_headache"' in str(refused.value)


def test_a_measure_the_rule_set_lacks_is_refused_with_the_nearest_measures():
    scenario = township_with(blood_pressure={"measures": {"sbp_mmhh": 198, "dbp_mmhg": 116}})
    with pytest.raises(ReferralError) as refused:
        exercise_of(scenario)
    assert 'Known ones, nearest first: "sbp_mmhg"' in str(refused.value)


def test_a_finding_only_for_the_learner_to_read_keeps_an_id_of_its_own():
    assert exercise_of(township_with(ecg={"id": "ecg_at_rest"})).expected.disposition


@pytest.mark.parametrize(
    "where, wrong, suggested",
    [
        ("findings_any", "sever_headache", '"severe_headache"'),
        ("measure", "sbp_mmhh", '"sbp_mmhg"'),
        ("department", "cardiolgy", '"cardiology"'),
    ],
)
def test_a_misspelt_id_in_an_authors_rule_set_is_refused_with_the_nearest(where, wrong, suggested):
    data = hypertension()
    rule = next(
        c for c in data["criteria"] if c.get("findings_any") and c["action"].get("department")
    )
    if where == "findings_any":
        rule["findings_any"][0] = wrong
    elif where == "department":
        rule["action"]["department"] = wrong
    else:
        rule = next(c for c in data["criteria"] if c.get("thresholds"))
        rule["thresholds"][0]["measure"] = wrong
    with pytest.raises(ValidationError) as refused:
        RuleSet.model_validate(data)
    assert f"Known ones, nearest first: {suggested}" in str(refused.value)


def test_a_misspelt_capability_in_a_consortium_is_refused_with_the_nearest():
    data = load_demo_consortium().model_dump(mode="json")
    data["institutions"][0]["capabilities"].append("pulse_oxymetry")
    with pytest.raises(ValidationError) as refused:
        Consortium.model_validate(data)
    assert 'Known ones, nearest first: "pulse_oximetry"' in str(refused.value)
