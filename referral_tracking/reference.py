"""The closed vocabularies an author writes codes from, as the reference section of
docs/olx-cme-referral.md (a test keeps the section equal to what this writes)."""

from .catalog import SHIPPED_RULESETS
from .schema import CAPABILITIES, DEPARTMENTS, LETTER_ITEMS, RuleSet, Term

START = "<!-- closed vocabularies: written by referral_tracking.reference -->"
END = "<!-- end of the closed vocabularies -->"

#: The three tiers of graded care and the institutions each holds.
TIER_MEANINGS = {
    "primary": "primary care: village clinic (村卫生室), township health centre (乡镇卫生院), "
    "community health service centre (社区卫生服务中心)",
    "secondary": "secondary care: county hospital (县医院)",
    "tertiary": "tertiary care: city or provincial hospital (三级医院)",
}
PRIORITY_MEANINGS = {
    "routine": "an appointment in the coming weeks (FHIR routine)",
    "urgent": "seen within a day or two (FHIR urgent)",
    "emergency": "now, without delay (FHIR asap; stat for an emergency transfer)",
}
DISPOSITION_MEANINGS = {
    "manage_locally": "manage at the learner's own institution",
    "refer_upward": "refer upward with a letter",
    "emergency_transfer": "transfer now, escorted, with a letter (priority emergency)",
}
VISIT_CHOICE_MEANINGS = {
    "continue": "continue the plan",
    "adjust": "adjust the treatment or the plan",
    "re_refer": "refer upward again",
}


def _table(title: str, rows: dict[str, str]) -> list[str]:
    lines = [f"**{title}**", "", "| code | meaning |", "| --- | --- |"]
    lines += [f"| `{code}` | {meaning} |" for code, meaning in rows.items()]
    return [*lines, ""]


def _terms(terms: list[Term], unit: bool = False) -> str:
    def one(term) -> str:
        extra = f", {term.unit}" if unit and getattr(term, "unit", "") else ""
        return f"`{term.id}` ({term.label}{extra})"

    return "; ".join(one(term) for term in terms) or "none"


def _ruleset_lines(ruleset: RuleSet) -> list[str]:
    follow_up = ruleset.follow_up
    return [
        f"**`{ruleset.id}` {ruleset.version}** ({ruleset.title})",
        "",
        f"- red flags: {_terms(ruleset.red_flags)}",
        f"- other findings: {_terms(ruleset.findings)}",
        f"- measures: {_terms(ruleset.measures, unit=True)}",
        f"- monitoring items (a visit's `item`): {_terms(follow_up.monitoring_items)}",
        f"- targets: {_terms(follow_up.targets)}",
        f"- re-referral criteria: {_terms(follow_up.re_referral_criteria)}",
        "",
    ]


def vocabulary_reference() -> str:
    """The reference section: every closed vocabulary, and the codes of each shipped rule set
    at its newest version (withdrawn versions are kept for the record, not for new exercises)."""
    lines = [START, ""]
    lines += _table("Tiers (an institution's `tier`, a rule's `tier`)", TIER_MEANINGS)
    lines += _table("Priorities (urgency)", PRIORITY_MEANINGS)
    lines += _table("Dispositions (a rule's `kind`)", DISPOSITION_MEANINGS)
    lines += _table("Capabilities (an institution's `capabilities`)", CAPABILITIES)
    lines += _table("Departments (an institution's `departments`, a rule's)", DEPARTMENTS)
    lines += _table(
        "Letter items (`letter-item`)", {item: item.replace("_", " ") for item in LETTER_ITEMS}
    )
    lines += _table("Visit choices (`expected-choice`)", VISIT_CHOICE_MEANINGS)
    for ruleset_id in SHIPPED_RULESETS.ids():
        lines += _ruleset_lines(SHIPPED_RULESETS.load(ruleset_id))
    return "\n".join([*lines, END])


def with_reference(document: str) -> str:
    """`document` with its reference section replaced by the current one."""
    head, _, rest = document.partition(START)
    _, _, tail = rest.partition(END)
    return head + vocabulary_reference() + tail
