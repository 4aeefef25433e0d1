"""`cme_credit`: a CME activity's credit, awarded the moment its rule is met.

The learner sees what is done and what is missing, fills the CME profile once (kept in
`Scope.preferences`, reused in every course), answers the activity evaluation, and receives the
credit the moment the rule is met: when the profile or the evaluation they save completes it,
or when they open the block with the rule met (the exercises were finished elsewhere). One
ledger row per learner and activity whatever happens; a printable certificate. API and mobile
clients may also ask for it explicitly (`act` with "claim", idempotent). Staff download the
activity's records as CSV or XML for the provincial CME platform.
"""

import json
import logging
import os
import unicodedata
from datetime import UTC, datetime, tzinfo
from functools import lru_cache
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.utils.safestring import mark_safe
from lxml import etree
from pydantic import Field, ValidationError
from web_fragments.fragment import Fragment
from webob import Response
from xblock.completable import CompletableXBlockMixin
from xblock.core import XBlock
from xblock.fields import Scope, String

from credit_export import (
    DEFAULT_POLICY_ID,
    ActivityEvaluation,
    ComponentRequirement,
    CreditActivity,
    CreditError,
    CreditPolicy,
    CreditRecord,
    CreditRule,
    CreditSettings,
    LearnerProfile,
    Missing,
    Outcome,
    PolicyProblem,
    activity_problems,
    annual_summary,
    award,
    clean_text,
    demo_activity,
    evaluate_rule,
    iter_csv,
    iter_summary_csv,
    learner_summaries,
    load_policy,
    rule_problems,
    settings_from_xml,
    settings_to_xml,
    study_minutes,
    write_valid_xml,
)
from credit_export.badges import credential_uuid, open_badge
from credit_export.licences import shared_licences
from credit_export.messages import MESSAGES
from credit_export.schema import name_in

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
from .exercise import StrictRequest, StudioSaveRequest, ViewDataRequest
from .messages import (
    N_,
    describe_field,
    translate_code,
    translate_domain_error,
    translate_validation_error,
)
from .olx import read_runtime_settings, write_runtime_settings
from .templates_engine import render_template

log = logging.getLogger(__name__)

#: The blocks a rule without components counts: the graded exercises of the same unit.
EXERCISE_TYPES = ("cme_case", "cme_referral")
#: The settings our OLX node carries itself (the runtime's others are written as XBlock does).
OLX_SETTINGS = frozenset({"display_name"})
#: The longest component label a rule holds (`ComponentRequirement.label`).
LABEL_CHARS = 200

