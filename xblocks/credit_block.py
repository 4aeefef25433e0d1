"""`cme_credit`: a CME activity's credit, awarded the moment its rule is met.

The learner sees what is done and what is missing, fills the CME profile once (kept in
`Scope.preferences`, reused in every course), answers the activity evaluation and claims the
credit: one ledger row per learner and activity, a printable certificate. Staff download the
activity's records as CSV for the provincial CME platform.
"""

import json
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, Literal

from django.utils.safestring import mark_safe
from lxml import etree
from pydantic import Field, ValidationError
from web_fragments.fragment import Fragment
from webob import Response
from xblock.completable import CompletableXBlockMixin
from xblock.core import XBlock
from xblock.fields import Scope, String

from credit_export import (
    ActivityEvaluation,
    ComponentRequirement,
    CreditActivity,
    CreditError,
    CreditRecord,
    CreditRule,
    CreditSettings,
    LearnerProfile,
    Outcome,
    award,
    demo_activity,
    evaluate_rule,
    iter_csv,
    iter_xml,
    settings_from_xml,
    settings_to_xml,
)
from credit_export.messages import MESSAGES

from .base import (
    STAFF_ONLY,
    CmeBlockMixin,
    add_assets,
    digest,
    json_action,
    json_response,
    script_json,
)
from .credit_editor import editor_config
from .exercise import StrictRequest, StudioSaveRequest
from .messages import N_, translate_code, translate_domain_error, translate_validation_error
from .templates_engine import render_template

#: The blocks a rule without components counts: the graded exercises of the same unit.
EXERCISE_TYPES = ("cme_case", "cme_referral")

LEVELS = {
    "national": N_("national"),
    "provincial": N_("provincial"),
    "municipal": N_("municipal"),
    "hospital": N_("hospital"),
}
TITLES = {"junior": N_("junior"), "intermediate": N_("intermediate"), "senior": N_("senior")}
TIERS = {
    "primary": N_("primary care"),
    "secondary": N_("secondary hospital"),
    "tertiary": N_("tertiary hospital"),
}
CHANGES = {
    "none": N_("No change to my practice"),
    "considering": N_("I am considering a change"),
    "planned": N_("I plan a specific change"),
    "already": N_("I have already changed my practice"),
}
ANNOUNCE = {
    "profile": N_("Your CME profile is saved."),
    "evaluate": N_("Thank you: your evaluation is saved."),
    "claim": N_("The credit is awarded. Your certificate is shown."),
}


@lru_cache(maxsize=64)
def parse_activity(text: str) -> CreditActivity:
    return CreditActivity.model_validate_json(text) if text else demo_activity()


@lru_cache(maxsize=64)
def parse_rule(text: str) -> CreditRule:
    return CreditRule.model_validate_json(text) if text else CreditRule()


class CreditRequest(StrictRequest):
    action: Literal["profile", "evaluate", "claim"]
    # profile
    name: str | None = Field(default=None, max_length=200)
    licence_number: str | None = Field(default=None, max_length=60)
    title: str | None = Field(default=None, max_length=20)
    institution: str | None = Field(default=None, max_length=300)
    tier: str | None = Field(default=None, max_length=20)
    department: str | None = Field(default=None, max_length=300)
    discipline: str | None = Field(default=None, max_length=300)
    # evaluation
    satisfaction: int | None = None
    change_in_practice: str | None = Field(default=None, max_length=20)
    comment: str | None = Field(default=None, max_length=2000)


class RevokeRequest(StrictRequest):
    action: Literal["revoke"] = "revoke"
    learner: str = Field(min_length=1, max_length=255)
    reason: str = Field(min_length=1, max_length=500)


class ReportRequest(StrictRequest):
    action: Literal["report"] = "report"


class PushRequest(StrictRequest):
    action: Literal["push"] = "push"


class StudioRequest(StudioSaveRequest):
    settings_source: str = Field(min_length=1, max_length=200_000)


def read_settings_source(source: str) -> CreditSettings:
    """Author input from Studio: `<cme-credit>` XML, or the JSON of exported settings."""
    text = source.strip()
    if text.startswith("{"):
        return CreditSettings.model_validate_json(text)
    return settings_from_xml(text)


