"""`export_cme_credits`: the credit ledger as a file for the provincial CME platform.

Works in the LMS (`./manage.py lms export_cme_credits ...`) and in the workbench
(`python -m django export_cme_credits --settings=xblocks.workbench.settings ...`).

The CSV is the staff panel's download: the same columns and cells, in `--language` (default
the platform's LANGUAGE_CODE). The XML is validated against the shipped XSD before it is
handed over: an invalid export is an error (exit status 1), never a file.

`--format summary` writes the annual summary, one row per learner: their credits of `--year`
(default this year, in CME_TIME_ZONE) in every course, by class and level, against the annual
requirement of the province's policy (CME_CREDIT_POLICY); `--activity` keeps the learners awarded
that activity (all their credits still count). In `--language` like the CSV.

`--format xapi` pushes to the configured LRS and says what it stored; it exits 1 when the push
stopped (LRS unreachable, credentials refused: it resumes from its checkpoint next time) and 3
when it went through but statements conflict with the LRS's copies (409: the report lists
their ids), so that a cron job notices either.
"""

import os
import shutil
import sys
import tempfile
from datetime import datetime

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from credit_export import (
    CreditError,
    iter_csv,
    iter_summary_csv,
    learner_summaries,
    write_valid_xml,
)
from credit_export.licences import shared_licences
from xblocks.credit_block import cme_time_zone, credit_policy
from xblocks.i18n import catalog, to_locale

from ...ledger import activity_records, records_of_learners

#: The exit status of an xAPI push that went through with statements in conflict.
CONFLICTS_STATUS = 3


class Command(BaseCommand):
    help = (
        "Export awarded CME credits: CSV (UTF-8 with BOM, formula-safe) or XML (valid "
        "against the shipped XSD)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--format", choices=["csv", "xml", "xapi", "summary"], default="csv")
        parser.add_argument(
            "--year", type=int, help="The summary's year (default: this year, in CME_TIME_ZONE)."
        )
        parser.add_argument("--activity", help="Only this project number.")
        parser.add_argument(
            "--since",
            help="Only awards on or after this day (YYYY-MM-DD, in CME_TIME_ZONE).",
        )
        parser.add_argument("--output", help="File to write (default: standard output).")
        parser.add_argument(
            "--language",
            help=(
                "Language of the CSV's header and of its title and level cells, e.g. zh-cn or "
                "en (default: the platform's LANGUAGE_CODE); the staff download in the same "
                "language gives the same file."
            ),
        )

    def handle(self, *args, **options) -> None:
        since = None
        if options["since"]:
            try:
                since = datetime.fromisoformat(options["since"]).date()
            except ValueError as exc:
                raise CommandError("--since: give a date as YYYY-MM-DD.") from exc
        if options["format"] == "xapi":
            self._push(options)
            return
        if options["format"] == "summary":
            self._summary(options)
            return
        zone = cme_time_zone()  # the CME office's calendar: award days, --since
        records = (
            r
            for r in activity_records(options["activity"])
            if since is None or r.awarded_at.astimezone(zone).date() >= since
        )
        count = 0

        def counted():
            nonlocal count
            for record in records:
                if record.status == "awarded":
                    count += 1
                yield record

        language = self._language(options)
        flagged = shared_licences(activity_records(options["activity"]))
        if options["format"] == "xml":
            self._write_xml(counted(), options["output"], zone, language, flagged)
        else:
            gettext = self._gettext(options)
            chunks = iter_csv(
                counted(), gettext, values=gettext, zone=zone, language=language, flagged=flagged
            )
            self._write_text(chunks, options["output"])
        message = f"{count} credit record(s) exported."
        if not count:
            message += " There are no awarded credits to export: the file is valid and empty."
        self.stderr.write(message)

    def _summary(self, options) -> None:
        """The annual summary per learner (see the module), written like the CSV."""
        zone = cme_time_zone()
        year = options["year"] or datetime.now(zone).year
        count = 0

        def counted():
            nonlocal count
            for row in learner_summaries(
                records_of_learners(options["activity"]), credit_policy(), year, zone=zone
            ):
                count += 1
                yield row

        gettext = self._gettext(options)
        self._write_text(iter_summary_csv(counted(), gettext, values=gettext), options["output"])
        self.stderr.write(f"{count} learner(s) summarised for {year}.")

    @staticmethod
    def _language(options) -> str:
        """The file's language as an RFC 5646 tag ("zh-CN"), picking the activity's name."""
        return to_locale(options["language"] or settings.LANGUAGE_CODE).replace("_", "-")

    @staticmethod
    def _gettext(options):
        return catalog(to_locale(options["language"] or settings.LANGUAGE_CODE)).gettext

    @staticmethod
    def _write_text(chunks, output: str | None) -> None:
        if output:
            with open(output, "w", encoding="utf-8", newline="") as out:
                out.writelines(chunks)
        else:
            sys.stdout.writelines(chunks)

    @staticmethod
    def _write_xml(records, output: str | None, zone, language: str, flagged) -> None:
        """Written to a temporary file and validated against the XSD before anything is
        handed over: the output file appears (atomically) only when valid, and standard
        output gets nothing from an invalid export."""
        directory = os.path.dirname(os.path.abspath(output)) if output else None
        with tempfile.NamedTemporaryFile(
            "w+b", dir=directory, prefix=".cme-credits-", suffix=".xml", delete=False
        ) as spool:
            try:
                write_valid_xml(
                    records,
                    spool,
                    datetime.now(zone),
                    zone=zone,
                    language=language,
                    flagged=flagged,
                )
                if output:  # as open() would have made it, not the temporary file's 0600
                    umask = os.umask(0)
                    os.umask(umask)
                    os.chmod(spool.name, 0o666 & ~umask)
                else:
                    shutil.copyfileobj(spool, sys.stdout.buffer)
                    sys.stdout.buffer.flush()
            except CreditError as exc:
                os.unlink(spool.name)
                raise CommandError(str(exc)) from exc
            except BaseException:
                os.unlink(spool.name)
                raise
        if output:
            os.replace(spool.name, output)
        else:
            os.unlink(spool.name)

    def _push(self, options) -> None:
        from xblocks.credit_block import platform_home

        from ...xapi_push import push_ledger

        report = push_ledger(platform_home(), options["activity"])
        self.stderr.write(
            f"{report.sent} statement(s) stored, {report.already_stored} already in the LRS, "
            f"{report.skipped_by_checkpoint} skipped (sent by an earlier push)."
        )
        problems = []
        if report.error:
            problems.append(str(CreditError(report.error[0], **report.error[1])))
        if report.conflicts:
            problems.append(
                f"{len(report.conflicts)} statement(s) conflict with what the LRS holds under "
                "the same id; they are not counted as sent and are checked again at every push "
                "until the LRS's copy is corrected or voided: " + ", ".join(report.conflicts)
            )
        if problems:
            # Non-zero, so that a cron job notices: 1 when the push stopped (it resumes from
            # its checkpoint next time), CONFLICTS_STATUS when it went through but statements
            # conflict (nothing more is sent; someone must look at the LRS's copies).
            raise CommandError(
                " ".join(problems), returncode=1 if report.error else CONFLICTS_STATUS
            )
