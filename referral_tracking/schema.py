"""The graded-referral exercise, written once: consortium, rule sets, scenarios, learner input.

Storage JSON, Studio validation, JSON import/export and the XML mapping all derive from these
pydantic models. Everything an author or learner sends is `extra="forbid"`. Texts are plain
text (no HTML): the adapter escapes them when it renders.

A rule set is data. A criterion fires when its findings and thresholds match the scenario;
what it asks for depends on the learner's institution: a criterion with a `required_capability`
(or a tier above the learner's) is a referral for a township clinic and local care for a
county hospital that has the capability. See `rules.expected_decision`.
"""

import math
import re
from collections.abc import Iterable
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_serializer,
    model_serializer,
    model_validator,
)
from pydantic_core import PydanticCustomError

from .conditions import Condition, Interval
from .messages import MESSAGES, ReferralError
from .vocabulary import nearest, require_known

Tier = Literal["primary", "secondary", "tertiary"]
TIERS: tuple[Tier, ...] = ("primary", "secondary", "tertiary")
TIER_RANK: dict[str, int] = {"primary": 1, "secondary": 2, "tertiary": 3}

Disposition = Literal["manage_locally", "refer_upward", "emergency_transfer"]
DISPOSITION_RANK: dict[str, int] = {"manage_locally": 0, "refer_upward": 1, "emergency_transfer": 2}

Priority = Literal["routine", "urgent", "emergency"]
PRIORITY_RANK: dict[str, int] = {"routine": 0, "urgent": 1, "emergency": 2}

VisitChoice = Literal["continue", "adjust", "re_refer"]

#: The items of a referral letter, scored one by one as published letter-quality tools do.
LETTER_ITEMS: tuple[str, ...] = (
    "reason",
    "history",
    "key_findings",
    "treatment_given",
    "question",
    "supporting_info",
)
LETTER_SIZE_LIMIT = 8000  # characters over all fields of one letter
LetterItem = Literal[
    "reason", "history", "key_findings", "treatment_given", "question", "supporting_info"
]

#: What an institution can do. A rule's `required_capability` must be one of these.
CAPABILITIES: dict[str, str] = {
    "ecg": "12-lead ECG",
    "pulse_oximetry": "Pulse oximetry",
    "oxygen_therapy": "Oxygen therapy",
    "glucose_meter": "Capillary glucose",
    "hba1c": "HbA1c",
    "basic_lab": "Blood count, renal function, electrolytes, lipids",
    "chest_xray": "Chest X-ray",
    "spirometry": "Spirometry",
    "blood_gas": "Arterial blood gas",
    "echocardiography": "Echocardiography",
    "ct": "CT",
    "mri": "MRI",
    "thrombolysis": "Intravenous thrombolysis for stroke",
    "pci": "Percutaneous coronary intervention (PCI)",
    "c_peptide": "C-peptide and islet autoantibodies",
    "insulin_initiation": "Starting and titrating insulin regimens",
    "retinal_screening": "Retinal screening",
    "noninvasive_ventilation": "Non-invasive ventilation",
    "rehabilitation": "Stroke rehabilitation",
    "paediatric_ward": "Paediatric inpatient ward",
    "picu": "Paediatric intensive care",
    "nicu": "Neonatal intensive care",
    "icu": "Adult intensive care",
    "nebuliser": "Nebulised bronchodilators",
}

#: Departments a referral can name. Institutions list the ones they have.
DEPARTMENTS: dict[str, str] = {
    "general_practice": "General practice",
    "emergency": "Emergency",
    "internal_medicine": "Internal medicine",
    "cardiology": "Cardiology",
    "endocrinology": "Endocrinology",
    "respiratory": "Respiratory medicine",
    "neurology": "Neurology",
    "rehabilitation": "Rehabilitation",
    "obstetrics": "Obstetrics",
    "paediatrics": "Paediatrics",
    "picu": "Paediatric intensive care unit",
    "neonatology": "Neonatology (NICU)",
    "ophthalmology": "Ophthalmology",
    "icu": "Intensive care unit",
}

CODE = re.compile(r"[a-z][a-z0-9_]{0,63}")
IDENTIFIER = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")


