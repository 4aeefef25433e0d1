"""Where our translations live and how a language code finds them.

Open edX looks for an XBlock's catalogs in `<top-level package>/translations/<locale>/
LC_MESSAGES/text.mo` (domain "text"); we ship `en` and `zh_CN` there. The domain packages only
mark their messages (`N_`); they are translated here, in the adapter, by message code.
"""

import gettext
from functools import lru_cache
from pathlib import Path

TRANSLATIONS_DIR = Path(__file__).parent / "translations"
DOMAIN = "text"
LOCALES = ("en", "zh_CN")


def to_locale(language: str) -> str:
    """`zh-cn` / `zh-hans` / `zh_CN` -> `zh_CN`; `en-us` -> `en`."""
    lang = language.replace("_", "-").lower()
    if lang.startswith("zh"):
        return "zh_CN"
    return lang.split("-")[0]


@lru_cache(maxsize=16)
def catalog(locale: str) -> gettext.NullTranslations:
    """The compiled catalog of `locale`, or a pass-through when we ship none for it."""
    return gettext.translation(
        DOMAIN, localedir=str(TRANSLATIONS_DIR), languages=[locale], fallback=True
    )
