"""A rule set that contradicts itself is refused at save, naming the rules at fault: a rule that a
more pressing rule always overrides, and two rules of the same priority that disagree about
the same patient."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from referral_tracking import available_rulesets, load_ruleset
from referral_tracking.schema import Criterion, RuleSet


def ruleset_data(ruleset_id: str = "hypertension") -> dict:
    return load_ruleset(ruleset_id, "1.0").model_dump(mode="json")


def refused(data: dict) -> dict:
    with pytest.raises(ValidationError) as caught:
        RuleSet.model_validate(data)
    return caught.value.errors(include_url=False)[0]


def rule(rule_id: str, kind: str = "refer_upward", priority: str = "routine", **conditions):
    action = {"kind": kind}
    if kind != "manage_locally":
        action |= {"tier": "secondary", "department": "cardiology"}
    return {"id": rule_id, "label": rule_id, "action": action, "priority": priority, **conditions}


@pytest.mark.parametrize("ruleset_id", available_rulesets())
def test_every_shipped_rule_set_passes_the_contradiction_checks(ruleset_id):
    data = ruleset_data(ruleset_id)
    assert RuleSet.model_validate(data).criteria


# ---- a rule that can never decide -----------------------------------------------------------


def test_a_routine_rule_on_confusion_and_headache_never_decides_under_the_emergency_rule():
    data = ruleset_data()
    data["criteria"].append(
        rule(
            "htn_confused_with_headache", findings_all=["altered_consciousness", "severe_headache"]
        )
    )
    error = refused(data)
    assert error["type"] == "rule_never_decides"
    assert error["ctx"] == {
        "rule": "htn_confused_with_headache",
        "other": "htn_altered_consciousness",
    }
    assert '"htn_confused_with_headache" can never decide' in error["msg"]


def test_a_rule_whose_blood_pressure_band_lies_inside_a_more_urgent_rule_never_decides():
    data = ruleset_data()
    data["criteria"].insert(
        0,
        rule(
            "htn_very_high_bp",
            findings_all=["bp_uncontrolled_after_short_treatment", "known_hypertension"],
            thresholds=[{"measure": "sbp_mmhg", "at_least": 200}],
        ),
    )
    error = refused(data)
    assert error["type"] == "rule_never_decides"
    assert error["ctx"] == {"rule": "htn_very_high_bp", "other": "htn_severe_bp_not_controlled"}


def test_a_band_reaching_below_the_urgent_threshold_still_decides_for_some_patients():
    data = ruleset_data()
    data["criteria"].append(
        rule(
            "htn_high_bp",
            findings_all=["bp_uncontrolled_after_short_treatment", "known_hypertension"],
            thresholds=[{"measure": "sbp_mmhg", "at_least": 175}],
        )
    )
    assert RuleSet.model_validate(data).criteria[-1].id == "htn_high_bp"


def test_a_rule_with_an_alternative_the_emergency_rule_lacks_still_decides():
    data = ruleset_data()
    data["criteria"].append(
        rule(
            "htn_confusion_or_resistant",
            findings_any=["altered_consciousness", "resistant_hypertension"],
        )
    )
    assert RuleSet.model_validate(data).criteria[-1].id == "htn_confusion_or_resistant"


# ---- two rules of the same priority that disagree --------------------------------------------


def test_keeping_a_controlled_patient_and_referring_a_resistant_one_at_one_priority_is_refused():
    data = ruleset_data()
    data["criteria"].append(
        rule(
            "htn_controlled",
            "manage_locally",
            findings_all=["known_hypertension"],
            thresholds=[{"measure": "sbp_mmhg", "below": 140}],
        )
    )
    error = refused(data)
    assert error["type"] == "rules_same_priority_disagree"
    assert (error["ctx"]["rule"], error["ctx"]["other"]) == ("htn_resistant", "htn_controlled")
    assert error["ctx"]["example"] == "resistant_hypertension, known_hypertension, sbp_mmhg = 139"
    assert "for example: resistant_hypertension, known_hypertension, sbp_mmhg = 139" in error["msg"]


def test_keeping_an_urgent_patient_beside_routine_referrals_is_accepted_when_bands_exclude():
    """Urgent, it outranks the routine referrals; its bands (below 140/90) cannot meet those of
    the urgent referral (180 or 110 and above)."""
    data = ruleset_data()
    data["criteria"].append(
        rule(
            "htn_controlled_after_short_treatment",
            "manage_locally",
            priority="urgent",
            findings_all=["known_hypertension", "bp_uncontrolled_after_short_treatment"],
            thresholds=[
                {"measure": "sbp_mmhg", "below": 140},
                {"measure": "dbp_mmhg", "below": 90},
            ],
        )
    )
    assert RuleSet.model_validate(data).criteria[-1].id == "htn_controlled_after_short_treatment"


def test_keeping_an_urgent_patient_whose_diastolic_meets_the_urgent_referral_is_refused():
    data = ruleset_data()
    data["criteria"].append(
        rule(
            "htn_systolic_controlled",
            "manage_locally",
            priority="urgent",
            findings_all=["known_hypertension", "bp_uncontrolled_after_short_treatment"],
            thresholds=[{"measure": "sbp_mmhg", "below": 140}],
        )
    )
    error = refused(data)
    assert error["type"] == "rules_same_priority_disagree"
    assert error["ctx"]["rule"] == "htn_severe_bp_not_controlled"
    assert "dbp_mmhg = 110, sbp_mmhg = 139" in error["ctx"]["example"]


def test_bands_that_cannot_meet_may_keep_and_refer_at_the_same_priority():
    data = ruleset_data()
    data["criteria"] = [
        rule(
            "keep_below_160",
            "manage_locally",
            findings_all=["known_hypertension"],
            thresholds=[{"measure": "sbp_mmhg", "below": 160}],
        ),
        rule(
            "refer_from_160",
            findings_all=["known_hypertension"],
            thresholds=[{"measure": "sbp_mmhg", "at_least": 160}],
        ),
    ]
    assert [c.id for c in RuleSet.model_validate(data).criteria] == [
        "keep_below_160",
        "refer_from_160",
    ]


def test_an_emergency_referral_and_an_emergency_transfer_for_the_same_patient_are_refused():
    data = ruleset_data()
    data["criteria"].append(
        rule(
            "htn_headache_in_pregnancy",
            priority="emergency",
            findings_all=["pregnant_or_breastfeeding", "severe_headache"],
        )
    )
    error = refused(data)
    assert error["type"] == "rules_same_priority_disagree"
    assert error["ctx"]["other"] == "htn_headache_in_pregnancy"
    assert error["ctx"]["rule"] == "htn_altered_consciousness"
    assert error["ctx"]["example"] == (
        "altered_consciousness, pregnant_or_breastfeeding, severe_headache"
    )


def young_infant_rule_and(extra: dict) -> dict:
    """The paediatric rule set with only its urgent young-infant rule (under 2 months) and
    `extra`, and age in years among its measures."""
    data = ruleset_data("paediatric_pneumonia")
    data["measures"].append({"id": "age_years", "label": "Age", "unit": "years"})
    data["criteria"] = [*(c for c in data["criteria"] if c["id"] == "cap_young_infant"), extra]
    return data


def test_a_rule_for_children_over_one_year_shares_no_patient_with_the_young_infant_rule():
    """The young-infant rule tests age in months, this one age in years: 2 months and 1 year
    cannot meet, so keeping the older child at the same priority is no contradiction."""
    data = young_infant_rule_and(
        rule(
            "cap_older_child_fever",
            "manage_locally",
            priority="urgent",
            findings_any=["fever", "fast_breathing"],
            thresholds=[{"measure": "age_years", "at_least": 1}],
        )
    )
    assert RuleSet.model_validate(data).criteria[-1].id == "cap_older_child_fever"


def test_a_rule_for_infants_under_one_year_overlaps_the_young_infant_rule_and_is_refused():
    data = young_infant_rule_and(
        rule(
            "cap_infant_fever",
            "manage_locally",
            priority="urgent",
            findings_any=["fever"],
            thresholds=[{"measure": "age_years", "below": 1}],
        )
    )
    error = refused(data)
    assert error["type"] == "rules_same_priority_disagree"
    assert (error["ctx"]["rule"], error["ctx"]["other"]) == ("cap_young_infant", "cap_infant_fever")
    assert error["ctx"]["example"] == "fever, age_years = 0"


# ---- the two relations are sound: checked against the rule's own matching ---------------------

FINDINGS = ["f1", "f2", "f3"]
MEASURES = ["m1", "m2"]
BOUNDS = st.sampled_from([0, 1, 2, 3])


@st.composite
def thresholds(draw) -> dict:
    data = {"measure": draw(st.sampled_from(MEASURES))}
    low, high = draw(st.sampled_from(["at_least", "above", None])), None
    if low:
        data[low] = draw(BOUNDS)
    high = draw(st.sampled_from(["below", "at_most"] + ([None] if low else [])))
    if high:
        data[high] = draw(BOUNDS)
    return data


@st.composite
def criteria(draw) -> Criterion:
    return Criterion.model_validate(
        rule(
            "r",
            findings_all=draw(st.lists(st.sampled_from(FINDINGS), max_size=2, unique=True)),
            findings_any=draw(st.lists(st.sampled_from(FINDINGS), max_size=3, unique=True)),
            thresholds=draw(st.lists(thresholds(), max_size=3)),
            thresholds_mode=draw(st.sampled_from(["all", "any"])),
        )
    )


@st.composite
def patients(draw) -> tuple[set[str], dict[str, float]]:
    present = set(draw(st.lists(st.sampled_from(FINDINGS), unique=True)))
    values = st.sampled_from([-1, 0, 0.5, 1, 1.5, 2, 2.5, 3, 4])
    measures = draw(st.dictionaries(st.sampled_from(MEASURES), values))
    return present, measures


@settings(max_examples=400, deadline=None)
@given(criteria(), criteria(), st.lists(patients(), min_size=1, max_size=8))
def test_when_one_rule_is_said_to_imply_another_every_patient_it_matches_the_other_matches(
    narrow, wide, sample
):
    if narrow.condition().implies(wide.condition()):
        for present, measures in sample:
            if narrow.matches(present, measures):
                assert wide.matches(present, measures)


@settings(max_examples=400, deadline=None)
@given(criteria(), criteria(), patients())
def test_the_shared_patient_is_met_by_both_rules_and_is_found_whenever_one_exists(
    first, second, patient
):
    shared = first.condition().shared_patient(second.condition())
    if shared is not None:
        present = set(shared.findings)
        assert first.matches(present, shared.measures)
        assert second.matches(present, shared.measures)
    present, measures = patient
    if first.matches(present, measures) and second.matches(present, measures):
        assert shared is not None
