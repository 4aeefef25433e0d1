"""The right referral depends on the learner's own institution; the rubric scores item by item."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from referral_tracking import (
    DEMO_SCENARIOS,
    demo_exercise,
    expected_decision,
    load_demo_consortium,
    load_demo_scenario,
    load_ruleset,
    score_decision,
)
from referral_tracking.messages import ReferralError
from referral_tracking.rules import handles_locally, matching_criteria
from referral_tracking.schema import (
    LETTER_ITEMS,
    PRIORITY_RANK,
    TIER_RANK,
    Consortium,
    ReferralDecision,
    ReferralScenario,
)

CONSORTIUM = load_demo_consortium()
INSTITUTIONS = {i.id: i for i in CONSORTIUM.institutions}
FULL_LETTER = {
    "reason": "Suspected hypertensive emergency",
    "history": "Hypertension for 8 years, stopped amlodipine 10 days ago.",
    "key_findings": ["blood_pressure", "severe_headache", "vomiting"],
    "treatment_given": "None before transfer; kept lying down.",
    "question": "Please exclude stroke and lower the pressure safely?",
    "supporting_info": ["ECG: LVH, no ST elevation"],
}


def scenario_from(name: str, **changes) -> ReferralScenario:
    data = load_demo_scenario(name).model_dump()
    data.update(changes)
    return ReferralScenario.model_validate(data)


def finding(finding_id: str, **measures: float) -> dict:
    return {"id": finding_id, "label": finding_id, "text": "present", "measures": measures}


def decide(**fields) -> ReferralDecision:
    return ReferralDecision.model_validate(fields)


def hypertension_score(decision: ReferralDecision, institution: str = "qingshui-township"):
    return score_decision(
        load_ruleset("hypertension"),
        load_demo_scenario("hypertension_township"),
        INSTITUTIONS[institution],
        decision,
        CONSORTIUM,
    )


# ---- the same patient from different institutions -------------------------------------------


STEMI = [finding("suspected_stemi"), finding("known_hypertension")]


@pytest.mark.parametrize(
    ("institution", "disposition", "receivers"),
    [
        ("qingshui-township", "emergency_transfer", ["dongxian-county"]),
        ("xixian-county", "emergency_transfer", ["dongxian-county"]),
        ("dongxian-county", "manage_locally", []),
        ("city-general", "manage_locally", []),
    ],
)
def test_a_suspected_stemi_goes_to_the_nearest_pci_hospital_unless_you_are_one(
    institution, disposition, receivers
):
    scenario = scenario_from("hypertension_township", findings=STEMI)
    expected = expected_decision(
        load_ruleset("hypertension"), scenario, INSTITUTIONS[institution], CONSORTIUM
    )
    assert expected.disposition == disposition
    assert expected.priority == "emergency"
    assert expected.receiving_institutions == receivers
    assert expected.deciding_rule == "htn_suspected_stemi"


def test_copd_needing_spirometry_is_referred_from_the_township_but_confirmed_at_the_county():
    ruleset = load_ruleset("copd")
    scenario = scenario_from(
        "hypertension_township",
        ruleset_id="copd",
        findings=[finding("suspected_copd_unconfirmed")],
    )
    township = expected_decision(ruleset, scenario, INSTITUTIONS["qingshui-township"], CONSORTIUM)
    county = expected_decision(ruleset, scenario, INSTITUTIONS["xixian-county"], CONSORTIUM)
    assert (township.disposition, township.tier, township.department) == (
        "refer_upward",
        "secondary",
        "respiratory",
    )
    assert county.disposition == "manage_locally"


def test_a_patient_matching_no_rule_is_managed_locally_with_the_default_priority():
    ruleset = load_ruleset("hypertension")
    scenario = scenario_from("hypertension_township", findings=[finding("known_hypertension")])
    expected = expected_decision(ruleset, scenario, INSTITUTIONS["qingshui-township"])
    assert expected.disposition == "manage_locally"
    assert expected.priority == ruleset.default_priority
    assert expected.deciding_rule is None


def test_the_most_pressing_rule_decides_when_several_match():
    scenario = scenario_from(
        "hypertension_township",
        findings=[finding("resistant_hypertension"), finding("chest_or_back_pain")],
    )
    expected = expected_decision(
        load_ruleset("hypertension"), scenario, INSTITUTIONS["qingshui-township"], CONSORTIUM
    )
    assert expected.deciding_rule == "htn_chest_or_back_pain"
    assert expected.matched_rules == ["htn_chest_or_back_pain", "htn_resistant"]


def test_a_consortium_that_cannot_receive_the_patient_is_reported_with_the_rule():
    no_pci = Consortium.model_validate(
        {
            "id": "no-pci",
            "name": "No PCI anywhere",
            "institutions": [
                i.model_dump() | {"capabilities": sorted(i.capabilities - {"pci"})}
                for i in CONSORTIUM.institutions
            ],
        }
    )
    scenario = scenario_from("hypertension_township", findings=STEMI)
    with pytest.raises(ReferralError) as caught:
        expected_decision(
            load_ruleset("hypertension"), scenario, no_pci.institution("qingshui-township"), no_pci
        )
    assert caught.value.code == "no_receiving_institution_both"
    assert "htn_suspected_stemi" in str(caught.value) and "pci" in str(caught.value)


RULESET_IDS = ["hypertension", "type2_diabetes", "copd", "stroke", "paediatric_pneumonia"]


@st.composite
def patients(draw):
    """A random patient for a random rule set: any subset of its codes, any measure values."""
    ruleset = load_ruleset(draw(st.sampled_from(RULESET_IDS)))
    codes = [t.id for t in ruleset.red_flags] + [t.id for t in ruleset.findings]
    chosen = draw(st.lists(st.sampled_from(codes), unique=True, max_size=5))
    measures = {
        m.id: draw(st.floats(min_value=0, max_value=250, allow_nan=False))
        for m in ruleset.measures
        if m.id not in ("age_years", "age_months")
    }
    findings = [finding(code) for code in chosen] or [finding("unremarkable")]
    findings.append(finding("measurements", **measures))
    scenario = scenario_from(
        "hypertension_township",
        ruleset_id=ruleset.id,
        findings=findings,
        patient={"age_years": draw(st.floats(min_value=0, max_value=100)), "sex": "female"},
    )
    return ruleset, scenario


@settings(max_examples=150, deadline=None)
@given(patients(), st.sampled_from(sorted(INSTITUTIONS)))
def test_the_same_scenario_from_any_tier_yields_the_rule_sets_answer(patient, institution_id):
    ruleset, scenario = patient
    institution = INSTITUTIONS[institution_id]
    expected = expected_decision(ruleset, scenario, institution)
    matched = matching_criteria(ruleset, scenario)
    if not matched:
        assert (expected.disposition, expected.priority) == ("manage_locally", "routine")
        return
    deciding = next(c for c in matched if c.id == expected.deciding_rule)
    assert expected.priority == max((c.priority for c in matched), key=PRIORITY_RANK.get)
    if expected.refers:
        # the rule's own action, because this institution cannot give the care itself
        assert not handles_locally(deciding, institution)
        assert expected.disposition == deciding.action.kind
        assert expected.tier == deciding.action.tier
        assert expected.required_capability == deciding.required_capability
    else:
        # nothing that matched needs more than this institution has at this priority
        urgent_enough = [c for c in matched if c.priority == expected.priority]
        assert all(handles_locally(c, institution) for c in urgent_enough)
    # an institution at least as capable never has to send away what this one keeps
    for other in CONSORTIUM.institutions:
        more_capable = (
            TIER_RANK[other.tier] >= TIER_RANK[institution.tier]
            and other.capabilities >= institution.capabilities
            and other.departments >= institution.departments
        )
        if more_capable and not expected.refers:
            assert not expected_decision(ruleset, scenario, other).refers


# ---- the rubric -----------------------------------------------------------------------------


def test_a_correct_emergency_transfer_with_a_complete_letter_earns_every_point():
    result = hypertension_score(
        decide(
            disposition="emergency_transfer",
            priority="emergency",
            target_institution_id="xixian-county",
            department="emergency",
            letter=FULL_LETTER,
            recognised_red_flags=["severe_headache", "vomiting"],
        )
    )
    assert result.classification == "correct"
    assert not result.urgency_error
    assert result.points == result.max_points
    assert result.missing_letter_items == []


def test_a_gp_who_keeps_a_hypertensive_emergency_at_the_township_is_critical_under_triage():
    result = hypertension_score(decide(disposition="manage_locally", priority="urgent"))
    assert result.classification == "critical_under"
    assert result.urgency_error
    assert result.points == 0 and result.max_points > 0
    assert result.expected.disposition == "emergency_transfer"


def test_sending_the_hypertensive_emergency_to_the_city_tertiary_hospital_is_over_referral():
    result = hypertension_score(
        decide(
            disposition="emergency_transfer",
            priority="emergency",
            target_institution_id="city-general",
            department="emergency",
            letter=FULL_LETTER,
        )
    )
    assert result.classification == "over_referral"
    assert {i.id: i.points for i in result.items}["urgency"] > 0


def test_a_gp_refers_a_stemi_to_a_county_hospital_without_pci_and_under_refers():
    scenario = scenario_from("hypertension_township", findings=STEMI)
    result = score_decision(
        load_ruleset("hypertension"),
        scenario,
        INSTITUTIONS["qingshui-township"],
        decide(
            disposition="emergency_transfer",
            priority="emergency",
            target_institution_id="xixian-county",
            department="cardiology",
            letter={"reason": "Chest pain for an hour"},
        ),
        CONSORTIUM,
    )
    assert result.classification == "under_referral"
    assert not result.urgency_error
    points = {i.id: i.points for i in result.items}
    assert points["tier"] == 0 and points["urgency"] > 0 and points["department"] > 0


def test_a_routine_referral_of_an_emergency_to_the_right_place_is_critical_and_scores_nothing():
    """The review's hypoxic child and drowsy COPD patient: 11/14 and "correct" before."""
    result = hypertension_score(
        decide(
            disposition="refer_upward",
            priority="routine",
            target_institution_id="dongxian-county",
            department="emergency",
            letter=FULL_LETTER,
            recognised_red_flags=["severe_headache", "vomiting"],
        )
    )
    assert result.classification == "critical_under"
    assert result.urgency_error
    assert result.points == 0
    assert all(item.points == 0 for item in result.items)


