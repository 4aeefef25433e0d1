"""Every shipped rule-set version answers its guideline vignettes as the guideline does.

Each vignette is a patient written from a guideline sentence (with its source, year and
section) and the disposition, urgency, tier and department the guideline asks for; each is its
own test. An author's own rule set carrying vignettes is refused at save when it answers one
differently.
"""

import pytest
from pydantic import ValidationError

from referral_tracking import SHIPPED_RULESETS, load_ruleset
from referral_tracking.schema import RuleSet, VignetteSet
from referral_tracking.vignettes import vignette_answer, vignette_mismatch

MINIMUM_PER_VERSION = 15
VERSIONS = [(rid, v) for rid, versions in SHIPPED_RULESETS.all_versions().items() for v in versions]
CASES = [
    pytest.param(rid, version, vignette, id=f"{rid}-{version}-{vignette.id}")
    for rid, version in VERSIONS
    for vignette in SHIPPED_RULESETS.vignettes(rid, version)
]


@pytest.mark.parametrize(("ruleset_id", "version", "vignette"), CASES)
def test_the_rule_set_answers_the_guideline_vignette(ruleset_id, version, vignette):
    ruleset = load_ruleset(ruleset_id, version)
    assert vignette_mismatch(ruleset, vignette) is None, vignette.source.sentence


@pytest.mark.parametrize(("ruleset_id", "version"), VERSIONS)
def test_every_version_ships_at_least_fifteen_sourced_vignettes(ruleset_id, version):
    vignettes = SHIPPED_RULESETS.vignettes(ruleset_id, version)
    assert len(vignettes) >= MINIMUM_PER_VERSION
    assert all(v.source.sentence and v.source.section and v.source.year for v in vignettes)


@pytest.mark.parametrize(("ruleset_id", "version"), VERSIONS)
def test_the_vignettes_cover_every_rule_and_every_tier(ruleset_id, version):
    ruleset = load_ruleset(ruleset_id, version)
    vignettes = SHIPPED_RULESETS.vignettes(ruleset_id, version)
    deciding = {vignette_answer(ruleset, v).deciding_rule for v in vignettes}
    if version != "1.0":  # the withdrawn versions keep only what they answer as the guideline
        assert {c.id for c in ruleset.criteria} <= deciding
    assert {v.at.tier for v in vignettes} == {"primary", "secondary", "tertiary"}
    assert any(v.expected.disposition == "manage_locally" for v in vignettes)


def test_children_are_tested_in_each_age_band():
    vignettes = SHIPPED_RULESETS.vignettes("paediatric_pneumonia", "2.0")
    months = {round(v.age_years * 12, 3) for v in vignettes}
    assert {m for m in months if m < 2} and {m for m in months if 2 <= m < 12}
    assert {m for m in months if m >= 12} and {2.0, 12.0} <= months


def _own_ruleset(vignette: dict) -> dict:
    data = load_ruleset("hypertension", "2.0").model_dump(mode="json")
    data["id"], data["version"], data["vignettes"] = "my_hypertension", "1.0", [vignette]
    return data


def test_an_authors_rule_set_whose_vignette_fails_is_refused_at_save():
    vignette = SHIPPED_RULESETS.vignettes("hypertension", "2.0")[0].model_dump(mode="json")
    vignette["expected"] = {"disposition": "manage_locally", "priority": "routine"}
    with pytest.raises(ValidationError) as caught:
        RuleSet.model_validate(_own_ruleset(vignette))
    assert caught.value.errors()[0]["type"] == "vignette_failed"
    assert vignette["id"] in str(caught.value)


def test_an_authors_rule_set_whose_vignettes_pass_is_saved():
    vignette = SHIPPED_RULESETS.vignettes("hypertension", "2.0")[0].model_dump(mode="json")
    assert RuleSet.model_validate(_own_ruleset(vignette)).vignettes[0].id == vignette["id"]


def test_a_vignette_naming_a_finding_the_rule_set_lacks_is_refused():
    vignette = SHIPPED_RULESETS.vignettes("hypertension", "2.0")[0].model_dump(mode="json")
    vignette["findings"] = ["no_such_finding"]
    with pytest.raises(ValidationError) as caught:
        RuleSet.model_validate(_own_ruleset(vignette))
    assert caught.value.errors()[0]["type"] == "vignette_unknown_code"


def test_two_vignettes_with_one_id_are_refused():
    vignette = SHIPPED_RULESETS.vignettes("copd", "2.0")[0].model_dump(mode="json")
    data = {"ruleset_id": "copd", "ruleset_version": "2.0", "vignettes": [vignette, vignette]}
    with pytest.raises(ValidationError):
        VignetteSet.model_validate(data)
