"""A learner plays a referral from the first decision to the last follow-up visit."""

import json
from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from referral_tracking import (
    DEMO_SCENARIOS,
    Progress,
    apply,
    build_exercise,
    demo_exercise,
    learner_action,
    learner_view,
    load_demo_consortium,
    load_demo_scenario,
    load_ruleset,
    new_progress,
    parse_action,
)
from referral_tracking.messages import ReferralError
from referral_tracking.schema import ReferralScenario

HTN_LETTER = {
    "reason": "Suspected hypertensive emergency",
    "history": "Hypertension 8 years; stopped amlodipine 10 days ago.",
    "key_findings": ["blood_pressure", "severe_headache", "vomiting"],
    "treatment_given": "None before transfer.",
    "question": "Please exclude stroke and lower the pressure safely?",
    "supporting_info": ["ECG: LVH, no ST elevation"],
}
HTN_TRANSFER = {
    "disposition": "emergency_transfer",
    "priority": "emergency",
    "target_institution_id": "dongxian-county",
    "department": "emergency",
    "letter": HTN_LETTER,
    "recognised_red_flags": ["severe_headache", "vomiting"],
}
HTN_PLAN = {
    "interval_days": 14,
    "monitoring": ["blood_pressure", "medication_adherence", "adverse_effects", "symptoms"],
    "targets": ["bp_below_140_90", "bp_below_130_80_if_tolerated"],
    "re_referral_criteria": ["emergency_red_flag", "resistant_on_three_drugs"],
}


@cache
def exercise(name: str = "hypertension_township"):
    return demo_exercise(name)


def play(name: str, actions: list[dict]):
    """Apply actions in order (numbering their steps); returns the last Step and all events."""
    progress, events, step = new_progress(), [], None
    for action in actions:
        step = apply(exercise(name), progress, {**action, "step": progress.step})
        progress = step.progress
        events += step.events
    return step, events


def refused(progress: Progress, action: dict, name: str = "hypertension_township") -> str:
    before = progress.model_dump_json()
    with pytest.raises(ReferralError) as caught:
        apply(exercise(name), progress, action)
    assert progress.model_dump_json() == before, "a refused action must change nothing"
    return caught.value.code


def decided(decision: dict = HTN_TRANSFER) -> Progress:
    return play("hypertension_township", [{"kind": "decide", "decision": decision}])[0].progress


# ---- the two paths of the browser test, in the domain ---------------------------------------


def test_a_correct_referral_played_to_the_last_visit_earns_full_marks_and_closes_the_loop():
    step, events = play(
        "hypertension_township",
        [
            {"kind": "decide", "decision": HTN_TRANSFER},
            {"kind": "set_plan", "plan": HTN_PLAN},
            {"kind": "visit_choice", "choice": "adjust"},
            {"kind": "visit_choice", "choice": "continue"},
            {"kind": "visit_choice", "choice": "re_refer"},
        ],
    )
    assert step.progress.phase == "completed"
    assert step.progress.score == exercise().max_score
    assert [e.name for e in events] == [
        "cme.referral.decision_made",
        "cme.referral.referral_accepted",
        "cme.referral.downward_referral_received",
        "cme.referral.follow_up_planned",
        "cme.referral.follow_up_visit",
        "cme.referral.follow_up_visit",
        "cme.referral.follow_up_visit",
        "cme.referral.re_referred",
        "cme.referral.referral_completed",
    ]
    summary = step.response["summary"]
    assert summary["classification"] == "correct" and summary["closed_loop_met"] is True
    # lifestyle and renal function were not monitored: missed, reported without their values
    assert {"day": 90, "item": "lifestyle", "abnormal": True} in summary["missed_findings"]
    assert "salts food" not in json.dumps(step.response)


def test_an_under_referral_played_to_the_last_visit_is_recorded_as_such():
    step, events = play(
        "hypertension_township",
        [
            {"kind": "decide", "decision": {"disposition": "manage_locally", "priority": "urgent"}},
            {"kind": "set_plan", "plan": dict(HTN_PLAN, interval_days=30)},
            {"kind": "visit_choice", "choice": "continue"},
            {"kind": "visit_choice", "choice": "continue"},
            {"kind": "visit_choice", "choice": "continue"},
        ],
    )
    view = step.response
    assert view["summary"]["classification"] == "critical_under"
    assert view["summary"]["urgency_error"] is True
    assert view["summary"]["closed_loop_met"] is False
    assert "ambulance" in view["if_not_referred"]
    # kept here: what the county found after the ambulance, not the answer to a transfer
    assert view["receiving_response"]["diagnosis"].startswith("Hypertensive encephalopathy:")
    assert [e.name for e in events][:2] == [
        "cme.referral.decision_made",
        "cme.referral.follow_up_planned",
    ]
    assert events[-1].data["classification"] == "critical_under"
    assert step.progress.score < exercise().max_score


