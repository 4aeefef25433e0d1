"""Request hooks of the development runtime."""

from django.conf import settings
from django.utils import translation
from workbench.scenarios import get_scenarios

LANGUAGE_COOKIE = settings.LANGUAGE_COOKIE_NAME


class LanguageSwitchMiddleware:
    """`?lang=zh-cn` or `?lang=en` switches the interface language and remembers it."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.codes = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request):
        lang = request.GET.get("lang", "").lower()
        if lang not in self.codes:
            return self.get_response(request)
        translation.activate(lang)
        request.LANGUAGE_CODE = lang
        response = self.get_response(request)
        response.set_cookie(LANGUAGE_COOKIE, lang, samesite="Lax")
        return response


class ScenariosLoadedMiddleware:
    """Load scenarios before any request, so a handler works right after a restart.

    The SDK registers usage ids only while loading scenarios, which it does on the first page
    view; a handler call that comes first (a browser tab left open across a restart) would 404.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        get_scenarios()
        return self.get_response(request)
