"""What a push to the LRS can report, for a CME administrator to act on."""


def N_(message: str) -> str:
    return message


LRS_MESSAGES = {
    "lrs_not_configured": N_(
        "No LRS is configured: set CME_LRS_URL, CME_LRS_USERNAME and CME_LRS_PASSWORD in the "
        "platform's settings or environment."
    ),
    "lrs_unreachable": N_(
        "The LRS at {endpoint} could not be reached after {attempts} attempts ({problem}). "
        "Nothing more was sent; the next push resumes after the last stored statement."
    ),
    "lrs_refused_credentials": N_(
        "The LRS at {endpoint} refused the credentials ({status}). Check CME_LRS_USERNAME and "
        "CME_LRS_PASSWORD."
    ),
    "lrs_rejected": N_("The LRS at {endpoint} rejected statements ({status}): {detail}"),
    "lrs_unreadable_answer": N_(
        "The LRS at {endpoint} answered, but not with the list of stored statements xAPI "
        "prescribes (is CME_LRS_URL the LRS's xAPI endpoint, not a web page?). Nothing more "
        "was marked sent; the next push sends these statements again. It answered: {detail}"
    ),
}