def test_a_receiving_hospital_without_a_paediatric_ward_declines_and_the_learner_redirects():
    name = "child_pneumonia_hypoxia"
    step, events = play(
        name,
        [
            {
                "kind": "decide",
                "decision": {
                    "disposition": "emergency_transfer",
                    "priority": "emergency",
                    "target_institution_id": "city-general",
                    "department": "emergency",
                    "letter": {"reason": "Pneumonia with SpO2 89%"},
                    "recognised_red_flags": ["hypoxaemia"],
                },
            }
        ],
    )
    assert step.progress.phase == "declined"
    assert events[-1].name == "cme.referral.referral_declined"
    assert events[-1].data["reason"] == "declined_missing_capability"
    assert "receiving_response" not in step.response, "no discharge letter before acceptance"
    assert "follow_up_options" not in step.response
    assert step.response["contacts"][0]["reason"]["capability"] == "paediatric_ward"
    redirected = apply(
        exercise(name),
        step.progress,
        {
            "kind": "redirect",
            "step": step.progress.step,
            "target_institution_id": "dongxian-county",
            "department": "paediatrics",
        },
    )
    assert redirected.progress.phase == "plan"
    assert [e.name for e in redirected.events] == [
        "cme.referral.referral_accepted",
        "cme.referral.downward_referral_received",
    ]
    assert "Severe community-acquired pneumonia" in json.dumps(redirected.response)
    # the graded decision stays the first one: the tertiary hospital could not take the child
    assert redirected.progress.rubric.classification == "under_referral"


def test_the_childrens_hospital_declines_as_the_author_scripted_and_the_county_accepts():
    name = "child_pneumonia_hypoxia"
    decision = {
        "disposition": "emergency_transfer",
        "priority": "emergency",
        "target_institution_id": "provincial-childrens",
        "department": "paediatrics",
        "letter": {"reason": "Pneumonia with SpO2 89%"},
    }
    step, events = play(name, [{"kind": "decide", "decision": decision}])
    assert step.progress.phase == "declined"
    assert events[-1].data["reason"] == "declined_by_receiver"
    reason = step.response["contacts"][0]["reason"]
    assert reason["code"] == "declined_by_receiver" and "No paediatric bed" in reason["reason"]
    assert step.progress.rubric.classification == "over_referral"
    redirect = {"kind": "redirect", "target_institution_id": "xixian-county"}
    step, _ = play(
        name, [{"kind": "decide", "decision": decision}, redirect | {"department": "paediatrics"}]
    )
    assert step.progress.phase == "plan"
    assert [c["status"] for c in step.response["contacts"]] == ["declined", "accepted"]


def test_a_hospital_that_declined_cannot_be_asked_again_so_contacts_stay_bounded():
    name = "child_pneumonia_hypoxia"
    decision = {
        "disposition": "emergency_transfer",
        "priority": "emergency",
        "target_institution_id": "provincial-childrens",
        "department": "paediatrics",
        "letter": {"reason": "Pneumonia with SpO2 89%"},
    }
    step, _ = play(name, [{"kind": "decide", "decision": decision}])
    again = {"kind": "redirect", "step": step.progress.step, "department": "paediatrics"}
    again["target_institution_id"] = "provincial-childrens"
    assert refused(step.progress, again, name) == "already_asked"
    # another hospital that cannot take the child declines once, and is not asked twice
    other = dict(again, target_institution_id="city-general", department="emergency")
    declined = apply(exercise(name), step.progress, other).progress
    assert declined.phase == "declined" and len(declined.contacts) == 2
    for tried in ("provincial-childrens", "city-general"):
        action = dict(other, step=declined.step, target_institution_id=tried)
        assert refused(declined, action, name) == "already_asked"


