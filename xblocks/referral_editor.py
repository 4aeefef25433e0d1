"""What Studio's structured referral editor needs: the scenario's schema
(`referral_tracking.ReferralScenario`) and a label for every field and choice, translated. The
rule set and the consortium stay JSON (optional, and rarely edited by case authors)."""

from typing import Any

from referral_tracking import Consortium, ReferralScenario, RuleSet, shipped_ruleset_versions

from .messages import N_
from .referral_view import DISPOSITIONS, LETTER_ITEMS, SEX, TIERS, VISIT_CHOICES
from .schema_editor import schema_editor_config

FIELD_LABELS = {
    "id": N_("Id (lower-case letters a-z, digits, - or _)"),
    "title": N_("Title"),
    "ruleset_id": N_("Rule set (id)"),
    "ruleset_version": N_("Rule set version (empty: the newest, kept at save)"),
    "institution_id": N_("Where the learner works (an institution of the consortium)"),
    "arrived_by_downward_referral": N_("The patient comes back by downward referral"),
    "patient": N_("Patient (de-identified)"),
    "age_years": N_("Age (years)"),
    "sex": N_("Sex"),
    "presentation": N_("Presentation"),
    "time_course": N_("Time course"),
    "findings": N_("Findings at presentation"),
    "findings.id": N_("Id: a finding of the rule set (its rules read it), or your own id"),
    "label": N_("Label"),
    "text": N_("Text"),
    "measures": N_("Measured values for the rule set"),
    "receiving_response": N_("The receiving side"),
    "declines": N_("Hospitals that decline"),
    "reason": N_("Reason"),
    "diagnosis": N_("Diagnosis"),
    "treatment": N_("Treatment"),
    "downward_summary": N_("Downward-referral summary"),
    "instructions": N_("Instructions for follow-up (one per line)"),
    "by_decision": N_("Another answer after a decision of one kind (e.g. a patient kept here)"),
    "kind": N_("After the decision"),
    "if_not_referred": N_("What happens if the patient is not referred"),
    "visits": N_("Follow-up visits"),
    "visits.findings": N_("Findings at this visit"),
    "visits.findings.text": N_("What the learner sees if the plan monitors it"),
    "day": N_("Day after the downward referral"),
    "item": N_("Monitoring item"),
    "abnormal": N_("Abnormal"),
    "expected_choice": N_("The right choice at this visit"),
    "explanation": N_("Explanation"),
    "letter_requirements": N_("What this patient's referral letter must say"),
    "letter_item": N_("Letter item"),
    "label_zh": N_("Label in Chinese"),
    "accepts": N_("Words or phrases that meet it (any one; for key findings, finding ids)"),
    "with_time": N_("It must also say when (a clock time)"),
}

#: The choices as the learner's page names them.
VALUE_LABELS = SEX | VISIT_CHOICES | LETTER_ITEMS | DISPOSITIONS

LONG_TEXT = frozenset(
    "presentation time_course text diagnosis treatment downward_summary if_not_referred "
    "explanation".split()
)


#: What a list's items are called when they have no title of their own ("Visit 1").
ITEM_NAMES = {"visits": N_("Visit"), "by_decision": N_("Answer")}


def _institutions(consortium: Consortium, gettext, chinese: bool) -> list[dict[str, str]]:
    def name(institution) -> str:
        return (chinese and institution.name_zh) or institution.name

    return [
        {"value": i.id, "label": f"{name(i)} ({gettext(TIERS[i.tier])})"}
        for i in consortium.institutions
    ]


def _terms(terms, chinese: bool) -> list[dict[str, str]]:
    return [{"value": t.id, "label": (chinese and t.label_zh) or t.label} for t in terms]


def suggestions(
    consortium: Consortium, ruleset: RuleSet | None, gettext, chinese: bool = False
) -> dict[str, Any]:
    """The codes the form offers as suggestions, by field path without indexes: the
    consortium's institutions, the shipped rule sets, and the findings and monitoring items of
    the scenario's rule set (None: the rule set cannot be read yet)."""
    offered = {
        "institution_id": _institutions(consortium, gettext, chinese),
        "receiving_response.declines.institution_id": _institutions(consortium, gettext, chinese),
        "ruleset_id": [
            {"value": code, "label": ", ".join(versions)}
            for code, versions in shipped_ruleset_versions().items()
        ],
    }
    if ruleset is not None:
        offered["findings.id"] = _terms([*ruleset.red_flags, *ruleset.findings], chinese)
        offered["visits.findings.item"] = _terms(ruleset.follow_up.monitoring_items, chinese)
        offered["findings.measures"] = _terms(ruleset.measures, chinese)
    return offered


def editor_config(gettext, offered: dict[str, Any] | None = None) -> dict[str, Any]:
    """The form's schema and labels in the author's language, with the codes it suggests."""
    config = schema_editor_config(
        gettext, model=ReferralScenario, fields=FIELD_LABELS, values=VALUE_LABELS, long=LONG_TEXT
    )
    config["suggest"] = offered or {}
    config["item_names"] = {name: gettext(label) for name, label in ITEM_NAMES.items()}
    return config
