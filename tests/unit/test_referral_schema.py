"""Rule sets, consortia and learner input are validated once, with errors that name the fault."""

import copy
import re
from pathlib import Path

import pytest
from pydantic import ValidationError

import referral_tracking
from referral_tracking import available_rulesets, load_demo_consortium, load_ruleset
from referral_tracking.messages import MESSAGES, ReferralError
from referral_tracking.schema import (
    LETTER_SIZE_LIMIT,
    Consortium,
    FollowUpPlan,
    ReferralDecision,
    ReferralLetter,
    RuleSet,
)


def ruleset_data(ruleset_id: str = "hypertension") -> dict:
    return load_ruleset(ruleset_id, "1.0").model_dump()


def refused(model, data) -> dict:
    """The first error pydantic reports, as a dict with type, msg and loc."""
    with pytest.raises(ValidationError) as caught:
        model.model_validate(data)
    return caught.value.errors(include_url=False)[0]


def criterion(data: dict, rule_id: str) -> dict:
    return next(c for c in data["criteria"] if c["id"] == rule_id)


# ---- the shipped rule sets ------------------------------------------------------------------


def test_five_rule_sets_ship_for_the_conditions_the_consortium_trains():
    assert set(available_rulesets()) == {
        "hypertension",
        "type2_diabetes",
        "copd",
        "stroke",
        "paediatric_pneumonia",
    }


@pytest.mark.parametrize("ruleset_id", available_rulesets())
def test_every_shipped_rule_set_names_its_guideline_issuer_and_year(ruleset_id):
    ruleset = load_ruleset(ruleset_id)
    assert ruleset.provenance.guideline and ruleset.provenance.issuing_body
    assert 2000 <= ruleset.provenance.year <= 2030
    assert ruleset.version
    assert ruleset.follow_up.required_monitoring


def test_the_hypertension_referral_result_is_followed_up_within_two_weeks():
    assert load_ruleset("hypertension").follow_up.closed_loop_days == 14


def test_asking_for_a_rule_set_version_that_is_not_shipped_is_refused():
    with pytest.raises(ReferralError) as caught:
        load_ruleset("hypertension", version="9.9")
    assert caught.value.code == "ruleset_version_not_shipped"
    assert "9.9" in str(caught.value)


def test_an_unknown_rule_set_is_named_in_the_error():
    with pytest.raises(ReferralError) as caught:
        load_ruleset("gout")
    assert caught.value.code == "ruleset_unknown" and "gout" in str(caught.value)


def test_a_loaded_rule_set_is_a_copy_an_author_can_edit_without_touching_the_shipped_one():
    edited = load_ruleset("copd")
    edited.criteria.clear()
    assert load_ruleset("copd").criteria


# ---- rule sets that contradict themselves are refused at save, naming the rule ---------------


def test_two_rules_with_overlapping_blood_pressure_bands_and_different_actions_are_refused():
    data = ruleset_data()
    data["criteria"] = [
        {
            "id": "grade_2",
            "label": "Grade 2",
            "thresholds": [{"measure": "sbp_mmhg", "at_least": 160, "below": 185}],
            "action": {"kind": "manage_locally"},
            "priority": "routine",
        },
        {
            "id": "grade_3",
            "label": "Grade 3",
            "thresholds": [{"measure": "sbp_mmhg", "at_least": 180}],
            "action": {"kind": "refer_upward", "tier": "secondary", "department": "cardiology"},
            "priority": "urgent",
        },
    ]
    error = refused(RuleSet, data)
    assert error["type"] == "rules_contradict"
    assert "grade_2" in error["msg"] and "grade_3" in error["msg"]


def test_adjacent_bands_that_meet_at_a_bound_do_not_contradict():
    data = ruleset_data()
    data["criteria"] = [
        {
            "id": "grade_2",
            "label": "Grade 2",
            "thresholds": [{"measure": "sbp_mmhg", "at_least": 160, "below": 180}],
            "action": {"kind": "manage_locally"},
            "priority": "routine",
        },
        {
            "id": "grade_3",
            "label": "Grade 3",
            "thresholds": [{"measure": "sbp_mmhg", "at_least": 180}],
            "action": {"kind": "refer_upward", "tier": "secondary", "department": "cardiology"},
            "priority": "urgent",
        },
    ]
    assert [c.id for c in RuleSet.model_validate(data).criteria] == ["grade_2", "grade_3"]