@XBlock.needs("i18n")
@XBlock.wants("user")
@XBlock.wants("studio_user_permissions")
class CreditBlock(CmeBlockMixin, CompletableXBlockMixin, XBlock):
    """The credit of a CME activity: rule progress, profile, evaluation, certificate."""

    display_name = String(
        display_name=N_("Display name"), scope=Scope.settings, default=N_("CME credit")
    )
    activity_json = String(scope=Scope.content, default="")
    rule_json = String(scope=Scope.content, default="")
    #: The learner's CME profile: the same for every credit block (and course) they meet.
    profile_json = String(scope=Scope.preferences, default="")
    evaluation_json = String(scope=Scope.user_state, default="")

    editable_fields = ("display_name",)

    # ---- content ----------------------------------------------------------------------------
    @property
    def activity(self) -> CreditActivity:
        return parse_activity(self.activity_json)

    def rule(self) -> CreditRule:
        """The author's rule; without components, every graded exercise of this unit."""
        rule = parse_rule(self.rule_json)
        if rule.components:
            return rule
        components = []
        parent = self.get_parent()
        for child_id in getattr(parent, "children", []) if parent else []:
            child = self.runtime.get_block(child_id)
            if child.scope_ids.block_type in EXERCISE_TYPES:
                components.append(
                    ComponentRequirement(
                        usage_id=str(child.scope_ids.usage_id),
                        label=child.display_name,
                    )
                )
        return rule.model_copy(update={"components": components})

    # ---- the learner ------------------------------------------------------------------------
    @property
    def profile(self) -> LearnerProfile | None:
        return LearnerProfile.model_validate_json(self.profile_json) if self.profile_json else None

    def _state(self) -> dict[str, Any]:
        from .records.ledger import award_of
        from .records.outcomes import best_outcomes
        from .records.scores import platform_scores

        rule = self.rule()
        wanted = [c.usage_id for c in rule.components]
        rows = best_outcomes(self.learner_id, wanted)
        # Blocks that are not ours (a problem, an ORA): their score as the platform keeps it.
        others = platform_scores(self.learner_id, [u for u in wanted if u not in rows])
        outcomes = [
            Outcome(
                usage_id=usage_id,
                score=row.score,
                max_score=row.max_score,
                completed_at=row.completed_at,
            )
            for usage_id, row in (rows | others).items()
        ]
        result = evaluate_rule(rule, outcomes, bool(self.evaluation_json))
        existing = award_of(self.learner_id, self.activity.project_number)
        return {"rule": rule, "result": result, "award": existing}

    def _missing_text(self, missing) -> str:
        return translate_code(
            self.gettext,
            missing.code,
            missing.params,
            MESSAGES.get(missing.code, ""),
            "credit_export",
        )

    def _context(self) -> dict[str, Any]:
        _ = self.gettext
        state = self._state()
        activity, result, existing = self.activity, state["result"], state["award"]
        profile = self.profile
        components = []
        missing_by_id = {m.params.get("usage_id"): m for m in result.missing}
        for component in state["rule"].components:
            problem = missing_by_id.get(component.usage_id)
            link = ""
            if self.course_key:
                link = f"/courses/{self.course_key}/jump_to/{component.usage_id}"
            components.append(
                {
                    "label": component.label,
                    "done": problem is None,
                    "problem": self._missing_text(problem) if problem else "",
                    "link": link,
                }
            )
        certificate = None
        if existing is not None and existing.status == "awarded":
            record = CreditRecord.model_validate(existing.record)
            certificate = {
                "name": record.profile.name,
                "licence": record.profile.licence_number,
                "title": _(TITLES[record.profile.title]),
                "institution": record.profile.institution,
                "department": record.profile.department,
                "credits": format(record.credits.normalize(), "f"),
                "date": record.awarded_at.date().isoformat(),
                "score": record.score_percent,
            }
        return {
            "uid": self.usage_key.replace(".", "-")[-40:],
            "activity": {
                "name": activity.name,
                "project_number": activity.project_number,
                "level": _(LEVELS[activity.level]),
                "credit_class": activity.credit_class,
                "credits": format(activity.awarded_credits.normalize(), "f"),
                "organiser": activity.organiser,
                "dates": f"{activity.start_date.isoformat()} – {activity.end_date.isoformat()}",
            },
            "components": components,
            "evaluation_done": bool(self.evaluation_json),
            "evaluation_required": state["rule"].evaluation_required,
            "profile": profile.model_dump() if profile else None,
            "profile_title": _(TITLES[profile.title]) if profile else "",
            "profile_tier": _(TIERS[profile.tier]) if profile else "",
            "titles": [(k, _(v)) for k, v in TITLES.items()],
            "tiers": [(k, _(v)) for k, v in TIERS.items()],
            "changes": [(k, _(v)) for k, v in CHANGES.items()],
            "can_claim": result.met and profile is not None and existing is None,
            "revoked": existing is not None and existing.status == "revoked",
            "certificate": certificate,
            "badge_url": self.runtime.handler_url(self, "badge") if certificate else "",
        }

    def student_view(self, context=None) -> Fragment:
        view = self._context()
        view["staff"] = self.user_is_staff
        view["csv_url"] = self.runtime.handler_url(self, "export_csv")
        view["xml_url"] = self.runtime.handler_url(self, "export_xml")
        view["last_push"] = self._last_push() if view["staff"] else ""
        fragment = Fragment(render_template("credit/student.html", view, self.i18n))
        add_assets(fragment, css=("css/cme_common.css",), js=("js/cme_common.js",))
        fragment.initialize_js("CmeCreditInit")
        return fragment

    def student_view_data(self, context=None) -> dict[str, Any]:
        view = self._context()
        return {k: view[k] for k in ("activity", "components", "evaluation_done", "certificate")}

    @json_action(CreditRequest)
    def act(self, data: CreditRequest, suffix: str = "") -> Response | dict[str, Any]:
        _ = self.gettext
        fields = data.model_dump(exclude_none=True, exclude={"action"})
        try:
            if data.action == "profile":
                self.profile_json = LearnerProfile.model_validate(fields).model_dump_json()
            elif data.action == "evaluate":
                self.evaluation_json = ActivityEvaluation.model_validate(fields).model_dump_json()
            else:
                self._claim()
        except ValidationError as exc:
            problems = translate_validation_error(_, exc, package="credit_export")
            return json_response({"error": problems[0]["message"], "problems": problems}, 400)
        html = render_template("credit/view.html", self._context(), self.i18n)
        return {"html": html, "announce": _(ANNOUNCE[data.action])}

    def _claim(self) -> None:
        from .records.ledger import claim

        state = self._state()
        if state["award"] is not None:
            return  # already awarded: a replayed claim changes nothing
        try:
            record = award(
                self.activity, state["result"], self.profile, self.learner_id, datetime.now(UTC)
            )
        except CreditError as exc:
            missing = [self._missing_text(m) for m in exc.params.get("items", [])]
            raise CreditError("rule_not_met", missing="; ".join(missing)) from exc
        claim(
            record,
            anonymous_id=self.anonymous_learner_id,
            course_id=self.course_key,
            usage_id=self.usage_key,
        )
        self.runtime.publish(
            self,
            "cme.credit.awarded",
            {
                "project_number": record.project_number,
                "credits": str(record.credits),
                "credit_class": record.credit_class,
            },
        )
        self.emit_completion(1.0)

    # ---- staff ------------------------------------------------------------------------------
    @json_action(RevokeRequest, staff_only=True)
    def revoke(self, data: RevokeRequest, suffix: str = "") -> dict[str, Any]:
        """Revoke one learner's credit for this activity, with the reason (kept, audited)."""
        from .records.ledger import award_of, revoke_award

        _ = self.gettext
        learner = data.learner.strip()
        row = award_of(learner, self.activity.project_number)
        if row is None:
            raise CreditError("no_award", learner=learner)
        revoke_award(row, data.reason, by=self.learner_id, now=datetime.now(UTC))
        self.runtime.publish(
            self,
            "cme.credit.revoked",
            {"project_number": self.activity.project_number, "reason": data.reason.strip()},
        )
        return {
            "message": _("The credit of {learner} is revoked; the reason is kept.").format(
                learner=learner
            )
        }

    def _last_push(self) -> str:
        from credit_export.lrs import PushReport

        from .records.models import LrsPush
        from .records.xapi_push import lrs_settings

        endpoint, _auth = lrs_settings()
        row = LrsPush.objects.filter(endpoint=endpoint).first() if endpoint else None
        if row is None or not row.last_report:
            return ""
        data = dict(row.last_report)
        data["error"] = tuple(data["error"]) if data.get("error") else None
        summary = push_summary(self.gettext, PushReport(**data))
        return self.gettext("Last push ({when}): {summary}").format(
            when=row.updated_at.strftime("%Y-%m-%d %H:%M"), summary=summary
        )

    def _report_labels(self) -> dict[str, str]:
        _ = self.gettext
        return {
            "dimension": _("Grouped by"),
            "group": _("Group"),
            "learners": _("Learners"),
            "awards": _("Awards"),
            "credits": _("Credits"),
            "total": _("All awards"),
            "title": _("Professional title"),
            "discipline": _("Discipline"),
            "tier": _("Institution level"),
            "month": _("Month"),
        }

    @json_action(ReportRequest, staff_only=True)
    def report(self, data: ReportRequest, suffix: str = "") -> dict[str, Any]:
        """Credits awarded by title, discipline, institution level and month: charts."""
        from credit_export.report import credit_report, report_to_svg

        from .records.ledger import activity_records

        _ = self.gettext
        report = credit_report(activity_records())
        labels = self._report_labels()
        names = {k: _(v) for k, v in (TITLES | TIERS).items()}
        charts = [
            mark_safe(  # noqa: S308 (serialized by ElementTree: escaped)
                report_to_svg(
                    report,
                    dimension,
                    _("Credits awarded by {what}").format(what=labels[dimension].lower()),
                    names,
                    _("No credit awarded yet."),
                )
            )
            for dimension in ("title", "tier", "discipline", "month")
        ]
        summary = _("{awards} awards, {credits} credits, {learners} learners.").format(
            awards=report.total.awards,
            credits=format(report.total.credits.normalize(), "f"),
            learners=len(report.total.learners),
        )
        html = render_template(
            "credit/report.html",
            {
                "summary": summary,
                "charts": charts,
                "csv_url": self.runtime.handler_url(self, "report_csv"),
            },
            self.i18n,
        )
        return {"html": html}

    @XBlock.handler
    def report_csv(self, request, suffix: str = "") -> Response:
        import csv
        import io

        from credit_export.csv_export import BOM, safe_cell
        from credit_export.report import credit_report, report_csv_rows

        from .records.ledger import activity_records

        if not self.user_is_staff:
            return json_response({"error": self.gettext(STAFF_ONLY)}, 403)
        buffer = io.StringIO()
        buffer.write(BOM)
        rows = report_csv_rows(credit_report(activity_records()), self._report_labels())
        csv.writer(buffer).writerows([safe_cell(str(c)) for c in row] for row in rows)
        response = Response(buffer.getvalue(), content_type="text/csv", charset="utf8")
        response.content_disposition = 'attachment; filename="cme-credit-report.csv"'
        return response

    # Not one transaction: the checkpoint after each confirmed batch must last even if the
    # request is cut off, so that the next push goes on from there.
    @json_action(PushRequest, staff_only=True, atomic=False)
    def push_lrs(self, data: PushRequest, suffix: str = "") -> dict[str, Any]:
        """Send this activity's awards and revocations to the configured LRS as xAPI, for at
        most CME_LRS_PUSH_SECONDS; the report says what was stored, whether more remains and,
        if the push stopped, why (it resumes next time)."""
        from .records.xapi_push import lrs_push_seconds, push_ledger

        report = push_ledger(
            platform_home(), self.activity.project_number, time_budget=lrs_push_seconds()
        )
        return {"message": push_summary(self.gettext, report)}

    @XBlock.handler
    def export_csv(self, request, suffix: str = "") -> Response:
        """The activity's credit records for the provincial platform (staff only)."""
        from .records.ledger import activity_records

        if not self.user_is_staff:
            return json_response({"error": self.gettext(STAFF_ONLY)}, 403)
        response = Response(content_type="text/csv", charset="utf8")
        response.app_iter = (
            chunk.encode("utf-8")
            for chunk in iter_csv(activity_records(self.activity.project_number), self.gettext)
        )
        name = f"cme-credits-{self.activity.project_number}.csv"
        response.content_disposition = f'attachment; filename="{name}"'
        return response

    @XBlock.handler
    def badge(self, request, suffix: str = "") -> Response:
        """The learner's own award as an Open Badges 3.0 credential (JSON)."""
        from credit_export.badges import open_badge

        from .records.ledger import award_of

        row = award_of(self.learner_id, self.activity.project_number)
        if row is None or row.status != "awarded":
            return json_response({"error": self.gettext("You have no credit here yet.")}, 404)
        record = CreditRecord.model_validate(row.record)
        credential = open_badge(
            record,
            self.activity,
            issuer_name=self.activity.organiser,
            issuer_url=platform_home(),
        )
        response = Response(
            json.dumps(credential, ensure_ascii=False, indent=2),
            content_type="application/ld+json",
            charset="utf8",
        )
        name = f"cme-credit-{record.project_number}.json"
        response.content_disposition = f'attachment; filename="{name}"'
        return response

    @XBlock.handler
    def export_xml(self, request, suffix: str = "") -> Response:
        """The activity's credit records as XML, valid against the shipped XSD (staff only)."""
        from .records.ledger import activity_records

        if not self.user_is_staff:
            return json_response({"error": self.gettext(STAFF_ONLY)}, 403)
        response = Response(content_type="application/xml", charset="utf8")
        response.app_iter = iter_xml(
            activity_records(self.activity.project_number), datetime.now(UTC)
        )
        name = f"cme-credits-{self.activity.project_number}.xml"
        response.content_disposition = f'attachment; filename="{name}"'
        return response

    # ---- Studio and OLX ---------------------------------------------------------------------
    @property
    def content_fingerprint(self) -> str:
        return digest(self.activity_json, self.rule_json)

    @property
    def settings(self) -> CreditSettings:
        return CreditSettings(activity=self.activity, rule=parse_rule(self.rule_json))

    def studio_view(self, context=None) -> Fragment:
        if not self.user_can_author:
            return Fragment('<p class="cme-block">' + self.gettext(STAFF_ONLY) + "</p>")
        settings = self.settings
        html = render_template(
            "credit/studio.html",
            {
                "display_name": self.display_name,
                "fingerprint": self.content_fingerprint,
                "settings_source": settings_to_xml(settings),
                "export_url": self.runtime.handler_url(self, "export_settings"),
                "editor_config_json": script_json(editor_config(self.gettext)),
                "editor_data_json": script_json(json.loads(settings.model_dump_json())),
            },
            self.i18n,
        )
        fragment = Fragment(html)
        add_assets(
            fragment,
            css=("css/cme_common.css",),
            js=("js/cme_common.js", "js/cme_schema_form.js", "js/cme_studio.js"),
        )
        fragment.initialize_js("CmeStudioInit")
        return fragment

    @json_action(StudioRequest, author_only=True)
    def studio_submit(self, data: StudioRequest, suffix: str = "") -> Response | dict[str, Any]:
        """Validate (and on "save" store) the activity and rule, given as `<cme-credit>` XML or
        as JSON; nothing is stored unless all of it is valid."""
        _ = self.gettext
        try:
            settings = read_settings_source(data.settings_source)
        except ValidationError as exc:
            problems = translate_validation_error(_, exc, package="credit_export")
        except CreditError as exc:
            problems = [{"field": "", "message": translate_domain_error(_, exc)}]
        else:
            problems = []
        if problems:
            return json_response(
                {
                    "error": _("The credit settings were not saved: fix the problems listed."),
                    "problems": problems,
                },
                400,
            )
        activity = settings.activity
        summary = _("{credits} Class {credit_class} credit(s) for {name}.").format(
            credits=format(activity.awarded_credits.normalize(), "f"),
            credit_class=activity.credit_class,
            name=activity.name,
        )
        if data.mode == "validate":  # the editor carries the settings between form and XML
            return {
                "message": summary,
                "data": json.loads(settings.model_dump_json()),
                "source": settings_to_xml(settings),
            }
        refused = self._refuse_stale_save(
            data.base_fingerprint,
            _(
                "Someone else saved these credit settings after you opened them. Nothing was "
                "saved: copy your changes, reload the editor and apply them again."
            ),
        )
        if refused:
            return refused
        self.display_name = data.display_name.strip()
        self.activity_json = activity.model_dump_json()
        self.rule_json = settings.rule.model_dump_json()
        return {
            "message": _("Saved: {summary}").format(summary=summary),
            "fingerprint": self.content_fingerprint,
        }

    @XBlock.handler
    def export_settings(self, request, suffix: str = "") -> Response:
        """Download the activity and rule as JSON (authors only), to import elsewhere."""
        if not self.user_can_author:
            return json_response({"error": self.gettext(STAFF_ONLY)}, 403)
        body = json.dumps(json.loads(self.settings.model_dump_json()), ensure_ascii=False, indent=2)
        response = Response(body, content_type="application/json", charset="utf8")
        name = f"cme-credit-{self.activity.project_number}.json"
        response.content_disposition = f'attachment; filename="{name}"'
        return response

    @classmethod
    def parse_xml(cls, node, runtime, keys, id_generator=None):
        """`<cme_credit display_name="..">` with `<cme-activity>` and `<cme-credit-rule>` as
        children (credit_export.xml_mapping); an invalid one stops the import with the line
        and field at fault. Older exports held the two as JSON in `<activity>` and `<rule>`."""
        docinfo = node.getroottree().docinfo
        if docinfo.doctype or docinfo.internalDTD is not None:
            raise CreditError("xml_doctype_forbidden")
        block = runtime.construct_xblock_from_class(cls, keys)
        if "display_name" in node.attrib:
            block.display_name = node.attrib["display_name"]
        legacy = [child for child in node if child.tag in ("activity", "rule")]
        if legacy:
            for child in legacy:
                model = CreditActivity if child.tag == "activity" else CreditRule
                value = model.model_validate_json(child.text or "{}").model_dump_json()
                setattr(block, f"{child.tag}_json", value)
        elif len(node):
            settings = settings_from_xml(node, root_tag=None)
            block.activity_json = settings.activity.model_dump_json()
            block.rule_json = settings.rule.model_dump_json()
        return block

    def add_xml_to_node(self, node) -> None:
        node.tag = self.scope_ids.block_type
        if self.fields["display_name"].is_set_on(self):
            node.set("display_name", self.display_name)
        if self.activity_json or self.rule_json:
            node.extend(list(etree.fromstring(settings_to_xml(self.settings))))

    @staticmethod
    def workbench_scenarios() -> list[tuple[str, str]]:
        return [
            ("Consortium module: hypertension from the township to the county", module_olx()),
            ("Credit: a CME credit alone (its rule names no component)", "<cme_credit/>"),
        ]


