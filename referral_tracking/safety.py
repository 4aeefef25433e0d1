"""Safety floors of a rule set: a critical finding is never kept at home or sent less urgently.

A rule set declares its critical findings (`schema.CriticalFinding`): a red flag (alone or in a
context such as pregnancy) or a threshold, and the least disposition and urgency it forces.
`check_critical_findings` runs when the rule set is saved (shipped or the author's own), with
example patients, as the contradiction check does:

- a rule that meets the floor at a primary institution that can do nothing (no capability, no
  department) must apply to every patient with the critical finding (its conditions are
  implied by the critical finding's; the example patient, with just the critical finding and
  nothing else known, shows it applies);
- no rule that outranks that one (higher priority, or the same priority and a further-reaching
  disposition or tier, `rules.urgency_key`) may ask for less than the floor for a patient who
  also has the critical finding: the message gives such a patient.

The most pressing rule decides (`rules.expected_decision`): so for every patient with the
critical finding, whatever else they have, the decision meets the floor at a primary
institution. At an institution that can give the care itself, the decision is to manage the
patient there with the same urgency (an emergency stays an emergency). `implies` is sound, not
complete (`conditions`): a covering rule it cannot see is reported as not covering, never the
reverse.
"""

from .conditions import Condition, SharedPatient
from .rules import answer_at, most_pressing, urgency_key
from .schema import DISPOSITION_RANK, PRIORITY_RANK, CriticalFinding, Institution, RuleSet, problem
from .vocabulary import require_known

#: The institution that can do nothing: every referral rule refers from it.
BARE_PRIMARY = Institution(
    id="bare-primary", name="bare primary", tier="primary", departments=frozenset()
)


def _below(answer: tuple, floor: CriticalFinding) -> bool:
    """Does this answer ask for less than the floor (disposition or urgency)?"""
    return (
        DISPOSITION_RANK[answer[0]] < DISPOSITION_RANK[floor.min_disposition]
        or PRIORITY_RANK[answer[1]] < PRIORITY_RANK[floor.min_priority]
    )


def example_patient(floor: CriticalFinding) -> SharedPatient:
    """The patient with just this critical finding (age in years and months kept in step)."""
    values = _condition(floor).shared_patient(Condition.of([], [], [{}]))
    if values is None:
        raise problem("critical_unreachable", critical=floor.id)
    measures = dict(values.measures)
    if "age_months" in measures and "age_years" not in measures:
        measures["age_years"] = measures["age_months"] / 12
    elif "age_years" in measures and "age_months" not in measures:
        measures["age_months"] = measures["age_years"] * 12
    return SharedPatient(values.findings, measures)


def _check_alone(ruleset: RuleSet, floor: CriticalFinding, patient: SharedPatient) -> tuple:
    """Some rule that meets the floor applies to every patient with the critical finding (the
    example patient shows it applies); returns the urgency key of the best such rule."""
    critical = _condition(floor)
    present, measures = set(patient.findings), patient.measures
    covering = [
        c
        for c in ruleset.criteria
        if c.matches(present, measures) and critical.implies(c.condition())
    ]
    best = most_pressing(covering, BARE_PRIMARY)
    if best is None:
        raise problem("critical_not_covered", critical=floor.id, example=patient.describe())
    key, answer, rule = best
    if _below(answer, floor):
        raise problem(
            "critical_below_floor",
            critical=floor.id,
            rule=rule,
            example=patient.describe(),
            disposition=floor.min_disposition,
            priority=floor.min_priority,
        )
    return key


def _condition(floor: CriticalFinding) -> Condition:
    """When the critical finding holds, as a rule's condition."""
    return Condition.of(floor.findings_all, [], [floor.box()])


def _check_overrides(ruleset: RuleSet, floor: CriticalFinding, deciding: tuple) -> None:
    """No rule that would outrank the covering one asks for less, for a patient with it."""
    critical = _condition(floor)
    for order, criterion in enumerate(ruleset.criteria):
        answer = answer_at(criterion, BARE_PRIMARY)
        if urgency_key(answer, order)[:3] <= deciding[:3] or not _below(answer, floor):
            continue
        patient = criterion.condition().shared_patient(critical)
        if patient is not None:
            raise problem(
                "critical_overridden",
                critical=floor.id,
                rule=criterion.id,
                example=patient.describe(),
            )


def _check_codes(ruleset: RuleSet, floor: CriticalFinding) -> None:
    codes = ruleset.red_flag_ids | {t.id for t in ruleset.findings}
    for code in floor.findings_all:
        require_known(code, codes, problem, "critical_unknown_code", critical=floor.id, code=code)
    measures = {m.id for m in ruleset.measures}
    for threshold in floor.thresholds:
        measure = threshold.measure
        require_known(
            measure,
            measures,
            problem,
            "critical_unknown_measure",
            critical=floor.id,
            measure=measure,
        )
    if not (floor.thresholds or set(floor.findings_all) & ruleset.red_flag_ids):
        raise problem("critical_without_red_flag", critical=floor.id)


def check_critical_findings(ruleset: RuleSet) -> None:
    """Refuse a rule set whose critical findings could be kept at home or sent too slowly."""
    seen: set[str] = set()
    for floor in ruleset.critical_findings:
        if floor.id in seen:
            raise problem("critical_duplicate", critical=floor.id)
        seen.add(floor.id)
        _check_codes(ruleset, floor)
        deciding = _check_alone(ruleset, floor, example_patient(floor))
        _check_overrides(ruleset, floor, deciding)


def critical_findings_present(
    ruleset: RuleSet, present: set[str], measures: dict[str, float]
) -> list[CriticalFinding]:
    """The rule set's critical findings this patient has."""
    return [floor for floor in ruleset.critical_findings if floor.holds(present, measures)]
