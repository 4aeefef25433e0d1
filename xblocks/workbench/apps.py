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
        _immediate_sqlite_transactions()


def _immediate_sqlite_transactions() -> None:
    """Django 4.2 has no SQLite `transaction_mode` option (5.1 adds it, set in our settings):
    begin write transactions IMMEDIATE there too, or two simultaneous read-then-write
    transactions (two credit claims) make SQLite answer "database is locked" at once."""
    import django

    if django.VERSION >= (5, 1):
        return
    from django.db.backends.sqlite3.base import DatabaseWrapper

    def begin_immediate(self) -> None:
        self.cursor().execute("BEGIN IMMEDIATE")

    DatabaseWrapper._start_transaction_under_autocommit = begin_immediate
