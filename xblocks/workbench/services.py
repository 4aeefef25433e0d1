"""Services the workbench gives our blocks, shaped like the LMS's."""

import copy
import hashlib
import hmac
import warnings
from functools import lru_cache

from django.conf import settings
from django.utils import translation
from xblock.reference.user_service import UserService, XBlockUser
from xblock.runtime import KvsFieldData, NullI18nService

from xblocks.i18n import catalog, to_locale


def is_workbench_staff(student_id: str) -> bool:
    """Staff from settings (`CME_WORKBENCH_STAFF`) or switched on in the toolbar."""
    from .models import StaffGrant

    if student_id in settings.CME_WORKBENCH_STAFF:
        return True
    return StaffGrant.objects.filter(student_id=student_id).exists()


def anonymous_id(student_id: str) -> str:
    """A stable pseudonymous id, like the LMS's `anonymous_user_id` (no name inside)."""
    return hmac.new(
        settings.SECRET_KEY.encode(), f"cme-learner:{student_id}".encode(), hashlib.sha256
    ).hexdigest()[:32]


class WorkbenchUserService(UserService):
    """The current workbench student, with the LMS's optional attributes.

    The SDK's user service sets no staff flag; Open edX sets
    `edx-platform.user_is_staff`, `edx-platform.user_id`, `edx-platform.username` and
    `edx-platform.anonymous_user_id`, which our blocks read.
    The runtime sets `self.runtime` right after construction.
    """

    runtime = None

    def __init__(self):
        super().__init__(user=None)

    def get_current_user(self) -> XBlockUser:
        with warnings.catch_warnings():
            # The SDK keeps the student id on the runtime (deprecated in XBlock, but it is
            # the only place the workbench has it).
            warnings.simplefilter("ignore")
            student_id = getattr(self.runtime, "user_id", None) or "student_1"
        user = XBlockUser(
            is_current_user=True,
            emails=[f"{student_id}@example.org"],
            full_name=f"Workbench user {student_id}",
        )
        user.opt_attrs = _UserAttrs(
            {
                "xblock-workbench.user_id": student_id,
                "edx-platform.user_id": student_id,
                "edx-platform.username": student_id,
                "edx-platform.anonymous_user_id": anonymous_id(student_id),
            },
            student_id,
        )
        return user


class _UserAttrs(dict):
    """The user's attributes; the staff flag and role are looked up (a query) when first read,
    so a learner's action that never asks pays nothing for them."""

    _LAZY = ("edx-platform.user_is_staff", "edx-platform.user_role")

    def __init__(self, attrs: dict, student_id: str):
        super().__init__(attrs)
        self._student_id = student_id

    def _resolve(self) -> None:
        staff = is_workbench_staff(self._student_id)
        self.update(
            {self._LAZY[0]: staff, self._LAZY[1]: "staff" if staff else "student"},
        )

    def __missing__(self, key):
        if key not in self._LAZY:
            raise KeyError(key)
        self._resolve()
        return self[key]

    def get(self, key, default=None):
        if key in self._LAZY and not dict.__contains__(self, key):
            self._resolve()
        return super().get(key, default)

    def __contains__(self, key) -> bool:
        return key in self._LAZY or super().__contains__(key)


@lru_cache(maxsize=32)
def _catalog_of(language: str):
    """Our catalog for a Django language code (asked for by every translated string)."""
    return catalog(to_locale(language))


class WorkbenchI18nService(NullI18nService):
    """gettext from our shipped catalogs in the request's language, as the LMS's service does."""

    @staticmethod
    def _request_catalog():
        return _catalog_of(translation.get_language() or settings.LANGUAGE_CODE)

    def gettext(self, message: str) -> str:
        return self._request_catalog().gettext(message)

    ugettext = gettext

    def __getattr__(self, name):
        # xblock.utils' {% trans %} merges the service into Django's catalog and reads
        # catalog attributes (plural, _catalog) from it: hand it the request's catalog.
        return getattr(self._request_catalog(), name)

    def ngettext(self, singular: str, plural: str, number: int) -> str:
        return self._request_catalog().ngettext(singular, plural, number)

    ungettext = ngettext

    def pgettext(self, context: str, message: str) -> str:
        return self._request_catalog().pgettext(context, message)

    def get_language(self) -> str:
        return translation.get_language() or settings.LANGUAGE_CODE


_NOT_SET = object()


class OneReadFieldData(KvsFieldData):
    """The workbench's field data, reading each stored field once per request: XBlock asks
    `has` and then `get` for a set field, which the SDK's store answers with two queries; the
    LMS reads a block's fields once (its FieldDataCache). A runtime serves one request."""

    runtime = None

    def __init__(self):
        from workbench.runtime import WORKBENCH_KVS

        super().__init__(WORKBENCH_KVS)
        self._read: dict = {}

    def _stored(self, block, name):
        key = (block.scope_ids, name)
        if key not in self._read:
            try:
                self._read[key] = super().get(block, name)
            except KeyError:
                self._read[key] = _NOT_SET
        return self._read[key]

    def has(self, block, name) -> bool:
        return self._stored(block, name) is not _NOT_SET

    def get(self, block, name):
        value = self._stored(block, name)
        if value is _NOT_SET:
            raise KeyError(name)
        return copy.deepcopy(value) if isinstance(value, dict | list) else value

    def set(self, block, name, value) -> None:
        super().set(block, name, value)
        self._read.pop((block.scope_ids, name), None)

    def set_many(self, block, update_dict) -> None:
        super().set_many(block, update_dict)
        for name in update_dict:
            self._read.pop((block.scope_ids, name), None)

    def delete(self, block, name) -> None:
        super().delete(block, name)
        self._read.pop((block.scope_ids, name), None)