def _written_as(pattern: re.Pattern, message: str):
    """A validator that refuses a value not matching `pattern`, saying how to write one."""

    def check(value: str) -> str:
        if not pattern.fullmatch(value):
            raise problem(message, value=value[:40])
        return value

    return AfterValidator(check)


#: A rule set's code (red flag, finding, measure...): the message says how to write one.
Code = Annotated[str, _written_as(CODE, "code_format")]
#: An id (scenario, institution, consortium): the message says how to write one.
Identifier = Annotated[str, _written_as(IDENTIFIER, "id_format")]
#: Characters XML 1.0 cannot hold (C0 controls other than tab and line breaks, lone
#: surrogates, U+FFFE, U+FFFF): an author's text holding one could be saved, but the scenario
#: could then be neither exported as OLX nor opened again in the editor.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml_safe(value: str) -> str:
    found = NOT_XML.search(value)
    if found:
        raise problem("text_control_character", character=f"U+{ord(found.group()):04X}")
    return value


XmlSafe = AfterValidator(_xml_safe)
Label = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300), XmlSafe
]
OptionalLabel = Annotated[str, StringConstraints(strip_whitespace=True, max_length=300), XmlSafe]
Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=4000), XmlSafe]
RequiredText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000), XmlSafe
]
Version = Annotated[str, StringConstraints(pattern=r"^[0-9]+(\.[0-9]+){0,2}$")]


def problem(code: str, /, **ctx: object) -> PydanticCustomError:
    """A validation error carrying our stable code and the English template."""
    return PydanticCustomError(code, MESSAGES[code], ctx)


