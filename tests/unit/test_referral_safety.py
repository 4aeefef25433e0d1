"""No shipped rule set keeps at home, or sends non-urgently, a patient with a critical finding.

A rule set declares its critical findings and the least each forces; the check at save refuses
one whose rules could ask for less (shipped and author rule sets alike). The property test
generates patients with any critical finding over every version in use (not withdrawn).
"""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from referral_tracking import SHIPPED_RULESETS, load_demo_consortium, load_ruleset
from referral_tracking.rules import expected_for
from referral_tracking.safety import BARE_PRIMARY
from referral_tracking.schema import (
    CAPABILITIES,
    DEPARTMENTS,
    DISPOSITION_RANK,
    PRIORITY_RANK,
    CriticalFinding,
    Institution,
    RuleSet,
)

IN_USE = [
    load_ruleset(rid, version)
    for rid, versions in SHIPPED_RULESETS.all_versions().items()
    for version in versions
    if not load_ruleset(rid, version).withdrawn
]
INSTITUTIONS = [BARE_PRIMARY, *load_demo_consortium().institutions]


def test_every_ruleset_id_has_a_version_in_use_with_critical_findings():
    assert {r.id for r in IN_USE} == set(SHIPPED_RULESETS.ids())
    assert all(r.critical_findings for r in IN_USE)


def test_the_newest_version_is_the_one_a_scenario_naming_only_the_id_gets():
    for ruleset_id in SHIPPED_RULESETS.ids():
        assert not load_ruleset(ruleset_id).withdrawn


def _interesting(ruleset: RuleSet, measure: str) -> list[float]:
    """Every bound the rule set writes for a measure, and values just around it."""
    bounds = {
        bound
        for c in [*ruleset.criteria, *ruleset.critical_findings]
        for t in c.thresholds
        if t.measure == measure
        for bound in (t.at_least, t.above, t.below, t.at_most)
        if bound is not None
    }
    return sorted({b + d for b in bounds for d in (-1, -0.5, 0, 0.5, 1) if b + d >= 0})


@st.composite
def patients_with_a_critical_finding(draw, ruleset: RuleSet):
    """(critical finding, findings, measures, institution): the critical finding and more."""
    floor = draw(st.sampled_from(ruleset.critical_findings))
    codes = sorted(ruleset.red_flag_ids | {t.id for t in ruleset.findings})
    present = set(draw(st.lists(st.sampled_from(codes), max_size=6))) | set(floor.findings_all)
    measures: dict[str, float] = {}
    for measure in (m.id for m in ruleset.measures if m.id != "age_months"):
        values = _interesting(ruleset, measure) or [0.0]
        choice = st.one_of(st.sampled_from(values), st.floats(0, 300, allow_nan=False))
        value = draw(st.none() | choice)
        if value is not None:
            measures[measure] = value
    age_years = draw(st.sampled_from([1 / 12, 1.5 / 12, 2 / 12, 0.5, 1.0, 3.0, 29.0, 30.0, 70.0]))
    measures["age_years"] = measures.get("age_years", age_years)
    for threshold in floor.thresholds:  # give the critical finding's own values
        interval = threshold.interval()
        if threshold.measure not in measures or not interval.contains(measures[threshold.measure]):
            measures[threshold.measure] = interval.example()
    if "age_months" in {t.measure for t in floor.thresholds}:
        measures["age_years"] = measures["age_months"] / 12
    measures["age_months"] = measures["age_years"] * 12
    return floor, present, measures, draw(st.sampled_from(INSTITUTIONS) | any_institution())


def any_institution():
    """An institution of any tier with any capabilities and departments."""
    return st.builds(
        Institution,
        id=st.just("generated"),
        name=st.just("Generated institution"),
        tier=st.sampled_from(["primary", "secondary", "tertiary"]),
        departments=st.frozensets(st.sampled_from(sorted(DEPARTMENTS))),
        capabilities=st.frozensets(st.sampled_from(sorted(CAPABILITIES))),
    )


def _assert_safe(ruleset: RuleSet, floor: CriticalFinding, present, measures, institution):
    assert floor.holds(present, measures)
    answer = expected_for(ruleset, present, measures, institution)
    assert PRIORITY_RANK[answer.priority] >= PRIORITY_RANK[floor.min_priority], answer
    deciding = next(c for c in ruleset.criteria if c.id == answer.deciding_rule)
    if answer.disposition == "manage_locally":  # only when this institution gives the care
        assert DISPOSITION_RANK[deciding.action.kind] >= DISPOSITION_RANK[floor.min_disposition]
    else:
        assert DISPOSITION_RANK[answer.disposition] >= DISPOSITION_RANK[floor.min_disposition]
    if institution is BARE_PRIMARY:
        assert DISPOSITION_RANK[answer.disposition] >= DISPOSITION_RANK[floor.min_disposition]


@pytest.mark.parametrize("ruleset", IN_USE, ids=lambda r: f"{r.id}-{r.version}")
def test_a_patient_with_a_critical_finding_is_never_kept_at_home_nor_sent_slowly(ruleset):
    @settings(max_examples=300, deadline=None)
    @given(patients_with_a_critical_finding(ruleset))
    def check(patient):
        _assert_safe(ruleset, *patient)

    check()


# ---- the check at save --------------------------------------------------------------------


def _hypertension(**changes) -> dict:
    data = load_ruleset("hypertension", "2.0").model_dump(mode="json")
    data.update(changes)
    return data


def _refused(data: dict) -> str:
    with pytest.raises(ValidationError) as caught:
        RuleSet.model_validate(data)
    return caught.value.errors()[0]["type"]