def test_an_or_threshold_overlapping_another_rule_on_either_measure_is_refused():
    data = ruleset_data()
    copy_of_rule = copy.deepcopy(criterion(data, "htn_severe_bp_not_controlled"))
    copy_of_rule.update(
        id="diastolic_only",
        thresholds=[{"measure": "dbp_mmhg", "at_least": 115}],
        thresholds_mode="all",
        priority="routine",
    )
    data["criteria"].append(copy_of_rule)
    error = refused(RuleSet, data)
    assert error["type"] == "rules_contradict" and "diastolic_only" in error["msg"]


def test_a_threshold_that_no_patient_can_meet_is_an_unreachable_rule():
    data = ruleset_data()
    criterion(data, "htn_severe_bp_not_controlled").update(
        thresholds=[
            {"measure": "sbp_mmhg", "at_least": 180},
            {"measure": "sbp_mmhg", "below": 170},
        ],
        thresholds_mode="all",
    )
    error = refused(RuleSet, data)
    assert error["type"] == "rule_unreachable_threshold"
    assert "htn_severe_bp_not_controlled" in error["msg"] and "sbp_mmhg" in error["msg"]


def test_a_rule_needing_a_capability_nobody_has_heard_of_is_refused():
    data = ruleset_data()
    criterion(data, "htn_suspected_stemi")["required_capability"] = "teleportation"
    error = refused(RuleSet, data)
    assert error["type"] == "rule_unknown_capability"
    assert "htn_suspected_stemi" in error["msg"] and "teleportation" in error["msg"]


def test_a_rule_triggered_by_a_finding_the_rule_set_does_not_define_is_refused():
    data = ruleset_data()
    criterion(data, "htn_resistant")["findings_any"] = ["resistant_hypertensoin"]
    error = refused(RuleSet, data)
    assert error["type"] == "rule_unknown_finding" and "resistant_hypertensoin" in error["msg"]


def test_a_rule_without_any_trigger_would_fire_for_everyone_and_is_refused():
    data = ruleset_data()
    criterion(data, "htn_resistant")["findings_any"] = []
    error = refused(RuleSet, data)
    assert error["type"] == "rule_without_trigger" and "htn_resistant" in error["msg"]


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"action": {"kind": "refer_upward", "tier": "primary"}}, "rule_refers_to_primary"),
        ({"action": {"kind": "refer_upward"}}, "rule_referral_without_tier"),
        (
            {"action": {"kind": "emergency_transfer", "tier": "secondary"}, "priority": "urgent"},
            "rule_transfer_not_emergency",
        ),
        ({"action": {"kind": "manage_locally", "tier": "secondary"}}, "rule_local_with_target"),
    ],
)
def test_a_rule_whose_action_makes_no_sense_is_refused_by_name(change, code):
    data = ruleset_data()
    criterion(data, "htn_resistant").update(change)
    error = refused(RuleSet, data)
    assert error["type"] == code and "htn_resistant" in error["msg"]


def test_follow_up_bounds_that_exclude_every_interval_are_refused():
    data = ruleset_data()
    data["follow_up"].update(min_interval_days=30, max_interval_days=14, closed_loop_days=30)
    assert refused(RuleSet, data)["type"] == "follow_up_bounds_empty"


def test_a_closed_loop_shorter_than_the_shortest_allowed_interval_can_never_be_met():
    data = ruleset_data()
    data["follow_up"].update(closed_loop_days=7)
    error = refused(RuleSet, data)
    assert error["type"] == "closed_loop_unreachable" and "7" in error["msg"]


def test_a_required_monitoring_item_that_is_not_offered_is_refused():
    data = ruleset_data()
    data["follow_up"]["required_monitoring"].append("telepathy")
    error = refused(RuleSet, data)
    assert error["type"] == "unknown_required_monitoring" and "telepathy" in error["msg"]