def _duplicates(values: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    repeated = []
    for value in values:
        if value in seen and value not in repeated:
            repeated.append(value)
        seen.add(value)
    return repeated


class Authored(BaseModel):
    """Base of everything an author or learner writes: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")


# ---- consortium -----------------------------------------------------------------------------


class Institution(Authored):
    """A member of the consortium: what tier it is and what it can do."""

    id: Identifier
    name: Label
    name_zh: OptionalLabel = ""
    tier: Tier
    departments: frozenset[Code]
    capabilities: frozenset[Code] = frozenset()

    @field_serializer("departments", "capabilities")
    def _sorted(self, codes: frozenset[str]) -> list[str]:
        return sorted(codes)

    @model_validator(mode="after")
    def _known_codes(self) -> "Institution":
        for capability in sorted(self.capabilities):
            require_known(
                capability,
                CAPABILITIES,
                problem,
                "unknown_capability",
                institution=self.id,
                capability=capability,
            )
        for department in sorted(self.departments):
            require_known(
                department,
                DEPARTMENTS,
                problem,
                "institution_unknown_department",
                institution=self.id,
                department=department,
            )
        return self


class Consortium(Authored):
    """The member institutions of a medical consortium (医联体)."""

    id: Identifier
    name: Label
    institutions: list[Institution] = Field(min_length=1, max_length=500)

    @model_validator(mode="after")
    def _unique_ids(self) -> "Consortium":
        repeated = _duplicates(i.id for i in self.institutions)
        if repeated:
            raise problem("duplicate_institution", institution=repeated[0])
        return self

    def institution(self, institution_id: str) -> Institution:
        for institution in self.institutions:
            if institution.id == institution_id:
                return institution
        raise ReferralError("unknown_institution", institution=institution_id)


# ---- rule sets ------------------------------------------------------------------------------


class Provenance(Authored):
    """Where a rule set comes from: the guideline, who issued it, and when."""

    guideline: Label
    issuing_body: Label
    year: int = Field(ge=1950, le=2100)
    url: OptionalLabel = ""
    note: Text = ""


class Term(Authored):
    """One entry of a rule set's vocabulary (a red flag, finding, monitoring item...)."""

    id: Code
    label: Label
    label_zh: OptionalLabel = ""


class Measure(Term):
    """A number a threshold can test, such as systolic blood pressure."""

    unit: OptionalLabel = ""


class Threshold(Authored):
    """A numeric condition on one measure: `at_least`/`above` and/or `below`/`at_most`."""

    measure: Code
    at_least: float | None = None
    above: float | None = None
    below: float | None = None
    at_most: float | None = None

    @model_validator(mode="after")
    def _one_bound_per_side(self) -> "Threshold":
        if self.at_least is not None and self.above is not None:
            raise problem("threshold_two_lower_bounds", measure=self.measure)
        if self.below is not None and self.at_most is not None:
            raise problem("threshold_two_upper_bounds", measure=self.measure)
        if all(b is None for b in (self.at_least, self.above, self.below, self.at_most)):
            raise problem("threshold_without_bound", measure=self.measure)
        return self

    def interval(self) -> Interval:
        low, low_closed = -math.inf, False
        if self.at_least is not None:
            low, low_closed = self.at_least, True
        elif self.above is not None:
            low = self.above
        high, high_closed = math.inf, False
        if self.at_most is not None:
            high, high_closed = self.at_most, True
        elif self.below is not None:
            high = self.below
        return Interval(low, low_closed, high, high_closed)


class Action(Authored):
    """What a criterion asks for: manage locally, refer upward, or transfer as an emergency."""

    kind: Disposition
    tier: Tier | None = None
    department: Code | None = None


class Criterion(Authored):
    """One rule: when the findings and thresholds match, this is the decision.

    Findings: all of `findings_all` present, and at least one of `findings_any` when given.
    Thresholds: all of them hold (`thresholds_mode="all"`) or at least one (`"any"`), as in
    "systolic >= 180 or diastolic >= 110 mmHg". A referral criterion with a
    `required_capability` is care the learner's institution gives itself when it has that
    capability and is at least the named tier.
    """

    id: Code
    label: Label
    label_zh: OptionalLabel = ""
    findings_any: list[Code] = Field(default_factory=list, max_length=50)
    findings_all: list[Code] = Field(default_factory=list, max_length=50)
    thresholds: list[Threshold] = Field(default_factory=list, max_length=20)
    thresholds_mode: Literal["all", "any"] = "all"
    required_capability: Code | None = None
    action: Action
    priority: Priority
    rationale: Text = ""

    def matches(self, present: set[str], measures: dict[str, float]) -> bool:
        if not all(code in present for code in self.findings_all):
            return False
        if self.findings_any and not any(code in present for code in self.findings_any):
            return False
        if not self.thresholds:
            return True
        results = (
            t.measure in measures and t.interval().contains(measures[t.measure])
            for t in self.thresholds
        )
        return all(results) if self.thresholds_mode == "all" else any(results)

    def regions(self) -> list[dict[str, Interval]]:
        """The thresholds as a union of boxes (one box for "all", one per threshold for "any").

        An empty list of constraints in a box means "any value"; no thresholds -> one free box.
        """
        if not self.thresholds:
            return [{}]
        if self.thresholds_mode == "any":
            return [{t.measure: t.interval()} for t in self.thresholds]
        box: dict[str, Interval] = {}
        for threshold in self.thresholds:
            current = box.get(threshold.measure, Interval())
            box[threshold.measure] = current.intersect(threshold.interval())
        return [box]

    def condition(self) -> Condition:
        """When this rule applies, for comparing it with another (see `conditions`)."""
        return Condition.of(self.findings_all, self.findings_any, self.regions())

    def outcome(self) -> tuple:
        action = self.action
        return (
            action.kind,
            action.tier,
            action.department,
            self.priority,
            self.required_capability,
        )


class FollowUpRules(Authored):
    """How follow-up after downward referral should look, and its bounds."""

    min_interval_days: int = Field(ge=1, le=365)
    max_interval_days: int = Field(ge=1, le=365)
    closed_loop_days: int = Field(ge=1, le=365)
    monitoring_items: list[Term] = Field(min_length=1, max_length=40)
    required_monitoring: list[Code] = Field(default_factory=list, max_length=40)
    targets: list[Term] = Field(default_factory=list, max_length=20)
    required_targets: list[Code] = Field(default_factory=list, max_length=20)
    re_referral_criteria: list[Term] = Field(default_factory=list, max_length=20)
    required_re_referral: list[Code] = Field(default_factory=list, max_length=20)
    note: Text = ""

    @model_validator(mode="after")
    def _consistent(self) -> "FollowUpRules":
        if self.min_interval_days > self.max_interval_days:
            raise problem(
                "follow_up_bounds_empty",
                min_days=self.min_interval_days,
                max_days=self.max_interval_days,
            )
        if self.closed_loop_days < self.min_interval_days:
            raise problem(
                "closed_loop_unreachable",
                closed_loop_days=self.closed_loop_days,
                min_days=self.min_interval_days,
            )
        for (duplicate, unknown), terms, required in (
            (
                ("duplicate_monitoring_code", "unknown_required_monitoring"),
                self.monitoring_items,
                self.required_monitoring,
            ),
            (
                ("duplicate_target_code", "unknown_required_target"),
                self.targets,
                self.required_targets,
            ),
            (
                ("duplicate_criterion_code", "unknown_required_criterion"),
                self.re_referral_criteria,
                self.required_re_referral,
            ),
        ):
            ids = [t.id for t in terms]
            repeated = _duplicates(ids)
            if repeated:
                raise problem(duplicate, code=repeated[0])
            for code in required:
                if code not in ids:
                    raise problem(unknown, code=code)
        return self

    @property
    def monitoring_ids(self) -> set[str]:
        return {t.id for t in self.monitoring_items}


class RubricWeights(Authored):
    """Points per rubric item; the rule set's authors may weigh differently.

    Errors are weighted by harm: an over-referral keeps `over_referral_share` of the referral
    level and an over-triage (more urgent than needed) `over_triage_share` of the urgency, while
    an under-referral and an under-triage keep nothing; a missed emergency (critical
    under-triage) scores 0 for the whole decision (`rules.score_decision`).
    """

    tier: int = Field(default=2, ge=0, le=10)
    #: Emergency transfer or upward referral, as the rule set asks ("not needed" when it keeps
    #: the patient here: earned by not referring, like `department` and `letter_item`).
    disposition: int = Field(default=1, ge=0, le=10)
    department: int = Field(default=1, ge=0, le=10)
    urgency: int = Field(default=2, ge=0, le=10)
    #: The whole red-flag item (not per red flag: its maximum must not tell how many there are).
    red_flag: int = Field(default=2, ge=0, le=10)
    letter_item: int = Field(default=1, ge=0, le=10)
    monitoring_item: int = Field(default=1, ge=0, le=10)
    target: int = Field(default=1, ge=0, le=10)
    re_referral_criterion: int = Field(default=1, ge=0, le=10)
    closed_loop: int = Field(default=1, ge=0, le=10)
    visit_choice: int = Field(default=1, ge=0, le=10)
    over_referral_share: float = Field(default=0.5, ge=0, le=1)
    over_triage_share: float = Field(default=0.5, ge=0, le=1)


class CriticalFinding(Authored):
    """A critical finding (a red flag, alone or in context such as pregnancy, or a threshold)
    and the least disposition and urgency it forces, whatever else the patient has.

    It holds when every finding of `findings_all` is present and every threshold holds.
    Checked when the rule set is saved (`safety.check_critical_findings`): a rule that applies
    to every patient with it must meet the floor at a primary institution that can do nothing,
    and no rule that outranks that one may ask for less.
    """

    id: Code
    label: Label
    label_zh: OptionalLabel = ""
    findings_all: list[Code] = Field(default_factory=list, max_length=10)
    thresholds: list[Threshold] = Field(default_factory=list, max_length=5)
    min_disposition: Disposition
    min_priority: Priority
    rationale: Text = ""

    @model_validator(mode="after")
    def _coherent(self) -> "CriticalFinding":
        if not (self.findings_all or self.thresholds):
            raise problem("critical_without_trigger", critical=self.id)
        if self.min_disposition == "emergency_transfer" and self.min_priority != "emergency":
            raise problem("critical_transfer_not_emergency", critical=self.id)
        return self

    def box(self) -> dict[str, Interval]:
        """The thresholds as one box of intervals (all of them hold)."""
        box: dict[str, Interval] = {}
        for threshold in self.thresholds:
            current = box.get(threshold.measure, Interval())
            box[threshold.measure] = current.intersect(threshold.interval())
        return box

    def holds(self, present: set[str], measures: dict[str, float]) -> bool:
        """Does a patient with these findings and measures have this critical finding?"""
        if not set(self.findings_all) <= present:
            return False
        return all(
            t.measure in measures and t.interval().contains(measures[t.measure])
            for t in self.thresholds
        )


class VignetteSource(Authored):
    """The guideline sentence a test patient is written from."""

    sentence: RequiredText
    source: Label
    year: int = Field(ge=1950, le=2100)
    section: Label


class VignetteSetting(Authored):
    """Where the patient is seen: a tier and what the institution can do (every department)."""

    tier: Tier
    capabilities: frozenset[Code] = frozenset()

    @field_serializer("capabilities")
    def _sorted(self, codes: frozenset[str]) -> list[str]:
        return sorted(codes)


class VignetteAnswer(Authored):
    """What the guideline asks for this patient at this institution."""

    disposition: Disposition
    priority: Priority
    tier: Tier | None = None
    department: Code | None = None


class Vignette(Authored):
    """A test patient written from the guideline text, with the answer the rule set must give."""

    id: Code
    title: Label
    at: VignetteSetting
    age_years: float = Field(ge=0, le=120)
    findings: list[Code] = Field(default_factory=list, max_length=30)
    measures: dict[Code, float] = Field(default_factory=dict, max_length=20)
    expected: VignetteAnswer
    source: VignetteSource

    def measure_values(self) -> dict[str, float]:
        """The measures with the age, as a scenario gives them (`ReferralScenario`)."""
        age = {"age_years": self.age_years, "age_months": self.age_years * 12}
        return age | self.measures


class VignetteSet(Authored):
    """The vignettes of one shipped rule-set version (`rulesets/<id>/<version>.vignettes.json`)."""

    ruleset_id: Code
    ruleset_version: Version
    vignettes: list[Vignette] = Field(min_length=1, max_length=500)

    @model_validator(mode="after")
    def _unique_ids(self) -> "VignetteSet":
        repeated = _duplicates(v.id for v in self.vignettes)
        if repeated:
            raise problem("duplicate_vignette", vignette=repeated[0])
        return self


RulesetStatus = Literal["current", "superseded", "withdrawn"]


class RuleSet(Authored):
    """Versioned referral criteria for one condition, with their source."""

    id: Code
    version: Version
    condition: Code
    title: Label
    title_zh: OptionalLabel = ""
    provenance: Provenance
    additional_sources: list[Provenance] = Field(default_factory=list, max_length=10)
    red_flags: list[Term] = Field(default_factory=list, max_length=60)
    findings: list[Term] = Field(default_factory=list, max_length=100)
    measures: list[Measure] = Field(default_factory=list, max_length=40)
    criteria: list[Criterion] = Field(min_length=1, max_length=100)
    default_priority: Priority = "routine"
    follow_up: FollowUpRules
    weights: RubricWeights = Field(default_factory=RubricWeights)
    critical_findings: list[CriticalFinding] = Field(default_factory=list, max_length=60)
    #: "withdrawn": unsafe, kept readable for the record; "superseded": a newer version exists.
    status: RulesetStatus = "current"
    notice: Text = ""
    notice_zh: Text = ""
    #: An author's own test patients, run when the rule set is saved (shipped rule sets keep
    #: theirs in `<version>.vignettes.json`, run by the unit tests).
    vignettes: list[Vignette] = Field(default_factory=list, max_length=200)

    @property
    def red_flag_ids(self) -> set[str]:
        return {t.id for t in self.red_flags}

    @property
    def withdrawn(self) -> bool:
        return self.status == "withdrawn"

    @model_validator(mode="after")
    def _not_contradictory(self) -> "RuleSet":
        codes = [t.id for t in self.red_flags] + [t.id for t in self.findings]
        repeated = _duplicates(codes)
        if repeated:
            raise problem("duplicate_term", code=repeated[0])
        repeated = _duplicates(m.id for m in self.measures)
        if repeated:
            raise problem("duplicate_measure", code=repeated[0])
        repeated = _duplicates(c.id for c in self.criteria)
        if repeated:
            raise problem("duplicate_rule", rule=repeated[0])
        known_codes, known_measures = set(codes), {m.id for m in self.measures}
        for criterion in self.criteria:
            _check_criterion(criterion, known_codes, known_measures)
        conditions = {c.id: c.condition() for c in self.criteria}
        for index, first in enumerate(self.criteria):
            for second in self.criteria[index + 1 :]:
                if _contradict(first, second):
                    raise problem("rules_contradict", rule=first.id, other=second.id)
                _check_pair(first, second, conditions[first.id], conditions[second.id])
        return self

    @model_validator(mode="after")
    def _safe(self) -> "RuleSet":
        from .safety import check_critical_findings  # safety reads the rules module

        if self.status != "current" and not self.notice:
            raise problem("ruleset_notice_missing", ruleset=self.id, status=self.status)
        check_critical_findings(self)
        from .vignettes import check_vignettes  # vignettes read the rules module

        check_vignettes(self, self.vignettes)
        return self


def _check_criterion(criterion: Criterion, codes: set[str], measures: set[str]) -> None:
    rule, action = criterion.id, criterion.action
    if not (criterion.findings_any or criterion.findings_all or criterion.thresholds):
        raise problem("rule_without_trigger", rule=rule)
    for code in [*criterion.findings_all, *criterion.findings_any]:
        if code not in codes:
            raise problem(
                "rule_unknown_finding", rule=rule, code=code, nearest=nearest(code, codes)
            )
    for threshold in criterion.thresholds:
        if threshold.measure not in measures:
            raise problem(
                "rule_unknown_measure",
                rule=rule,
                measure=threshold.measure,
                nearest=nearest(threshold.measure, measures),
            )
    for box in criterion.regions():
        for measure, interval in box.items():
            if interval.is_empty():
                raise problem("rule_unreachable_threshold", rule=rule, measure=measure)
    if criterion.required_capability and criterion.required_capability not in CAPABILITIES:
        raise problem(
            "rule_unknown_capability",
            rule=rule,
            capability=criterion.required_capability,
            nearest=nearest(criterion.required_capability, CAPABILITIES),
        )
    if action.kind == "manage_locally":
        if action.tier or action.department or criterion.required_capability:
            raise problem("rule_local_with_target", rule=rule)
        return
    if action.tier is None:
        raise problem("rule_referral_without_tier", rule=rule)
    if action.tier == "primary":
        raise problem("rule_refers_to_primary", rule=rule)
    if action.department and action.department not in DEPARTMENTS:
        raise problem(
            "rule_unknown_department",
            department=action.department,
            rule=rule,
            nearest=nearest(action.department, DEPARTMENTS),
        )
    if action.kind == "emergency_transfer" and criterion.priority != "emergency":
        raise problem("rule_transfer_not_emergency", rule=rule)


def _contradict(first: Criterion, second: Criterion) -> bool:
    """Two rules with the same findings whose thresholds overlap must give the same answer
    (the thresholds overlap when a patient can meet both: see `conditions.shared_patient`)."""
    same_findings = set(first.findings_any) == set(second.findings_any) and set(
        first.findings_all
    ) == set(second.findings_all)
    if not same_findings or first.outcome() == second.outcome():
        return False
    return first.condition().shared_patient(second.condition()) is not None


def _check_pair(
    first: Criterion, second: Criterion, first_if: Condition, second_if: Condition
) -> None:
    """Refuse two rules that make the rule set contradict itself, naming both.

    - A rule that can never decide: whenever it applies, a rule of higher priority applies too
      (its conditions imply the other's), and the more pressing rule decides
      (`rules.expected_decision`) at every institution.
    - Two rules of the same priority with different dispositions (keep, refer, transfer) that
      can apply to the same patient: which one the rule set means is not said. Findings never
      exclude one another in the language, so such rules need thresholds that cannot meet, or
      different priorities.

    What counts as "implies" and "the same patient", and what neither sees, is in `conditions`:
    both are sound (a valid rule set is never refused), neither is complete. Not checked here:
    rules of the same priority and disposition that differ in tier or department (the order
    in the rule set decides; `_contradict` refuses them when their findings are the same), and
    a rule covered by several higher-priority rules together.
    """
    rank = PRIORITY_RANK
    for rule, rule_if, other, other_if in (
        (second, second_if, first, first_if),
        (first, first_if, second, second_if),
    ):
        if rank[other.priority] > rank[rule.priority] and rule_if.implies(other_if):
            raise problem("rule_never_decides", rule=rule.id, other=other.id)
    if first.priority != second.priority or first.action.kind == second.action.kind:
        return
    patient = first_if.shared_patient(second_if)
    if patient is not None:
        raise problem(
            "rules_same_priority_disagree",
            rule=first.id,
            other=second.id,
            example=patient.describe(),
        )


# ---- scenarios ------------------------------------------------------------------------------


class Patient(Authored):
    age_years: float = Field(ge=0, le=120)
    sex: Literal["female", "male"]


class Finding(Authored):
    """Something the learner sees at presentation. `id` matches rule-set codes where relevant."""

    id: Code
    label: Label
    text: RequiredText
    measures: dict[Code, float] = Field(default_factory=dict, max_length=10)


class ScriptedDecline(Authored):
    """An institution that declines this patient whatever it can do (no bed, on diversion)."""

    institution_id: Identifier
    reason: Label


#: The parts of the receiving side's answer a learner reads.
ANSWER_PARTS = frozenset({"diagnosis", "treatment", "downward_summary", "instructions"})


class DecisionAnswer(Authored):
    """The answer after a decision of one kind, in place of the default answer (a patient kept
    at home does not read the hospital's discharge summary)."""

    kind: Disposition
    diagnosis: RequiredText
    treatment: RequiredText
    downward_summary: RequiredText
    instructions: list[Label] = Field(default_factory=list, max_length=20)


class ReceivingResponse(Authored):
    """What the receiving side answers: who declines and why, then, from the hospital that
    accepts, the diagnosis, treatment and downward-referral summary with instructions; and,
    optionally, another answer for each kind of decision (`by_decision`).

    Institutions lacking the tier or capability the patient needs decline by themselves
    (see `rules.decline_reason`); `declines` adds the author's own story.
    """

    declines: list[ScriptedDecline] = Field(default_factory=list, max_length=20)
    diagnosis: RequiredText
    treatment: RequiredText
    downward_summary: RequiredText
    instructions: list[Label] = Field(default_factory=list, max_length=20)
    by_decision: list[DecisionAnswer] = Field(default_factory=list, max_length=3)

    @model_serializer(mode="wrap")
    def _without_empty_answers(self, handler) -> dict[str, Any]:
        # Content stored before per-decision answers keeps its fingerprint (no learner notice).
        data = handler(self)
        if not data.get("by_decision"):
            data.pop("by_decision", None)
        return data

    @model_validator(mode="after")
    def _one_decline_per_institution(self) -> "ReceivingResponse":
        repeated = _duplicates(d.institution_id for d in self.declines)
        if repeated:
            raise problem("duplicate_institution", institution=repeated[0])
        repeated = _duplicates(a.kind for a in self.by_decision)
        if repeated:
            raise problem("duplicate_decision_answer", disposition=repeated[0])
        return self

    def answer_for(self, kind: str) -> dict[str, Any]:
        """The answer a learner reads after a decision of this kind (the default without one)."""
        chosen = next((a for a in self.by_decision if a.kind == kind), self)
        return chosen.model_dump(include=set(ANSWER_PARTS))

    def scripted_decline(self, institution_id: str) -> str | None:
        for decline in self.declines:
            if decline.institution_id == institution_id:
                return decline.reason
        return None


class VisitFinding(Authored):
    """What a follow-up visit shows for one monitoring item, if the plan monitors it."""

    item: Code
    text: Label
    abnormal: bool = False


class Visit(Authored):
    """One follow-up visit in virtual time (days after the downward referral)."""

    day: int = Field(ge=1, le=3650)
    findings: list[VisitFinding] = Field(default_factory=list, max_length=40)
    expected_choice: VisitChoice
    explanation: RequiredText

    @model_validator(mode="after")
    def _unique_items(self) -> "Visit":
        repeated = _duplicates(f.item for f in self.findings)
        if repeated:
            raise problem("duplicate_visit_item", day=self.day, item=repeated[0])
        return self


class LetterRequirement(Authored):
    """What this patient's letter must say in one item, such as the drugs given here.

    The item counts only when its text holds one of `accepts` (case and spacing ignored; for
    `key_findings`, one of the finding ids cited) and, with `with_time`, a clock time ("10:20",
    "10点20分") saying when it was given."""

    letter_item: LetterItem
    label: Label
    label_zh: OptionalLabel = ""
    accepts: list[Label] = Field(min_length=1, max_length=20)
    with_time: bool = False


class ReferralScenario(Authored):
    """A patient presenting at one institution of the consortium, and what happens next."""

    id: Identifier
    title: Label
    ruleset_id: Code
    ruleset_version: Version | None = None
    institution_id: Identifier
    arrived_by_downward_referral: bool = False
    patient: Patient
    presentation: RequiredText
    time_course: Text = ""
    findings: list[Finding] = Field(min_length=1, max_length=60)
    receiving_response: ReceivingResponse
    if_not_referred: Text = ""
    visits: list[Visit] = Field(min_length=1, max_length=12)
    letter_requirements: list[LetterRequirement] = Field(default_factory=list, max_length=20)

    @model_validator(mode="after")
    def _consistent(self) -> "ReferralScenario":
        repeated = _duplicates(f.id for f in self.findings)
        if repeated:
            raise problem("duplicate_finding", finding=repeated[0])
        for requirement in self.letter_requirements:
            if requirement.letter_item == "key_findings":
                for code in requirement.accepts:
                    if code not in self.finding_ids:
                        raise problem(
                            "letter_requirement_unknown_finding",
                            finding=code,
                            nearest=nearest(code, self.finding_ids),
                        )
        for previous, visit in zip(self.visits, self.visits[1:], strict=False):
            if visit.day <= previous.day:
                raise problem("visits_out_of_order", day=visit.day, previous=previous.day)
        return self

    @property
    def finding_ids(self) -> set[str]:
        return {f.id for f in self.findings}

    def measure_values(self) -> dict[str, float]:
        """Every number a threshold can test: the findings' measures and the patient's age."""
        values = {"age_years": self.patient.age_years, "age_months": self.patient.age_years * 12}
        for finding in self.findings:
            values.update(finding.measures)
        return values


# ---- learner input --------------------------------------------------------------------------

LetterText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]


