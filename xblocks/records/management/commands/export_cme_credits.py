"""`export_cme_credits`: the credit ledger as a file for the provincial CME platform.

Works in the LMS (`./manage.py lms export_cme_credits ...`) and in the workbench
(`python -m django export_cme_credits --settings=xblocks.workbench.settings ...`).
"""

import sys
from datetime import UTC, datetime

from django.core.management.base import BaseCommand, CommandError

from credit_export import iter_csv, iter_xml

from ...ledger import activity_records


class Command(BaseCommand):
    help = (
        "Export awarded CME credits: CSV (UTF-8 with BOM, formula-safe) or XML (valid "
        "against the shipped XSD)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--format", choices=["csv", "xml", "xapi"], default="csv")
        parser.add_argument("--activity", help="Only this project number.")
        parser.add_argument("--since", help="Only awards on or after this date (YYYY-MM-DD).")
        parser.add_argument("--output", help="File to write (default: standard output).")

    def handle(self, *args, **options) -> None:
        since = None
        if options["since"]:
            try:
                since = datetime.fromisoformat(options["since"]).date()
            except ValueError as exc:
                raise CommandError("--since: give a date as YYYY-MM-DD.") from exc
        records = (
            r
            for r in activity_records(options["activity"])
            if since is None or r.awarded_at.date() >= since
        )
        count = 0

        def counted():
            nonlocal count
            for record in records:
                if record.status == "awarded":
                    count += 1
                yield record

        if options["format"] == "xapi":
            self._push(options)
            return
        binary = options["format"] == "xml"
        if options["output"]:
            out = open(
                options["output"],
                "wb" if binary else "w",
                encoding=None if binary else "utf-8",
                newline=None if binary else "",
            )
        else:
            out = sys.stdout.buffer if binary else sys.stdout
        try:
            chunks = iter_xml(counted(), datetime.now(UTC)) if binary else iter_csv(counted())
            for chunk in chunks:
                out.write(chunk)
        finally:
            if options["output"]:
                out.close()
        message = f"{count} credit record(s) exported."
        if not count:
            message += " There are no awarded credits to export: the file is valid and empty."
        self.stderr.write(message)

    def _push(self, options) -> None:
        from credit_export import CreditError
        from xblocks.credit_block import platform_home

        from ...xapi_push import push_ledger

        report = push_ledger(platform_home(), options["activity"])
        self.stderr.write(
            f"{report.sent} statement(s) stored, {report.already_stored} already in the LRS, "
            f"{report.skipped_by_checkpoint} skipped (sent by an earlier push)."
        )
        if report.conflicts:
            self.stderr.write(
                "Differing statements with the same id: " + ", ".join(report.conflicts)
            )
        if report.error:
            raise CommandError(str(CreditError(report.error[0], **report.error[1])))
