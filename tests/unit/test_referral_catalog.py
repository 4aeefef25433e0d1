"""Rule sets are versioned data: a newer version ships beside the older one, and a scenario
pinned to the older one keeps its answers."""

import json
from pathlib import Path

import pytest

from referral_tracking import (
    RulesetCatalog,
    available_rulesets,
    build_exercise,
    load_demo_consortium,
    load_demo_scenario,
    load_ruleset,
    pin_ruleset_version,
    ruleset_versions,
    shipped_ruleset_versions,
)
from referral_tracking.catalog import PACKAGE, version_key
from referral_tracking.messages import ReferralError

CONSORTIUM = load_demo_consortium()
EMERGENCY_RULE = "htn_severe_bp_with_neurological_symptoms"


def hypertension(version: str, department: str = "emergency") -> dict:
    """The shipped hypertension rule set, as the file of another version would hold it."""
    data = load_ruleset("hypertension", "1.0").model_dump(mode="json")
    data["version"] = version
    rule = next(c for c in data["criteria"] if c["id"] == EMERGENCY_RULE)
    rule["action"]["department"] = department
    return data


def test_the_vignette_files_beside_the_versions_are_not_versions(catalog, tmp_path: Path):
    (tmp_path / "hypertension" / "1.0.vignettes.json").write_text("{}", encoding="utf-8")
    assert RulesetCatalog(tmp_path).versions("hypertension") == ["1.0", "1.9", "1.10"]


def write(root: Path, ruleset_id: str, file_version: str, data: dict) -> None:
    folder = root / ruleset_id
    folder.mkdir(exist_ok=True)
    (folder / f"{file_version}.json").write_text(json.dumps(data), encoding="utf-8")


@pytest.fixture
def catalog(tmp_path: Path) -> RulesetCatalog:
    """Version 1.0 as shipped; 1.9 and then 1.10 send the hypertensive emergency to neurology."""
    write(tmp_path, "hypertension", "1.0", hypertension("1.0"))
    write(tmp_path, "hypertension", "1.10", hypertension("1.10", "neurology"))
    write(tmp_path, "hypertension", "1.9", hypertension("1.9", "neurology"))
    return RulesetCatalog(tmp_path)


def township_scenario(version: str | None):
    scenario = load_demo_scenario("hypertension_township")
    return scenario.model_copy(update={"ruleset_version": version})


# ---- the shipped catalog --------------------------------------------------------------------


def test_each_shipped_rule_set_is_one_version_in_a_folder_named_after_it():
    assert shipped_ruleset_versions() == {
        "copd": ["1.0", "2.0"],
        "hypertension": ["1.0", "2.0"],
        "paediatric_pneumonia": ["1.0", "2.0"],
        "stroke": ["1.0", "2.0"],
        "type2_diabetes": ["1.0", "2.0"],
    }
    for ruleset_id in available_rulesets():
        for version in ruleset_versions(ruleset_id):
            assert (PACKAGE / "rulesets" / ruleset_id / f"{version}.json").is_file()
            ruleset = load_ruleset(ruleset_id, version)
            assert (ruleset.id, ruleset.version) == (ruleset_id, version)


def test_content_saved_without_a_version_still_plays_with_the_shipped_rule_set():
    scenario = township_scenario(None)
    ruleset = load_ruleset(scenario.ruleset_id, scenario.ruleset_version)
    exercise = build_exercise(scenario, ruleset, CONSORTIUM)
    assert ruleset.version == "2.0"
    assert exercise.expected.deciding_rule == "htn_severe_bp_with_headache_or_vomiting"


def test_asking_for_a_version_that_is_not_shipped_lists_the_versions_there_are():
    with pytest.raises(ReferralError) as caught:
        load_ruleset("hypertension", "9.9")
    assert caught.value.code == "ruleset_version_not_shipped"
    assert "9.9" in str(caught.value) and "1.0" in str(caught.value)


# ---- a newer version beside the older one ---------------------------------------------------


def test_versions_are_listed_oldest_first_comparing_numbers_not_text(catalog):
    assert catalog.versions("hypertension") == ["1.0", "1.9", "1.10"]
    assert catalog.newest("hypertension") == "1.10"
    assert catalog.all_versions() == {"hypertension": ["1.0", "1.9", "1.10"]}
    assert version_key("1") == version_key("1.0.0") < version_key("1.9") < version_key("1.10")


def test_a_scenario_pinned_to_the_older_version_keeps_its_answer_when_a_newer_one_ships(catalog):
    scenario = township_scenario("1.0")
    exercise = build_exercise(scenario, catalog.for_scenario(scenario), CONSORTIUM)
    assert exercise.ruleset.version == "1.0"
    assert exercise.expected.department == "emergency"


def test_a_scenario_naming_no_version_is_played_with_the_newest(catalog):
    scenario = township_scenario(None)
    exercise = build_exercise(scenario, catalog.for_scenario(scenario), CONSORTIUM)
    assert exercise.ruleset.version == "1.10"
    assert exercise.expected.department == "neurology"


def test_pinning_writes_the_newest_version_into_a_scenario_and_keeps_a_pinned_one(catalog):
    assert catalog.pin(township_scenario(None)).ruleset_version == "1.10"
    assert catalog.pin(township_scenario("1.9")).ruleset_version == "1.9"
    assert pin_ruleset_version(township_scenario(None)).ruleset_version == "2.0"


def test_pinning_to_a_version_the_catalog_lacks_is_refused(catalog):
    with pytest.raises(ReferralError) as caught:
        catalog.pin(township_scenario("2.0"))
    assert caught.value.code == "ruleset_version_not_shipped"
    assert caught.value.params["available"] == "1.0, 1.9, 1.10"


def test_editing_a_loaded_version_leaves_the_catalog_as_it_was(catalog):
    edited = catalog.load("hypertension", "1.0")
    edited.criteria.clear()
    assert catalog.load("hypertension", "1.0").criteria


def test_an_unknown_rule_set_is_refused_by_name(catalog):
    with pytest.raises(ReferralError) as caught:
        catalog.load("gout")
    assert caught.value.code == "ruleset_unknown" and "gout" in str(caught.value)


# ---- misplaced files are caught --------------------------------------------------------------


def test_a_file_whose_content_is_another_version_is_refused_naming_the_file(tmp_path):
    write(tmp_path, "hypertension", "2.0", hypertension("1.0"))
    with pytest.raises(ReferralError) as caught:
        RulesetCatalog(tmp_path).load("hypertension", "2.0")
    assert caught.value.code == "ruleset_file_misplaced"
    assert "hypertension/2.0.json" in str(caught.value)


def test_two_files_for_the_same_version_are_refused(tmp_path):
    write(tmp_path, "hypertension", "1", hypertension("1"))
    write(tmp_path, "hypertension", "1.0", hypertension("1.0"))
    with pytest.raises(ReferralError) as caught:
        RulesetCatalog(tmp_path).versions("hypertension")
    assert caught.value.code == "ruleset_file_misplaced"


def test_a_file_not_named_by_a_version_is_refused(tmp_path):
    write(tmp_path, "hypertension", "latest", hypertension("1.0"))
    with pytest.raises(ReferralError) as caught:
        RulesetCatalog(tmp_path).ids()
    assert caught.value.params["path"] == "hypertension/latest.json"