def platform_home() -> str:
    """The platform's address: the home page of the pseudonymous xAPI accounts."""
    from django.conf import settings

    return getattr(settings, "LMS_ROOT_URL", "") or "http://127.0.0.1:8000"


def push_summary(gettext, report) -> str:
    text = gettext(
        "{sent} statement(s) stored, {already} already in the LRS, {earlier} sent by an "
        "earlier push."
    ).format(
        sent=report.sent,
        already=report.already_stored,
        earlier=report.skipped_by_checkpoint,
    )
    if report.conflicts:
        text += " " + gettext(
            "{count} statement(s) differ from what the LRS holds under the same id: {ids}."
        ).format(count=len(report.conflicts), ids=", ".join(report.conflicts[:5]))
    if report.error:
        code, params = report.error
        text += " " + translate_code(gettext, code, params, code, "credit_export")
    elif report.unfinished:
        text += " " + gettext(
            "More remain to be sent: push again to go on from here, or use the "
            "export_cme_credits command for a large ledger."
        )
    return text


def module_olx() -> str:
    """A unit as a learner meets it: an introduction, a case, a referral exercise and the
    credit whose rule counts both."""
    from case_teaching import demo_case_xml
    from referral_tracking import demo_scenario_xml

    from .olx import parse_safely

    unit = etree.Element("vertical_demo")
    intro = etree.SubElement(unit, "html_demo")
    etree.SubElement(intro, "p").text = (
        "Module 3 of the consortium's hypertension programme: work through the case, then "
        "the referral exercise from a township health centre, then claim your CME credit."
    )
    case = parse_safely(demo_case_xml("hypertensive_emergency"))
    case.set("display_name", "Case: a hypertensive emergency")
    unit.append(case)
    referral = etree.SubElement(
        unit, "cme_referral", {"display_name": "Referral: hypertension at a township clinic"}
    )
    referral.append(parse_safely(demo_scenario_xml("hypertension_township")))
    etree.SubElement(unit, "cme_credit", {"display_name": "CME credit for module 3"})
    return etree.tostring(unit, encoding="unicode")
