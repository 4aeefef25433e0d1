"""What the rule set asks for at the learner's institution, and how a decision is scored.

The right answer is relative to the learner's own institution: a criterion whose care needs a
capability (PCI, spirometry, a paediatric ward...) or a tier above the learner's is a referral
from a township clinic and local care in a county hospital that has it. When several criteria
match, the most pressing one decides: highest priority, then the furthest-reaching disposition,
then the highest tier, then the order in the rule set.
"""

import re
from collections.abc import Iterable
from typing import Literal

from pydantic import BaseModel, ConfigDict

from .messages import ReferralError
from .schema import (
    DISPOSITION_RANK,
    LETTER_ITEMS,
    PRIORITY_RANK,
    TIER_RANK,
    Consortium,
    Criterion,
    Disposition,
    Institution,
    LetterRequirement,
    Priority,
    ReferralDecision,
    ReferralLetter,
    ReferralScenario,
    RubricWeights,
    RuleSet,
    Tier,
)

#: "critical_under": an emergency missed (kept here, or sent less urgently than an emergency):
#: critical under-triage, 0 points for the decision whatever else was right.
Classification = Literal["correct", "over_referral", "under_referral", "critical_under"]


class ExpectedDecision(BaseModel):
    """The rule set's answer for one scenario at one institution."""

    model_config = ConfigDict(extra="forbid")

    disposition: Disposition
    priority: Priority
    tier: Tier | None = None
    department: str | None = None
    required_capability: str | None = None
    deciding_rule: str | None = None
    matched_rules: list[str] = []
    #: Institutions of the consortium that can take the patient, all at the lowest tier that
    #: can (empty when computed without a consortium or when no referral is needed).
    receiving_institutions: list[str] = []
    receiving_tier: Tier | None = None

    @property
    def refers(self) -> bool:
        return self.disposition != "manage_locally"


class RubricItem(BaseModel):
    """One scored element: `id` is stable ("tier", "letter:question", "monitoring:bp"...)."""

    model_config = ConfigDict(extra="forbid")

    id: str
    kind: str
    subject: str = ""
    points: float
    max_points: float
    #: False for a referral line (kind of referral, department, letter item) when the rule set
    #: asks to manage the patient here: the line is earned by not referring.
    needed: bool = True

    @property
    def met(self) -> bool:
        return self.points >= self.max_points


class RubricResult(BaseModel):
    """The scored referral decision, with the rule set's answer it was compared to."""

    model_config = ConfigDict(extra="forbid")

    items: list[RubricItem]
    classification: Classification
    urgency_error: bool
    missing_letter_items: list[str]
    #: What the exercise required the letter to say and it did not (label, label_zh).
    unmet_letter_requirements: list[dict[str, str]] = []
    missed_red_flags: list[str]
    overcalled_red_flags: list[str]
    expected: ExpectedDecision

    @property
    def points(self) -> float:
        return sum(item.points for item in self.items)

    @property
    def max_points(self) -> float:
        return sum(item.max_points for item in self.items)


def matching_criteria(ruleset: RuleSet, scenario: ReferralScenario) -> list[Criterion]:
    """The criteria whose findings and thresholds match the patient, in rule-set order."""
    present, measures = scenario.finding_ids, scenario.measure_values()
    return [c for c in ruleset.criteria if c.matches(present, measures)]


def handles_locally(criterion: Criterion, institution: Institution) -> bool:
    """Can this institution give the care the criterion asks for itself?"""
    action = criterion.action
    if action.kind == "manage_locally":
        return True
    if action.tier is not None and TIER_RANK[institution.tier] < TIER_RANK[action.tier]:
        return False
    capability = criterion.required_capability
    if capability and capability not in institution.capabilities:
        return False
    return not (action.department and action.department not in institution.departments)


def decline_reason(institution: Institution, expected: ExpectedDecision) -> dict | None:
    """Why a receiving institution cannot take this patient (a message code and params)."""
    if not expected.refers:
        return None
    if expected.tier and TIER_RANK[institution.tier] < TIER_RANK[expected.tier]:
        return {
            "code": "declined_tier_too_low",
            "institution": institution.name,
            "tier": expected.tier,
        }
    capability = expected.required_capability
    if capability and capability not in institution.capabilities:
        return {
            "code": "declined_missing_capability",
            "institution": institution.name,
            "capability": capability,
        }
    return None


