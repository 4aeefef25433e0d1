"""Runtime doubles of the contexts Open edX really runs our blocks in.

A full LMS cannot run here (the platform's source and MongoDB are out of reach), so each double
reproduces what the platform's own code gives a block, and names the file it comes from:

- `lms(...)`: the courseware, lms/djangoapps/courseware/block_render.py
  (`prepare_runtime_for_user`, `get_block_for_descriptor`);
- `masquerade(...)`: staff viewing as a specific learner, the same file plus
  lms/djangoapps/courseware/masquerade.py and xmodule/services.py (`EventPublishingService`);
- `studio(...)`: Studio's preview and editing, cms/djangoapps/contentstore/views/preview.py
  and cms/djangoapps/contentstore/views/component.py (`component_handler`);
- `library_v2(...)`: openedx/core/djangoapps/xblock/runtime/runtime.py and
  openedx_core_runtime.py (Learning-Core content libraries).

Blocks are keyed as in the platform (opaque keys) and get the LMS's mixed-in settings
(lms/djangoapps/lms_xblock/mixin.py: `visible_to_staff_only`, `group_access`).
"""

import gettext
import json
from dataclasses import dataclass, field
from pathlib import Path

from django.utils.translation import to_locale
from opaque_keys.edx.locator import (
    BlockUsageLocator,
    CourseLocator,
    LibraryLocatorV2,
    LibraryUsageLocatorV2,
)
from webob import Request
from xblock.core import XBlock, XBlockMixin
from xblock.fields import Boolean, Dict, Scope, ScopeIds
from xblock.reference.user_service import UserService, XBlockUser
from xblock.runtime import (
    DictKeyValueStore,
    IdGenerator,
    IdReader,
    KeyValueStore,
    KvsFieldData,
    Runtime,
)

import xblocks

COURSE = CourseLocator("Consortium", "CME101", "2026")
LIBRARY = LibraryLocatorV2("Consortium", "cases")
TRANSLATIONS = Path(xblocks.__file__).parent / "translations"
HIDDEN_UNDER_MASQUERADE = (
    "This type of component cannot be shown while viewing the course as a specific student."
)


class LmsSettingsMixin(XBlockMixin):
    """The LMS's settings on every block (lms/djangoapps/lms_xblock/mixin.py `LmsBlockMixin`,
    also xmodule/modulestore/inheritance.py `InheritanceMixin`)."""

    visible_to_staff_only = Boolean(scope=Scope.settings, default=False)
    group_access = Dict(scope=Scope.settings, default={})


class Unit(XBlock):
    """A vertical: the parent whose children a credit block reads."""

    has_children = True


@dataclass
class Person:
    id: int
    username: str
    is_staff: bool = False  # course staff (has_access(user, 'staff', course))
    is_global_staff: bool = False


class PlatformUserService(UserService):
    """common/djangoapps/xblock_django/user_service.py `DjangoXBlockUserService`."""

    def __init__(self, person: Person, *, is_staff: bool, anonymous_id: str, role: str):
        super().__init__()
        self.person, self.is_staff, self.anonymous_id, self.role = (
            person,
            is_staff,
            anonymous_id,
            role,
        )

    def get_current_user(self) -> XBlockUser:
        user = XBlockUser(is_current_user=True, full_name=self.person.username)
        user.opt_attrs = {
            "edx-platform.is_authenticated": True,
            "edx-platform.user_id": self.person.id,
            "edx-platform.username": self.person.username,
            "edx-platform.user_is_staff": self.is_staff,
            "edx-platform.user_role": self.role,
            "edx-platform.anonymous_user_id": self.anonymous_id,
        }
        return user


class StudioPermissions:
    """cms/djangoapps/contentstore/services (`StudioPermissionsService`): course write access."""

    def __init__(self, can_write: bool):
        self._can_write = can_write

    def can_read(self, _context_key) -> bool:
        return True

    def can_write(self, _context_key) -> bool:
        return self._can_write


class PlatformI18n:
    """xmodule/modulestore/django.py `XBlockI18nService`: the block package's
    `translations/<locale>/LC_MESSAGES/text.mo`, with Django's `to_locale(get_language())`
    (an OSError there falls back to Django's own catalog: our strings in English)."""

    def __init__(self, language: str):
        self.language = language
        self._catalog = gettext.translation(
            "text", localedir=str(TRANSLATIONS), languages=[to_locale(language)], fallback=True
        )

    def gettext(self, message: str) -> str:
        return self._catalog.gettext(message)

    def ngettext(self, singular: str, plural: str, number: int) -> str:
        return self._catalog.ngettext(singular, plural, number)

    def get_language(self) -> str:
        return self.language