@pytest.mark.parametrize("priority", ["routine", "urgent"])
def test_an_emergency_kept_here_with_a_lower_urgency_at_a_capable_hospital_is_critical(priority):
    result = hypertension_score(
        decide(disposition="manage_locally", priority=priority), institution="dongxian-county"
    )
    assert result.expected.disposition == "manage_locally"
    assert result.expected.priority == "emergency"
    assert (result.classification, result.points) == ("critical_under", 0)


def test_managing_an_emergency_here_as_an_emergency_at_a_capable_hospital_is_correct():
    result = hypertension_score(
        decide(
            disposition="manage_locally",
            priority="emergency",
            recognised_red_flags=["severe_headache", "vomiting"],
        ),
        institution="dongxian-county",
    )
    assert (result.classification, result.points) == ("correct", result.max_points)


def test_an_emergency_sent_as_an_upward_referral_loses_the_kind_of_referral_line():
    """Even with the priority "emergency": the patient needed an escorted transfer now."""
    transfer = hypertension_score(
        decide(
            disposition="emergency_transfer",
            priority="emergency",
            target_institution_id="dongxian-county",
            department="emergency",
            letter=FULL_LETTER,
            recognised_red_flags=["severe_headache", "vomiting"],
        )
    )
    referral = hypertension_score(
        decide(
            disposition="refer_upward",
            priority="emergency",
            target_institution_id="dongxian-county",
            department="emergency",
            letter=FULL_LETTER,
            recognised_red_flags=["severe_headache", "vomiting"],
        )
    )
    kind = {i.id: i for i in referral.items}["disposition"]
    assert (kind.subject, kind.points, kind.max_points) == ("emergency_transfer", 0, 1)
    assert not referral.urgency_error
    assert transfer.points == transfer.max_points
    assert referral.points == transfer.points - kind.max_points


