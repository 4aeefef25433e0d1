"""App config, with the plugin declaration Open edX reads (edx-django-utils plugins)."""

from django.apps import AppConfig


class CmeRecordsConfig(AppConfig):
    name = "xblocks.records"
    label = "cme_records"
    verbose_name = "Consortium CME records"
    default_auto_field = "django.db.models.BigAutoField"

    # Read by edx-platform's plugin loader: no URLs of our own; settings defaults per project.
    plugin_app = {
        "settings_config": {
            "lms.djangoapp": {"common": {"relative_path": "settings.common"}},
            "cms.djangoapp": {"common": {"relative_path": "settings.common"}},
        },
    }