def _receivers(
    consortium: Consortium, own: Institution, expected: ExpectedDecision
) -> tuple[list[str], Tier | None]:
    lowest_rank = max(TIER_RANK[own.tier], TIER_RANK[expected.tier or "primary"])
    able = [
        i
        for i in consortium.institutions
        if i.id != own.id
        and TIER_RANK[i.tier] >= lowest_rank
        and decline_reason(i, expected) is None
        and (expected.department is None or expected.department in i.departments)
    ]
    if not able:
        return [], None
    tier_rank = min(TIER_RANK[i.tier] for i in able)
    chosen = [i for i in able if TIER_RANK[i.tier] == tier_rank]
    return [i.id for i in chosen], chosen[0].tier


def answer_at(criterion: Criterion, institution: Institution) -> tuple:
    """What the criterion asks for at this institution: (disposition, priority, tier,
    department, capability); care the institution gives itself is managed here."""
    if handles_locally(criterion, institution):
        return ("manage_locally", criterion.priority, None, None, None)
    action = criterion.action
    return (
        action.kind,
        criterion.priority,
        action.tier,
        action.department,
        criterion.required_capability,
    )


def urgency_key(answer: tuple, order: int = 0) -> tuple:
    """How pressing an answer is: priority, then disposition, then tier, then rule order."""
    return (
        PRIORITY_RANK[answer[1]],
        DISPOSITION_RANK[answer[0]],
        TIER_RANK.get(answer[2] or "", 0),
        -order,
    )


def most_pressing(
    criteria: list[Criterion], institution: Institution
) -> tuple[tuple, tuple, str] | None:
    """(key, answer, rule id) of the most pressing criterion at this institution, or None."""
    best: tuple | None = None
    for order, criterion in enumerate(criteria):
        answer = answer_at(criterion, institution)
        key = urgency_key(answer, order)
        if best is None or key > best[0]:
            best = (key, answer, criterion.id)
    return best


def expected_decision(
    ruleset: RuleSet,
    scenario: ReferralScenario,
    institution: Institution,
    consortium: Consortium | None = None,
) -> ExpectedDecision:
    """The rule set's answer for this scenario when the learner works at `institution`.

    With a consortium, also the institutions that can receive the patient; raises
    ReferralError("no_receiving_institution...") when none can (the exercise cannot be played).
    """
    return expected_for(
        ruleset, scenario.finding_ids, scenario.measure_values(), institution, consortium
    )


def expected_for(
    ruleset: RuleSet,
    present: set[str],
    measures: dict[str, float],
    institution: Institution,
    consortium: Consortium | None = None,
) -> ExpectedDecision:
    """The rule set's answer for a patient given as findings and measures (see
    `expected_decision`)."""
    matched = [c for c in ruleset.criteria if c.matches(present, measures)]
    best = most_pressing(matched, institution)
    if best is None:
        return ExpectedDecision(disposition="manage_locally", priority=ruleset.default_priority)
    (disposition, priority, tier, department, capability), rule = best[1], best[2]
    expected = ExpectedDecision(
        disposition=disposition,
        priority=priority,
        tier=tier,
        department=department,
        required_capability=capability,
        deciding_rule=rule,
        matched_rules=[c.id for c in matched],
    )
    if consortium is None or not expected.refers:
        return expected
    receivers, receiving_tier = _receivers(consortium, institution, expected)
    if not receivers:
        needs = {"department": department, "capability": capability}
        code = (
            "no_receiving_institution"
            + {
                (True, True): "_both",
                (True, False): "_department",
                (False, True): "_capability",
                (False, False): "",
            }[(bool(department), bool(capability))]
        )
        raise ReferralError(code, rule=rule, tier=tier, **{k: v for k, v in needs.items() if v})
    return expected.model_copy(
        update={"receiving_institutions": receivers, "receiving_tier": receiving_tier}
    )


def misses_emergency(expected: ExpectedDecision, decision: ReferralDecision) -> bool:
    """Critical under-triage: the rule set asks for emergency care and the learner keeps the
    patient when a transfer is needed, or gives a lower urgency than an emergency."""
    if expected.priority != "emergency":
        return False
    return decision.priority != "emergency" or (expected.refers and not decision.refers)


def classify(
    expected: ExpectedDecision, decision: ReferralDecision, consortium: Consortium
) -> Classification:
    """Critical under-triage (an emergency missed), correct, over-referral (sent when not
    needed or higher than needed) or under-referral (kept when a referral was needed, or sent
    somewhere that cannot give the care)."""
    if misses_emergency(expected, decision):
        return "critical_under"
    if not expected.refers:
        return "over_referral" if decision.refers else "correct"
    if not decision.refers:
        return "under_referral"
    target = consortium.institution(decision.target_institution_id or "")
    if decline_reason(target, expected) is not None:
        return "under_referral"
    enough = expected.receiving_tier or expected.tier or "secondary"
    if TIER_RANK[target.tier] > TIER_RANK[enough]:
        return "over_referral"
    return "correct"


