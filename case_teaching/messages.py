"""English templates for every problem the case domain reports, keyed by a stable code.

The domain never translates: it raises `CaseError(code, **params)` (or, inside pydantic
validators, `PydanticCustomError(code, MESSAGES[code], params)`); the Open edX adapter looks
the code up and translates the template. Each template names the thing at fault (stage,
finding, question, option, branch, line) so that an author or a learner can fix it.
"""


def N_(message: str) -> str:  # the gettext convention: mark now, translate later
    return message


#: The classic stages of a clinical case, offered to an author who starts a new case.
#: Authors rename, add, remove and reorder them freely.
DEFAULT_STAGE_TITLES: dict[str, str] = {
    "presentation": N_("Presentation"),
    "history": N_("History"),
    "examination": N_("Examination"),
    "investigations": N_("Investigations"),
    "differential": N_("Differential diagnosis"),
    "management": N_("Management"),
    "outcome": N_("Outcome"),
}

MESSAGES: dict[str, str] = {
    # ---- author HTML, media, text -------------------------------------------------------
    "blank_text": N_("{field} is empty; write something here."),
    "text_control_character": N_(
        "{field} contains an invisible control character ({character}) that a course export cannot "
        "hold; delete it (retype the text around it if need be)."
    ),
    "bad_identifier": N_(
        '"{value}" cannot be used as an id: use 1-64 lower-case letters, digits, "-" or "_", '
        "starting with a letter or digit."
    ),
    "media_needs_alt": N_('The image "{src}" needs alternative text for screen-reader users.'),
    "media_needs_transcript": N_(
        'The {kind} "{src}" needs a transcript for learners who cannot hear or play it.'
    ),
    "media_bad_src": N_(
        'The media address "{src}" must be an http(s) address or a path on this site.'
    ),
    # ---- findings -----------------------------------------------------------------------
    "finding_points_not_relevant": N_(
        'Finding "{finding}" is {relevance} but awards {points} points; only essential or '
        "useful findings earn points."
    ),
    # ---- questions and options ----------------------------------------------------------
    "question_too_few_options": N_('Question "{question}" needs at least two options.'),
    "duplicate_option": N_('Question "{question}" has option "{option}" more than once.'),
    "option_field_not_used": N_(
        'Option "{option}" of question "{question}" sets "{setting}", which a {kind} question '
        "does not use."
    ),
    "single_choice_needs_one_correct": N_(
        'Question "{question}" must mark exactly one option as correct; it marks {count}.'
    ),
    "credit_on_correct_option": N_(
        'Option "{option}" of question "{question}" is the correct answer and always earns full '
        "credit; remove its partial credit."
    ),
    "choice_needs_correct": N_('Question "{question}" marks no option as correct.'),
    "choice_all_correct": N_(
        'Every option of question "{question}" is marked correct: a learner who ticks '
        "everything would earn full credit."
    ),
    "max_selections_too_small": N_(
        'Question "{question}" allows {max_selections} selections but has {correct} correct '
        "options: no learner could earn full credit."
    ),
    "max_selections_too_large": N_(
        'Question "{question}" allows {max_selections} selections but has only {options} options.'
    ),
    "harmful_and_correct": N_(
        'Option "{option}" of question "{question}" is marked both correct and harmful.'
    ),
    "harmful_with_credit": N_(
        'Option "{option}" of question "{question}" is marked harmful and also earns partial '
        "credit; a harmful choice earns nothing."
    ),
    "key_feature_limit_allows_everything": N_(
        'Key-feature question "{question}" lets learners choose up to {max_selections} options '
        "but has only {safe} options that are not harmful: ticking every one of them would earn "
        "full marks. Set the limit below {safe}, or add options."
    ),
    "key_feature_limit_not_close": N_(
        'Key-feature question "{question}" lets learners choose up to {max_selections} options '
        "for {correct} key features; keep the limit close to the number of keys (at most "
        "{most})."
    ),
    "sct_one_attempt": N_(
        'Script-concordance question "{question}" allows {attempts} attempts; it measures a '
        "first judgement, so it allows one."
    ),
    "numeric_needs_one_key": N_(
        'Numeric question "{question}" needs either a fixed value or a formula as its answer, '
        "not both and not neither."
    ),
    "numeric_formula_needs_weight": N_(
        'Numeric question "{question}" computes its answer per kilogram: give the patient\'s '
        "weight."
    ),
    "score_unknown_criterion": N_(
        'Score "{score}" has no criterion "{criterion}"; its criteria are {criteria}.'
    ),
    "score_duplicate_criterion": N_(
        'Score "{score}" gives criterion "{criterion}" more than once.'
    ),
    "score_value_out_of_range": N_(
        'Criterion "{criterion}" of score "{score}" is {value}; it must be from {low} to {high}.'
    ),
    "score_missing_criteria": N_('Score "{score}" does not say: {criteria}.'),
    "score_unknown_finding": N_(
        'Score "{score}" is revealed by finding "{finding}", which is not a finding of this case.'
    ),
    "ranking_order_mismatch": N_(
        'The correct order of question "{question}" must list each of its options exactly once.'
    ),
    "ranking_shown_in_key_order": N_(
        'The options of question "{question}" are listed in the correct order, so learners would '
        "see the answer; list them in another order."
    ),
    "panel_without_votes": N_(
        'Question "{question}" has no expert panel votes; at least one panelist must have voted.'
    ),
    "reflection_bounds": N_(
        'Reflection "{question}" asks for at least {min_chars} characters but allows at most '
        "{max_chars}."
    ),
    # ---- stages, branches, the case as a whole ------------------------------------------
    "case_without_stages": N_("The case has no stages."),
    "duplicate_id": N_('The id "{id}" is used more than once ({what}); ids must be unique.'),
    "unknown_stage": N_('Stage "{stage}" leads to "{target}", which is not a stage of this case.'),
    "branch_without_condition": N_(
        'Branch "{branch}" of stage "{stage}" has no condition; a branch needs a chosen option '
        "or a score condition (otherwise use the stage's next stage)."
    ),
    "branch_options_without_question": N_(
        'Branch "{branch}" of stage "{stage}" names options but no question.'
    ),
    "branch_question_without_options": N_(
        'Branch "{branch}" of stage "{stage}" names question "{question}" but none of its options.'
    ),
    "branch_unknown_question": N_(
        'Branch "{branch}" of stage "{stage}" depends on question "{question}", which is not a '
        "question of that stage."
    ),
    "branch_question_kind": N_(
        'Branch "{branch}" of stage "{stage}" depends on question "{question}"; only '
        "single-choice, multiple-choice, key-feature and script-concordance questions can route."
    ),
    "branch_unknown_option": N_(
        'Branch "{branch}" of stage "{stage}" depends on option "{option}", which question '
        '"{question}" does not have.'
    ),
    "branch_empty_score_range": N_(
        'Branch "{branch}" of stage "{stage}" needs a score of at least {at_least} and below '
        "{below}: no score fits."
    ),
    "ending_with_next": N_(
        'Stage "{stage}" is an ending, so it cannot lead on to other stages; remove its next '
        "stage and branches, or make it a normal stage."
    ),
    "stage_dead_end": N_(
        'Stage "{stage}" is a dead end: it is not an ending and has no next stage.'
    ),
    "stage_cycle": N_(
        'Stage "{stage}" leads back to itself through {via}; branches must not loop.'
    ),
    "stage_unreachable": N_('No path from the first stage "{start}" reaches stage "{stage}".'),
    "detour_outscores_expert_path": N_(
        'The path through stage "{stage}" can earn {points} points, more than the '
        "{expert_points} points of the expert path; a detour must not pay better than the right "
        "decisions."
    ),
    # ---- learner actions ----------------------------------------------------------------
    "action_replayed": N_(
        "This step ({step}) was already taken; the case is at step {expected}. Reload the page."
    ),
    "action_out_of_sequence": N_(
        "This step ({step}) is ahead of the case, which is at step {expected}. Reload the page."
    ),
    "case_completed": N_("You have finished this case; nothing more can be changed."),
    # Learners are told which question by its number in the stage, an excerpt of its prompt
    # and the stage's title (what they see), never by an internal id.
    "unknown_finding": N_("The finding you asked for is not part of this case. Reload the page."),
    "finding_not_available": N_(
        'That finding cannot be requested at the stage you are at ("{stage_title}"). Reload the '
        "page."
    ),
    "finding_already_requested": N_('You already requested "{label}".'),
    "question_not_available": N_(
        'That question is not part of the stage you are at ("{stage_title}"). Reload the page.'
    ),
    "question_closed": N_(
        'Question {number} of "{stage_title}" ("{prompt}") is closed: its answer is final and '
        "its commentary is shown."
    ),
    "attempts_exhausted": N_(
        'You have used all {attempts} attempts at question {number} of "{stage_title}" '
        '("{prompt}").'
    ),
    "answer_needs_text": N_(
        'Question {number} of "{stage_title}" ("{prompt}") asks for a written reflection.'
    ),
    "answer_needs_order": N_(
        'Question {number} of "{stage_title}" ("{prompt}") asks you to put its options in order.'
    ),
    "answer_needs_choice": N_(
        'Question {number} of "{stage_title}" ("{prompt}") asks you to choose at least one option.'
    ),
    "answer_needs_one_choice": N_(
        'Question {number} of "{stage_title}" ("{prompt}") asks you to choose exactly one option.'
    ),
    "answer_unknown_option": N_(
        'Question {number} of "{stage_title}" ("{prompt}") has no such option. Reload the page.'
    ),
    "answer_duplicate_option": N_(
        'In question {number} of "{stage_title}" ("{prompt}") an option is chosen more than once.'
    ),
    "answer_too_many_options": N_(
        'Question {number} of "{stage_title}" ("{prompt}") allows at most {max_selections} '
        "choices; you chose {count}."
    ),
    "answer_needs_number": N_(
        'Question {number} of "{stage_title}" ("{prompt}") asks for a number.'
    ),
    "answer_order_incomplete": N_(
        'Question {number} of "{stage_title}" ("{prompt}") asks you to put all {count} options '
        "in order."
    ),
    "reflection_too_short": N_(
        "Your reflection is {length} characters long; write at least {min_chars}."
    ),
    "reflection_too_long": N_(
        "Your reflection is {length} characters long; the limit is {max_chars}."
    ),
    "required_questions_open": N_(
        'Answer these questions of "{stage_title}" before you continue: {questions}.'
    ),
    "restart_not_allowed": N_("This case cannot be restarted."),
    "progress_other_case": N_(
        'The saved progress belongs to case "{progress_case}", not to case "{case}".'
    ),
    "progress_outdated": N_(
        'Case "{case}" has changed since this progress was saved; reconcile the progress first.'
    ),
    # ---- a case edited while a learner is mid-way (notices, not errors) ----------------
    "case_updated_progress_kept": N_(
        "The author has updated this case since you started; your progress still fits and has "
        "been kept."
    ),
    "case_changed_restarted": N_(
        "The author has changed this case since you started, and your earlier answers no longer "
        "fit it; the case starts again from the beginning."
    ),
    # ---- spoiler guard (warnings: the case is saved all the same) -----------------------
    "spoiler_correct_option": N_(
        '{field} uses {words}, words of the answer "{option}" marked correct in question '
        '"{question}": learners read it before they start, so it may give the answer away.'
    ),
    "spoiler_later_finding": N_(
        '{field} uses {words}, words of the result of "{finding}" in stage "{stage}": learners '
        "read it before they start, so it may give the finding away."
    ),
    # ---- demo content -------------------------------------------------------------------
    "demo_unknown": N_('There is no demo case "{name}".'),
    # ---- XML ----------------------------------------------------------------------------
    "xml_too_large": N_("The XML is {size} bytes; the limit is {limit}."),
    "xml_invalid": N_("The XML cannot be read (line {line}): {problem}"),
    "xml_doctype_forbidden": N_("The XML must not contain a DOCTYPE or entity declarations."),
    "xml_unexpected_root": N_("Line {line}: expected <{expected}>, found <{found}>."),
    "xml_unknown_element": N_("Line {line}: <{element}> is not expected inside <{parent}>."),
    "xml_unknown_attribute": N_(
        'Line {line}: attribute "{attribute}" is not expected on <{element}>.'
    ),
    "xml_unknown_question_kind": N_(
        'Line {line}: "{kind}" is not a kind of question; use one of {kinds}.'
    ),
    "xml_repeated_element": N_("Line {line}: <{element}> may appear only once in <{parent}>."),
    "xml_field": N_("Line {line}, {field}: {problem}"),
}


class CaseError(Exception):
    """A problem a person can fix: `.code` names it, `.params` say where; `str()` is English."""

    def __init__(self, code: str, /, **params: object) -> None:
        self.code = code
        self.params = params
        template = MESSAGES.get(code, code)
        try:
            text = template.format(**params)
        except (KeyError, IndexError, ValueError):
            text = template
        super().__init__(text)
