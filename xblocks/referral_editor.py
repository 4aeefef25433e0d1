"""What Studio's structured referral editor needs: the scenario's schema
(`referral_tracking.ReferralScenario`) and a label for every field and choice, translated. The
rule set and the consortium stay JSON (optional, and rarely edited by case authors)."""

from functools import partial

from referral_tracking import ReferralScenario

from .messages import N_
from .referral_view import LETTER_ITEMS, SEX, VISIT_CHOICES
from .schema_editor import schema_editor_config

FIELD_LABELS = {
    "id": N_("Id (letters, digits, - or _)"),
    "title": N_("Title"),
    "ruleset_id": N_("Rule set (id)"),
    "ruleset_version": N_("Rule set version (empty: the newest, kept at save)"),
    "institution_id": N_("Where the learner works (institution id)"),
    "arrived_by_downward_referral": N_("The patient comes back by downward referral"),
    "patient": N_("Patient (de-identified)"),
    "age_years": N_("Age (years)"),
    "sex": N_("Sex"),
    "presentation": N_("Presentation"),
    "time_course": N_("Time course"),
    "findings": N_("Findings at presentation"),
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
    "if_not_referred": N_("What happens if the patient is not referred"),
    "visits": N_("Follow-up visits"),
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
VALUE_LABELS = SEX | VISIT_CHOICES | LETTER_ITEMS

LONG_TEXT = frozenset(
    "presentation time_course text diagnosis treatment downward_summary if_not_referred "
    "explanation".split()
)


#: `editor_config(gettext)`: the form's schema and labels, in the author's language.
editor_config = partial(
    schema_editor_config,
    model=ReferralScenario,
    fields=FIELD_LABELS,
    values=VALUE_LABELS,
    long=LONG_TEXT,
)
