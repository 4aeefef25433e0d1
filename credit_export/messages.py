"""English templates for every problem the credit domain reports, keyed by a stable code.

The domain never translates: it raises `CreditError(code, **params)` (or, in pydantic
validators, `PydanticCustomError(code, MESSAGES[code], params)`); the Open edX adapter looks
the code up and translates the template. The `xml_*` templates are word for word those of
`referral_tracking`, so one translation serves both.
"""


def N_(message: str) -> str:  # the gettext convention: mark now, translate later
    return message


MESSAGES: dict[str, str] = {
    # ---- learner profile and free text ---------------------------------------------------
    "blank_text": N_("{field} is empty; write something here."),
    "licence_format": N_(
        "The licence or certificate number should be 6 to 30 letters and digits "
        "(as printed on your practising certificate)."
    ),
    # ---- activity and rule -----------------------------------------------------------------
    "hours_or_credits": N_(
        "Give either fixed credits or hours with a conversion rule, not both and not neither."
    ),
    "hours_give_no_credit": N_(
        "{hours} hours give no credit at {hours_per_credit} hours per credit, counted in steps "
        "of {step}: give more hours or fixed credits."
    ),
    "dates_order": N_("The activity ends ({end}) before it starts ({start})."),
    "rule_no_components": N_(
        "the credit rule names no assessed component and its unit has no case or referral "
        "exercise, so the credit cannot be awarded: the course team must add one."
    ),
    "project_number_in_ledger": N_(
        "{count} credit(s) are recorded under project number {old}. The project number "
        "identifies the activity in the credit ledger: changed now, those learners would no "
        "longer see their certificates and could claim a second credit. Keep {old}; for "
        "another project, add a new credit block."
    ),
    "rule_duplicate_component": N_(
        'The credit rule names the component "{usage_id}" more than once.'
    ),
    # ---- the provincial policy (policy.py) ---------------------------------------------------
    "policy_class_i_level": N_(
        "a {level} activity gives Class II credit: under the credit policy {policy}, Class I "
        "comes only from {allowed} projects. Set the class to II, or the level at which the "
        "project is registered."
    ),
    "policy_hours_per_credit": N_(
        "{level} projects give 1 credit per {required} hours under the credit policy "
        "{policy}, not per {given}."
    ),
    "policy_project_cap": N_(
        "a project gives at most {maximum} credits under the credit policy {policy}; {credits} "
        "is more."
    ),
    "policy_project_cap_missing": N_(
        "the hours give {credits} credits, and a project gives at most {maximum} under the "
        "credit policy {policy}: set a cap of at most {maximum}."
    ),
    "rule_minutes_untimed": N_(
        "{components}: no study time is recorded there (only case and referral exercises "
        "record each step; a problem's score says when it was graded, not how long it was "
        "studied), so this minimum could never be met. Remove the minimum, or name only case "
        "and referral exercises."
    ),
    # ---- award and revocation ----------------------------------------------------------------
    "rule_not_met": N_("The credit cannot be awarded yet: {missing}"),
    "already_revoked": N_("This credit was already revoked on {when}."),
    "claim_revoked": N_(
        "Your credit for this activity was revoked on {date} and cannot be claimed again. "
        "If you think this is a mistake, contact the CME office."
    ),
    "revoke_needs_reason": N_("Say why the credit is revoked; the reason is kept with the record."),
    "missing_not_attempted": N_("{component} is not completed yet."),
    "missing_score": N_("{component}: your best score is {score}%, {minimum}% is needed."),
    "missing_evaluation": N_("the activity evaluation is not answered yet."),
    "missing_minutes": N_("{minutes} of {required} minutes of study are recorded."),
    "missing_profile": N_("your CME profile is not filled in yet."),
    "no_award": N_("{learner} has no credit for this activity."),
    "licence_several_awards": N_(
        "{count} credits of this activity carry the licence number {licence} (user ids "
        "{learners}): give the user id of the one to revoke."
    ),
    # ---- exports ---------------------------------------------------------------------------
    "xml_export_invalid": N_(
        "The XML export does not validate against the shipped schema (cme_credits.xsd): "
        "{count} problem(s), the first at {problem}. No file was handed over. Tell the "
        "platform's administrators: a credit record holds a value the schema refuses."
    ),
    # ---- activity and rule XML (OLX) ---------------------------------------------------------
    "xml_syntax": N_("The XML cannot be read (line {line}): {problem}"),
    "xml_too_large": N_("The XML is {size} bytes; the limit is {limit}."),
    "xml_doctype_forbidden": N_("The XML must not contain a DOCTYPE or entity declarations."),
    "xml_unexpected_root": N_("Line {line}: expected <{expected}>, found <{found}>."),
    "xml_unknown_element": N_("Line {line}: <{element}> is not expected inside <{parent}>."),
    "xml_unknown_attribute": N_(
        'Line {line}: attribute "{attribute}" is not expected on <{element}>.'
    ),
    "xml_invalid": N_("Line {line}, {field}: {problem}"),
    "xml_duplicate_element": N_("Line {line}: <{element}> may appear only once."),
    "xml_missing_element": N_("Line {line}: <{element}> is missing."),
}


from .lrs_messages import LRS_MESSAGES  # noqa: E402

MESSAGES.update(LRS_MESSAGES)


class CreditError(Exception):
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
