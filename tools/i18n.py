"""Translations: extract messages, update the en and zh_CN catalogs, compile, check.

    python tools/i18n.py extract   # sources -> xblocks/translations/<locale>/LC_MESSAGES/text.po
    python tools/i18n.py compile   # .po -> .mo (what the runtime reads)
    python tools/i18n.py check     # fails when a zh_CN string is missing, fuzzy or stale

Pure Python (Babel), so it needs no GNU gettext. Sources: the domain packages (messages marked
with N_), the adapter's Python (_, gettext, ngettext, pgettext), block templates
({% trans %}, read through Django's own template lexer) and block JavaScript (gettext).
"""

import io
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract, extract_javascript, extract_python
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "xblocks" / "translations"
LOCALES = ("en", "zh_CN")
#: Locales compiled from another's catalog: the LMS asks gettext for Django's `to_locale` of the
#: learner's language, and `zh-hans` (`zh_Hans`) or `zh` falls back to `zh` only.
ALIASES = {"zh": "zh_CN"}
PY_SOURCES = ("case_teaching", "referral_tracking", "credit_export", "xblocks")
KEYWORDS = {
    "_": None,
    "gettext": None,
    "N_": None,
    "gettext_noop": None,
    "ngettext": (1, 2),
    "pgettext": ((1, "c"), 2),
}
SKIP_PARTS = {"workbench", "__pycache__", "tests"}


def _python_files():
    for package in PY_SOURCES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if not SKIP_PARTS.intersection(path.relative_to(ROOT).parts[1:]):
                yield path


def _template_messages(path: Path):
    """Messages of a Django template, via Django's templatize (same lexer as makemessages)."""
    from django.conf import settings

    if not settings.configured:
        settings.configure(USE_I18N=True)
    from django.utils.translation.template import templatize

    source = templatize(path.read_text(encoding="utf-8"), origin=str(path))
    # templatize keeps the template's indentation, which Python's tokenizer (unlike xgettext)
    # refuses; line numbers survive the strip.
    source = "\n".join(line.lstrip() for line in source.splitlines())
    yield from extract(extract_python, io.BytesIO(source.encode()), KEYWORDS)


def build_template() -> Catalog:
    template = Catalog(project="consortium-cme-xblocks", domain="text", fuzzy=False)

    def add(messages, path: Path):
        for lineno, message, comments, context in messages:
            template.add(
                message,
                locations=[(str(path.relative_to(ROOT)), lineno)],
                auto_comments=comments,
                context=context,
            )

    for path in _python_files():
        with path.open("rb") as fh:
            add(extract(extract_python, fh, KEYWORDS, comment_tags=("Translators:",)), path)
    for path in sorted((ROOT / "xblocks" / "templates").rglob("*.html")):
        add(_template_messages(path), path)
    for path in sorted((ROOT / "xblocks" / "public").rglob("*.js")):
        with path.open("rb") as fh:
            add(extract(extract_javascript, fh, KEYWORDS), path)
    return template


def po_path(locale: str) -> Path:
    return TRANSLATIONS / locale / "LC_MESSAGES" / "text.po"


def read_catalog(locale: str) -> Catalog:
    path = po_path(locale)
    if not path.exists():
        return Catalog(locale=locale, domain="text")
    with path.open("rb") as fh:
        return read_po(fh, locale=locale, domain="text")


def write_catalog(catalog: Catalog, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    write_po(buf, catalog, width=100, sort_output=True, omit_header=False, include_previous=False)
    path.write_bytes(buf.getvalue())


def extract_all() -> None:
    template = build_template()
    for locale in LOCALES:
        catalog = read_catalog(locale)
        catalog.update(template, update_header_comment=False, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        catalog.project, catalog.version, catalog.fuzzy = "consortium-cme-xblocks", "0.1", False
        catalog.msgid_bugs_address = ""
        catalog.last_translator = "consortium-cme-xblocks developers"
        catalog.header_comment = "# consortium-cme-xblocks\n"
        catalog.revision_date = catalog.creation_date = template.creation_date.replace(
            year=2026, month=1, day=1, hour=0, minute=0, second=0
        )
        write_catalog(catalog, po_path(locale))
    print(f"{len(template)} messages extracted")


def mo_path(locale: str) -> Path:
    return po_path(locale).with_suffix(".mo")


def compile_all() -> None:
    for locale in (*LOCALES, *ALIASES):
        catalog = read_catalog(ALIASES.get(locale, locale))
        mo_path(locale).parent.mkdir(parents=True, exist_ok=True)
        with mo_path(locale).open("wb") as fh:
            write_mo(fh, catalog, use_fuzzy=False)


def problems() -> list[str]:
    """What a translator still has to do, one line each (empty: all is well)."""
    template = build_template()
    found = []
    for locale in LOCALES:
        catalog = read_catalog(locale)
        for message in template:
            if not message.id:
                continue
            entry = catalog.get(message.id, context=message.context)
            if entry is None:
                found.append(
                    f"{locale}: not extracted yet (run `make translations`): {message.id!r}"
                )
            elif locale != "en" and (
                not entry.string
                or entry.fuzzy
                or (isinstance(entry.string, tuple) and not all(entry.string))
            ):
                found.append(f"{locale}: missing translation: {message.id!r}")
    return found


def main(command: str) -> int:
    if command == "extract":
        extract_all()
    elif command == "compile":
        compile_all()
    elif command == "check":
        found = problems()
        for line in found:
            print(line)
        if found:
            print(f"{len(found)} translation problem(s)")
            return 1
        print("translations complete")
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else ""))