class SessionKeyValueStore(KeyValueStore):
    """lms/djangoapps/courseware/masquerade.py `MasqueradingKeyValueStore`: reads fall through to
    the learner's stored state, writes go to the staff member's session."""

    def __init__(self, learner: KeyValueStore, session: dict):
        self.learner, self.session = learner, session

    def get(self, key):
        return self.session[key] if key in self.session else self.learner.get(key)

    def set(self, key, value):
        self.session[key] = value

    def delete(self, key):
        self.session.pop(key, None)

    def has(self, key):
        return key in self.session or self.learner.has(key)


class _Ids(IdReader, IdGenerator):
    def get_definition_id(self, usage_id):
        return usage_id

    def get_block_type(self, def_id):
        return def_id.block_type

    def get_usage_id_from_aside(self, aside_id):
        raise NotImplementedError

    def get_definition_id_from_aside(self, aside_id):
        raise NotImplementedError

    def get_aside_type_from_usage(self, aside_id):
        raise NotImplementedError

    def get_aside_type_from_definition(self, aside_id):
        raise NotImplementedError

    def create_usage(self, def_id):
        return def_id

    def create_definition(self, block_type, slug=None):
        raise NotImplementedError

    def create_aside(self, definition_id, usage_id, aside_type):
        raise NotImplementedError


@dataclass
class Course:
    """One course's (or library's) stored content and learner state, shared by every runtime
    double that opens it, and what was published in it (the gradebook, the completion API)."""

    context: object = COURSE
    store: DictKeyValueStore = field(default_factory=DictKeyValueStore)
    blocks: dict = field(default_factory=dict)  # usage key -> block type
    parents: dict = field(default_factory=dict)  # usage key -> parent usage key
    children: dict = field(default_factory=dict)
    published: list = field(default_factory=list)  # (user id, event type, data)

    def usage(self, block_type: str, name: str):
        if isinstance(self.context, LibraryLocatorV2):
            return LibraryUsageLocatorV2(self.context, block_type, name)
        return BlockUsageLocator(self.context, block_type, name)

    def add(self, block_type: str, name: str, parent=None):
        usage = self.usage(block_type, name)
        self.blocks[usage] = block_type
        if parent is not None:
            self.parents[usage] = parent
            self.children.setdefault(parent, []).append(usage)
        return usage


class PlatformRuntime(Runtime):
    """One request's runtime in one platform context (see the factories below)."""

    def __init__(self, course: Course, person: Person, *, services: dict, kvs=None, **how):
        self.course, self.person = course, person
        self.publishes = how.get("publishes", True)
        self.drops_scores = how.get("drops_scores", False)
        self.inaccessible = set(how.get("inaccessible", ()))
        self.save_allowed = how.get("save_allowed", True)
        self.read_only = how.get("read_only", False)
        services = {"field-data": KvsFieldData(kvs or course.store), **services}
        ids = _Ids()
        super().__init__(ids, ids, services=services, mixins=(LmsSettingsMixin,))
        self._loaded = {}

    # ---- blocks -----------------------------------------------------------------------------
    def block(self, usage):
        """The block at `usage`, bound to this runtime's user (as the platform binds it)."""
        if usage not in self._loaded:
            block_type = self.course.blocks[usage]
            keys = ScopeIds(self.person.id, block_type, usage, usage)
            block = (
                self.construct_xblock_from_class(Unit, keys)
                if block_type == "vertical"
                else self.construct_xblock(block_type, keys)
            )
            if usage in self.course.parents:
                block.parent = self.course.parents[usage]
            if usage in self.course.children:
                block.children = list(self.course.children[usage])
            self._loaded[usage] = block
        return self._loaded[usage]

    def get_block(self, usage_id, for_parent=None):
        """lms/djangoapps/courseware/block_render.py `get_block_for_descriptor`: None when the
        user may not load the block (hidden, restricted, gated)."""
        if usage_id in self.inaccessible:
            return None
        return self.block(usage_id)

    def save_block(self, block):
        """openedx_core_runtime.py `save_block`: a library refuses a user who may not edit."""
        if not self.save_allowed:
            raise RuntimeError("You do not have permission to edit this XBlock")

    # ---- what a block asks of its runtime --------------------------------------------------
    def publish(self, block, event_type, event_data):
        if not self.publishes:
            return  # Studio's preview has no publish service: a silent no-op
        if self.drops_scores and event_type in ("grade", "completion", "progress"):
            return  # xmodule/services.py: under masquerade only the tracking log sees them
        self.course.published.append((self.person.id, event_type, event_data))

    def handler_url(self, block, handler_name, suffix="", query="", thirdparty=False):
        return f"/xblock/{block.scope_ids.usage_id}/handler/{handler_name}"

    def resource_url(self, resource):
        return f"/static/{resource}"

    def local_resource_url(self, block, uri):
        return f"/xblock/resource/{block.scope_ids.block_type}/{uri}"

    # ---- a request ------------------------------------------------------------------------
    def call(self, usage, handler: str, payload) -> tuple[int, dict]:
        """POST `payload` as JSON to a handler of the block at `usage`: (status, JSON)."""
        block = self.block(usage)
        request = Request.blank("/", method="POST", body=json.dumps(payload).encode("utf-8"))
        request.content_type = "application/json"
        response = self.handle(block, handler, request)
        return response.status_code, json.loads(response.body or b"{}")

    def page(self, usage, view: str = "student_view") -> str:
        block = self.block(usage)
        if self.read_only and not getattr(block, "show_in_read_only_mode", False):
            # masquerade.py `filter_displayed_blocks`, wrapped around every view under masquerade
            return HIDDEN_UNDER_MASQUERADE
        return self.render(block, view).content