def test_every_error_code_the_package_raises_has_an_english_template():
    source = "".join(
        path.read_text(encoding="utf-8")
        for path in Path(referral_tracking.__file__).parent.glob("*.py")
    )
    raised = set(re.findall(r'(?:ReferralError|problem)\(\s*"([a-z_]+)"', source))
    raised |= set(re.findall(r'"code": "([a-z_]+)"', source))
    # codes chosen from a table before they are raised ("unknown_target", "duplicate_...")
    raised |= set(re.findall(r'"((?:unknown|duplicate)_[a-z_]+)"', source))
    raised |= {f"no_receiving_institution{end}" for end in ("", "_department", "_capability")}
    raised.add("no_receiving_institution_both")
    assert len(raised) > 40
    assert raised <= set(MESSAGES), raised - set(MESSAGES)


def test_every_template_names_what_is_at_fault_with_placeholders_that_format():
    for code, template in MESSAGES.items():
        fields = set(re.findall(r"{(\w+)}", template))
        assert template.format(**dict.fromkeys(fields, "x")), code


# ---- the consortium -------------------------------------------------------------------------


def test_the_demo_consortium_has_county_hospitals_with_and_without_pci():
    consortium = load_demo_consortium()
    counties = [i for i in consortium.institutions if i.tier == "secondary"]
    assert len(counties) == 2
    assert sorted("pci" in i.capabilities for i in counties) == [False, True]
    assert any(i.tier == "tertiary" and "picu" in i.capabilities for i in consortium.institutions)
    assert sum(i.tier == "primary" for i in consortium.institutions) >= 2


def test_an_institution_with_an_unknown_capability_is_refused_by_name():
    data = load_demo_consortium().model_dump()
    data["institutions"][0]["capabilities"].append("time_travel")
    error = refused(Consortium, data)
    assert error["type"] == "unknown_capability" and "time_travel" in error["msg"]
    assert "provincial-childrens" in error["msg"]


def test_the_same_institution_listed_twice_is_refused():
    data = load_demo_consortium().model_dump()
    data["institutions"].append(copy.deepcopy(data["institutions"][0]))
    assert refused(Consortium, data)["type"] == "duplicate_institution"


def test_asking_for_an_institution_outside_the_consortium_names_it():
    with pytest.raises(ReferralError) as caught:
        load_demo_consortium().institution("mars-clinic")
    assert caught.value.code == "unknown_institution" and "mars-clinic" in str(caught.value)


# ---- learner input --------------------------------------------------------------------------


def test_a_letter_over_the_size_limit_is_refused_with_its_size_and_the_limit():
    letter = {
        "reason": "r" * 2000,
        "history": "h" * 2000,
        "treatment_given": "t" * 2000,
        "question": "q" * 2000,
        "supporting_info": ["s" * 300],
    }
    error = refused(ReferralLetter, letter)
    assert error["type"] == "letter_too_large"
    assert str(LETTER_SIZE_LIMIT) in error["msg"] and "8300" in error["msg"]


def test_one_field_over_its_own_limit_is_refused_by_pydantic():
    assert refused(ReferralLetter, {"reason": "x" * 2001})["type"] == "string_too_long"


def test_an_emergency_transfer_with_routine_priority_is_incoherent():
    decision = {
        "disposition": "emergency_transfer",
        "priority": "routine",
        "target_institution_id": "dongxian-county",
        "department": "emergency",
        "letter": {"reason": "BP"},
    }
    assert refused(ReferralDecision, decision)["type"] == "transfer_not_emergency"


def test_a_referral_without_a_letter_is_refused():
    decision = {
        "disposition": "refer_upward",
        "priority": "routine",
        "target_institution_id": "dongxian-county",
        "department": "cardiology",
    }
    assert refused(ReferralDecision, decision)["type"] == "referral_needs_letter"


def test_managing_locally_with_a_receiving_hospital_is_refused():
    decision = {
        "disposition": "manage_locally",
        "priority": "routine",
        "target_institution_id": "dongxian-county",
    }
    assert refused(ReferralDecision, decision)["type"] == "local_with_target"


def test_unknown_fields_from_a_learner_are_refused():
    error = refused(
        ReferralDecision, {"disposition": "manage_locally", "priority": "routine", "x": 1}
    )
    assert error["type"] == "extra_forbidden"


def test_a_plan_choosing_the_same_item_twice_is_refused():
    error = refused(FollowUpPlan, {"interval_days": 14, "monitoring": ["blood_pressure"] * 2})
    assert error["type"] == "duplicate_monitoring_choice" and "blood_pressure" in error["msg"]