#: The least a free-text letter item holds to count: a CJK character or a word is one unit.
MIN_LETTER_UNITS = 3
#: A time of day as a letter writes it: 10:20, 10：20, 10点, 10时30分.
CLOCK_TIME = re.compile(r"\b\d{1,2}\s*[:：]\s*\d{2}\b|\d{1,2}\s*[点时]")
_UNITS = re.compile(r"[\u3400-\u9fff]|[^\W\d_]{2,}|\d+")


def substantive(text: str) -> bool:
    """Does the text say something (three words or characters), not "ok" or "--"?"""
    return len(_UNITS.findall(text)) >= MIN_LETTER_UNITS


def _folded(text: str) -> str:
    return " ".join(text.casefold().split())


def _item_text(letter: ReferralLetter, item: str) -> str:
    if item == "supporting_info":
        return " | ".join(letter.supporting_info)
    if item == "key_findings":
        return " ".join(letter.key_findings)
    return getattr(letter, item)


def requirement_met(letter: ReferralLetter, requirement: LetterRequirement) -> bool:
    """Does the letter's item hold one of the things the exercise requires it to say?"""
    if requirement.letter_item == "key_findings":
        return bool(set(letter.key_findings) & set(requirement.accepts))
    text = _folded(_item_text(letter, requirement.letter_item))
    if requirement.with_time and not CLOCK_TIME.search(text):
        return False
    return any(_folded(accepted) in text for accepted in requirement.accepts)


def unmet_requirements(
    decision: ReferralDecision, requirements: Iterable[LetterRequirement]
) -> list[dict[str, str]]:
    """The exercise's letter requirements a referral's letter does not meet (none when kept)."""
    if not decision.refers or decision.letter is None:
        return []
    return [
        {"letter_item": r.letter_item, "label": r.label, "label_zh": r.label_zh}
        for r in requirements
        if not requirement_met(decision.letter, r)
    ]


def letter_item_filled(
    letter: ReferralLetter | None,
    item: str,
    red_flags: set[str],
    requirements: Iterable[LetterRequirement] = (),
) -> bool:
    """Is this item of the letter written with content? Key findings must cite every red flag
    present (or some finding when there is none); a text item must say something
    (`substantive`); and each of the exercise's requirements on the item must be met."""
    if letter is None:
        return False
    if item == "key_findings":
        cited = set(letter.key_findings)
        written = bool(cited) and red_flags <= cited
    elif item == "supporting_info":
        written = any(substantive(entry) for entry in letter.supporting_info)
    else:
        written = substantive(getattr(letter, item))
    return written and all(
        requirement_met(letter, r) for r in requirements if r.letter_item == item
    )


def red_flag_points(weight: float, present: set[str], recognised: set[str]) -> float:
    """The red-flag item, scored whether or not the patient has red flags.

    Its maximum is the same for every patient of the rule set, so that it says nothing about
    how many red flags are present. Each red flag missed, and each named but not present,
    costs an equal share: one share per red flag present, the whole item when there is none
    (naming one for a patient without red flags costs it).
    """
    shares = max(len(present), 1)
    errors = len(present - recognised) + len(recognised - present)
    return round(weight * max(0, shares - errors) / shares, 2)


def _not_needed_items(
    weights: RubricWeights,
    expected: ExpectedDecision,
    decision: ReferralDecision,
    letter_earned: dict[str, bool],
) -> tuple[list[RubricItem], list[RubricItem]]:
    """The referral lines when the rule set keeps the patient here: earned by not referring.
    A learner who refers anyway loses the kind and the department (the over-referral) but a
    letter item written with content still counts: over-referral is weighed by its harm."""
    kept = not decision.refers

    def line(line_id: str, kind: str, subject: str, weight: int, earned: bool) -> RubricItem:
        points = weight if earned else 0
        return RubricItem(
            id=line_id, kind=kind, subject=subject, points=points, max_points=weight, needed=False
        )

    return (
        [
            line("disposition", "disposition", expected.disposition, weights.disposition, kept),
            line("department", "department", "", weights.department, kept),
        ],
        [
            line(f"letter:{i}", "letter", i, weights.letter_item, kept or letter_earned[i])
            for i in LETTER_ITEMS
        ],
    )


