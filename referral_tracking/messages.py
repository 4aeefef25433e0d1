"""English templates for every problem the referral domain reports, keyed by a stable code.

The domain never translates: it raises `ReferralError(code, **params)` (or, inside pydantic
validators, `PydanticCustomError(code, MESSAGES[code], params)`); the Open edX adapter looks
the code up and translates the template. Each template names the thing at fault so that an
author or learner can fix it.
"""


def N_(message: str) -> str:  # the gettext convention: mark now, translate later
    return message


MESSAGES: dict[str, str] = {
    # ---- any author text ------------------------------------------------------------------
    "text_control_character": N_(
        "{field} contains an invisible control character ({character}) that a course export cannot "
        "hold; delete it (retype the text around it if need be)."
    ),
    "id_format": N_(
        '"{value}" cannot be an id: write lower-case letters a-z, digits, - or _, beginning '
        'with a letter or digit (e.g. "qingshui-township").'
    ),
    "code_format": N_(
        '"{value}" cannot be a code: write lower-case letters a-z, digits or _, beginning with '
        'a letter (e.g. "severe_headache").'
    ),
    # ---- consortium ---------------------------------------------------------------------
    "unknown_capability": N_(
        'Institution "{institution}" lists capability "{capability}", which is not a known '
        "capability code. Known ones, nearest first: {nearest}."
    ),
    "unknown_department": N_(
        '"{institution}" has no department "{department}": choose one of the departments it has.'
    ),
    "institution_unknown_department": N_(
        'Institution "{institution}" lists department "{department}", which is not a known '
        "department code. Known ones, nearest first: {nearest}."
    ),
    "duplicate_institution": N_('Institution "{institution}" is listed more than once.'),
    "unknown_institution": N_('There is no institution "{institution}" in the consortium.'),
    # ---- rule sets ----------------------------------------------------------------------
    "duplicate_term": N_(
        'Code "{code}" is defined more than once among the red flags and findings.'
    ),
    "duplicate_measure": N_('Measure "{code}" is defined more than once.'),
    "duplicate_monitoring_code": N_('Monitoring item "{code}" is defined more than once.'),
    "duplicate_target_code": N_('Target "{code}" is defined more than once.'),
    "duplicate_criterion_code": N_('Re-referral criterion "{code}" is defined more than once.'),
    "rule_unknown_department": N_(
        'Rule "{rule}" sends the patient to department "{department}", which is not a known '
        "department code. Known ones, nearest first: {nearest}."
    ),
    "duplicate_rule": N_('Rule "{rule}" is defined more than once.'),
    "rule_without_trigger": N_(
        'Rule "{rule}" has no finding and no threshold: it would apply to every patient.'
    ),
    "rule_unknown_finding": N_(
        'Rule "{rule}" is triggered by "{code}", which is neither a red flag nor a finding '
        "of this rule set. Known ones, nearest first: {nearest}."
    ),
    "rule_unknown_measure": N_(
        'Rule "{rule}" has a threshold on "{measure}", which is not a measure of this rule set. '
        "Known ones, nearest first: {nearest}."
    ),
    "rule_unreachable_threshold": N_(
        'Rule "{rule}" can never apply: its thresholds on "{measure}" leave no possible value.'
    ),
    "rule_unknown_capability": N_(
        'Rule "{rule}" requires capability "{capability}", which is not a known capability code. '
        "Known ones, nearest first: {nearest}."
    ),
    "rule_local_with_target": N_(
        'Rule "{rule}" says manage locally but also names a tier, department or required '
        "capability; remove them or make it a referral."
    ),
    "rule_referral_without_tier": N_('Rule "{rule}" refers the patient but names no tier.'),
    "rule_refers_to_primary": N_(
        'Rule "{rule}" refers upward to the primary tier; an upward referral goes to secondary '
        "or tertiary care."
    ),
    "rule_transfer_not_emergency": N_(
        'Rule "{rule}" is an emergency transfer, so its priority must be "emergency".'
    ),
    "rules_contradict": N_(
        'Rules "{rule}" and "{other}" apply to the same patients (same findings, overlapping '
        "thresholds) but give different answers."
    ),
    "rule_never_decides": N_(
        'Rule "{rule}" can never decide: every patient it applies to also meets rule "{other}", '
        'which has a higher priority and so decides. Remove "{rule}", or change the findings '
        "or thresholds of one of them."
    ),
    "rules_same_priority_disagree": N_(
        'Rules "{rule}" and "{other}" have the same priority but different decisions (manage '
        "locally, refer upward, emergency transfer), and a patient can meet both (for example: "
        "{example}). Give the one that should decide a higher priority, or make their "
        "thresholds exclusive."
    ),
    "critical_unknown_code": N_(
        'Critical finding "{critical}" names "{code}", which is neither a red flag nor a '
        "finding of this rule set. Known ones, nearest first: {nearest}."
    ),
    "critical_unknown_measure": N_(
        'Critical finding "{critical}" has a threshold on "{measure}", which is not a measure '
        "of this rule set. Known ones, nearest first: {nearest}."
    ),
    "critical_unreachable": N_(
        'Critical finding "{critical}" can never hold: its thresholds leave no possible value.'
    ),
    "critical_duplicate": N_('Critical finding "{critical}" is declared more than once.'),
    "critical_without_trigger": N_(
        'Critical finding "{critical}" has no finding and no threshold: say what makes it.'
    ),
    "critical_without_red_flag": N_(
        'Critical finding "{critical}" names no red flag and no threshold: name the red flag '
        "the learner should recognise."
    ),
    "critical_transfer_not_emergency": N_(
        'Critical finding "{critical}" forces an emergency transfer, so its minimum urgency '
        'must be "emergency".'
    ),
    "critical_not_covered": N_(
        'Critical finding "{critical}" decides nothing: no rule applies to every patient with '
        "it (for example: {example}). Add a rule triggered by it without other findings, or "
        "with thresholds that include the critical finding's."
    ),
    "critical_below_floor": N_(
        'Critical finding "{critical}": the most pressing rule that applies to every patient '
        'with it, "{rule}", asks for less than "{disposition}" with urgency "{priority}" at a '
        "primary institution (for example: {example}). Raise that rule's action or priority, "
        "or widen a rule that meets it to every such patient."
    ),
    "critical_overridden": N_(
        'Critical finding "{critical}" can be overridden: rule "{rule}" outranks the rule that '
        "sends the patient on and asks for less (for example: {example}). Lower its priority, "
        "or make it a referral at least as urgent."
    ),
    "ruleset_notice_missing": N_(
        'Rule set "{ruleset}" is {status}: give it a notice that says why and which version '
        "to use instead."
    ),
    "duplicate_vignette": N_('Vignette "{vignette}" is defined more than once.'),
    "vignette_unknown_code": N_(
        'Vignette "{vignette}" has "{code}", which is neither a red flag nor a finding of this '
        "rule set. Known ones, nearest first: {nearest}."
    ),
    "vignette_unknown_measure": N_(
        'Vignette "{vignette}" gives "{measure}", which is not a measure of this rule set. '
        "Known ones, nearest first: {nearest}."
    ),
    "vignette_failed": N_(
        'Vignette "{vignette}" expects {expected}, but the rule set answers {answer} (rule '
        '"{rule}"). Correct the rules or the vignette.'
    ),
    "vignettes_misplaced": N_(
        'The vignettes for rule set "{ruleset}" version {version} are written for {other}.'
    ),
    "threshold_without_bound": N_(
        'A threshold on "{measure}" needs a lower bound (at_least / above) or an upper bound '
        "(below / at_most)."
    ),
    "threshold_two_lower_bounds": N_(
        'A threshold on "{measure}" gives two lower bounds (at_least and above); keep one.'
    ),
    "threshold_two_upper_bounds": N_(
        'A threshold on "{measure}" gives two upper bounds (below and at_most); keep one.'
    ),
    "follow_up_bounds_empty": N_(
        "The follow-up interval bounds are empty: the minimum ({min_days} days) is above the "
        "maximum ({max_days} days)."
    ),
    "closed_loop_unreachable": N_(
        "The closed-loop follow-up must happen within {closed_loop_days} days, but no "
        "follow-up interval may be shorter than {min_days} days: no plan could close the loop."
    ),
    "unknown_required_monitoring": N_(
        'The required monitoring item "{code}" is not one of the rule set\'s monitoring items.'
    ),
    "unknown_required_target": N_(
        'The required target "{code}" is not one of the rule set\'s targets.'
    ),
    "unknown_required_criterion": N_(
        'The required re-referral criterion "{code}" is not one of the rule set\'s re-referral '
        "criteria."
    ),
    "ruleset_unknown": N_('There is no rule set "{ruleset}".'),
    "ruleset_version_unknown": N_(
        'Rule set "{ruleset}" is at version {available}, not version {version}.'
    ),
    "ruleset_version_not_shipped": N_(
        'Rule set "{ruleset}" has no version {version}; the versions there are: {available}.'
    ),
    "ruleset_file_misplaced": N_(
        'The rule set file "{path}" is misplaced: each version of a rule set is a file '
        "<id>/<version>.json holding that id and version, one file per version."
    ),
    "ruleset_mismatch": N_(
        'Scenario "{scenario}" is written for rule set "{expected}", not "{ruleset}".'
    ),
    # ---- scenarios ----------------------------------------------------------------------
    "duplicate_finding": N_('Finding "{finding}" is listed more than once.'),
    "visits_out_of_order": N_(
        "The visit on day {day} must come after the visit on day {previous}."
    ),
    "duplicate_visit_item": N_('The visit on day {day} reports "{item}" more than once.'),
    "visit_unknown_item": N_(
        'The visit on day {day} reports "{item}", which is not a monitoring item of rule set '
        '"{ruleset}". Known ones, nearest first: {nearest}.'
    ),
    "no_receiving_institution": N_(
        'Rule "{rule}" sends the patient to {tier}, but no institution of the consortium can '
        "receive them."
    ),
    "no_receiving_institution_department": N_(
        'Rule "{rule}" sends the patient to {tier}, department "{department}", but no '
        "institution of the consortium can receive them."
    ),
    "no_receiving_institution_capability": N_(
        'Rule "{rule}" sends the patient to {tier} where "{capability}" is available, but no '
        "institution of the consortium can receive them."
    ),
    "no_receiving_institution_both": N_(
        'Rule "{rule}" sends the patient to {tier}, department "{department}", where '
        '"{capability}" is available, but no institution of the consortium can receive them.'
    ),
    "every_receiver_declines": N_(
        'In scenario "{scenario}" every institution that can take the patient (rule "{rule}") '
        "is scripted to decline: leave at least one that accepts."
    ),
    "demo_unknown": N_('There is no demo scenario "{name}".'),
    "letter_requirement_unknown_finding": N_(
        'A letter requirement accepts finding "{finding}", which is not one of this '
        "patient's findings. Known ones, nearest first: {nearest}."
    ),
    # ---- learner input ------------------------------------------------------------------
    "local_with_target": N_(
        "When you manage the patient locally, leave the receiving institution, department and "
        "referral letter empty."
    ),
    "referral_needs_target": N_("Choose the institution and department you refer to."),
    "referral_needs_letter": N_("Write the referral letter."),
    "transfer_not_emergency": N_('An emergency transfer has priority "emergency".'),
    "letter_too_large": N_(
        "The referral letter is {size} characters long; the limit is {limit}. Shorten it."
    ),
    "duplicate_red_flag": N_('The red flag "{code}" is chosen more than once.'),
    "duplicate_key_finding": N_('The letter cites finding "{code}" more than once.'),
    "duplicate_monitoring_choice": N_('The monitoring item "{code}" is chosen more than once.'),
    "duplicate_target_choice": N_('The target "{code}" is chosen more than once.'),
    "duplicate_criterion_choice": N_(
        'The re-referral criterion "{code}" is chosen more than once.'
    ),
    "target_is_own_institution": N_(
        'You cannot refer the patient to your own institution "{institution}".'
    ),
    "target_not_upward": N_(
        '"{institution}" gives {target_tier}, and your institution gives {own_tier}: sending the '
        "patient there is not an upward referral."
    ),
    "already_asked": N_(
        '"{institution}" has already answered this referral: choose another hospital.'
    ),
    "unknown_red_flag": N_('"{code}" is not one of the red flags you can choose from.'),
    "letter_unknown_finding": N_(
        'The letter cites finding "{code}", which is not one of this patient\'s findings.'
    ),
    "interval_out_of_bounds": N_(
        'A follow-up interval of {interval} days is outside what rule set "{ruleset}" allows '
        "({min_days} to {max_days} days)."
    ),
    "unknown_monitoring_item": N_('"{code}" is not one of the monitoring items offered.'),
    "unknown_target": N_('"{code}" is not one of the targets offered.'),
    "unknown_re_referral_criterion": N_('"{code}" is not one of the re-referral criteria offered.'),
    "action_replayed": N_(
        "This step ({step}) was already taken; the exercise is at step {expected}. Reload the page."
    ),
    "action_out_of_sequence": N_(
        "This step ({step}) is ahead of the exercise, which is at step {expected}. Reload the page."
    ),
    "action_not_expected": N_(
        "You cannot {action} now: the exercise is at {phase}. Reload the page."
    ),
    "plan_without_adjust": N_("A new follow-up plan goes only with the choice to adjust."),
    "exercise_completed": N_("This exercise is finished; nothing more can be changed."),
    "no_referral": N_("The patient was managed locally: there is no referral letter."),
    "referral_not_decided": N_(
        "Decide about the patient first: your referral can be downloaded once you have made it."
    ),
    "record_not_decided": N_("No referral decision has been made yet: there is nothing to record."),
    # ---- receiving side (reasons shown to the learner, not errors) ----------------------
    "declined_missing_capability": N_(
        '"{institution}" declines: it cannot provide "{capability}".'
    ),
    "declined_by_receiver": N_('"{institution}" declines: {reason}'),
    "declined_tier_too_low": N_('"{institution}" declines: the patient needs {tier}.'),
    # ---- XML ----------------------------------------------------------------------------
    "xml_syntax": N_("The XML cannot be read (line {line}): {problem}"),
    "xml_too_large": N_("The XML is {size} bytes; the limit is {limit}."),
    "xml_doctype_forbidden": N_("The XML must not contain a DOCTYPE or entity declarations."),
    "xml_unexpected_root": N_("Line {line}: expected <{expected}>, found <{found}>."),
    "xml_unknown_element": N_("Line {line}: <{element}> is not expected inside <{parent}>."),
    "xml_unknown_attribute": N_(
        'Line {line}: attribute "{attribute}" is not expected on <{element}>.'
    ),
    "xml_invalid": N_("Line {line}, {field}: {problem}"),
    "scenario_unknown_measure": N_(
        'Finding "{finding}" gives a value for "{measure}", which is not a measure of rule set '
        '"{ruleset}". Known ones, nearest first: {nearest}.'
    ),
    "scenario_misspelt_finding": N_(
        'Finding "{finding}" is not a code of rule set "{ruleset}", but is nearly {nearest}: '
        "correct it, since the rules read only the rule set's codes (a finding only for the "
        "learner to read needs an id unlike any code)."
    ),
    "duplicate_decision_answer": N_(
        'The receiving side has more than one answer for decision "{disposition}": keep one.'
    ),
    "olx_without_scenario": N_(
        "Line {line}: the <cme_referral> holds no <referral-scenario>; put the scenario inside it."
    ),
    "olx_json_syntax": N_("Line {line}: the JSON inside <{element}> cannot be read: {problem}."),
}

#: English labels of rubric items, by item id (letter items) or by kind with the item's
#: `subject` as placeholder. The adapter translates them like any message.
RUBRIC_LABELS: dict[str, str] = {
    "tier": N_("Referral level"),
    "disposition": N_("Kind of referral"),
    "department": N_("Receiving department"),
    "urgency": N_("Urgency"),
    "red_flags": N_("Red flags recognised"),
    "letter:reason": N_("Letter: reason for referral"),
    "letter:history": N_("Letter: history"),
    "letter:key_findings": N_("Letter: key findings"),
    "letter:treatment_given": N_("Letter: treatment given"),
    "letter:question": N_("Letter: specific question for the receiving doctor"),
    "letter:supporting_info": N_("Letter: supporting information"),
    "monitoring": N_("Follow-up monitors {subject}"),
    "target": N_("Follow-up sets target {subject}"),
    "re_referral": N_("Follow-up names re-referral criterion {subject}"),
    "closed_loop": N_("Referral result followed up in time"),
    "visit": N_("Decision at the day {subject} visit"),
}


class ReferralError(Exception):
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