def test_a_scenario_where_every_able_hospital_declines_cannot_be_played():
    data = load_demo_scenario("child_pneumonia_hypoxia").model_dump()
    data["receiving_response"]["declines"] = [
        {"institution_id": county, "reason": "Full"}
        for county in ("dongxian-county", "xixian-county")
    ]
    with pytest.raises(ReferralError) as caught:
        build_exercise(
            ReferralScenario.model_validate(data),
            load_ruleset("paediatric_pneumonia"),
            load_demo_consortium(),
        )
    assert caught.value.code == "every_receiver_declines"
    assert "cap_hypoxaemia" in str(caught.value)


def test_a_scripted_decline_by_an_institution_outside_the_consortium_is_refused():
    data = load_demo_scenario("child_pneumonia_hypoxia").model_dump()
    data["receiving_response"]["declines"] = [{"institution_id": "atlantis", "reason": "Sunk"}]
    with pytest.raises(ReferralError) as caught:
        build_exercise(
            ReferralScenario.model_validate(data),
            load_ruleset("paediatric_pneumonia"),
            load_demo_consortium(),
        )
    assert caught.value.code == "unknown_institution" and "atlantis" in str(caught.value)


def test_a_stroke_patient_kept_in_the_community_needs_no_receiving_hospital():
    step, _ = play(
        "stroke_downward_referral",
        [{"kind": "decide", "decision": {"disposition": "manage_locally", "priority": "routine"}}],
    )
    assert step.progress.rubric.classification == "correct"
    assert "receiving_response" not in step.response
    assert step.progress.phase == "plan"


def test_adjusting_the_plan_at_a_visit_changes_what_the_next_visit_shows():
    step, _ = play(
        "hypertension_township",
        [
            {"kind": "decide", "decision": HTN_TRANSFER},
            {"kind": "set_plan", "plan": dict(HTN_PLAN, monitoring=["blood_pressure"])},
            {
                "kind": "visit_choice",
                "choice": "adjust",
                "plan": dict(HTN_PLAN, monitoring=["blood_pressure", "lifestyle"]),
                "note": "Add hydrochlorothiazide 12.5 mg.",
            },
        ],
    )
    shown = {f["item"] for f in step.response["current_visit"]["findings"]}
    assert shown == {"blood_pressure", "lifestyle"}
    first = step.response["visits"][0]
    assert {f["item"] for f in first["findings"]} == {"blood_pressure"}
    assert first["expected_choice"] == "adjust" and first["explanation"]
    assert first["note"] == "Add hydrochlorothiazide 12.5 mg."


def test_a_90_day_plan_sees_the_patient_first_on_day_90_and_misses_the_closed_loop():
    step, events = play(
        "hypertension_township",
        [
            {"kind": "decide", "decision": HTN_TRANSFER},
            {"kind": "set_plan", "plan": dict(HTN_PLAN, interval_days=90)},
        ],
    )
    assert step.response["current_visit"]["day"] == 90
    assert step.response["current_visit"]["number"] == 1
    assert events[-1].data["closed_loop_met"] is False
    closed = {i.id: i for i in step.progress.follow_up_items}["closed_loop"]
    assert (closed.points, closed.subject) == (0, "14")
    # the scenario's next visit comes 76 days after its first: so does the learner's
    step = apply(
        exercise(), step.progress, {"kind": "visit_choice", "step": 2, "choice": "continue"}
    )
    assert [v["day"] for v in step.response["visits"]] == [90]
    assert step.response["current_visit"]["day"] == 166
    assert step.events[0].data["day"] == 90 and step.events[0].data["scenario_day"] == 14


def test_a_new_interval_set_when_adjusting_moves_the_next_visit():
    step, _ = play(
        "hypertension_township",
        [
            {"kind": "decide", "decision": HTN_TRANSFER},
            {"kind": "set_plan", "plan": HTN_PLAN},
            {"kind": "visit_choice", "choice": "adjust", "plan": dict(HTN_PLAN, interval_days=28)},
        ],
    )
    assert step.response["visits"][0]["day"] == 14
    assert step.response["current_visit"]["day"] == 14 + 28
    assert step.response["plan_adjusted"] is True


