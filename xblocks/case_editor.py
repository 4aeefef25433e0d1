"""What Studio's structured case editor needs: the case schema and its labels, translated.

The editor's form is drawn from `Case.model_json_schema()` (the schema is written once, in
pydantic); here every field and every choice gets a label an author reads in their language.
"""

from functools import partial

from case_teaching import Case
from case_teaching.clinical_scores import SCORES

from .messages import N_
from .schema_editor import schema_editor_config

FIELD_LABELS = {
    "id": N_("Id (letters, digits, - or _)"),
    "version": N_("Version"),
    "title": N_("Title"),
    "summary": N_("Summary (HTML)"),
    "summary_after_case": N_(
        "Show the summary and objectives only at the end (they give answers away)"
    ),
    "discipline": N_("Discipline"),
    "target_tiers": N_("For institutions of tier"),
    "target_titles": N_("For professional titles"),
    "learning_objectives": N_("Learning objectives (one per line)"),
    "competencies": N_("Competencies (one per line)"),
    "estimated_minutes": N_("Estimated minutes"),
    "authors": N_("Authors (one per line)"),
    "guidelines": N_("Guideline references"),
    "issuer": N_("Issued by"),
    "year": N_("Year"),
    "url": N_("Web address"),
    "section": N_("Section the case relies on"),
    "patient": N_("Patient (de-identified)"),
    "weight_kg": N_("Weight (kg)"),
    "age_years": N_("Age (years)"),
    "age_months": N_("and months"),
    "sex": N_("Sex"),
    "setting": N_("Where the patient presents"),
    "scoring": N_("Scoring"),
    "pass_threshold": N_("Pass mark (a share from 0 to 1, or a percentage such as 75)"),
    "max_attempts": N_("Attempts per question"),
    "allow_restart": N_("Learners may start again"),
    "currency": N_("Currency (3 letters)"),
    "stages": N_("Stages"),
    "content": N_("What the learner reads (HTML)"),
    "media": N_("Images, video and audio"),
    "kind": N_("Kind"),
    "src": N_("File address"),
    "alt": N_("Text alternative (images)"),
    "transcript": N_("Transcript (video and audio)"),
    "caption": N_("Caption"),
    "findings": N_("Findings on request"),
    "scores": N_("Computed clinical scores"),
    "inputs": N_("Criteria"),
    "criterion": N_("Criterion"),
    "finding": N_("Revealed by finding (id; empty: said in the stage text)"),
    "label": N_("What the learner asks for"),
    "relevance": N_("Relevance"),
    "points": N_("Points"),
    "cost": N_("Cost of asking"),
    "minutes": N_("Minutes"),
    "money": N_("Money"),
    "penalty": N_("Penalty (points)"),
    "result": N_("Result shown once asked (HTML)"),
    "value": N_("Value"),
    "unit": N_("Unit"),
    "normal_range": N_("Normal range"),
    "feedback": N_("Feedback (HTML)"),
    "questions": N_("Questions"),
    "prompt": N_("Question (HTML)"),
    "required": N_("Must be answered to continue"),
    "commentary": N_("Expert commentary after the answer (HTML)"),
    "options": N_("Options"),
    "text": N_("Text"),
    "correct": N_("Correct"),
    "credit": N_("Partial credit (0 to 1)"),
    "harmful": N_("Harmful (loses the question)"),
    "votes": N_("Expert panel votes"),
    "partial_credit": N_("Partial credit rule"),
    "max_selections": N_("At most this many choices"),
    "correct_order": N_("Correct order (option ids, one per line)"),
    "hypothesis": N_("If you were thinking of"),
    "new_information": N_("and then you find (HTML)"),
    "formula": N_("Formula from the patient (instead of a fixed value)"),
    "per_kg": N_("Per kg of body weight"),
    "per_year": N_("Per year of age"),
    "fixed": N_("Plus a fixed amount"),
    "maximum": N_("At most (e.g. the adult dose)"),
    "tolerance": N_("Accepted within ± (in the unit)"),
    "tolerance_percent": N_("Accepted within ± (%)"),
    "decimals": N_("Decimals shown"),
    "min_chars": N_("At least this many characters"),
    "max_chars": N_("At most this many characters"),
    "branches": N_("Branches (tried in order)"),
    "to": N_("Go to stage"),
    "question": N_("When the answer to question"),
    "score_at_least": N_("When the score so far is at least"),
    "score_below": N_("When the score so far is below"),
    "next_stage": N_("Next stage (when no branch applies)"),
    "ending": N_("This stage ends the case"),
}

VALUE_LABELS = {
    "primary": N_("primary care"),
    "secondary": N_("secondary hospital"),
    "tertiary": N_("tertiary hospital"),
    "junior": N_("junior"),
    "intermediate": N_("intermediate"),
    "senior": N_("senior"),
    "female": N_("female"),
    "male": N_("male"),
    "image": N_("Image"),
    "video": N_("Video"),
    "audio": N_("Audio"),
    "history": N_("History"),
    "examination": N_("Examination"),
    "investigation": N_("Investigation"),
    "essential": N_("Essential"),
    "useful": N_("Useful"),
    "unnecessary": N_("Not needed"),
    "harmful": N_("Harmful"),
    "single_choice": N_("Single choice"),
    "multiple_choice": N_("Multiple choice"),
    "key_feature": N_("Key feature (only critical decisions score)"),
    "ranking": N_("Ranking (order a differential)"),
    "script_concordance": N_("Script concordance (expert panel)"),
    "reflection": N_("Free-text reflection (ungraded)"),
    "numeric": N_("Numeric (dose, volume, rate)"),
    "curb65": N_("CURB-65"),
    "cha2ds2_vasc": N_("CHA2DS2-VASc"),
    "gcs": N_("Glasgow Coma Scale"),
    "wells_pe": N_("Wells score for pulmonary embolism"),
    "wells_dvt": N_("Wells score for deep-vein thrombosis"),
    "all_or_nothing": N_("All or nothing"),
    "right_minus_wrong": N_("Right minus wrong"),
    "per_option": N_("Per option"),
    "pairwise": N_("Pairs in the right order"),
}

#: Each criterion of the computed scores, as the score names it.
VALUE_LABELS |= {
    code: criterion.label for score in SCORES.values() for code, criterion in score.criteria.items()
}

#: Fields holding author HTML or long text: a text area rather than a line.
LONG_TEXT = frozenset(
    "summary content result feedback prompt commentary new_information transcript".split()
)


#: `editor_config(gettext)`: the form's schema and labels, in the author's language.
editor_config = partial(
    schema_editor_config, model=Case, fields=FIELD_LABELS, values=VALUE_LABELS, long=LONG_TEXT
)
