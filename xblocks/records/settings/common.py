"""Defaults the LMS and CMS pick up through the plugin's `settings_config`."""


def plugin_settings(settings) -> None:
    """Add our defaults without overriding what the operator set.

    Secrets (LRS credentials) come from the platform's settings or the environment,
    never from OLX.
    """
    defaults = {
        "CME_LRS_URL": "",
        "CME_LRS_USERNAME": "",
        "CME_LRS_PASSWORD": "",
        "CME_LRS_BATCH_SIZE": 500,
        "CME_LRS_PUSH_SECONDS": 20,
        # Where scores of other graded blocks come from (xblocks.records.scores).
        "CME_SCORE_SOURCE": "xblocks.records.scores.lms_scores",
    }
    for name, value in defaults.items():
        if not hasattr(settings, name):
            setattr(settings, name, value)