def _anonymous(person: Person, course) -> str:
    """lms: `anonymous_id_for_user(user, course_id)`, a per-course pseudonym."""
    return f"anon-{course}-{person.id}"


def lms(course: Course, person: Person, language: str = "en", **how) -> PlatformRuntime:
    """The courseware: staff from `has_access(user, 'staff', course)`, a course-scoped anonymous
    id, grades and completion recorded, blocks the user may not load are None. No
    `studio_user_permissions` (lms/djangoapps/courseware/block_render.py)."""
    services = {
        "user": PlatformUserService(
            person,
            is_staff=person.is_staff,
            anonymous_id=_anonymous(person, course.context),
            role="staff" if person.is_staff else "student",
        ),
        "i18n": PlatformI18n(language),
    }
    return PlatformRuntime(course, person, services=services, **how)


def masquerade(course: Course, staff: Person, learner: Person, session: dict, **how):
    """Staff viewing as `learner`: the learner's user service (staff False, role student, the
    learner's anonymous id) and block state, writes kept in the staff member's `session`, grade
    and completion dropped (lms/djangoapps/courseware/masquerade.py `setup_masquerade`,
    `MasqueradingKeyValueStore`; xmodule/services.py `EventPublishingService.publish`)."""
    services = {
        "user": PlatformUserService(
            learner,
            is_staff=False,
            anonymous_id=_anonymous(learner, course.context),
            role="student",
        ),
        "i18n": PlatformI18n(how.pop("language", "en")),
    }
    return PlatformRuntime(
        course,
        learner,
        services=services,
        kvs=SessionKeyValueStore(course.store, session),
        drops_scores=True,
        read_only=True,
        **how,
    )


def studio(course: Course, author: Person, *, can_write: bool = True, **how) -> PlatformRuntime:
    """Studio, its preview (cms/djangoapps/contentstore/views/preview.py) and its editing
    handlers (component.py `component_handler`) alike: the user service without a staff flag,
    anonymous id 'student', `studio_user_permissions`, no publish service; a handler runs for
    whoever calls it."""
    services = {
        "user": PlatformUserService(author, is_staff=False, anonymous_id="student", role="staff"),
        "i18n": PlatformI18n(how.pop("language", "en")),
        "studio_user_permissions": StudioPermissions(can_write),
    }
    return PlatformRuntime(course, author, services=services, publishes=False, **how)


def library_v2(library: Course, person: Person, *, can_edit: bool, **how):
    """A Learning-Core content library: staff is global staff (`user.is_staff`), no
    `studio_user_permissions`, and saving is refused with a RuntimeError to a user without the
    library's edit permission (openedx/core/djangoapps/xblock/runtime/runtime.py `service`,
    openedx_core_runtime.py `save_block`)."""
    services = {
        "user": PlatformUserService(
            person,
            is_staff=person.is_global_staff,
            anonymous_id=_anonymous(person, library.context),
            role="",
        ),
        "i18n": PlatformI18n(how.pop("language", "en")),
    }
    return PlatformRuntime(library, person, services=services, save_allowed=can_edit, **how)
