"""The clinical review's findings (issue 15): version 1.0 gets these patients wrong, 2.0 right.

Each test names the finding, shows what the withdrawn version answers and what the new one
does, at the demo consortium's institutions.
"""

import pytest

from referral_tracking import (
    demo_exercise,
    load_demo_consortium,
    load_demo_scenario,
    load_ruleset,
    score_decision,
)
from referral_tracking.rules import expected_for
from referral_tracking.schema import Finding, ReferralDecision

INSTITUTIONS = {i.id: i for i in load_demo_consortium().institutions}


def answer(ruleset_id: str, version: str, findings, institution="qingshui-township", **values):
    ruleset = load_ruleset(ruleset_id, version)
    age = values.pop("age_years", 50.0)
    measures = {"age_years": age, "age_months": age * 12, **values}
    return expected_for(ruleset, set(findings), measures, INSTITUTIONS[institution])


def both(ruleset_id, findings, institution="qingshui-township", **values):
    old = answer(ruleset_id, "1.0", findings, institution, **dict(values))
    new = answer(ruleset_id, "2.0", findings, institution, **dict(values))
    return old, new


def test_hypertension_limb_weakness_and_speech_at_168_98_is_a_stroke_emergency():
    old, new = both(
        "hypertension", ["limb_weakness", "speech_disturbance"], sbp_mmhg=168, dbp_mmhg=98
    )
    assert old.disposition == "manage_locally"
    assert (new.disposition, new.priority, new.department) == (
        "emergency_transfer",
        "emergency",
        "neurology",
    )


def test_hypertension_pregnancy_at_166_112_is_an_obstetric_emergency():
    old, new = both("hypertension", ["pregnant_or_breastfeeding"], sbp_mmhg=166, dbp_mmhg=112)
    assert (old.disposition, old.priority) == ("refer_upward", "routine")
    new = answer("hypertension", "2.0", ["pregnant"], sbp_mmhg=166, dbp_mmhg=112)
    assert (new.disposition, new.priority, new.department) == (
        "emergency_transfer",
        "emergency",
        "obstetrics",
    )


def test_diabetes_hba1c_7_at_three_months_is_intensified_here_first():
    values = {"hba1c_percent": 7.4, "months_on_current_treatment": 3}
    old = answer("type2_diabetes", "1.0", ["on_metformin"], "riverside-community", **values)
    new = answer("type2_diabetes", "2.0", ["on_metformin"], "riverside-community", **values)
    assert old.disposition == "refer_upward"
    assert (new.disposition, new.priority) == ("manage_locally", "routine")


def test_diabetes_frail_elderly_at_7_6_percent_keeps_an_individual_target():
    findings = ["off_target_despite_intensification", "relaxed_hba1c_target"]
    new = answer(
        "type2_diabetes",
        "2.0",
        findings,
        age_years=80,
        hba1c_percent=7.6,
        months_on_current_treatment=6,
    )
    assert new.disposition == "manage_locally"


@pytest.mark.parametrize(
    ("finding", "values", "priority", "department"),
    [
        ("diabetic_foot_acute", {}, "urgent", "endocrinology"),
        ("severe_visual_loss", {}, "urgent", "ophthalmology"),
        (None, {"egfr_ml_min": 45}, "routine", "endocrinology"),
        (None, {"uacr_mg_g": 450}, "routine", "endocrinology"),
    ],
)
def test_diabetes_complications_missing_from_1_0_are_referred(
    finding, values, priority, department
):
    findings = [finding] if finding else []
    new = answer("type2_diabetes", "2.0", findings, **values)
    assert (new.disposition, new.priority, new.department) == ("refer_upward", priority, department)
    if finding is None:
        assert answer("type2_diabetes", "1.0", [], **values).disposition == "manage_locally"


def test_diabetes_severe_hypoglycaemia_even_corrected_is_an_emergency_referral():
    new = answer("type2_diabetes", "2.0", ["severe_hypoglycaemia"], age_years=78)
    assert (new.disposition, new.priority) == ("emergency_transfer", "emergency")


def test_stroke_a_new_tia_is_an_emergency_and_the_bp_target_is_130_80():
    old, new = both("stroke", ["recent_tia"], "riverside-community")
    assert old.priority == "urgent"
    assert (new.disposition, new.priority) == ("emergency_transfer", "emergency")
    targets = load_ruleset("stroke", "2.0").follow_up.required_targets
    assert "bp_below_130_80" in targets and "bp_below_140_90" not in targets


def test_stroke_an_older_tia_with_abcd2_3_is_urgent():
    new = answer("stroke", "2.0", ["tia_beyond_72_hours"], abcd2_score=3)
    assert (new.disposition, new.priority) == ("refer_upward", "urgent")


def test_pneumonia_an_infant_under_two_months_with_fever_is_an_emergency_for_neonatology():
    old, new = both("paediatric_pneumonia", ["fever"], "riverside-community", age_years=1 / 12)
    assert old.priority == "urgent"
    assert (new.disposition, new.priority, new.department) == (
        "emergency_transfer",
        "emergency",
        "neonatology",
    )
    assert new.tier == "secondary"