def test_the_plan_that_follows_the_rule_set_meets_the_patient_on_the_scenarios_days():
    step, _ = play(
        "hypertension_township",
        [
            {"kind": "decide", "decision": HTN_TRANSFER},
            {"kind": "set_plan", "plan": HTN_PLAN},
            {"kind": "visit_choice", "choice": "adjust", "plan": dict(HTN_PLAN, interval_days=76)},
            {"kind": "visit_choice", "choice": "continue"},
            {"kind": "visit_choice", "choice": "re_refer"},
        ],
    )
    days = [v["day"] for v in step.response["visits"]]
    assert days == [v.day for v in exercise().scenario.visits]
    assert step.response["summary"]["re_referred_on_day"] == 180


# ---- bad input: a ReferralError with a code, nothing changed ---------------------------------


def test_a_replayed_decision_is_refused():
    assert refused(decided(), {"kind": "decide", "step": 0, "decision": HTN_TRANSFER}) == (
        "action_replayed"
    )


def test_an_action_from_the_future_is_refused():
    action = {"kind": "decide", "step": 3, "decision": HTN_TRANSFER}
    assert refused(new_progress(), action) == "action_out_of_sequence"


def test_a_follow_up_plan_before_the_decision_is_out_of_sequence():
    action = {"kind": "set_plan", "step": 0, "plan": HTN_PLAN}
    assert refused(new_progress(), action) == "action_not_expected"


@pytest.mark.parametrize("days", [7, 91])
def test_a_follow_up_interval_outside_the_rule_sets_bounds_is_refused(days):
    action = {"kind": "set_plan", "step": 1, "plan": dict(HTN_PLAN, interval_days=days)}
    progress = decided()
    assert refused(progress, action) == "interval_out_of_bounds"
    with pytest.raises(ReferralError) as caught:
        apply(exercise(), progress, action)
    assert "14 to 90 days" in str(caught.value)


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"target_institution_id": "mars-clinic"}, "unknown_institution"),
        ({"department": "obstetrics", "target_institution_id": "xixian-county"}, None),
        ({"department": "picu"}, "unknown_department"),
        ({"target_institution_id": "qingshui-township"}, "target_is_own_institution"),
        ({"target_institution_id": "riverside-community"}, "target_not_upward"),
        ({"recognised_red_flags": ["headache_of_doom"]}, "unknown_red_flag"),
        ({"letter": dict(HTN_LETTER, key_findings=["x_ray"])}, "letter_unknown_finding"),
    ],
)
def test_a_referral_the_consortium_cannot_take_is_refused_by_name(change, code):
    action = {"kind": "decide", "step": 0, "decision": dict(HTN_TRANSFER, **change)}
    if code is None:  # a real department at a real hospital: accepted (even if not ideal)
        assert apply(exercise(), new_progress(), action).progress.phase == "plan"
    else:
        assert refused(new_progress(), action) == code


def test_a_plan_offering_an_item_the_rule_set_does_not_know_is_refused():
    action = {"kind": "set_plan", "step": 1, "plan": dict(HTN_PLAN, monitoring=["aura"])}
    assert refused(decided(), action) == "unknown_monitoring_item"


def test_nothing_can_be_done_after_the_last_visit():
    step, _ = play(
        "child_pneumonia_hypoxia",
        [
            {"kind": "decide", "decision": {"disposition": "manage_locally", "priority": "urgent"}},
            {"kind": "set_plan", "plan": {"interval_days": 3}},
            {"kind": "visit_choice", "choice": "continue"},
            {"kind": "visit_choice", "choice": "continue"},
        ],
    )
    action = {"kind": "visit_choice", "step": step.progress.step, "choice": "continue"}
    assert refused(step.progress, action, "child_pneumonia_hypoxia") == "exercise_completed"


def test_a_new_plan_with_a_continue_choice_is_refused():
    step, _ = play(
        "hypertension_township",
        [{"kind": "decide", "decision": HTN_TRANSFER}, {"kind": "set_plan", "plan": HTN_PLAN}],
    )
    action = {"kind": "visit_choice", "step": 2, "choice": "continue", "plan": HTN_PLAN}
    assert refused(step.progress, action) == "plan_without_adjust"


def test_an_unknown_action_kind_is_a_validation_error():
    with pytest.raises(ValidationError):
        parse_action({"kind": "teleport", "step": 0})


def test_an_exercise_whose_scenario_was_written_for_another_rule_set_is_refused():
    with pytest.raises(ReferralError) as caught:
        build_exercise(
            load_demo_scenario("hypertension_township"),
            load_ruleset("copd"),
            load_demo_consortium(),
        )
    assert caught.value.code == "ruleset_mismatch"


