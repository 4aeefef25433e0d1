"""Services the workbench gives our blocks, shaped like the LMS's."""

import hashlib
import hmac
import warnings

from django.conf import settings
from django.utils import translation
from xblock.reference.user_service import UserService, XBlockUser
from xblock.runtime import NullI18nService

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
        staff = is_workbench_staff(student_id)
        user = XBlockUser(
            is_current_user=True,
            emails=[f"{student_id}@example.org"],
            full_name=f"Workbench user {student_id}",
        )
        user.opt_attrs.update(
            {
                "xblock-workbench.user_id": student_id,
                "edx-platform.user_id": student_id,
                "edx-platform.username": student_id,
                "edx-platform.user_is_staff": staff,
                "edx-platform.user_role": "staff" if staff else "student",
                "edx-platform.anonymous_user_id": anonymous_id(student_id),
            }
        )
        return user


class WorkbenchI18nService(NullI18nService):
    """gettext from our shipped catalogs in the request's language, as the LMS's service does."""

    @staticmethod
    def _request_catalog():
        return catalog(to_locale(translation.get_language() or settings.LANGUAGE_CODE))

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