def stroke_score(decision: ReferralDecision):
    exercise = demo_exercise("stroke_downward_referral")
    assert exercise.expected.disposition == "manage_locally"
    return score_decision(
        exercise.ruleset, exercise.scenario, exercise.institution, decision, CONSORTIUM
    )


REFERRAL_LINES = {"disposition", "department"} | {f"letter:{i}" for i in LETTER_ITEMS}


def test_a_patient_kept_here_as_the_rule_set_asks_earns_the_referral_lines_as_not_needed():
    kept = stroke_score(decide(disposition="manage_locally", priority="routine"))
    lines = {i.id: i for i in kept.items}
    assert REFERRAL_LINES <= set(lines)
    for line in REFERRAL_LINES:
        assert not lines[line].needed and lines[line].points == lines[line].max_points > 0
    assert kept.classification == "correct" and kept.points == kept.max_points


def test_an_over_referral_of_a_stable_patient_costs_less_than_an_under_referral():
    """Weighted by harm: an over-referral keeps half the referral level and a letter written
    with content; an under-referral keeps neither."""
    referred = stroke_score(
        decide(
            disposition="refer_upward",
            priority="routine",
            target_institution_id="dongxian-county",
            department="rehabilitation",
            letter=FULL_LETTER,
        )
    )
    kept = stroke_score(decide(disposition="manage_locally", priority="routine"))
    lines = {i.id: i for i in referred.items}
    assert referred.classification == "over_referral"
    assert lines["disposition"].points == lines["department"].points == 0
    assert lines["tier"].points == lines["tier"].max_points / 2
    assert all(lines[f"letter:{i}"].points == lines[f"letter:{i}"].max_points for i in LETTER_ITEMS)
    assert referred.max_points == kept.max_points
    over_cost = kept.points - referred.points
    under = diabetes_under_referral()
    assert under.classification == "under_referral"
    assert under.max_points - under.points > 2 * over_cost