def test_a_critical_finding_no_rule_covers_alone_is_refused():
    data = load_ruleset("hypertension", "1.0").model_dump(mode="json")
    data["status"] = "current"
    data["critical_findings"] = [
        {
            "id": "sudden_limb_weakness",
            "label": "Sudden limb weakness",
            "findings_all": ["limb_weakness"],
            "min_disposition": "emergency_transfer",
            "min_priority": "emergency",
        }
    ]
    assert _refused(data) == "critical_not_covered"


def test_a_critical_finding_whose_rule_asks_for_less_is_refused():
    data = _hypertension()
    for rule in data["criteria"]:
        if rule["id"] == "htn_pregnancy_severe_range":
            rule["action"] = {
                "kind": "refer_upward",
                "tier": "secondary",
                "department": "obstetrics",
            }
            rule["priority"] = "urgent"
    data["criteria"] = [r for r in data["criteria"] if r["id"] != "htn_pregnancy_warning_symptoms"]
    data["critical_findings"] = [
        c for c in data["critical_findings"] if c["id"].startswith("pregnancy_severe")
    ]
    assert _refused(data) == "critical_below_floor"


def _small_ruleset(*criteria: dict, floor_priority: str = "routine") -> dict:
    """A rule set of two findings and the given rules, "foot_ulcer" declared critical."""
    data = load_ruleset("type2_diabetes", "2.0").model_dump(mode="json")
    data["red_flags"] = [{"id": "foot_ulcer", "label": "Foot ulcer"}]
    data["findings"] = [{"id": "dressing_clinic", "label": "Dressing clinic nearby"}]
    data["measures"] = [{"id": "age_years", "label": "Age"}]
    data["criteria"] = list(criteria)
    data["critical_findings"] = [
        {
            "id": "foot_ulcer",
            "label": "Foot ulcer",
            "findings_all": ["foot_ulcer"],
            "min_disposition": "refer_upward",
            "min_priority": floor_priority,
        }
    ]
    return data


REFER_ULCER = {
    "id": "refer_ulcer",
    "label": "Refer a foot ulcer",
    "findings_any": ["foot_ulcer"],
    "action": {"kind": "refer_upward", "tier": "secondary", "department": "endocrinology"},
    "priority": "routine",
}
KEEP_WITH_CLINIC = {
    "id": "keep_with_clinic",
    "label": "Dress it here when a clinic is nearby",
    "findings_all": ["foot_ulcer", "dressing_clinic"],
    "action": {"kind": "manage_locally"},
    "priority": "urgent",
}


def test_a_higher_priority_rule_that_keeps_the_patient_here_overrides_and_is_refused():
    data = _small_ruleset(REFER_ULCER, KEEP_WITH_CLINIC)
    with pytest.raises(ValidationError) as caught:
        RuleSet.model_validate(data)
    error = caught.value.errors()[0]
    assert error["type"] == "critical_overridden"
    assert "keep_with_clinic" in error["msg"] and "dressing_clinic" in error["msg"]


def test_the_same_rules_without_the_floor_are_saved_as_before():
    data = _small_ruleset(REFER_ULCER, KEEP_WITH_CLINIC)
    data["critical_findings"] = []
    assert RuleSet.model_validate(data).criteria[1].id == "keep_with_clinic"


def test_a_floor_the_deciding_rule_does_not_reach_is_refused():
    assert _refused(_small_ruleset(REFER_ULCER, floor_priority="urgent")) == "critical_below_floor"


def test_a_critical_finding_naming_an_unknown_code_is_refused():
    data = _hypertension()
    data["critical_findings"][0]["findings_all"] = ["no_such_flag"]
    assert _refused(data) == "critical_unknown_code"


def test_a_critical_finding_without_a_red_flag_or_threshold_is_refused():
    data = _hypertension()
    data["critical_findings"][0]["findings_all"] = ["pregnant"]
    assert _refused(data) == "critical_without_red_flag"


def test_an_emergency_transfer_floor_must_be_an_emergency():
    data = _hypertension()
    data["critical_findings"][0]["min_priority"] = "urgent"
    assert _refused(data) == "critical_transfer_not_emergency"


def test_a_withdrawn_version_must_say_why():
    data = load_ruleset("copd", "1.0").model_dump(mode="json")
    data["notice"] = ""
    assert _refused(data) == "ruleset_notice_missing"


@pytest.mark.parametrize("ruleset_id", SHIPPED_RULESETS.ids())
def test_version_one_is_kept_readable_and_withdrawn_for_safety(ruleset_id):
    old = load_ruleset(ruleset_id, "1.0")
    assert old.withdrawn and old.notice and old.notice_zh and "2.0" in old.notice


def test_a_rule_that_covers_only_part_of_a_critical_threshold_is_refused():
    """An emergency rule on 160 <= systolic < 180 in pregnancy leaves 190 mmHg to a lower rule:
    the example patient (160 mmHg) alone would not show it."""
    data = _hypertension()
    for rule in data["criteria"]:
        if rule["id"] == "htn_pregnancy_severe_range":
            rule["thresholds"] = [{"measure": "sbp_mmhg", "at_least": 160, "below": 180}]
            rule["thresholds_mode"] = "all"
    data["critical_findings"] = [
        c for c in data["critical_findings"] if c["id"] == "pregnancy_severe_systolic"
    ]
    with pytest.raises(ValidationError) as caught:
        RuleSet.model_validate(data)
    error = caught.value.errors()[0]
    assert error["type"] == "critical_below_floor" and '"htn_pregnancy"' in error["msg"]
    data["criteria"] = [c for c in data["criteria"] if c["id"] != "htn_pregnancy"]
    assert _refused(data) == "critical_not_covered"
