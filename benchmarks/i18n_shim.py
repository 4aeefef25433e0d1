"""A stand-in for our workbench i18n service while it hides Django's `_catalog` (benchmarks only).

Used by `benchmarks.serve.install_mergeable_i18n_service`, which says why; imported by the
runtime by dotted path, after Django is configured. Delete it once the fix is in
`xblocks/workbench/services.py`.
"""

from django.conf import settings
from django.utils import translation

from xblocks.i18n import catalog, to_locale
from xblocks.workbench.services import WorkbenchI18nService


class LmsShapedI18nService(WorkbenchI18nService):
    """Our i18n service, but with the gettext attributes Django's `merge` reads."""

    @staticmethod
    def _request_catalog():
        return catalog(to_locale(translation.get_language() or settings.LANGUAGE_CODE))

    @property
    def _catalog(self):
        return getattr(self._request_catalog(), "_catalog", None)

    def __getattr__(self, name: str):
        return getattr(self._request_catalog(), name)

    def gettext(self, message: str) -> str:
        return self._request_catalog().gettext(message)

    ugettext = gettext

    def ngettext(self, singular: str, plural: str, number: int) -> str:
        return self._request_catalog().ngettext(singular, plural, number)

    ungettext = ngettext

    def pgettext(self, context: str, message: str) -> str:
        return self._request_catalog().pgettext(context, message)