LEVELS = {
    "national": N_("national"),
    "provincial": N_("provincial"),
    "municipal": N_("municipal"),
    "hospital": N_("hospital"),
}
#: Between the names of levels in a sentence ("national, provincial").
LIST_SEPARATOR = N_(", ")
#: Translators: what separates the sentences of a list (what a credit still lacks).
SENTENCE_SEPARATOR = N_("; ")
#: A component's state after its label in the list (the label is not said twice).
COMPONENT_STATES = {
    "missing_not_attempted": N_("not completed yet."),
    "missing_score": N_("your best score is {score}%, {minimum}% is needed."),
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
    """Author input from Studio: `<cme-credit>` XML (`<hours>` without `per-credit` at the
    level's rate of the province's policy), or the JSON of exported settings; the policy's
    refusals come after (`CreditBlock._policy_problems`), each marking its field."""
    text = source.strip()
    if text.startswith("{"):
        return CreditSettings.model_validate_json(text)
    return settings_from_xml(text, policy=credit_policy(), check=False)


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
        return parse_activity(self._stored("activity_json"))

    def rule(self, rule: CreditRule | None = None) -> CreditRule:
        """The author's rule (or `rule`); without components, every graded exercise of this
        unit. Still without components, it is never met (nothing is assessed)."""
        rule = rule if rule is not None else parse_rule(self._stored("rule_json"))
        if rule.components:
            return rule
        return rule.model_copy(update={"components": self._unit_exercises()})

    def _unit_exercises(self) -> list[ComponentRequirement]:
        components = []
        parent = self.get_parent()
        for child_id in getattr(parent, "children", []) if parent else []:
            # None: the learner may not open that block (block_render.get_block_for_descriptor)
            child = self.runtime.get_block(child_id)
            block_type = (
                child.scope_ids.block_type if child else getattr(child_id, "block_type", "")
            )
            if block_type in EXERCISE_TYPES:
                number = len(components) + 1
                label = (
                    self._exercise_label(child, number)
                    if child
                    else self.gettext(
                        "Exercise {number} of this unit, which you cannot open: ask the course team"
                    ).format(number=number)
                )
                components.append(ComponentRequirement(usage_id=str(child_id), label=label))
        return components

    def _exercise_label(self, child, number: int) -> str:
        """An exercise's display name as a learner reads it in the rule: cleaned, at most
        LABEL_CHARS (cut with an ellipsis); a blank one is named by its place in the unit."""
        label = " ".join(clean_text(str(child.display_name or "")).split())
        if len(label) > LABEL_CHARS:
            label = label[: LABEL_CHARS - 1].rstrip() + "…"
        return label or self.gettext("Exercise {number} of this unit").format(number=number)

    def _no_assessment_text(self) -> str:
        return self.gettext(
            "This credit cannot be awarded: its rule names no assessed component and its unit "
            "has no case or referral exercise. Name the components in the rule (Studio), or "
            "put the credit block in the unit of its exercises."
        )

    def validate(self):
        """Studio's check of the block: a credit that nothing can earn is flagged, and so are
        settings the province's policy refuses (saved before, or under another policy)."""
        from xblock.validation import ValidationMessage

        validation = super().validate()
        if not self.rule().components:
            validation.add(ValidationMessage(ValidationMessage.WARNING, self._no_assessment_text()))
        for problem in self._policy_problems(self.settings):
            validation.add(ValidationMessage(ValidationMessage.ERROR, problem["message"]))
        return validation

    # ---- the learner ------------------------------------------------------------------------
    @property
    def profile(self) -> LearnerProfile | None:
        """The learner's CME profile, validated once per block instance and saved value (a
        request asks for it up to three times: to award, to store, to show)."""
        text = self._stored("profile_json")
        cached = getattr(self, "_profile_cache", None)
        if cached is None or cached[0] is not text:
            cached = (text, LearnerProfile.model_validate_json(text) if text else None)
            self._profile_cache = cached
        return cached[1]

    def _state(self) -> dict[str, Any]:
        from .records.ledger import award_of, study_idle_cap, study_moments
        from .records.outcomes import best_outcomes
        from .records.scores import Learner, platform_scores

        rule = self.rule()
        wanted = [c.usage_id for c in rule.components]
        rows = best_outcomes(self.learner_id, wanted)
        # Blocks that are not ours (a problem, an ORA): their score as the platform keeps it.
        learner = Learner(self.learner_id, self.anonymous_learner_id)
        others = platform_scores(learner, [u for u in wanted if u not in rows])
        outcomes = [
            Outcome(
                usage_id=usage_id,
                score=row.score,
                max_score=row.max_score,
                completed_at=row.completed_at,
            )
            for usage_id, row in (rows | others).items()
        ]
        minutes = None
        if rule.min_minutes:
            minutes = study_minutes(study_moments(self.learner_id, wanted), study_idle_cap())
        result = evaluate_rule(rule, outcomes, bool(self._stored("evaluation_json")), minutes)
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

    def _component_state(self, missing) -> str:
        """What a listed component still lacks, without its label (the list shows it)."""
        template = COMPONENT_STATES.get(missing.code)
        if template is None:
            return self._missing_text(missing)
        return self.gettext(template).format(**missing.params)

    @staticmethod
    def _revoked_day(row) -> str:
        """The day a credit was revoked, in the CME office's time zone."""
        return row.revoked_at.astimezone(cme_time_zone()).date().isoformat()

    def _activity_view(self) -> dict[str, Any]:
        """The activity as learners read it (the same for every learner)."""
        activity = self.activity
        name = name_in(activity.name_translations, self._language_tag()) or activity.name
        return {
            "name": name,
            "name_and_number": self.gettext("{name} ({project_number})").format(
                name=name, project_number=activity.project_number
            ),
            "project_number": activity.project_number,
            "level": self.gettext(LEVELS[activity.level]),
            "credit_class": activity.credit_class,
            "class_label": self.gettext("Class {credit_class}").format(
                credit_class=activity.credit_class
            ),
            "credits": format(activity.awarded_credits.normalize(), "f"),
            "organiser": activity.organiser,
            "dates": f"{activity.start_date.isoformat()} – {activity.end_date.isoformat()}",
        }

    def _context(self, state: dict[str, Any] | None = None) -> dict[str, Any]:
        """What the view shows, from the rule's `state` (`_state()`, computed once per request
        and passed in; computed here when not given)."""
        _ = self.gettext
        state = state if state is not None else self._state()
        result, existing = state["result"], state["award"]
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
                    "problem": self._component_state(problem) if problem else "",
                    "link": link,
                }
            )
        certificate = None
        revoked = existing is not None and existing.status == "revoked"
        if existing is not None and existing.status == "awarded":
            record = state.get("record") or CreditRecord.model_validate(existing.record)
            certificate = {
                "name": record.profile.name,
                "licence": record.profile.licence_number,
                "title": _(TITLES[record.profile.title]),
                "institution": record.profile.institution,
                "department": record.profile.department,
                "place": _("{institution}, {department}").format(
                    institution=record.profile.institution, department=record.profile.department
                ),
                "credits": format(record.credits.normalize(), "f"),
                "credits_line": _("Class {credit_class}: {credits}").format(
                    credit_class=record.credit_class, credits=number(record.credits)
                ),
                "verification": str(credential_uuid(self._subject_id(existing), record)),
                "date": record.awarded_at.astimezone(cme_time_zone()).date().isoformat(),
                "score": record.score_percent,
            }
        return {
            "uid": self.usage_key.replace(".", "-")[-40:],
            "activity": self._activity_view(),
            "components": components,
            "evaluation_done": bool(self._stored("evaluation_json")),
            "evaluation_required": state["rule"].evaluation_required,
            "study_time": self._study_time(state["rule"], result),
            "profile": profile.model_dump() if profile else None,
            "profile_title": _(TITLES[profile.title]) if profile else "",
            "profile_tier": _(TIERS[profile.tier]) if profile else "",
            "profile_place": self._profile_place(profile) if profile else "",
            "licence_warning": self._licence_warning(profile),
            "titles": [(k, _(v)) for k, v in TITLES.items()],
            "tiers": [(k, _(v)) for k, v in TIERS.items()],
            "changes": [(k, _(v)) for k, v in CHANGES.items()],
            "revoked": revoked,
            "revoked_text": (
                self._missing_text(
                    Missing(code="claim_revoked", params={"date": self._revoked_day(existing)})
                )
                if revoked
                else ""
            ),
            "certificate": certificate,
            "badge_url": self.runtime.handler_url(self, "badge") if certificate else "",
            "annual": self._annual_view(profile),
        }

    def _subject_id(self, row) -> str:
        """The learner's pseudonymous id as the award recorded it (the badge's subject)."""
        return row.anonymous_id or self.anonymous_learner_id

    def _licence_warning(self, profile: LearnerProfile | None) -> str:
        """A warning when another account's credit in this course carries this licence."""
        from .records.ledger import licence_on_other_account

        if profile is None or not self.keeps_records:
            return ""
        if not licence_on_other_account(
            str(self.course_key or ""), profile.licence_number, self.learner_id
        ):
            return ""
        return self.gettext(
            "This licence number is already on another account's credit in this course. A "
            "credit counts once per person: check the number, or tell the CME office if both "
            "accounts are yours."
        )

    def _profile_place(self, profile: LearnerProfile) -> str:
        """Where the learner works, as one phrase of the reader's language."""
        return self.gettext("{institution} ({tier}), {department}").format(
            institution=profile.institution,
            tier=self.gettext(TIERS[profile.tier]),
            department=profile.department,
        )

    def _annual_view(self, profile: LearnerProfile | None) -> dict[str, Any]:
        """The learner's credits of this year (every course) against the province's annual
        requirement for their title and institution tier, as sentences."""
        from .records.ledger import learner_records

        _ = self.gettext
        zone = cme_time_zone()
        summary = annual_summary(
            learner_records(self.learner_id),
            credit_policy(),
            datetime.now(zone).year,
            title=profile.title if profile else None,
            tier=profile.tier if profile else None,
            zone=zone,
        )
        return {
            "heading": _("This year ({year}): {counted} of {total} credits").format(
                year=summary.year,
                counted=number(summary.counted),
                total=number(summary.requirement.total),
            ),
            "lines": self._annual_lines(summary),
            "met": summary.met,
            "verdict": _("The annual requirement is met.")
            if summary.met
            else _(
                "The annual requirement is not met yet: each class needs its own minimum, and "
                "credits of one class never make up for the other."
            ),
        }

    def _annual_lines(self, summary) -> list[str]:
        """Each class against its range, the credits by level, the national-project years."""
        _ = self.gettext
        lines = [self._class_line("I", summary.class_i), self._class_line("II", summary.class_ii)]
        levels = [
            _("{level}: {credits}").format(level=_(LEVELS[level]), credits=number(credits))
            for level, credits in summary.by_level.items()
            if credits
        ]
        if levels:
            lines.append(_("By level: {levels}").format(levels=_(LIST_SEPARATOR).join(levels)))
        if summary.national is not None:
            lines.append(self._national_line(summary.national))
        return lines

    def _class_line(self, credit_class: str, tally) -> str:
        _ = self.gettext
        if tally.maximum is None:
            return _("Class {credit_class}: {earned} (at least {minimum})").format(
                credit_class=credit_class,
                earned=number(tally.earned),
                minimum=number(tally.minimum),
            )
        return _(
            "Class {credit_class}: {earned} (at least {minimum}; up to {maximum} count)"
        ).format(
            credit_class=credit_class,
            earned=number(tally.earned),
            minimum=number(tally.minimum),
            maximum=number(tally.maximum),
        )

    def _national_line(self, national) -> str:
        return self.gettext(
            "National projects {first}-{last}: {earned} of {required} credits (asked of "
            "staff at your institution's level)"
        ).format(
            first=national.first_year,
            last=national.last_year,
            earned=number(national.earned),
            required=number(national.required),
        )

    def _study_time(self, rule: CreditRule, result) -> dict[str, Any] | None:
        """The rule's minimum study time against what is recorded, as the learner reads it."""
        from .records.ledger import study_idle_cap

        if not rule.min_minutes:
            return None
        minutes = result.minutes_spent or 0
        done = minutes >= rule.min_minutes
        return {
            "done": done,
            "text": (
                self.gettext("Done: {required} minutes of study").format(required=rule.min_minutes)
                if done
                else self._missing_text(
                    Missing(
                        code="missing_minutes",
                        params={"minutes": minutes, "required": rule.min_minutes},
                    )
                )
            ),
            "how": self.gettext(
                "Study time is the time between your recorded steps in the exercises above; "
                "a pause longer than {cap} minutes is not counted."
            ).format(cap=int(study_idle_cap().total_seconds() // 60)),
        }

    @XBlock.supports("multi_device")
    def student_view(self, context=None) -> Fragment:
        state = self._state()
        # A view (a GET) that writes: acceptable here, and only here, because the award is
        # idempotent (the ledger's unique row per learner and activity; a second view, a
        # reload or a claim at the same moment changes nothing) and is what the learner is
        # owed: the rule is met, the profile is there, so the credit is theirs the moment they
        # look (the exercises were finished in other blocks, which cannot award it).
        awarded_now = self._award_when_met(state)
        view = self._context(state)
        view["announce"] = self._announcement("claim") if awarded_now else ""
        view["staff"] = self.user_is_staff
        view["csv_url"] = self.runtime.handler_url(self, "export_csv")
        view["xml_url"] = self.runtime.handler_url(self, "export_xml")
        view["summary_url"] = self.runtime.handler_url(self, "export_summary_csv")
        view["last_push"] = self._last_push() if view["staff"] else ""
        view["no_assessment"] = (
            self._no_assessment_text() if view["staff"] and not view["components"] else ""
        )
        fragment = Fragment(render_template("credit/student.html", view, self.i18n))
        add_assets(
            fragment, css=("css/cme_common.css",), js=("js/cme_common.js", "js/cme_credit.js")
        )
        fragment.initialize_js("CmeCreditBlockInit")
        return fragment

    def student_view_data(self, context=None) -> dict[str, Any]:
        """For the mobile apps' course structure, which the platform collects once for
        everyone, without a learner: the activity and what its rule asks (nothing of any
        learner's, nothing written). The app then asks `view_data` for the learner's own
        progress and certificate, and posts the profile and evaluation to `act`."""
        rule = self.rule()
        return {
            "activity": self._activity_view(),
            "components": [
                {"label": c.label, "min_fraction": c.min_fraction} for c in rule.components
            ],
            "evaluation_required": rule.evaluation_required,
            "min_minutes": rule.min_minutes,
            "display_name": self.display_name,
            "handlers": {"view": "view_data", "act": "act"},
        }

    @json_action(ViewDataRequest)
    def view_data(self, data: ViewDataRequest, suffix: str = "") -> dict[str, Any]:
        """The learner's own progress for the mobile app, as the page shows it (`html`: the
        view the page swaps in when a sibling exercise completes); opening it awards a credit
        whose rule is met, as opening the page does (see `student_view`)."""
        state = self._state()
        awarded_now = self._award_when_met(state)
        view = self._context(state)
        return {
            **{
                k: view[k]
                for k in ("activity", "components", "evaluation_done", "certificate", "annual")
            },
            "announce": self._announcement("claim") if awarded_now else "",
            "html": render_template("credit/view.html", view, self.i18n),
        }

    def _announcement(self, action: str) -> str:
        return self.gettext(ANNOUNCE[action])

    @json_action(CreditRequest)
    def act(self, data: CreditRequest, suffix: str = "") -> Response | dict[str, Any]:
        """Save the profile or the evaluation, or claim the credit (API and mobile clients);
        whatever the action, the credit is awarded as soon as it completes the rule."""
        _ = self.gettext
        fields = data.model_dump(exclude_none=True, exclude={"action"})
        try:
            if data.action == "profile":
                self.profile_json = LearnerProfile.model_validate(fields).model_dump_json()
            elif data.action == "evaluate":
                evaluation = ActivityEvaluation.model_validate(fields)
                self.evaluation_json = evaluation.model_dump_json()
                self._keep_evaluation(evaluation)
        except ValidationError as exc:
            problems = translate_validation_error(_, exc, package="credit_export")
            return json_response({"error": problems[0]["message"], "problems": problems}, 400)
        # The rule's state, once per request (it reads the outcomes, the platform's scores and
        # the ledger): the award and the answer's view both come from it.
        state = self._state()
        if data.action == "claim":
            self._claim(state)
            announce = self._announcement("claim")
        else:
            announce = self._announcement(data.action)
            if self._award_when_met(state):
                announce += " " + self._announcement("claim")
        html = render_template("credit/view.html", self._context(state), self.i18n)
        return {"html": html, "announce": announce}

    def _keep_evaluation(self, evaluation: ActivityEvaluation) -> None:
        from .records.ledger import record_evaluation

        if not self.keeps_records:
            return
        record_evaluation(
            evaluation,
            learner_id=self.learner_id,
            usage_id=self.usage_key,
            course_id=self.course_key,
            project_number=self.activity.project_number,
            now=datetime.now(UTC),
        )

    def _award_when_met(self, state: dict[str, Any]) -> bool:
        """Award the credit if the rule is met, the profile is there and the ledger holds
        nothing for this learner and activity yet (a revoked credit stays revoked). True when
        this call stored the award; `state["award"]` is the ledger's row afterwards."""
        if state["award"] is not None or not state["result"].met or self.profile is None:
            return False
        if not self.keeps_records:
            return False  # an author previewing or staff viewing as a learner earns nothing
        try:
            record = award(
                self.activity, state["result"], self.profile, self.learner_id, datetime.now(UTC)
            )
        except CreditError as exc:  # e.g. no learner id (not signed in): nothing to award to
            log.warning("CME credit not awarded to %r: %s", self.learner_id, exc)
            return False
        return self._store_award(record, state)

    def _claim(self, state: dict[str, Any]) -> None:
        """The explicit claim: refused with what is missing, or after a revocation; a claim
        of a credit already awarded changes nothing."""
        existing = state["award"]
        if existing is not None and existing.status == "revoked":
            raise CreditError("claim_revoked", date=self._revoked_day(existing))
        if existing is not None:
            return  # already awarded: a replayed claim changes nothing
        try:
            record = award(
                self.activity, state["result"], self.profile, self.learner_id, datetime.now(UTC)
            )
        except CreditError as exc:
            missing = [self._missing_text(m) for m in exc.params.get("items", [])]
            separator = self.gettext(SENTENCE_SEPARATOR)
            raise CreditError("rule_not_met", missing=separator.join(missing)) from exc
        self._store_award(record, state)

    def _store_award(self, record: CreditRecord, state: dict[str, Any]) -> bool:
        """Write the award to the ledger (the database's unique row decides between requests
        at the same moment); the event and the completion only from the request that wrote
        it. True when this request wrote it."""
        from .records.ledger import claim

        if not self.keeps_records:
            return False
        row, created = claim(
            record,
            anonymous_id=self.anonymous_learner_id,
            course_id=self.course_key,
            usage_id=self.usage_key,
        )
        state["award"] = row
        # The record this request wrote is the row's: the view shows it without validating
        # the stored JSON back (another request's row, after a race, is read as stored).
        state["record"] = record if created else None
        if created:
            self.runtime.publish(
                self,
                "cme.credit.awarded",
                {
                    "project_number": record.project_number,
                    "anonymous_user_id": self.anonymous_learner_id,
                    "credits": str(record.credits),
                    "credit_class": record.credit_class,
                },
            )
            self.emit_completion(1.0)
        return created

    # ---- staff ------------------------------------------------------------------------------
    @json_action(RevokeRequest, staff_only=True)
    def revoke(self, data: RevokeRequest, suffix: str = "") -> dict[str, Any]:
        """Revoke one learner's credit for this activity, with the reason (kept, audited).

        The learner is named by the licence number as the CSV shows it (what the CME office
        has in hand), or by the platform's user id. The reason stays in the ledger's row, not
        in the published event (free text may name a person)."""
        from .records.ledger import award_of, awards_with_licence, revoke_award

        _ = self.gettext
        given = data.learner.strip()
        project = self.activity.project_number
        matches = awards_with_licence(project, licence_as_recorded(given))
        candidates = [row for row in matches if row.status == "awarded"] or matches
        if len(candidates) > 1:
            raise CreditError(
                "licence_several_awards",
                licence=given,
                count=len(candidates),
                learners=", ".join(row.learner_id for row in candidates),
            )
        row = candidates[0] if candidates else award_of(given, project)
        if row is None:
            raise CreditError("no_award", learner=given)
        revoke_award(row, data.reason, by=self.learner_id, now=datetime.now(UTC))
        # Whose credit, by the pseudonymous id `cme.credit.awarded` sent: the request (and so
        # the envelope) is the staff member's.
        self.runtime.publish(
            self,
            "cme.credit.revoked",
            {"project_number": project, "anonymous_user_id": row.anonymous_id},
        )
        profile = row.record["profile"]
        return {
            "message": _("The credit of {learner} is revoked; the reason is kept.").format(
                learner=f"{profile['name']} ({profile['licence_number']})"
            )
        }

    def _last_push(self) -> str:
        from credit_export.lrs import PushReport

        from .records.xapi_push import last_push

        row = last_push(self.activity.project_number)
        if row is None or not row.last_report:
            return ""
        data = dict(row.last_report)
        data["error"] = tuple(data["error"]) if data.get("error") else None
        summary = push_summary(self.gettext, PushReport(**data))
        return self.gettext("Last push ({when}): {summary}").format(
            when=row.updated_at.astimezone(cme_time_zone()).strftime("%Y-%m-%d %H:%M"),
            summary=summary,
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
        """Credits awarded in this course by title, discipline, institution level and month:
        charts. A course's staff see their course's awards only (the platform-wide figures are
        the CME office's: `export_cme_credits`)."""
        from credit_export.report import credit_report, report_to_svg

        from .records.ledger import activity_records

        _ = self.gettext
        report = credit_report(activity_records(course_id=self.course_key), zone=cme_time_zone())
        shared = shared_licences(activity_records(course_id=self.course_key))
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
                "uid": self.usage_key.replace(".", "-")[-40:],
                "evaluation": self._evaluation_view(),
                "evaluation_csv_url": self.runtime.handler_url(self, "evaluation_csv"),
                "shared_licences": self._shared_lines(shared),
            },
            self.i18n,
        )
        return {"html": html}

    def _shared_lines(self, shared: dict[tuple[str, str], list[str]]) -> list[str]:
        """One line per licence number that several accounts' credits carry (staff report)."""
        return [
            self.gettext(
                "{project}: licence number {licence} on {count} accounts ({learners})"
            ).format(
                project=project,
                licence=licence,
                count=len(learners),
                learners=self.gettext(LIST_SEPARATOR).join(learners),
            )
            for (project, licence), learners in shared.items()
        ]

    def _evaluation_view(self) -> dict[str, Any]:
        """This activity's evaluations for the staff report: counts per answer."""
        from credit_export.report import evaluation_summary

        from .records.ledger import activity_evaluations

        _ = self.gettext
        summary = evaluation_summary(activity_evaluations(self.activity.project_number))
        mean = summary.mean_satisfaction
        return {
            "title": _("Activity evaluation: {name}").format(name=self.activity.name),
            "summary": (
                _("{answers} evaluation(s); mean satisfaction {mean} of 5; {comments} comment(s).")
                if mean is not None
                else _("No evaluation answered yet.")
            ).format(answers=summary.answers, mean=mean, comments=len(summary.comments)),
            "satisfaction": sorted(summary.satisfaction.items(), reverse=True),
            "changes": [(_(CHANGES[code]), count) for code, count in summary.change.items()],
        }

    @XBlock.handler
    def evaluation_csv(self, request, suffix: str = "") -> Response:
        """This activity's evaluations as CSV: counts per answer, then the comments (without
        who wrote them). Staff only."""
        import csv
        import io

        from credit_export.csv_export import BOM
        from credit_export.report import evaluation_csv_rows, evaluation_summary

        from .records.ledger import activity_evaluations

        if not self.user_is_staff:
            return json_response({"error": self.gettext(STAFF_ONLY)}, 403)
        summary = evaluation_summary(activity_evaluations(self.activity.project_number))
        buffer = io.StringIO()
        buffer.write(BOM)
        csv.writer(buffer).writerows(evaluation_csv_rows(summary, self.gettext))
        response = Response(buffer.getvalue(), content_type="text/csv", charset="utf8")
        name = f"cme-evaluations-{self.activity.project_number}.csv"
        response.content_disposition = f'attachment; filename="{name}"'
        return response

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
        report = credit_report(activity_records(course_id=self.course_key), zone=cme_time_zone())
        rows = report_csv_rows(report, self._report_labels())
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

    def _records_header(self, response: Response) -> None:
        """`X-CME-Records`: how many credit records the export holds (the staff panel says
        so, and says when there are none: the file is then valid but empty)."""
        from .records.ledger import awarded_count

        response.headers["X-CME-Records"] = str(awarded_count(self.activity.project_number))

    @XBlock.handler
    def export_csv(self, request, suffix: str = "") -> Response:
        """The activity's credit records for the provincial platform (staff only). Without
        records, the header row alone (a valid file; `X-CME-Records: 0`)."""
        from .records.ledger import activity_records

        if not self.user_is_staff:
            return json_response({"error": self.gettext(STAFF_ONLY)}, 403)
        response = Response(content_type="text/csv", charset="utf8")
        self._records_header(response)
        response.app_iter = (
            chunk.encode("utf-8")
            for chunk in iter_csv(
                activity_records(self.activity.project_number),
                self.gettext,
                values=self.gettext,
                zone=cme_time_zone(),
                language=self._language_tag(),
                flagged=shared_licences(activity_records(self.activity.project_number)),
            )
        )
        name = f"cme-credits-{self.activity.project_number}.csv"
        response.content_disposition = f'attachment; filename="{name}"'
        return response

    @XBlock.handler
    def export_summary_csv(self, request, suffix: str = "") -> Response:
        """The annual summary (staff only) of every learner awarded this activity's credit:
        their credits of the year in every course, by class and level, against the annual
        requirement; `?year=YYYY`, by default this year."""
        from .records.ledger import records_of_learners

        if not self.user_is_staff:
            return json_response({"error": self.gettext(STAFF_ONLY)}, 403)
        zone = cme_time_zone()
        year = summary_year(request.GET.get("year", ""), datetime.now(zone).year)
        summaries = learner_summaries(
            records_of_learners(self.activity.project_number), credit_policy(), year, zone=zone
        )
        response = Response(content_type="text/csv", charset="utf8")
        response.app_iter = (
            chunk.encode("utf-8")
            for chunk in iter_summary_csv(summaries, self.gettext, values=self.gettext)
        )
        name = f"cme-annual-summary-{year}-{self.activity.project_number}.csv"
        response.content_disposition = f'attachment; filename="{name}"'
        return response

    @staticmethod
    def _language_tag() -> str:
        """The request's language as an RFC 5646 tag of a locale we ship ("zh-CN", "en")."""
        from django.utils import translation

        from .i18n import to_locale

        return to_locale(translation.get_language() or "en").replace("_", "-")

    @XBlock.handler
    def badge(self, request, suffix: str = "") -> Response:
        """The learner's own award as an Open Badges 3.0 credential (JSON)."""
        from .records.ledger import award_of

        row = award_of(self.learner_id, self.activity.project_number)
        if row is None or row.status != "awarded":
            return json_response({"error": self.gettext("You have no credit here yet.")}, 404)
        record = CreditRecord.model_validate(row.record)
        credential = open_badge(
            record,
            self.activity,
            issuer_name=self.activity.organiser,
            issuer_url=platform_home(request),
            zone=cme_time_zone(),
            subject_id=self._subject_id(row),
            language=self._language_tag(),
            gettext=self.gettext,
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
        """The activity's credit records as XML (staff only), handed over only once the whole
        file has validated against the shipped XSD: written to a temporary file on disk and
        checked in a stream (memory stays flat), then sent from that file. An export that
        does not validate answers 422 with what is wrong, and no file."""
        import tempfile

        from .records.ledger import activity_records

        if not self.user_is_staff:
            return json_response({"error": self.gettext(STAFF_ONLY)}, 403)
        zone = cme_time_zone()
        spool = tempfile.TemporaryFile()  # closed by file_chunks once sent
        try:
            write_valid_xml(
                activity_records(self.activity.project_number),
                spool,
                datetime.now(zone),
                zone=zone,
                language=self._language_tag(),
                flagged=shared_licences(activity_records(self.activity.project_number)),
            )
        except CreditError as exc:
            spool.close()
            log.error("CME credit XML export refused: %s", exc)
            return json_response({"error": translate_domain_error(self.gettext, exc)}, 422)
        response = Response(content_type="application/xml", charset="utf8")
        self._records_header(response)
        response.content_length = os.fstat(spool.fileno()).st_size
        response.app_iter = file_chunks(spool)
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
                "policy_text": self._policy_text(credit_policy()),
                "export_url": self.runtime.handler_url(self, "export_settings"),
                "editor_config_json": script_json(editor_config(self.gettext)),
                "editor_data_json": script_json(json.loads(settings.model_dump_json())),
            },
            self.i18n,
        )
        fragment = Fragment(html)
        add_assets(
            fragment,
            css=("css/cme_common.css", "css/cme_studio.css"),
            js=("js/cme_common.js", "js/cme_schema_form.js", "js/cme_studio.js"),
        )
        fragment.initialize_js("CmeStudioInit")
        return fragment

    def _policy_text(self, policy: CreditPolicy) -> str:
        """What the province's policy asks of the settings, for the author before they type."""
        _ = self.gettext
        rates = _(LIST_SEPARATOR).join(
            _("{level} {hours}").format(level=_(LEVELS[level]), hours=number(rate.hours_per_credit))
            for level, rate in policy.rates.items()
            if rate.hours_per_credit is not None
        )
        return _(
            "Credit policy {policy}: Class I only from {levels} projects; hours per credit: "
            "{rates}; at most {maximum} credits per project."
        ).format(
            policy=policy.id,
            levels=_(LIST_SEPARATOR).join(_(LEVELS[level]) for level in policy.class_i_levels),
            rates=rates,
            maximum=number(policy.max_credits_per_project),
        )

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
            problems = self._ledger_key_problems(settings.activity) + self._policy_problems(
                settings
            )
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
        if not self.rule(settings.rule).components:
            summary += " " + self._no_assessment_text()
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

    def _policy_problems(self, settings: CreditSettings) -> list[dict[str, str]]:
        """What the province's policy (CME_CREDIT_POLICY) refuses in the activity, and a
        minimum study time over components that record none, as the editor lists problems."""
        found = activity_problems(settings.activity, credit_policy())
        found += rule_problems(settings.rule, self.component_kind, EXERCISE_TYPES)
        return [self._problem_entry(problem) for problem in found]

    def _problem_entry(self, problem: PolicyProblem) -> dict[str, str]:
        """One policy problem as the editor shows it: the field's path, its label, and the
        sentence naming the field as the form labels it."""
        _ = self.gettext
        label = describe_field(_, problem.field.split("."), "credit_export")
        params = level_names(_, problem.params)
        message = translate_code(_, problem.code, params, MESSAGES[problem.code], "credit_export")
        return {"field": problem.field, "label": label, "message": f"{label}: {message}"}

    def component_kind(self, usage_id: str) -> str | None:
        """The block type of a rule's component: from its usage key (LMS, Studio), else from
        the runtime (the workbench's ids); None when neither knows it."""
        from opaque_keys import InvalidKeyError
        from opaque_keys.edx.keys import UsageKey
        from xblock.exceptions import NoSuchDefinition, NoSuchUsage

        try:
            return UsageKey.from_string(usage_id).block_type
        except InvalidKeyError:
            pass
        try:
            reader = self.runtime.id_reader
            return reader.get_block_type(reader.get_definition_id(usage_id))
        except (NoSuchUsage, NoSuchDefinition, AttributeError, NotImplementedError):
            return None

    def _ledger_key_problems(self, activity: CreditActivity) -> list[dict[str, str]]:
        """The ledger keys each credit by learner and project number: once credits are
        recorded under the current number, a save may not change it (the certificates would
        vanish and every learner could claim again under the new one)."""
        from .records.ledger import awards_under

        old = self.activity.project_number
        if activity.project_number == old:
            return []
        count = awards_under(old)
        if not count:
            return []
        message = translate_code(
            self.gettext,
            "project_number_in_ledger",
            {"count": count, "old": old},
            MESSAGES["project_number_in_ledger"],
            "credit_export",
        )
        return [{"field": "activity.project_number", "message": message}]

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
        and field at fault, and so does a project number other than the one under which this
        block has recorded credits. Older exports held the two as JSON in `<activity>` and
        `<rule>`."""
        docinfo = node.getroottree().docinfo
        if docinfo.doctype or docinfo.internalDTD is not None:
            raise CreditError("xml_doctype_forbidden")
        block = runtime.construct_xblock_from_class(cls, keys)
        if "display_name" in node.attrib:
            block.display_name = node.attrib["display_name"]
        read_runtime_settings(block, node, OLX_SETTINGS)
        legacy = [child for child in node if child.tag in ("activity", "rule")]
        if legacy:
            for child in legacy:
                model = CreditActivity if child.tag == "activity" else CreditRule
                value = model.model_validate_json(child.text or "{}").model_dump_json()
                setattr(block, f"{child.tag}_json", value)
        elif len(node):
            settings = block._settings_from_olx(node)
            block.activity_json = settings.activity.model_dump_json()
            block.rule_json = settings.rule.model_dump_json()
        block._refuse_by_policy(node)
        block._refuse_a_new_ledger_key(node)
        return block

    def _settings_from_olx(self, node) -> CreditSettings:
        """The block's settings from its OLX children, the activity checked against the
        province's policy on the line of the field at fault (levels named in the author's
        language)."""
        try:
            return settings_from_xml(node, root_tag=None, policy=credit_policy())
        except CreditError as exc:
            if str(exc.params.get("error_code", "")).startswith("policy_"):
                named = level_names(self.gettext, exc.params["problem_params"])
                exc.params["problem_params"] = named
            raise

    def _refuse_by_policy(self, node) -> None:
        """At a course import, what a Studio save refuses: the policy's class, rate and cap
        (older JSON children), and a minimum study time over components that record none;
        the import of the block stops on the line of the activity or the rule."""
        settings = self.settings
        found = [
            *((p, "activity") for p in activity_problems(settings.activity, credit_policy())),
            *(
                (p, "rule")
                for p in rule_problems(settings.rule, self.component_kind, EXERCISE_TYPES)
            ),
        ]
        if not found:
            return
        problem, part = found[0]
        tags = ("cme-activity", "activity") if part == "activity" else ("cme-credit-rule", "rule")
        element = next((child for child in node if child.tag in tags), node)
        raise CreditError(
            "xml_invalid",
            line=element.sourceline or 1,
            field=problem.field,
            problem=str(CreditError(problem.code, **problem.params)),
            error_code=problem.code,
            problem_params=level_names(self.gettext, problem.params),
        )

    def _refuse_a_new_ledger_key(self, node) -> None:
        """A course import may not change the project number under which this block has
        recorded credits (the certificates would vanish and every learner could claim again,
        as in Studio's editor): the import of the block stops, naming the line and the field
        (the course keeps the block's old content), and the problem is logged."""
        from .records.ledger import projects_awarded_by

        recorded = projects_awarded_by(ledger_usage_id(self.scope_ids.usage_id))
        new = self.activity.project_number
        if not recorded or new in recorded:
            return
        old, count = max(recorded.items(), key=lambda item: item[1])
        activity = node.find("cme-activity")
        line = (activity if activity is not None else node).sourceline or 1
        log.warning(
            "CME credit import refused for %s: project number %r replaces %r, under which %s "
            "credit(s) are recorded",
            self.usage_key,
            new,
            old,
            count,
        )
        params = {"count": count, "old": old}
        raise CreditError(
            "xml_invalid",
            line=line,
            field="activity.project_number",
            problem=str(CreditError("project_number_in_ledger", **params)),
            error_code="project_number_in_ledger",
            problem_params={k: str(v) for k, v in params.items()},
        )

    def add_xml_to_node(self, node) -> None:
        node.tag = self.scope_ids.block_type
        if self.fields["display_name"].is_set_on(self):
            node.set("display_name", self.display_name)
        write_runtime_settings(self, node, OLX_SETTINGS)
        if self.activity_json or self.rule_json:
            node.extend(list(etree.fromstring(settings_to_xml(self.settings))))

    @staticmethod
    def workbench_scenarios() -> list[tuple[str, str]]:
        return [
            ("Consortium module: hypertension from the township to the county", module_olx()),
            ("Credit: a CME credit alone (its rule names no component)", "<cme_credit/>"),
        ]


def credit_policy() -> CreditPolicy:
    """CME_CREDIT_POLICY: the province's credit policy, a shipped policy's id (default
    `national-2006`, the 2006 national measures; `municipal-class-i`) or the path of a JSON
    file in the same format. A name that cannot be loaded falls back to the default, with an
    error in the log (the refusals name the policy they apply)."""
    from django.conf import settings

    return _policy(str(getattr(settings, "CME_CREDIT_POLICY", "") or DEFAULT_POLICY_ID))


@lru_cache(maxsize=8)
def _policy(name: str) -> CreditPolicy:
    try:
        return load_policy(name)
    except (KeyError, OSError, ValidationError) as exc:
        log.error(
            "CME_CREDIT_POLICY %r cannot be loaded (%s): the national-2006 policy applies",
            name,
            exc,
        )
        return load_policy(DEFAULT_POLICY_ID)


def number(value) -> str:
    """A credit figure as a form writes it: 1.50 -> "1.5", 25 -> "25"."""
    return format(value.normalize(), "f")


def summary_year(text: str, default: int) -> int:
    """The year an annual summary asks for (`?year=`), or `default` when none or not a year."""
    return int(text) if text.isdigit() and 2000 <= int(text) <= 2100 else default


def level_names(gettext, params: dict) -> dict:
    """A policy problem's params with its level codes as words of the reader's language."""
    named = dict(params)
    level = named.get("level")
    if level in LEVELS:
        named["level"] = gettext(LEVELS[level])
    if "allowed" in named:
        levels = str(named["allowed"]).split(", ")
        named["allowed"] = gettext(LIST_SEPARATOR).join(gettext(LEVELS[lv]) for lv in levels)
    return named


def cme_time_zone() -> tzinfo:
    """CME_TIME_ZONE (default: the platform's TIME_ZONE, else UTC): the zone whose calendar
    the CME office counts in. Award days on certificates and in exports, and the report's
    months, are days in this zone (an award at 07:00 Beijing time on 1 January is in the new
    year, although it is still 31 December in UTC). An unknown zone name falls back to UTC,
    with a warning in the log."""
    from django.conf import settings

    name = getattr(settings, "CME_TIME_ZONE", "") or getattr(settings, "TIME_ZONE", "") or "UTC"
    return _zone(name)


@lru_cache(maxsize=8)
def _zone(name: str) -> tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        log.warning("CME_TIME_ZONE %r is not a known time zone: dates are counted in UTC", name)
        return UTC


def ledger_usage_id(usage_id) -> str:
    """A block's usage id as the ledger records it (the LMS's: no Studio branch or version)."""
    for plain in ("for_branch", "for_version"):
        method = getattr(usage_id, plain, None)
        if method is not None:
            try:
                usage_id = method(None)
            except (TypeError, ValueError):  # a key that cannot lose it: keep it as it is
                pass
    return str(usage_id)


def licence_as_recorded(text: str) -> str:
    """A licence number as profiles record it (full-width forms and spaces as typed with a
    Chinese input method, lower case): what the CSV shows."""
    return unicodedata.normalize("NFKC", text).replace(" ", "").strip().upper()


def file_chunks(handle, size: int = 64 * 1024):
    """A file's bytes in blocks, the file closed at the end (or when the server stops early)."""
    try:
        while block := handle.read(size):
            yield block
    finally:
        handle.close()


def platform_home(request=None) -> str:
    """The platform's address (settings.LMS_ROOT_URL; else the address `request` came to):
    the badge's issuer and the home page of the pseudonymous xAPI accounts."""
    from django.conf import settings

    root = getattr(settings, "LMS_ROOT_URL", "")
    if not root and request is not None:
        root = request.host_url
    return root or "http://127.0.0.1:8000"


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
            "{count} statement(s) conflict with what the LRS holds: it keeps other content "
            "under the same statement id (sent from another platform address, say, or changed "
            "in the LRS). They are not counted as sent and are checked again at every push "
            "until the LRS's copy is corrected or voided: {ids}."
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
