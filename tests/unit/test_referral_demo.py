"""The four demo scenarios of the workbench course play as their authors intend."""

import pytest

from referral_tracking import (
    DEMO_SCENARIOS,
    apply,
    build_exercise,
    demo_exercise,
    load_demo_consortium,
    load_demo_scenario,
    load_ruleset,
    new_progress,
)
from referral_tracking.messages import ReferralError
from referral_tracking.schema import ReferralScenario


@pytest.mark.parametrize(
    ("name", "disposition", "priority", "tier", "department"),
    [
        ("hypertension_township", "emergency_transfer", "emergency", "secondary", "emergency"),
        ("diabetes_six_months", "manage_locally", "routine", None, None),
        ("child_pneumonia_hypoxia", "emergency_transfer", "emergency", "secondary", "paediatrics"),
        ("stroke_downward_referral", "manage_locally", "routine", None, None),
    ],
)
def test_each_demo_scenario_has_the_answer_its_rule_set_gives(
    name, disposition, priority, tier, department
):
    expected = demo_exercise(name).expected
    assert (expected.disposition, expected.priority, expected.tier, expected.department) == (
        disposition,
        priority,
        tier,
        department,
    )


def test_the_stroke_scenario_is_a_downward_referral_played_at_a_community_centre():
    exercise = demo_exercise("stroke_downward_referral")
    assert exercise.scenario.arrived_by_downward_referral
    assert exercise.institution.tier == "primary"
    assert exercise.scenario.visits[-1].expected_choice == "re_refer"


def test_the_diabetes_scenario_is_about_targets_unmet_after_six_months_of_metformin_alone():
    """Off target on one drug: the next step (a second oral drug) is taken here, not referred."""
    scenario = load_demo_scenario("diabetes_six_months")
    measures = scenario.measure_values()
    assert measures["months_on_current_treatment"] == 6
    assert measures["hba1c_percent"] >= 7.0
    assert "off_target_despite_intensification" not in scenario.finding_ids


def test_the_diabetes_scenario_refers_once_dual_therapy_has_failed_for_three_months():
    data = load_demo_scenario("diabetes_six_months").model_dump()
    data["findings"].append(
        {"id": "off_target_despite_intensification", "label": "Dual therapy", "text": "3 months"}
    )
    exercise = build_exercise(
        ReferralScenario.model_validate(data),
        load_ruleset("type2_diabetes"),
        load_demo_consortium(),
    )
    assert (exercise.expected.disposition, exercise.expected.department) == (
        "refer_upward",
        "endocrinology",
    )


def test_the_child_with_pneumonia_has_plain_indrawing_and_a_rate_the_rule_set_reads():
    exercise = demo_exercise("child_pneumonia_hypoxia")
    findings = exercise.scenario.finding_ids
    assert "lower_chest_indrawing" in findings and "severe_chest_indrawing" not in findings
    assert "respiratory_rate" in {m.id for m in exercise.ruleset.measures}
    assert {"cap_hypoxaemia", "cap_severe_tachypnoea_child"} <= set(exercise.expected.matched_rules)


@pytest.mark.parametrize("name", DEMO_SCENARIOS)
def test_each_demo_scenario_is_pinned_to_a_version_in_use(name):
    exercise = demo_exercise(name)
    assert exercise.ruleset.version == "2.0" and not exercise.ruleset.withdrawn


def test_the_hypertension_scenario_played_from_a_county_hospital_with_ct_stays_there():
    data = load_demo_scenario("hypertension_township").model_dump()
    data["institution_id"] = "xixian-county"
    exercise = build_exercise(
        ReferralScenario.model_validate(data), load_ruleset("hypertension"), load_demo_consortium()
    )
    assert exercise.expected.disposition == "manage_locally"
    assert exercise.expected.priority == "emergency"


def letter_meeting(scenario) -> dict:
    """A letter with content in every item that says what the exercise requires."""
    letter = {
        "reason": "Referred for assessment today",
        "history": "Symptoms as described above",
        "key_findings": sorted(scenario.finding_ids),
        "treatment_given": "Monitoring while waiting",
        "question": "Please assess and advise on treatment?",
        "supporting_info": ["Observations recorded every hour"],
    }
    for requirement in scenario.letter_requirements:
        if requirement.letter_item != "key_findings":
            letter[requirement.letter_item] += "; " + requirement.accepts[0]
    return letter


def perfect_actions(exercise) -> list[dict]:
    """What a learner who follows the rule set exactly would send."""
    expected, scenario, ruleset = exercise.expected, exercise.scenario, exercise.ruleset
    decision = {"disposition": expected.disposition, "priority": expected.priority}
    decision["recognised_red_flags"] = sorted(scenario.finding_ids & ruleset.red_flag_ids)
    if expected.refers:
        decision |= {
            "target_institution_id": expected.receiving_institutions[0],
            "department": expected.department,
            "letter": letter_meeting(scenario),
        }
    rules = ruleset.follow_up
    plan = {
        "interval_days": rules.closed_loop_days,
        "monitoring": rules.required_monitoring,
        "targets": rules.required_targets,
        "re_referral_criteria": rules.required_re_referral,
    }
    return [
        {"kind": "decide", "decision": decision},
        {"kind": "set_plan", "plan": plan},
        *[{"kind": "visit_choice", "choice": v.expected_choice} for v in scenario.visits],
    ]


@pytest.mark.parametrize("name", DEMO_SCENARIOS)
def test_each_demo_scenario_can_be_won_with_full_marks(name):
    exercise = demo_exercise(name)
    progress = new_progress()
    for action in perfect_actions(exercise):
        progress = apply(exercise, progress, {**action, "step": progress.step}).progress
    assert progress.phase == "completed"
    assert progress.score == exercise.max_score > 0


def test_asking_for_a_demo_that_does_not_exist_names_it():
    with pytest.raises(ReferralError) as caught:
        load_demo_scenario("gout_at_the_seaside")
    assert caught.value.code == "demo_unknown" and "gout_at_the_seaside" in str(caught.value)
