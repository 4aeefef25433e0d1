"""The credit ledger pushed to the configured LRS as xAPI, resuming where the last push
stopped. Endpoint and credentials come from settings (CME_LRS_URL, CME_LRS_USERNAME,
CME_LRS_PASSWORD) or the environment, never from course content.

Statements go in batches of CME_LRS_BATCH_SIZE (default 500): each batch is confirmed before
the checkpoint moves on. Some LRSs cost more per request than per statement (Ralph's filesystem
backend reads its store on every POST), so bigger batches push a backlog faster
(benchmarks/README.md); an LRS that limits request size wants smaller ones."""

import os
from dataclasses import asdict

from django.conf import settings

from credit_export import CreditRecord
from credit_export.lrs import PushReport, push_statements
from credit_export.xapi import statement_for

from .models import CreditAward, LrsPush


class DbCheckpoint:
    def __init__(self, row: LrsPush) -> None:
        self.row = row

    def load(self) -> dict:
        return dict(self.row.checkpoint)

    def save(self, state: dict) -> None:
        self.row.checkpoint = state
        self.row.save(update_fields=["checkpoint", "updated_at"])


def lrs_settings() -> tuple[str, tuple[str, str] | None]:
    def value(name: str) -> str:
        return getattr(settings, name, "") or os.environ.get(name, "")

    endpoint = value("CME_LRS_URL")
    user, password = value("CME_LRS_USERNAME"), value("CME_LRS_PASSWORD")
    return endpoint, ((user, password) if user else None)


DEFAULT_BATCH_SIZE = 500
DEFAULT_PUSH_SECONDS = 20.0


def _bounded_setting(name: str, cast, low, high, default):
    """A number from the platform's settings or the environment, `default` when it is unset,
    unreadable or outside `low`..`high`."""
    raw = getattr(settings, name, None)
    if raw is None or raw == "":
        raw = os.environ.get(name, "")
    if raw == "":
        return default
    try:
        value = cast(raw)
    except (TypeError, ValueError):
        return default
    return value if low <= value <= high else default


def lrs_batch_size() -> int:
    """CME_LRS_BATCH_SIZE: statements per request, 1 to 5,000."""
    return _bounded_setting("CME_LRS_BATCH_SIZE", int, 1, 5000, DEFAULT_BATCH_SIZE)


def lrs_push_seconds() -> float:
    """CME_LRS_PUSH_SECONDS: how long a push from the staff panel may go on (it is a web
    request; the server's timeout would cut it otherwise), 0 to 600 (0: one batch per push).
    The management command has no limit."""
    return _bounded_setting("CME_LRS_PUSH_SECONDS", float, 0, 600, DEFAULT_PUSH_SECONDS)


def ledger_statements(homepage: str, project_number: str | None = None):
    """Every award and revocation as statements, oldest first (a stable order for resuming)."""

    def generate():
        rows = CreditAward.objects.order_by("awarded_at", "id")
        if project_number:
            rows = rows.filter(project_number=project_number)
        for anonymous_id, learner_id, data in rows.values_list(
            "anonymous_id", "learner_id", "record"
        ).iterator(chunk_size=2000):
            record = CreditRecord.model_validate(data)
            actor = anonymous_id or learner_id
            awarded = record.model_copy(update={"status": "awarded"})
            yield statement_for(awarded, actor_id=actor, homepage=homepage, platform=homepage)
            if record.status == "revoked":
                yield statement_for(record, actor_id=actor, homepage=homepage, platform=homepage)

    return generate


def last_push(project_number: str | None = None) -> LrsPush | None:
    """The checkpoint row of this selection (one activity, or all) on the configured LRS."""
    endpoint, _auth = lrs_settings()
    if not endpoint:
        return None
    return LrsPush.objects.filter(endpoint=endpoint, activity=project_number or "").first()


def push_ledger(homepage: str, project_number: str | None = None, **options) -> PushReport:
    """Push the ledger (or one activity's part of it) from the checkpoint of that selection."""
    endpoint, auth = lrs_settings()
    if not endpoint:
        return PushReport(error=("lrs_not_configured", {}))
    row, _ = LrsPush.objects.get_or_create(endpoint=endpoint, activity=project_number or "")
    options.setdefault("batch_size", lrs_batch_size())
    report = push_statements(
        ledger_statements(homepage, project_number),
        endpoint=endpoint,
        auth=auth,
        checkpoint=DbCheckpoint(row),
        **options,
    )
    row.last_report = asdict(report)
    row.save(update_fields=["last_report", "updated_at"])
    return report
