"""What every block of the suite shares: who the user is, translation, JSON handlers.

A handler here is short: parse the request with the pydantic model -> call the domain ->
save fields -> publish -> return. Bad input answers 400 with a sentence a person understands
(never 500); a learner calling a staff-only handler gets 403.
"""

import contextlib
import functools
import hashlib
import json
import logging
import re
from collections.abc import Callable
from importlib import resources

from django.db import transaction
from pydantic import BaseModel, ValidationError
from webob import Response
from xblock.core import XBlock

from .messages import N_, translate_domain_error, translate_validation_error
from .platform import library_can_edit, masquerading

log = logging.getLogger(__name__)

NOT_POST = N_("Send this request with POST.")
NOT_JSON = N_("The request could not be read: it is not valid JSON.")
STAFF_ONLY = N_("Only course staff can do this.")
INVALID = N_("Some of what was sent is not accepted.")


def is_domain_error(exc: Exception) -> bool:
    """A domain package's error (`.code`, `.params`): the user's mistake (400), not a bug."""
    module = type(exc).__module__.split(".")[0]
    return module in ("case_teaching", "referral_tracking", "credit_export") and hasattr(
        exc, "code"
    )


#: A comment on lines of its own (`/* ... */`, possibly over several lines, or `// ...`), and
#: a line's indentation: what `compact` leaves out of our JS and CSS.
_COMMENT_LINES = re.compile(r"^[ \t]*(?:/\*(?:[^*]|\*(?!/))*\*/|//[^\n]*)[ \t]*(?:\n|\Z)", re.M)
_INDENT = re.compile(r"^[ \t]+", re.M)


def compact(text: str) -> str:
    """Our JS or CSS without its comment lines, indentation and blank lines: the browser of a
    learner on a phone receives the code, the comments stay in the source. Only whole-line
    comments go (a comment after code on its line stays), so no string, regular expression
    or selector is ever touched; line breaks stay, so no statement is joined to the next."""
    text = _INDENT.sub("", _COMMENT_LINES.sub("", text))
    return "\n".join(line for line in text.splitlines() if line) + "\n"


@functools.lru_cache(maxsize=16)
def public_text(name: str) -> str:
    """A file of `xblocks/public/`, read and compacted once per process."""
    return compact(resources.files("xblocks").joinpath("public", name).read_text(encoding="utf-8"))


def add_assets(fragment, css: tuple[str, ...] = (), js: tuple[str, ...] = ()) -> None:
    """Put our CSS and JS into a fragment inline.

    They are small (about 3 KiB gzipped together, compacted) and shared by every block of the suite:
    inline they cost a learner on a phone no extra round trips on the first view, and the
    platform drops identical inline resources when several of our blocks share a page.
    """
    for name in css:
        fragment.add_css(public_text(name))
    for name in js:
        fragment.add_javascript(public_text(name))


