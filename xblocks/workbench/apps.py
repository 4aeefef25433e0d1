"""Development app: hooks that turn xblock-sdk's workbench into our embedded Open edX."""

from django.apps import AppConfig


class CmeWorkbenchConfig(AppConfig):
    """Installs the event recorder and the tolerant scenario loader when Django starts."""

    name = "xblocks.workbench"
    label = "cme_workbench"
    verbose_name = "CME workbench (development only)"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import events, scenarios

        events.install()
        scenarios.install()