def test_pneumonia_the_neonate_is_received_by_the_childrens_hospital_neonatology():
    ruleset = load_ruleset("paediatric_pneumonia", "2.0")
    consortium = load_demo_consortium()
    measures = {"age_years": 1 / 12, "age_months": 1.0}
    expected = expected_for(
        ruleset, {"fever"}, measures, INSTITUTIONS["riverside-community"], consortium
    )
    assert expected.receiving_institutions == ["provincial-childrens"]


@pytest.mark.parametrize("sign", ["vomits_everything", "stridor", "severe_malnutrition"])
def test_pneumonia_the_missing_danger_signs_are_emergencies(sign):
    new = answer("paediatric_pneumonia", "2.0", [sign], "riverside-community", age_years=2)
    assert (new.disposition, new.priority) == ("emergency_transfer", "emergency")


def test_pneumonia_respiratory_rate_50_over_one_year_is_severe():
    values = {"age_years": 3, "respiratory_rate": 52, "spo2_percent": 95}
    new = answer("paediatric_pneumonia", "2.0", ["fever"], "riverside-community", **values)
    assert (new.disposition, new.priority) == ("emergency_transfer", "emergency")


def test_pneumonia_plain_lower_chest_indrawing_is_not_severe():
    values = {"age_years": 3, "respiratory_rate": 44, "spo2_percent": 95}
    findings = ["fever", "fast_breathing", "lower_chest_indrawing"]
    new = answer("paediatric_pneumonia", "2.0", findings, "riverside-community", **values)
    assert new.disposition == "manage_locally"


@pytest.mark.parametrize(
    ("values", "disposition", "priority"),
    [
        ({"spo2_percent": 86}, "emergency_transfer", "emergency"),
        ({"respiratory_rate": 32}, "emergency_transfer", "emergency"),
        ({"spo2_percent": 90}, "refer_upward", "urgent"),
        ({"respiratory_rate": 26}, "refer_upward", "urgent"),
    ],
)
def test_copd_saturation_and_respiratory_rate_decide(values, disposition, priority):
    new = answer("copd", "2.0", ["acute_exacerbation"], age_years=70, **values)
    assert (new.disposition, new.priority) == (disposition, priority)
    assert answer("copd", "1.0", [], age_years=70, **values).disposition == "manage_locally"


def test_copd_first_follow_up_within_four_weeks_of_an_exacerbation():
    follow_up = load_ruleset("copd", "2.0").follow_up
    assert follow_up.min_interval_days <= 7 and follow_up.closed_loop_days == 28


def test_the_childrens_hospital_has_neonatology_and_a_nicu():
    childrens = INSTITUTIONS["provincial-childrens"]
    assert "neonatology" in childrens.departments and "nicu" in childrens.capabilities


@pytest.mark.parametrize(
    "ruleset_id", ["hypertension", "type2_diabetes", "stroke", "copd", "paediatric_pneumonia"]
)
def test_each_new_version_cites_chinese_national_guidance_with_year(ruleset_id):
    ruleset = load_ruleset(ruleset_id, "2.0")
    sources = [ruleset.provenance, *ruleset.additional_sources]
    chinese = [s for s in sources if any("\u4e00" <= ch <= "\u9fff" for ch in s.guideline)]
    assert ruleset.provenance in chinese and ruleset.provenance.year >= 2019


# ---- the review's scoring findings ------------------------------------------------------------


def _routine_referral(department: str) -> dict:
    return {
        "disposition": "refer_upward",
        "priority": "routine",
        "target_institution_id": "dongxian-county",
        "department": department,
        "letter": {
            "reason": "Pneumonia with low oxygen saturation",
            "history": "Cough and fever for three days",
            "key_findings": [],
            "treatment_given": "Oxygen by nasal cannula before transfer",
            "question": "Please assess and admit if needed?",
            "supporting_info": ["Saturation measured on room air"],
        },
    }


def test_a_hypoxic_child_sent_as_a_routine_referral_scores_0_not_11_of_14():
    exercise = demo_exercise("child_pneumonia_hypoxia")
    decision = _routine_referral("paediatrics")
    decision["letter"]["key_findings"] = sorted(exercise.scenario.finding_ids)
    decision["recognised_red_flags"] = ["hypoxaemia"]
    result = score_decision(
        exercise.ruleset,
        exercise.scenario,
        exercise.institution,
        ReferralDecision.model_validate(decision),
        exercise.consortium,
    )
    assert (result.classification, result.points) == ("critical_under", 0)


def test_a_drowsy_hypoxic_copd_patient_sent_routine_is_critical_under_triage():
    scenario = load_demo_scenario("hypertension_township").model_copy(
        update={
            "ruleset_id": "copd",
            "ruleset_version": "2.0",
            "findings": [
                Finding(id="altered_consciousness", label="Drowsy", text="Drowsy, rousable"),
                Finding(
                    id="acute_exacerbation",
                    label="Exacerbation",
                    text="SpO2 85% on air, 28/min",
                    measures={"spo2_percent": 85, "respiratory_rate": 28},
                ),
            ],
        }
    )
    decision = _routine_referral("respiratory")
    decision["letter"]["key_findings"] = ["altered_consciousness", "acute_exacerbation"]
    ruleset = load_ruleset("copd", "2.0")
    result = score_decision(
        ruleset,
        scenario,
        INSTITUTIONS["qingshui-township"],
        ReferralDecision.model_validate(decision),
        load_demo_consortium(),
    )
    assert result.expected.priority == "emergency"
    assert (result.classification, result.points) == ("critical_under", 0)