def diabetes_under_referral():
    """A diabetic patient of unclear type (a routine referral), kept here."""
    return score_decision(
        load_ruleset("type2_diabetes"),
        scenario_from("diabetes_six_months", findings=[finding("type_unclear")]),
        INSTITUTIONS["riverside-community"],
        decide(disposition="manage_locally", priority="routine"),
        CONSORTIUM,
    )


def test_an_over_triage_keeps_half_the_urgency_and_an_under_triage_none():
    scenario = scenario_from("diabetes_six_months", findings=[finding("type_unclear")])
    ruleset, institution = load_ruleset("type2_diabetes"), INSTITUTIONS["riverside-community"]

    def urgency(priority):
        decision = decide(
            disposition="refer_upward",
            priority=priority,
            target_institution_id="dongxian-county",
            department="endocrinology",
            letter=FULL_LETTER,
        )
        result = score_decision(ruleset, scenario, institution, decision, CONSORTIUM)
        return {i.id: i for i in result.items}["urgency"]

    assert urgency("routine").points == urgency("routine").max_points
    assert urgency("urgent").points == urgency("routine").max_points / 2


@settings(max_examples=60, deadline=None)
@given(
    findings=st.lists(
        st.sampled_from(
            [t.id for t in load_ruleset("hypertension").red_flags]
            + [t.id for t in load_ruleset("hypertension").findings]
        ),
        min_size=1,
        max_size=6,
        unique=True,
    ),
    sbp=st.integers(min_value=100, max_value=240),
    disposition=st.sampled_from(["manage_locally", "refer_upward", "emergency_transfer"]),
    priority=st.sampled_from(["routine", "urgent", "emergency"]),
)
def test_the_rubric_maximum_is_the_rule_sets_whatever_the_patient_needs(
    findings, sbp, disposition, priority
):
    """Referral or not, red flags or not: the same lines and the same maximum for every
    patient of the rule set (the maximum shown before deciding tells nothing)."""
    ruleset = load_ruleset("hypertension")
    scenario = scenario_from(
        "hypertension_township",
        findings=[finding(f) for f in findings] + [finding("blood_pressure", sbp_mmhg=sbp)],
    )
    refers = disposition != "manage_locally"
    decision = decide(
        disposition=disposition,
        priority="emergency" if disposition == "emergency_transfer" else priority,
        target_institution_id="dongxian-county" if refers else None,
        department="emergency" if refers else None,
        letter=FULL_LETTER if refers else None,
    )
    institution = INSTITUTIONS["qingshui-township"]
    try:
        result = score_decision(ruleset, scenario, institution, decision, CONSORTIUM)
    except ReferralError:
        return  # no hospital of the consortium can take this patient: not playable
    baseline = hypertension_score(decide(disposition="manage_locally", priority="routine"))
    assert [i.id for i in result.items] == [i.id for i in baseline.items]
    assert result.max_points == baseline.max_points