class ReferralLetter(Authored):
    """A referral letter shaped like a FHIR ServiceRequest (see `fhir.py`)."""

    reason: LetterText = ""
    history: LetterText = ""
    key_findings: list[Code] = Field(default_factory=list, max_length=30)
    treatment_given: LetterText = ""
    question: LetterText = ""
    supporting_info: list[
        Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)]
    ] = Field(default_factory=list, max_length=20)

    @model_validator(mode="after")
    def _within_size(self) -> "ReferralLetter":
        size = sum(
            len(text) for text in (self.reason, self.history, self.treatment_given, self.question)
        ) + sum(len(text) for text in [*self.supporting_info, *self.key_findings])
        if size > LETTER_SIZE_LIMIT:
            raise problem("letter_too_large", size=size, limit=LETTER_SIZE_LIMIT)
        repeated = _duplicates(self.key_findings)
        if repeated:
            raise problem("duplicate_key_finding", code=repeated[0])
        return self


class ReferralDecision(Authored):
    """The learner's decision about the patient in front of them."""

    disposition: Disposition
    priority: Priority
    target_institution_id: Identifier | None = None
    department: Code | None = None
    letter: ReferralLetter | None = None
    recognised_red_flags: list[Code] = Field(default_factory=list, max_length=60)

    @model_validator(mode="after")
    def _coherent(self) -> "ReferralDecision":
        if self.disposition == "manage_locally":
            if self.target_institution_id or self.department or self.letter:
                raise problem("local_with_target")
        else:
            if not (self.target_institution_id and self.department):
                raise problem("referral_needs_target")
            if self.letter is None:
                raise problem("referral_needs_letter")
            if self.disposition == "emergency_transfer" and self.priority != "emergency":
                raise problem("transfer_not_emergency")
        repeated = _duplicates(self.recognised_red_flags)
        if repeated:
            raise problem("duplicate_red_flag", code=repeated[0])
        return self

    @property
    def refers(self) -> bool:
        return self.disposition != "manage_locally"


class FollowUpPlan(Authored):
    """The learner's follow-up plan after downward referral (bounds checked by the engine)."""

    interval_days: int = Field(ge=1, le=3650)
    monitoring: list[Code] = Field(default_factory=list, max_length=40)
    targets: list[Code] = Field(default_factory=list, max_length=20)
    re_referral_criteria: list[Code] = Field(default_factory=list, max_length=20)

    @model_validator(mode="after")
    def _unique(self) -> "FollowUpPlan":
        for code, codes in (
            ("duplicate_monitoring_choice", self.monitoring),
            ("duplicate_target_choice", self.targets),
            ("duplicate_criterion_choice", self.re_referral_criteria),
        ):
            repeated = _duplicates(codes)
            if repeated:
                raise problem(code, code=repeated[0])
        return self
