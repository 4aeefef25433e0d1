"""What Studio's structured credit editor needs: the settings' schema (activity and rule, from
`credit_export.CreditSettings`) and a label for every field and choice, translated."""

from functools import partial

from credit_export import CreditSettings

from .messages import N_
from .schema_editor import schema_editor_config

FIELD_LABELS = {
    "activity": N_("CME activity, as registered with the CME office"),
    "project_number": N_("Project number"),
    "name": N_("Name as registered"),
    "name_translations": N_("Name in other languages"),
    "level": N_("Level"),
    "credit_class": N_("Class"),
    "credits": N_("Credits (fixed; leave empty to convert hours)"),
    "hours": N_("Hours (converted to credits)"),
    "conversion": N_("Conversion of hours to credits"),
    "hours_per_credit": N_("Hours per credit"),
    "cap": N_("At most this many credits"),
    "step": N_("Rounded down to steps of"),
    "organiser": N_("Organiser"),
    "discipline": N_("Discipline"),
    "start_date": N_("First day"),
    "end_date": N_("Last day"),
    "rule": N_("Credit rule: what a learner must do"),
    "components": N_("Components (none: every case and referral exercise of this unit)"),
    "usage_id": N_("Usage id of the block"),
    "label": N_("Name shown to learners"),
    "min_fraction": N_("Minimum share of its points (0 to 1)"),
    "evaluation_required": N_("The activity evaluation must be answered"),
    "min_minutes": N_("Minimum minutes of study"),
}

VALUE_LABELS = {
    "national": N_("national"),
    "provincial": N_("provincial"),
    "municipal": N_("municipal"),
    "hospital": N_("hospital"),
    "I": N_("Class I"),
    "II": N_("Class II"),
}


#: `editor_config(gettext)`: the form's schema and labels, in the author's language.
editor_config = partial(
    schema_editor_config, model=CreditSettings, fields=FIELD_LABELS, values=VALUE_LABELS
)