def test_claiming_red_flags_the_patient_does_not_have_cancels_recognised_ones():
    def transfer(flags):
        return decide(
            disposition="emergency_transfer",
            priority="emergency",
            target_institution_id="dongxian-county",
            department="emergency",
            letter=FULL_LETTER,
            recognised_red_flags=flags,
        )

    honest = hypertension_score(transfer(["vomiting"]))
    shotgun = hypertension_score(transfer(["vomiting", "limb_weakness"]))
    red = {r.id: r for r in honest.items}["red_flags"]
    assert (red.points, red.max_points) == (1, 2)
    assert {r.id: r for r in shotgun.items}["red_flags"].points == 0
    assert shotgun.overcalled_red_flags == ["limb_weakness"]
    assert honest.missed_red_flags == ["severe_headache"]


def diabetes_score(decision: ReferralDecision):
    exercise = demo_exercise("diabetes_six_months")
    return score_decision(
        exercise.ruleset, exercise.scenario, exercise.institution, decision, CONSORTIUM
    )


def test_naming_a_red_flag_for_a_patient_without_any_costs_the_red_flag_points():
    exercise = demo_exercise("diabetes_six_months")
    assert not exercise.scenario.finding_ids & exercise.ruleset.red_flag_ids
    flag = exercise.ruleset.red_flags[0].id
    expected = exercise.expected
    honest = diabetes_score(decide(disposition="manage_locally", priority=expected.priority))
    alarmed = diabetes_score(
        decide(
            disposition="manage_locally", priority=expected.priority, recognised_red_flags=[flag]
        )
    )
    red = {i.id: i for i in honest.items}["red_flags"]
    assert red.points == red.max_points > 0
    assert {i.id: i for i in alarmed.items}["red_flags"].points == 0
    assert alarmed.points < honest.points and alarmed.overcalled_red_flags == [flag]


