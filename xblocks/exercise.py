"""What the suite's graded exercises (`cme_case`, `cme_referral`) share with each other.

Grades (the best attempt counts), completion, the durable outcome row, staff resets, block
settings in OLX and the Studio fragment. Each block keeps what is its own: its domain, its
learner state and its views. A block using this mixin declares the fields `display_name`,
`weight`, `raw_earned` and `raw_possible`, and implements `max_score()` and
`_restart_for_reset()`.
"""

import hashlib
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from web_fragments.fragment import Fragment
from xblock.completable import CompletableXBlockMixin
from xblock.scorable import ScorableXBlockMixin, Score

from .base import STAFF_ONLY, CmeBlockMixin, add_assets, json_action, json_response
from .messages import N_
from .olx import read_runtime_settings, write_runtime_settings

RESET_REQUESTED = N_("{learner} will start again the next time they open this.")
NO_SUCH_LEARNER = N_(
    'No learner with the username or user id "{learner}" has worked on this yet, so there is '
    "nothing to reset. Check the spelling."
)
SETTINGS_ATTRIBUTES = ("display_name", "weight")


class StrictRequest(BaseModel):
    """A handler's JSON body: unknown fields are refused (400), never ignored."""

    model_config = ConfigDict(extra="forbid")


class ViewDataRequest(StrictRequest):
    """The mobile app asks for the learner's view: nothing to send (`{}`)."""


class StudioSaveRequest(StrictRequest):
    """What every block's Studio editor sends, besides the content itself."""

    mode: Literal["save", "validate"]
    #: The fingerprint of the content the editor was opened on: a save over someone else's
    #: newer save is refused (409) instead of silently replacing it.
    base_fingerprint: str = Field(default="", max_length=64)
    display_name: str = Field(min_length=1, max_length=200)


class ResetRequest(StrictRequest):
    action: Literal["reset"] = "reset"
    learner: str = Field(min_length=1, max_length=255)
    reason: str = Field(default="", max_length=500)