def _referral_items(
    weights: RubricWeights,
    expected: ExpectedDecision,
    decision: ReferralDecision,
    letter_earned: dict[str, bool],
) -> tuple[list[RubricItem], list[RubricItem]]:
    """(the kind of referral and the department, each letter item): the same lines for every
    decision of the rule set, so that the rubric's maximum never tells whether a referral is
    expected.

    When the rule set refers, each line is earned by the referral's own merit (an emergency
    sent as an ordinary referral loses the kind; a patient kept here loses them all). When it
    asks to manage the patient here, see `_not_needed_items`.
    """
    if not expected.refers:
        return _not_needed_items(weights, expected, decision, letter_earned)
    # A rule whose action names no department takes any department the receiver has (the
    # engine has checked that the chosen one exists there).
    right_department = decision.refers and (
        expected.department is None or decision.department == expected.department
    )
    referral = [
        # An emergency sent as an ordinary upward referral (or the reverse) reaches the right
        # hospital but not in the right way: a line of its own, not hidden in the urgency.
        RubricItem(
            id="disposition",
            kind="disposition",
            subject=expected.disposition,
            points=weights.disposition if decision.disposition == expected.disposition else 0,
            max_points=weights.disposition,
        ),
        RubricItem(
            id="department",
            kind="department",
            subject=expected.department or "",
            points=weights.department if right_department else 0,
            max_points=weights.department,
        ),
    ]
    letter = [
        RubricItem(
            id=f"letter:{item}",
            kind="letter",
            subject=item,
            points=weights.letter_item if decision.refers and letter_earned[item] else 0,
            max_points=weights.letter_item,
        )
        for item in LETTER_ITEMS
    ]
    return referral, letter


def tier_points(weights: RubricWeights, classification: Classification) -> float:
    """The referral level: all of it when correct, a share for an over-referral (less harm),
    nothing for an under-referral or a missed emergency."""
    if classification == "correct":
        return weights.tier
    if classification == "over_referral":
        return round(weights.tier * weights.over_referral_share, 2)
    return 0


def urgency_points(weights: RubricWeights, expected: Priority, chosen: Priority) -> float:
    """The urgency: all of it when right, a share when more urgent than needed, nothing when
    less urgent (the harmful direction)."""
    if chosen == expected:
        return weights.urgency
    if PRIORITY_RANK[chosen] > PRIORITY_RANK[expected]:
        return round(weights.urgency * weights.over_triage_share, 2)
    return 0


def score_decision(
    ruleset: RuleSet,
    scenario: ReferralScenario,
    institution: Institution,
    decision: ReferralDecision,
    consortium: Consortium,
) -> RubricResult:
    """Score a referral decision item by item against the rule set's answer.

    Every decision of a rule set is scored on the same lines (see `_referral_items`): the
    maximum is the rule set's, whatever the patient needs. A missed emergency (critical
    under-triage) scores 0 on every line: no part of such a decision is "correct"."""
    weights = ruleset.weights
    expected = expected_decision(ruleset, scenario, institution, consortium)
    classification = classify(expected, decision, consortium)
    present = scenario.finding_ids & ruleset.red_flag_ids
    requirements = scenario.letter_requirements
    letter_earned = {
        item: letter_item_filled(decision.letter, item, present, requirements)
        for item in LETTER_ITEMS
    }
    referral, letter = _referral_items(weights, expected, decision, letter_earned)
    items = [
        RubricItem(
            id="tier",
            kind="tier",
            points=tier_points(weights, classification),
            max_points=weights.tier,
        ),
        *referral,
        RubricItem(
            id="urgency",
            kind="urgency",
            points=urgency_points(weights, expected.priority, decision.priority),
            max_points=weights.urgency,
        ),
    ]
    recognised = set(decision.recognised_red_flags)
    if ruleset.red_flags:
        items.append(
            RubricItem(
                id="red_flags",
                kind="red_flags",
                points=red_flag_points(weights.red_flag, present, recognised),
                max_points=weights.red_flag,
            )
        )
    items += letter
    if classification == "critical_under":
        items = [item.model_copy(update={"points": 0}) for item in items]
    return RubricResult(
        items=items,
        classification=classification,
        urgency_error=decision.priority != expected.priority,
        missing_letter_items=[i for i in LETTER_ITEMS if decision.refers and not letter_earned[i]],
        unmet_letter_requirements=unmet_requirements(decision, requirements),
        missed_red_flags=sorted(present - recognised),
        overcalled_red_flags=sorted(recognised - present),
        expected=expected,
    )