def test_a_visit_reporting_an_item_the_rule_set_does_not_monitor_is_refused_with_the_day():
    data = load_demo_scenario("hypertension_township").model_dump()
    data["visits"][1]["findings"].append({"item": "hba1c", "text": "8%"})
    with pytest.raises(ReferralError) as caught:
        build_exercise(
            ReferralScenario.model_validate(data),
            load_ruleset("hypertension"),
            load_demo_consortium(),
        )
    assert caught.value.code == "visit_unknown_item"
    assert "90" in str(caught.value) and "hba1c" in str(caught.value)


# ---- what the learner may see ---------------------------------------------------------------


def test_before_the_decision_the_learner_sees_neither_the_answer_nor_the_hospitals_reply():
    for name in DEMO_SCENARIOS:
        ex = exercise(name)
        text = json.dumps(learner_view(ex, new_progress()), ensure_ascii=False)
        assert ex.scenario.receiving_response.diagnosis not in text
        assert ex.scenario.receiving_response.downward_summary not in text
        for forbidden in ("expected", "deciding_rule", "feedback", "classification", "visits"):
            assert f'"{forbidden}"' not in text
        for visit in ex.scenario.visits:
            assert visit.explanation not in text
        if ex.scenario.if_not_referred:
            assert ex.scenario.if_not_referred not in text


@pytest.mark.parametrize("name", DEMO_SCENARIOS)
def test_before_the_decision_no_finding_can_be_matched_to_a_red_flag_candidate(name):
    ex = exercise(name)
    view = learner_view(ex, new_progress())
    findings = {f["id"] for f in view["scenario"]["findings"]}
    candidates = {t["id"] for t in view["options"]["red_flags"]}
    assert len(candidates) == len(ex.ruleset.red_flags) and not findings & candidates
    text = json.dumps(view)
    for code in ex.ruleset.red_flag_ids:
        assert f'"{code}"' not in text, code


def test_whether_a_finding_is_coded_as_a_red_flag_changes_nothing_seen_before_the_decision():
    """The same patient, once with "vomiting" coded as the rule set's red flag and once not:
    if the pages differed, comparing them would tell which finding is the scored answer."""
    scenario = load_demo_scenario("hypertension_township")
    data = scenario.model_dump()
    for item in data["findings"]:
        if item["id"] == "vomiting":
            item["id"] = "emesis"
    recoded = build_exercise(
        ReferralScenario.model_validate(data), load_ruleset("hypertension"), load_demo_consortium()
    )
    assert recoded.scenario.finding_ids & recoded.ruleset.red_flag_ids == {"severe_headache"}
    assert learner_view(recoded, new_progress()) == learner_view(exercise(), new_progress())


def test_the_pages_ids_for_red_flags_and_findings_are_mapped_back_and_others_refused():
    ex = exercise()
    page = learner_view(ex, new_progress())
    flags = {t["label"]: t["id"] for t in page["options"]["red_flags"]}
    cited = {f["label"]: f["id"] for f in page["scenario"]["findings"]}
    decision = dict(
        HTN_TRANSFER,
        recognised_red_flags=[flags["Severe headache"], flags["Vomiting"]],
        letter=dict(HTN_LETTER, key_findings=[cited["Blood pressure"], cited["Headache"]]),
    )
    action = learner_action(ex, {"kind": "decide", "step": 0, "decision": decision})
    step = apply(ex, new_progress(), action)
    assert step.progress.decision.recognised_red_flags == ["severe_headache", "vomiting"]
    assert step.progress.decision.letter.key_findings == ["blood_pressure", "severe_headache"]
    assert step.progress.rubric.missed_red_flags == []
    shown = step.response["decision"]
    assert shown["recognised_red_flags"] == decision["recognised_red_flags"]
    assert shown["letter"]["key_findings"] == decision["letter"]["key_findings"]
    for wrong, code in (
        ({"recognised_red_flags": ["severe_headache"]}, "unknown_red_flag"),
        ({"recognised_red_flags": [flags["Vomiting"]] * 2}, "duplicate_red_flag"),
        ({"letter": dict(HTN_LETTER, key_findings=["vomiting"])}, "letter_unknown_finding"),
    ):
        with pytest.raises(ReferralError) as caught:
            learner_action(ex, {"kind": "decide", "step": 0, "decision": decision | wrong})
        assert caught.value.code == code