def script_json(value) -> str:
    """JSON safe inside `<script type="application/json">` (no `</script>` breaking out)."""
    from django.utils.safestring import mark_safe

    text = json.dumps(value, ensure_ascii=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return mark_safe(text)  # noqa: S308 (escaped above)


def json_response(payload: dict, status: int = 200) -> Response:
    return Response(
        json.dumps(payload, ensure_ascii=False),
        status=status,
        content_type="application/json",
        charset="utf8",
    )


def digest(*parts: str) -> str:
    """A short fingerprint of some texts (content versions, never secrets)."""
    return hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()[:16]


class CmeBlockMixin:
    """Services and helpers for our blocks. Declare the services on the block class:
    `@XBlock.needs("i18n")` and `@XBlock.wants("user")`."""

    #: Shown to staff viewing the course as a specific learner (the LMS hides blocks without it:
    #: lms/djangoapps/courseware/masquerade.py `filter_displayed_blocks`); we write nothing then.
    show_in_read_only_mode = True

    # ---- authors ----------------------------------------------------------------------------
    @property
    def content_fingerprint(self) -> str:
        """A digest of the content an author edits in Studio; it changes with every save."""
        raise NotImplementedError

    def _refuse_stale_save(self, base_fingerprint: str, message: str) -> Response | None:
        """409 with `message` when the editor was opened on content that someone else has
        saved over since (two authors in one block): nothing is replaced silently."""
        if base_fingerprint and base_fingerprint != self.content_fingerprint:
            return json_response({"error": message, "code": "edit_conflict"}, status=409)
        return None

    # ---- fields ------------------------------------------------------------------------------
    def _stored(self, name: str) -> str:
        """The value of the String field `name` (XBlock's own field access)."""
        return getattr(self, name)

    # ---- where the block is ---------------------------------------------------------------
    @property
    def usage_key(self) -> str:
        return str(self.scope_ids.usage_id)

    @property
    def course_key(self) -> str:
        return str(getattr(self.scope_ids.usage_id, "context_key", "") or "")

    # ---- whose records -----------------------------------------------------------------
    @property
    def keeps_records(self) -> bool:
        """Whether this request is a learner's own in a course, so that our tables (outcomes,
        decisions, receipts, evaluations, the ledger) may be written.

        Not in Studio (preview and editing offer `studio_user_permissions`; the preview has no
        publish service either: cms/djangoapps/contentstore/views/preview.py), not in a
        content library (openedx/core/djangoapps/xblock/runtime/runtime.py), not while staff
        view the course as a specific learner (lms/djangoapps/courseware/masquerade.py keeps
        that learner's block state in the staff member's session; anything written here would
        be written against the learner)."""
        kept = getattr(self, "_cme_keeps_records", None)
        if kept is None:
            context = getattr(self.scope_ids.usage_id, "context_key", None)
            kept = self._cme_keeps_records = (
                self.runtime.service(self, "studio_user_permissions") is None
                and getattr(context, "is_course", True) is not False
                and not masquerading(self.course_key)
            )
        return kept

    # ---- the user -------------------------------------------------------------------------
    def _user_attr(self, name: str, default=None):
        """One attribute of the current user. The user is asked for once per block instance
        (an instance serves one request; building the user may query the database)."""
        user = getattr(self, "_cme_current_user", None)
        if user is None:
            service = self.runtime.service(self, "user")
            if service is None:
                return default
            user = self._cme_current_user = service.get_current_user()
        return user.opt_attrs.get(name, default)

    @property
    def learner_id(self) -> str:
        """Stable id of the learner across courses (LMS user id; workbench student id)."""
        value = self._user_attr("edx-platform.user_id")
        return str(value if value is not None else self.scope_ids.user_id)

    @property
    def anonymous_learner_id(self) -> str:
        """Pseudonymous id: the only learner id that leaves the platform (xAPI)."""
        return str(self._user_attr("edx-platform.anonymous_user_id") or self.scope_ids.user_id)

    @property
    def user_is_staff(self) -> bool:
        return bool(self._user_attr("edx-platform.user_is_staff", False))

    @property
    def user_can_author(self) -> bool:
        """May this user change the block's content?

        Studio offers `studio_user_permissions` (preview and `component_handler`): write access
        to the course decides. A Learning-Core content library offers no such service; its own
        edit permission decides (platform.library_can_edit). In the LMS and the workbench,
        course staff may author."""
        context = getattr(self.scope_ids.usage_id, "context_key", None)
        permissions = self.runtime.service(self, "studio_user_permissions")
        if permissions is not None and context is not None:
            return bool(permissions.can_write(context))
        if context is not None and getattr(context, "is_course", True) is False:
            allowed = library_can_edit(
                self.scope_ids.usage_id, self._user_attr("edx-platform.user_id")
            )
            if allowed is not None:
                return allowed
        return self.user_is_staff

    # ---- translation ----------------------------------------------------------------------
    @property
    def i18n(self):
        return self.runtime.service(self, "i18n")

    def gettext(self, message: str) -> str:
        return self.i18n.gettext(message)

    def ngettext(self, singular: str, plural: str, count: int) -> str:
        ngettext = getattr(self.i18n, "ngettext", None)
        if ngettext is None:
            return self.gettext(singular if count == 1 else plural)
        return ngettext(singular, plural, count)


def json_action(
    request_model: type[BaseModel] | None = None,
    staff_only: bool = False,
    author_only: bool = False,
    atomic: bool = True,
) -> Callable:
    """Decorate a handler `(self, data, suffix)` of a `CmeBlockMixin` block.

    `data` is the request body validated by `request_model` (or the raw JSON when None).
    `staff_only`: course staff (403 otherwise); `author_only`: whoever may edit the content.
    `atomic=False`: a long handler whose writes must each last on their own (the LRS push's
    checkpoint after every confirmed batch), not wait for one commit at the end.
    The handler returns a dict (200) or raises a domain error (400 with its message).
    """

    def decorate(func: Callable) -> Callable:
        @XBlock.handler
        @functools.wraps(func)
        def wrapper(self, request, suffix=""):
            _ = self.gettext
            if request.method != "POST":
                response = json_response({"error": _(NOT_POST)}, status=405)
                response.allow = ["POST"]
                return response
            if (staff_only and not self.user_is_staff) or (
                author_only and not self.user_can_author
            ):
                return json_response({"error": _(STAFF_ONLY)}, status=403)
            try:
                body = json.loads(request.body.decode("utf-8"))
            except (ValueError, UnicodeDecodeError):
                return json_response({"error": _(NOT_JSON)}, status=400)
            data = body
            if request_model is not None:
                try:
                    data = request_model.model_validate(body)
                except ValidationError as exc:
                    problems = translate_validation_error(_, exc)
                    return json_response(
                        {
                            "error": problems[0]["message"] if problems else _(INVALID),
                            "problems": problems,
                        },
                        status=400,
                    )
            try:
                # One transaction: the handler's records (events, outcomes, resets) are written
                # together or not at all, and committed once.
                with transaction.atomic() if atomic else contextlib.nullcontext():
                    result = func(self, data, suffix)
                    if not isinstance(result, Response):
                        # The learner's fields are saved in the same transaction: the state
                        # and the records it stands on commit together (the runtime's save
                        # after the handler then finds nothing left to write).
                        self.save()
            except ValidationError as exc:
                problems = translate_validation_error(_, exc)
                return json_response(
                    {
                        "error": problems[0]["message"] if problems else _(INVALID),
                        "problems": problems,
                    },
                    status=400,
                )
            except Exception as exc:  # pylint: disable=broad-exception-caught  # re-raised below
                if not is_domain_error(exc):
                    raise
                return json_response(
                    {"error": translate_domain_error(_, exc), "code": getattr(exc, "code", "")},
                    status=400,
                )
            if isinstance(result, Response):
                return result
            return json_response(result)

        return wrapper

    return decorate
