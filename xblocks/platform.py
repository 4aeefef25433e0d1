"""What only the Open edX platform can tell a block, read through the platform's own functions.

Each answer comes from a callable named by a setting; where the setting is absent and the
platform is importable, the platform's own function is the default. The workbench and the
contract tests (tests/xblock/test_platform_contract.py) name their own.
"""

import logging
from collections.abc import Callable
from functools import lru_cache

from django.conf import settings
from django.utils.module_loading import import_string

log = logging.getLogger(__name__)


@lru_cache(maxsize=16)
def _import(path: str) -> Callable | None:
    try:
        return import_string(path)
    except ImportError:
        log.warning("%s cannot be imported: that platform answer is not used", path)
        return None


@lru_cache(maxsize=16)
def _importable(module: str) -> bool:
    try:
        __import__(module)
    except ImportError:
        return False
    return True


def platform_function(setting: str, platform_module: str, default: str) -> Callable | None:
    """The callable named by `setting`; without it, `default` when `platform_module` imports
    (we run inside edx-platform); else None (an empty setting also means None)."""
    path = getattr(settings, setting, None)
    if path is None:
        path = default if _importable(platform_module) else ""
    return _import(path) if path else None


# ---- masquerade ---------------------------------------------------------------------------
def lms_masquerade(course_key: str) -> bool:
    """The LMS: is the signed-in staff member viewing this course as a specific learner? It
    binds the block to that learner and marks the request's user with the masquerade settings
    (lms/djangoapps/courseware/masquerade.py `setup_masquerade`,
    `is_masquerading_as_specific_student`); django-crum holds the request's user."""
    from crum import get_current_user  # pylint: disable=import-error
    from lms.djangoapps.courseware.masquerade import (  # pylint: disable=import-error
        is_masquerading_as_specific_student,
    )
    from opaque_keys import InvalidKeyError
    from opaque_keys.edx.keys import CourseKey

    user = get_current_user()
    try:
        key = CourseKey.from_string(course_key)
    except InvalidKeyError:
        return False
    return user is not None and bool(is_masquerading_as_specific_student(user, key))


def masquerading(course_key: str) -> bool:
    """Staff viewing `course_key` as a specific learner (never a learner's own request)."""
    check = platform_function(
        "CME_MASQUERADE_CHECK",
        "lms.djangoapps.courseware.masquerade",
        "xblocks.platform.lms_masquerade",
    )
    return bool(check is not None and course_key and check(course_key))


# ---- content libraries --------------------------------------------------------------------
def learning_core_can_edit(usage_key, user_id) -> bool:
    """A Learning-Core content library: may this user edit the block? The library's own rule
    (openedx/core/djangoapps/xblock/learning_context/manager.py `get_learning_context_impl`,
    content_libraries/library_context.py `can_edit_block`), which the runtime applies at save
    (openedx_core_runtime.py `save_block`: a RuntimeError, answered 500, otherwise)."""
    from django.contrib.auth import get_user_model
    from openedx.core.djangoapps.xblock.learning_context.manager import (  # pylint: disable=import-error
        get_learning_context_impl,
    )

    user = get_user_model().objects.filter(pk=user_id).first()
    return user is not None and bool(
        get_learning_context_impl(usage_key).can_edit_block(user, usage_key)
    )


def library_can_edit(usage_key, user_id) -> bool | None:
    """Whether the user may edit this library block (None: no way to tell here)."""
    check = platform_function(
        "CME_LIBRARY_EDIT_CHECK",
        "openedx.core.djangoapps.xblock.learning_context.manager",
        "xblocks.platform.learning_core_can_edit",
    )
    return None if check is None else bool(check(usage_key, user_id))