def test_after_the_decision_the_feedback_names_the_rule_sets_answer():
    view = learner_view(exercise(), decided())
    assert view["feedback"]["expected"]["disposition"] == "emergency_transfer"
    assert view["feedback"]["expected"]["receiving_institutions"] == [
        "dongxian-county",
        "xixian-county",
    ]
    assert view["feedback"]["points"] == view["feedback"]["max_points"]


def test_progress_survives_a_round_trip_through_json_storage():
    step, _ = play(
        "hypertension_township",
        [
            {"kind": "decide", "decision": HTN_TRANSFER},
            {"kind": "set_plan", "plan": HTN_PLAN},
            {"kind": "visit_choice", "choice": "adjust"},
        ],
    )
    stored = step.progress.model_dump_json()
    assert Progress.model_validate_json(stored) == step.progress


@st.composite
def follow_ups(draw, monitoring):
    """A demo scenario, a decision, a plan with the given monitoring, and visit choices."""
    name = draw(st.sampled_from(DEMO_SCENARIOS))
    ex = exercise(name)
    rules = ex.ruleset.follow_up
    items = [t.id for t in rules.monitoring_items]
    chosen = draw(monitoring(items))
    interval = draw(st.integers(rules.min_interval_days, rules.max_interval_days))
    decision = draw(
        st.sampled_from(
            [
                {"disposition": "manage_locally", "priority": "routine"},
                {"disposition": "manage_locally", "priority": "emergency"},
            ]
        )
    )
    choices = draw(
        st.lists(
            st.sampled_from(["continue", "adjust", "re_refer"]),
            min_size=len(ex.scenario.visits),
            max_size=len(ex.scenario.visits),
        )
    )
    actions = [
        {"kind": "decide", "decision": decision},
        {"kind": "set_plan", "plan": {"interval_days": interval, "monitoring": chosen}},
    ]
    for choice in choices:
        actions.append({"kind": "visit_choice", "choice": choice})
        if choice == "re_refer":
            break
    return name, chosen, actions


def views_while_playing(name: str, actions: list[dict]):
    progress = new_progress()
    yield learner_view(exercise(name), progress)
    for action in actions:
        step = apply(exercise(name), progress, {**action, "step": progress.step})
        progress = step.progress
        yield step.response


def nothing(items):
    return st.just([])


@settings(max_examples=80, deadline=None)
@given(follow_ups(nothing))
def test_a_plan_that_monitors_nothing_never_reveals_a_monitored_finding(case):
    name, _, actions = case
    secrets = [
        f.text
        for visit in exercise(name).scenario.visits
        for f in visit.findings
        if len(f.text) > 12
    ]
    for view in views_while_playing(name, actions):
        text = json.dumps(view, ensure_ascii=False)
        assert not any(secret in text for secret in secrets)
        shown = [view.get("current_visit", {"findings": []}), *view.get("visits", [])]
        assert all(v["findings"] == [] for v in shown)
    summary = view["summary"]
    assert all(m["item"] for m in summary["missed_findings"])


def some_of(items):
    return st.lists(st.sampled_from(items), unique=True)


@settings(max_examples=80, deadline=None)
@given(follow_ups(some_of))
def test_a_visit_shows_exactly_the_monitored_items_and_the_score_stays_bounded(case):
    name, chosen, actions = case
    interval = actions[1]["plan"]["interval_days"]
    for view in views_while_playing(name, actions):
        assert 0 <= view["score"] <= view["max_score"]
        if "current_visit" in view:
            visit = exercise(name).scenario.visits[view["current_visit"]["number"] - 1]
            assert {f["item"] for f in view["current_visit"]["findings"]} == {
                f.item for f in visit.findings if f.item in chosen
            }
    assert view["phase"] == "completed"
    days = [v["day"] for v in view["visits"]]
    assert days[0] == interval and days == sorted(set(days))


def test_the_learner_view_says_when_the_rule_set_version_is_withdrawn_for_safety():
    scenario = load_demo_scenario("hypertension_township").model_copy(
        update={"ruleset_version": "1.0"}
    )
    old = build_exercise(scenario, load_ruleset("hypertension", "1.0"), load_demo_consortium())
    view = learner_view(old, new_progress())["ruleset"]
    assert view["status"] == "withdrawn" and "2.0" in view["notice"] and view["notice_zh"]
    assert learner_view(exercise(), new_progress())["ruleset"]["status"] == "current"
