"""`cme_case`: a staged clinical case with findings on request, decisions, branches and a grade.

The block only adapts `case_teaching` to Open edX: it loads its fields, calls the engine,
saves, publishes and renders. What the browser receives is always built from
`case_teaching.learner_view`, which holds only what the learner has earned.
"""

import json
from functools import lru_cache
from typing import Any, Literal

from django.utils.safestring import mark_safe
from lxml import etree
from pydantic import Field, ValidationError
from web_fragments.fragment import Fragment
from webob import Response
from xblock.core import XBlock
from xblock.fields import Float, Integer, Scope, String
from xblock.scorable import Score

from case_teaching import (
    Case,
    CaseError,
    CaseProgress,
    apply_action,
    case_from_xml,
    case_overview,
    case_to_element,
    case_to_xml,
    demo_case_names,
    demo_case_xml,
    learner_view,
    load_demo_case,
    max_score,
    new_progress,
    reconcile,
    spoiler_warnings,
    start,
)
from case_teaching.teaching_report import (
    CohortChartLabels,
    cohort_report,
    cohort_to_svg,
    graded_decisions,
    options_to_svg,
)

from .base import STAFF_ONLY, add_assets, json_action, json_response, script_json
from .case_editor import editor_config
from .case_view import CaseViewModel
from .exercise import ExerciseMixin, StrictRequest, StudioSaveRequest, ViewDataRequest
from .messages import (
    N_,
    describe_field,
    field_label,
    translate_code,
    translate_domain_error,
    translate_validation_error,
)
from .olx import parse_safely
from .templates_engine import render_template

#: Block attributes in OLX that belong to Open edX, not to the case.
BLOCK_ATTRIBUTES = frozenset({"display_name", "weight", "url_name", "xblock-family"})
DEFAULT_CASE = "chest_pain_gp"

ANNOUNCE = {
    "finding": N_("Result received: {label}."),
    "answer": N_("Answer saved. Feedback is shown below the question."),
    "stage": N_("Next stage: {title}."),
    "completed": N_("Case complete. Your summary is shown."),
    "restarted": N_("The case starts again from the first stage."),
}


def focus_target(outcome: dict[str, Any]) -> str:
    """Where the learner's page puts the focus after an action (a `data-focus-key` of
    case/view.html): the finding's result or the answer's feedback where the learner is (a
    phone stays where it was, a screen reader goes on from there), the heading only when the
    stage changes, the summary at the end."""
    kind = outcome.get("kind")
    if kind == "finding":
        return f"finding-{outcome['finding']}"
    if kind == "answer":
        return f"question-{outcome['question']}"
    if kind == "completed":
        return "summary"
    return "stage"


@lru_cache(maxsize=128)
def parse_case_json(text: str) -> Case:
    """Stored case JSON -> Case, validated once per process per content (a case is immutable
    once validated; every learner request of the same block reuses it)."""
    return Case.model_validate_json(text)


def default_case_json() -> str:
    return load_demo_case(DEFAULT_CASE).model_dump_json()


def read_case_source(source: str) -> Case:
    """Author input from Studio: readable case XML, or the JSON of an exported case."""
    text = source.strip()
    if text.startswith("{"):
        return Case.model_validate_json(text)
    return case_from_xml(text, ignore_attributes=BLOCK_ATTRIBUTES)


# ---- handler requests (pydantic) ------------------------------------------------------------


class CaseRequest(StrictRequest):
    """What the learner's page posts: one action with the step it was rendered at."""

    action: Literal["request_finding", "submit_answer", "continue", "restart"]
    step: int = Field(ge=0)
    finding: str | None = Field(default=None, max_length=64)
    question: str | None = Field(default=None, max_length=64)
    options: list[str] | None = Field(default=None, max_length=40)
    order: list[str] | None = Field(default=None, max_length=10)
    value: float | None = Field(default=None, ge=-1_000_000_000, le=1_000_000_000)
    text: str | None = Field(default=None, max_length=20_000)

    def to_domain(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.action, "step": self.step}
        if self.action == "request_finding":
            data["finding"] = self.finding or ""
        elif self.action == "submit_answer":
            data["question"] = self.question or ""
            answer: dict[str, Any] = {}
            for name in ("options", "order", "value", "text"):
                value = getattr(self, name)
                if value is not None:
                    answer[name] = value
            data["answer"] = answer
        return data


class CohortRequest(StrictRequest):
    action: Literal["cohort"] = "cohort"