class ExerciseMixin(CmeBlockMixin, ScorableXBlockMixin, CompletableXBlockMixin):
    """A graded exercise of the suite (see the module docstring for what a block provides)."""

    has_score = True
    icon_class = "problem"
    editable_fields = SETTINGS_ATTRIBUTES

    #: The block type written into outcome rows and the prefix of its own events.
    block_type_name = ""

    # ---- the mobile apps -----------------------------------------------------------------------
    def _course_structure_data(self, overview: dict[str, Any]) -> dict[str, Any]:
        """`student_view_data` of both blocks: the exercise as any learner first sees it (the
        platform collects it once, without a learner) and the handlers the app calls next:
        `view_data` for the learner's own view, `act` for their actions."""
        return {
            **overview,
            "display_name": self.display_name,
            "weight": self.weight,
            "handlers": {"view": "view_data", "act": "act"},
        }

    # ---- where the block is -----------------------------------------------------------------
    @property
    def uid(self) -> str:
        """A short id for HTML ids, unique per block on a page."""
        return hashlib.sha1(self.usage_key.encode("utf-8")).hexdigest()[:10]  # noqa: S324

    # ---- grades and completion --------------------------------------------------------------
    def get_score(self) -> Score:
        return Score(raw_earned=self.raw_earned or 0.0, raw_possible=self.max_score())

    def set_score(self, score: Score) -> None:
        self.raw_earned = score.raw_earned
        self.raw_possible = score.raw_possible

    def _finish(self, attempt: int, score: float, max_score: float, detail: dict) -> None:
        """A completed attempt: the grade (the best attempt counts), completion, and the
        outcome row that credit rules read (written once per attempt)."""
        from .records.outcomes import OutcomeWrite, record_outcome

        if max_score > 0:
            if self.raw_earned is None or score > self.get_score().raw_earned:
                self.set_score(Score(raw_earned=score, raw_possible=max_score))
            self._publish_grade(self.get_score(), only_if_higher=False)
        self.emit_completion(1.0)
        if not self.keeps_records:
            return
        record_outcome(
            OutcomeWrite(
                learner_id=self.learner_id,
                usage_id=self.usage_key,
                course_id=self.course_key,
                block_type=self.block_type_name,
                attempt=attempt,
                score=score,
                max_score=max_score,
                completed_at=datetime.now(UTC),
                detail=detail,
            )
        )

    def _take_step(self, step: int) -> bool:
        """Claim this learner action durably; False if a simultaneous or replayed submission
        of the same page took it first (XBlock fields are saved after the handler, outside
        its transaction, so they cannot decide this)."""
        from .records.outcomes import take_step

        if not self.keeps_records:
            return True  # staff looking or an author previewing: the session holds the state
        return take_step(self.learner_id, self.usage_key, step)

    def _resume_point(self, decisions: bool = False) -> tuple[int, int]:
        """For a learner without saved state: (the step to begin at, the attempt number to
        begin with), after whatever the durable records already hold for them here (the
        platform may have deleted the state; see `records.outcomes.resume_point`; `decisions`:
        the referral decision rows count too)."""
        from .records.outcomes import resume_point

        step, last_attempt = resume_point(self.learner_id, self.usage_key, decisions=decisions)
        return step, last_attempt + 1

    # ---- staff resets -----------------------------------------------------------------------
    def _apply_pending_reset(self) -> bool:
        """When a page opens: restart the learner if staff asked for it (once)."""
        from .records.outcomes import take_pending_reset

        if not self.keeps_records:
            return False  # the reset waits for the learner themself
        if take_pending_reset(self.learner_id, self.usage_key, datetime.now(UTC)) is None:
            return False
        attempt = self._restart_for_reset()
        self.set_score(Score(raw_earned=0, raw_possible=self.max_score()))
        self._publish_grade(self.get_score(), only_if_higher=False)
        self.emit_completion(0.0)  # the new attempt is not complete (the course outline)
        self.runtime.publish(
            self,
            f"cme.{self.block_type_name.removeprefix('cme_')}.attempt_reset",
            # The block by its id: an event published while a page opens has no context.module.
            {"attempt": attempt, "usage_id": self.usage_key},
        )
        return True

    def _restart_for_reset(self) -> int:
        """Start the learner's new attempt; return its number."""
        raise NotImplementedError

    def _find_learner(self, given: str) -> str | None:
        """The learner id (as the records hold it) of a learner who has worked on this block,
        named as staff know them: by username, or by user id; None if there is none.

        The username is looked up with the runtime's user service where it can (the LMS's
        offers staff `get_anonymous_user_id(username, course)` and `get_user_by_anonymous_id`);
        where learners are known by their id alone (the workbench), the id is the name."""
        from .records.outcomes import has_worked_on

        candidates = [given]
        user_id = self._user_id_for_username(given)
        if user_id is not None:
            candidates.insert(0, user_id)
        return next((c for c in candidates if has_worked_on(c, self.usage_key)), None)

    def _user_id_for_username(self, username: str) -> str | None:
        service = self.runtime.service(self, "user")
        to_anonymous = getattr(service, "get_anonymous_user_id", None)
        to_user = getattr(service, "get_user_by_anonymous_id", None)
        if not (callable(to_anonymous) and callable(to_user)):
            return None
        anonymous = to_anonymous(username, self.course_key)  # None: no such user
        user = to_user(anonymous) if anonymous else None
        user_id = getattr(user, "id", None)
        return None if user_id is None else str(user_id)

    @json_action(ResetRequest, staff_only=True)
    def reset_learner(self, data: ResetRequest, suffix: str = "") -> Any:
        """Start one learner's attempt again (named by username or user id); applied when
        their page next loads. A learner with no work here is refused with a sentence."""
        from .records.outcomes import request_reset

        given = data.learner.strip()
        learner = self._find_learner(given) if given else None
        if learner is None:
            return json_response(
                {
                    "error": self.gettext(NO_SUCH_LEARNER).format(learner=given),
                    "code": "unknown_learner",
                },
                status=400,
            )
        request_reset(
            learner,
            self.usage_key,
            requested_by=self.learner_id,
            now=datetime.now(UTC),
            reason=data.reason,
        )
        return {"message": self.gettext(RESET_REQUESTED).format(learner=given)}

    # ---- OLX and Studio ---------------------------------------------------------------------
    @classmethod
    def _read_settings(cls, block, node) -> frozenset[str]:
        """`display_name`, `weight` and the runtime's settings from the block's OLX
        attributes; returns the names read."""
        for name in SETTINGS_ATTRIBUTES:
            if name in node.attrib:
                setattr(block, name, cls.fields[name].from_string(node.attrib[name]))
        ours = frozenset(SETTINGS_ATTRIBUTES)
        return ours | read_runtime_settings(block, node, ours)

    def _write_settings(self, node) -> None:
        """The settings the author set, as OLX attributes (never user state)."""
        node.tag = self.scope_ids.block_type
        for name in SETTINGS_ATTRIBUTES:
            if self.fields[name].is_set_on(self):
                node.set(name, self.fields[name].to_string(getattr(self, name)))
        write_runtime_settings(self, node, frozenset(SETTINGS_ATTRIBUTES))

    def _studio_fragment(self, render) -> Fragment:
        """The Studio editor: `render()` -> HTML, only for those who may author (the editor
        shows the answer keys)."""
        if not self.user_can_author:
            return Fragment('<p class="cme-block">' + self.gettext(STAFF_ONLY) + "</p>")
        fragment = Fragment(render())
        add_assets(
            fragment,
            css=("css/cme_common.css", "css/cme_studio.css"),
            js=("js/cme_common.js", "js/cme_schema_form.js", "js/cme_studio.js"),
        )
        fragment.initialize_js("CmeStudioInit")
        return fragment