@pytest.mark.parametrize("kept", [(), ("vomiting",), ("severe_headache", "vomiting")])
def test_the_red_flag_item_is_worth_the_same_however_many_red_flags_the_patient_has(kept):
    """Its maximum is shown before the decision: it must not count the red flags present."""
    data = load_demo_scenario("hypertension_township").model_dump()
    for item in data["findings"]:
        if item["id"] in ("severe_headache", "vomiting") and item["id"] not in kept:
            item["id"] = f"{item['id']}_noted"  # the same words, not coded as a red flag
    scenario = ReferralScenario.model_validate(data)
    ruleset = load_ruleset("hypertension")
    decision = decide(disposition="manage_locally", priority="routine")
    result = score_decision(
        ruleset, scenario, INSTITUTIONS["qingshui-township"], decision, CONSORTIUM
    )
    red = {i.id: i for i in result.items}["red_flags"]
    assert red.max_points == ruleset.weights.red_flag
    assert red.points == (red.max_points if not kept else 0)


def test_a_letter_without_a_question_or_the_red_flags_loses_those_items():
    letter = dict(FULL_LETTER, question="", key_findings=["ecg"])
    result = hypertension_score(
        decide(
            disposition="emergency_transfer",
            priority="emergency",
            target_institution_id="dongxian-county",
            department="emergency",
            letter=letter,
        )
    )
    assert result.missing_letter_items == ["key_findings", "question"]
    points = {i.id: i.points for i in result.items}
    assert points["letter:question"] == 0 and points["letter:key_findings"] == 0
    assert points["letter:reason"] == 1


def test_referring_a_stable_stroke_patient_back_up_is_over_referral_and_earns_no_letter_point():
    exercise = demo_exercise("stroke_downward_referral")
    result = score_decision(
        exercise.ruleset,
        exercise.scenario,
        exercise.institution,
        decide(
            disposition="refer_upward",
            priority="routine",
            target_institution_id="dongxian-county",
            department="neurology",
            letter={"reason": "Check"},
        ),
        CONSORTIUM,
    )
    assert result.classification == "over_referral"
    letter = [i for i in result.items if i.kind == "letter"]
    assert len(letter) == 6 and all(not i.needed and i.points == 0 for i in letter)
    assert "question" in result.missing_letter_items


@st.composite
def decisions(draw):
    disposition = draw(st.sampled_from(["manage_locally", "refer_upward", "emergency_transfer"]))
    priority = (
        "emergency"
        if disposition == "emergency_transfer"
        else draw(st.sampled_from(["routine", "urgent", "emergency"]))
    )
    flags = draw(
        st.lists(
            st.sampled_from(["severe_headache", "vomiting", "hypoxaemia", "recent_tia", "x"]),
            unique=True,
        )
    )
    fields = {"disposition": disposition, "priority": priority, "recognised_red_flags": flags}
    if disposition != "manage_locally":
        target = draw(st.sampled_from(CONSORTIUM.institutions))
        text = st.text(max_size=20)
        fields |= {
            "target_institution_id": target.id,
            "department": draw(st.sampled_from(sorted(target.departments))),
            "letter": {
                "reason": draw(text),
                "history": draw(text),
                "question": draw(text),
                "treatment_given": draw(text),
                "key_findings": draw(
                    st.lists(st.sampled_from(["hypoxaemia", "vomiting", "x"]), unique=True)
                ),
                "supporting_info": draw(st.lists(text, max_size=2)),
            },
        }
    return decide(**fields)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(DEMO_SCENARIOS), decisions())
def test_scores_are_bounded_and_the_maximum_does_not_depend_on_the_answer(name, decision):
    exercise = demo_exercise(name)
    result = score_decision(
        exercise.ruleset, exercise.scenario, exercise.institution, decision, CONSORTIUM
    )
    assert all(0 <= item.points <= item.max_points for item in result.items)
    assert 0 <= result.points <= result.max_points
    baseline = score_decision(
        exercise.ruleset,
        exercise.scenario,
        exercise.institution,
        decide(disposition="manage_locally", priority="routine"),
        CONSORTIUM,
    )
    assert result.max_points == baseline.max_points
    assert result.urgency_error == (decision.priority != result.expected.priority)