class StudioRequest(StudioSaveRequest):
    weight: float = Field(ge=0, le=1000)
    case_source: str = Field(min_length=1, max_length=2_000_000)


# ---- the block ------------------------------------------------------------------------------


@XBlock.needs("i18n")
@XBlock.wants("user")
@XBlock.wants("studio_user_permissions")
class CaseBlock(ExerciseMixin, XBlock):
    """A clinical case taught in stages."""

    display_name = String(
        display_name=N_("Display name"),
        scope=Scope.settings,
        default=N_("Clinical case"),
    )
    weight = Float(
        display_name=N_("Problem weight"),
        help=N_("The case's share of the course grade; 0 makes it ungraded."),
        scope=Scope.settings,
        default=1.0,
        values={"min": 0},
    )
    case_json = String(
        help=N_("The case (validated JSON of case_teaching.Case); edited in Studio."),
        scope=Scope.content,
        default="",
    )
    progress_json = String(scope=Scope.user_state, default="")
    attempt = Integer(scope=Scope.user_state, default=1)
    raw_earned = Float(scope=Scope.user_state, default=None)
    raw_possible = Float(scope=Scope.user_state, default=None)

    block_type_name = "cme_case"

    # ---- content ----------------------------------------------------------------------------
    @property
    def case(self) -> Case:
        """The validated case, read once per block instance (each field read is a store
        round-trip) and parsed once per process per content."""
        text = self._stored("case_json")
        cached = getattr(self, "_case_cache", None)
        if cached is None or cached[0] is not text:
            cached = (text, parse_case_json(text or default_case_json()))
            self._case_cache = cached
        return cached[1]

    @property
    def content_fingerprint(self) -> str:
        return self.case.fingerprint

    def max_score(self) -> float:
        return max_score(self.case)

    # ---- learner state ----------------------------------------------------------------------
    def _load_progress(self, check_reset: bool = False) -> tuple[CaseProgress, str | None]:
        """The learner's progress on the case as it is now, started if new (events published),
        fitted to an edited case (notice), and, when a page opens (`check_reset`), restarted
        if staff reset it."""
        case = self.case
        notice = None
        if check_reset and self._apply_pending_reset():
            notice = "attempt_reset"
        if not self._stored("progress_json"):
            # New here, or the platform deleted the learner's state: go on after what the
            # durable records hold (their steps and attempts cannot be used again).
            step, attempt = self._resume_point()
            started = start(case, step=step)
            if attempt > 1:
                # Without progress there is no state at all (the platform deletes a learner's
                # fields together, and every save here writes the progress): `attempt` is at
                # its default, 1, and is not read (a store round trip) to be compared.
                self.attempt = attempt
            self._save_progress(started.progress)
            self._publish_events(started.events)
            return started.progress, notice
        progress = CaseProgress.model_validate_json(self.progress_json)
        progress, changed = reconcile(case, progress)
        if changed:
            self._save_progress(progress)
            notice = changed
        return progress, notice

    def _restart_for_reset(self) -> int:
        if self._stored("progress_json"):
            step = CaseProgress.model_validate_json(self.progress_json).step + 1
        else:
            step, attempt = self._resume_point()
            self.attempt = max(self.attempt, attempt - 1)
        self.progress_json = new_progress(self.case, step=step).model_dump_json()
        self.attempt += 1
        return self.attempt

    def _save_progress(self, progress: CaseProgress) -> None:
        self.progress_json = progress.model_dump_json()

    def _publish_events(self, events: list[dict]) -> None:
        for event in events:
            self.runtime.publish(self, event["name"], event["data"])

    # ---- rendering --------------------------------------------------------------------------
    def _view_model(self) -> CaseViewModel:
        i18n = self.i18n
        return CaseViewModel(i18n.gettext, getattr(i18n, "ngettext", None))

    def _view_context(
        self,
        progress: CaseProgress,
        notice: str | None,
        view: dict | None = None,
        while_open: bool = False,
    ) -> dict[str, Any]:
        """Template context of the learner view (`view`: the engine's, when it has one;
        `while_open`: the notice is for a page that was open when it happened)."""
        model = self._view_model()
        context = model.context(view or learner_view(self.case, progress), notice, while_open)
        context["uid"] = self.uid
        context["can_restart"] = self.case.scoring.allow_restart and progress.completed
        return context

    @XBlock.supports("multi_device")
    def student_view(self, context=None) -> Fragment:
        progress, notice = self._load_progress(check_reset=True)
        view_context = self._view_context(progress, notice)
        view_context["staff"] = self.user_is_staff
        # Names this block's staff region: a page of several blocks has one of each.
        view_context["staff_title"] = self.gettext("Staff tools: {name}").format(
            name=self.display_name
        )
        html = render_template("case/student.html", view_context, self.i18n)
        fragment = Fragment(html)
        add_assets(fragment, css=("css/cme_common.css",), js=("js/cme_common.js",))
        fragment.initialize_js("CmeCaseInit")
        return fragment

    def student_view_data(self, context=None) -> dict[str, Any]:
        """For the mobile apps' course structure. The platform collects it once for everyone,
        without a learner: only the case as any learner first sees it (no user state read or
        written, nothing published). The app then asks the `view_data` handler for the
        learner's own view and posts their actions to `act`."""
        return self._course_structure_data(case_overview(self.case))

    @json_action(ViewDataRequest)
    def view_data(self, data: ViewDataRequest, suffix: str = "") -> dict[str, Any]:
        """The learner's own view for the mobile app: what the page shows (nothing unearned),
        as data; opening it starts, resumes or restarts the case as opening the page does."""
        progress, notice = self._load_progress(check_reset=True)
        return {
            "view": learner_view(self.case, progress),
            "notice": notice or "",
            "notice_text": self._view_model().notice(notice),
        }

    # ---- the learner's actions --------------------------------------------------------------
    @json_action(CaseRequest)
    def act(self, data: CaseRequest, suffix: str = "") -> dict[str, Any]:
        progress, notice = self._load_progress()
        if notice:
            # The author edited the case after this page was rendered: its action was meant
            # for the case as it was. It is not applied; the page gets the learner's fitted
            # state and is told why (the state is saved, so the next action goes on from it).
            html = render_template(
                "case/view.html",
                self._view_context(progress, notice, while_open=True),
                self.i18n,
            )
            return {
                "html": html,
                "status": "case_updated",
                "announce": self._view_model().notice(notice, while_open=True),
                "focus": "notice",
            }
        case = self.case
        result = apply_action(case, progress, data.to_domain())
        if not self._take_step(data.step):
            raise CaseError("action_replayed", step=data.step, expected=data.step + 1)
        self._save_progress(result.progress)
        self._publish_events(result.events)
        outcome = result.response.get("outcome") or {}
        if outcome.get("kind") == "restarted":
            self.attempt += 1
        if outcome.get("kind") == "completed":
            self._complete(result.progress)
        html = render_template(
            "case/view.html",
            self._view_context(result.progress, notice, result.response["view"]),
            self.i18n,
        )
        return {
            "html": html,
            "announce": self._announce(case, outcome),
            "focus": focus_target(outcome),
        }

    def _announce(self, case: Case, outcome: dict[str, Any]) -> str:
        kind = outcome.get("kind", "")
        template = ANNOUNCE.get(kind)
        if template is None:
            return ""
        params: dict[str, Any] = {}
        if kind == "finding":
            located = case.finding(outcome["finding"])
            params["label"] = located[1].label if located else ""
        elif kind == "stage":
            stage = case.stage(outcome["stage"])
            params["title"] = stage.title if stage else ""
        return self.gettext(template).format(**params)

    def _complete(self, progress: CaseProgress) -> None:
        self._finish(
            self.attempt,
            progress.score,
            progress.max_score,
            detail={
                # The name staff know the learner by, for the cohort view's reflections.
                "learner_name": str(self._user_attr("edx-platform.username", "") or ""),
                "case_fingerprint": progress.case_fingerprint,
                "case_version": progress.case_version,
                "path": list(progress.path),
                "findings": list(progress.findings),
                "answers": [a.model_dump(mode="json") for a in progress.answers],
            },
        )

    # ---- ScorableXBlockMixin ----------------------------------------------------------------
    def has_submitted_answer(self) -> bool:
        return bool(self._stored("progress_json")) and bool(
            CaseProgress.model_validate_json(self.progress_json).answers
        )

    def calculate_score(self) -> Score:
        """Rescoring (e.g. after the author fixed a key): replay the learner on the case now."""
        if not self._stored("progress_json"):
            return Score(raw_earned=0.0, raw_possible=self.max_score())
        progress, _notice = reconcile(
            self.case, CaseProgress.model_validate_json(self.progress_json)
        )
        if not progress.completed:
            return self.get_score()
        return Score(raw_earned=progress.score, raw_possible=progress.max_score)

    # ---- staff: the cohort ------------------------------------------------------------------
    @json_action(CohortRequest, staff_only=True)
    def cohort(self, data: CohortRequest, suffix: str = "") -> dict[str, Any]:
        """How the learners who completed this case went: a chart of each decision, the
        answers' split, the common paths, missed and over-ordered findings, reflections."""
        from .records.outcomes import latest_block_outcomes

        _ = self.gettext
        case = self.case
        anonymous = _("Learner {number}")

        def attempts():
            # Each learner once (their latest completed attempt), named as staff know them:
            # the username recorded at completion, else a numbered label.
            for number, row in enumerate(latest_block_outcomes(self.usage_key), start=1):
                detail = row.detail or {}
                yield {
                    "learner": detail.get("learner_name") or anonymous.format(number=number),
                    "score": row.score,
                    "max_score": row.max_score,
                    "detail": detail,
                }

        report = cohort_report(case, attempts())
        keyed = {
            "correct": _("correct"),
            "credit": _("partial credit"),
            "harmful": _("harmful"),
        }
        labels = CohortChartLabels(
            title=_("How the cohort answered each decision"),
            full=_("full credit"),
            partial=_("partial credit"),
            none=_("no credit"),
            no_data=_("No learner has completed this case yet."),
            answered=_("{count} answered"),
            options_title=_("How the learners answered: {label}"),
            chosen=_("{count} ({percent}%)"),
            keyed=keyed,
        )

        def percent(share: float) -> int:
            return round(share * 100)

        def findings(items) -> list[dict[str, Any]]:
            return [
                {
                    "label": f.label,
                    "stage_title": f.stage_title,
                    "count": f.count,
                    "percent": percent(f.share),
                }
                for f in items[:10]
            ]

        graded = graded_decisions(report, case)
        context = {
            "completed": report.completed,
            "headline": self.ngettext(
                "{count} learner completed this case; {passed} passed; mean score {mean}%.",
                "{count} learners completed this case; {passed} passed; mean score {mean}%.",
                report.completed,
            ).format(
                count=report.completed,
                passed=report.passed,
                mean=percent(report.mean_fraction),
            )
            if report.completed
            else labels.no_data,
            "other_versions": _("{count} of them worked on an earlier version of the case.").format(
                count=report.other_versions
            )
            if report.other_versions
            else "",
            "svg": mark_safe(  # noqa: S308 (serialized by ElementTree: escaped)
                cohort_to_svg(report, case, labels, id_prefix=f"cme-cohort-{self.uid}")
            ),
            "decisions": [
                {
                    "number": index + 1,
                    "stage_title": d.stage_title,
                    "label": d.label,
                    "svg": mark_safe(  # noqa: S308 (serialized by ElementTree: escaped)
                        options_to_svg(d, labels, id_prefix=f"cme-options-{self.uid}-{index}")
                    ),
                    "prompt": mark_safe(d.prompt),  # noqa: S308 (sanitized by the schema)
                    "answered_text": labels.answered.format(count=d.answered),
                    "options": [
                        {
                            "text": o.text,
                            "count": o.count,
                            "percent": percent(o.share),
                            "keyed": keyed.get(o.keyed or "", ""),
                        }
                        for o in d.options
                    ],
                }
                for index, d in enumerate(graded)
            ],
            "paths": [
                {"titles": titles, "count": count, "expert": expert}
                for titles, count, expert in report.paths
            ],
            "missed": findings(report.missed),
            "over": findings(report.over_ordered),
            "reflections": [
                {"stage_title": d.stage_title, "label": d.label, "items": d.reflections}
                for d in report.decisions
                if d.reflections
            ],
        }
        return {"html": render_template("case/cohort.html", context, self.i18n)}

    # ---- Studio -----------------------------------------------------------------------------
    def studio_view(self, context=None) -> Fragment:
        def render() -> str:
            return render_template(
                "case/studio.html",
                {
                    "display_name": self.display_name,
                    "weight": self.weight,
                    "case_source": case_to_xml(self.case),
                    "export_url": self.runtime.handler_url(self, "export_case"),
                    "editor_config_json": script_json(editor_config(self.gettext)),
                    "editor_data_json": script_json(json.loads(self.case.model_dump_json())),
                    "fingerprint": self.case.fingerprint,
                },
                self.i18n,
            )

        return self._studio_fragment(render)

    @json_action(StudioRequest, author_only=True)
    def studio_submit(self, data: StudioRequest, suffix: str = "") -> Response | dict[str, Any]:
        """Validate (and on "save" store) the author's case. Nothing is stored unless all of it
        is valid; the problems come back one per line or field."""
        _ = self.gettext
        try:
            case = read_case_source(data.case_source)
        except ValidationError as exc:
            problems = translate_validation_error(_, exc, package="case_teaching")
            return json_response(
                {
                    "error": _("The case was not saved: fix the problems listed."),
                    "problems": problems,
                },
                status=400,
            )
        except CaseError as exc:
            message = translate_domain_error(_, exc)
            return json_response(
                {
                    "error": _("The case was not saved: fix the problems listed."),
                    "problems": [{"field": "", "message": message}],
                },
                status=400,
            )
        summary = _("{stages} stages, up to {points} points.").format(
            stages=len(case.stages), points=f"{max_score(case):g}"
        )
        warnings = self._spoiler_warnings(case)
        if data.mode == "validate":  # the editor carries the case between form and XML
            return {
                "message": _("The case is valid: {summary}").format(summary=summary),
                "warnings": warnings,
                "data": json.loads(case.model_dump_json()),
                "source": case_to_xml(case),
            }
        refused = self._refuse_stale_save(
            data.base_fingerprint,
            _(
                "Someone else saved this case after you opened it. Nothing was saved: "
                "copy your changes, reload the editor and apply them again."
            ),
        )
        if refused:
            return refused
        self.display_name = data.display_name.strip()
        self.weight = data.weight
        self.case_json = case.model_dump_json()
        return {
            "message": _("Saved: {summary}").format(summary=summary),
            "warnings": warnings,
            "fingerprint": case.fingerprint,
        }

    def _spoiler_warnings(self, case: Case) -> list[dict[str, str]]:
        """Where the summary or objectives may give an answer away, as the form names them."""
        found = []
        for warning in spoiler_warnings(case):
            label = describe_field(self.gettext, warning.loc, "case_teaching")
            # Translators: a word quoted in a list of words ("chest", "indrawing").
            quoted = [self.gettext('"{word}"').format(word=word) for word in warning.words]
            # Translators: what separates the items of a list of words.
            words = self.gettext(", ").join(quoted)
            params = {**warning.params, "field": label, "words": words}
            message = translate_code(self.gettext, warning.code, params, "", "case_teaching")
            found.append({"field": field_label(warning.loc), "label": label, "message": message})
        return found

    @XBlock.handler
    def export_case(self, request, suffix: str = "") -> Response:
        """Download the case as JSON (staff only), for import into another block or course."""
        if not self.user_can_author:
            return json_response({"error": self.gettext(STAFF_ONLY)}, 403)
        body = json.dumps(json.loads(self.case.model_dump_json()), ensure_ascii=False, indent=2)
        response = Response(body, content_type="application/json", charset="utf8")
        response.content_disposition = f'attachment; filename="{self.case.id}.json"'
        return response

    # ---- OLX --------------------------------------------------------------------------------
    @classmethod
    def parse_xml(cls, node, runtime, keys, id_generator=None):
        """`<cme_case display_name=".." weight="..">` + the case's readable XML as children.

        An invalid case stops the import with the line and field at fault (CaseError)."""
        docinfo = node.getroottree().docinfo
        if docinfo.doctype or docinfo.internalDTD is not None:
            # The runtime's parser may already have expanded its entities: refuse the file.
            raise CaseError("xml_doctype_forbidden")
        block = runtime.construct_xblock_from_class(cls, keys)
        taken = cls._read_settings(block, node)
        if len(node) or node.get("id"):
            block.case_json = case_from_xml(
                node, ignore_attributes=BLOCK_ATTRIBUTES | taken
            ).model_dump_json()
        return block

    def add_xml_to_node(self, node) -> None:
        """Settings as attributes, the case as nested XML; never user state."""
        element = case_to_element(self.case)
        for name, value in element.attrib.items():
            node.set(name, value)
        self._write_settings(node)
        node.text = element.text
        for child in element:
            node.append(child)

    # ---- the workbench ----------------------------------------------------------------------
    @staticmethod
    def workbench_scenarios() -> list[tuple[str, str]]:
        scenarios = []
        for name in demo_case_names():
            root = parse_safely(demo_case_xml(name))
            title = root.findtext("title") or name
            root.set("display_name", title)
            scenarios.append((f"Case: {title}", etree.tostring(root, encoding="unicode")))
        return scenarios
