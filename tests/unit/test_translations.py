"""zh_CN and en ship complete: every user-facing string extracted, translated and compiled."""

import gettext
import importlib.util
import io

from babel.messages.mofile import write_mo

from case_teaching.messages import MESSAGES as CASE_MESSAGES
from tests.conftest import REPO_ROOT


def load_tool():
    spec = importlib.util.spec_from_file_location("cme_i18n_tool", REPO_ROOT / "tools" / "i18n.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_extracted_string_has_a_chinese_translation():
    problems = load_tool().problems()
    assert problems == [], "run `make translations` and translate:\n" + "\n".join(problems)


def test_the_shipped_mo_files_are_compiled_from_the_current_po_files():
    tool = load_tool()
    for locale in (*tool.LOCALES, *tool.ALIASES):
        buf = io.BytesIO()
        write_mo(buf, tool.read_catalog(tool.ALIASES.get(locale, locale)), use_fuzzy=False)
        shipped = tool.mo_path(locale).read_bytes()
        assert messages_of(shipped) == messages_of(buf.getvalue()), locale


def messages_of(mo: bytes) -> dict:
    """A compiled catalog's messages (its header names the Babel that wrote it: left out)."""
    catalog = gettext.GNUTranslations(io.BytesIO(mo))._catalog
    return {key: value for key, value in catalog.items() if key != ""}


def test_the_checker_reports_an_untranslated_string(monkeypatch):
    """The completeness check can fail: a new message without a zh_CN entry is reported."""
    tool = load_tool()
    real = tool.build_template

    def with_new_message():
        template = real()
        template.add("A sentence nobody has translated yet", locations=[("x.py", 1)])
        return template

    monkeypatch.setattr(tool, "build_template", with_new_message)
    assert any("A sentence nobody has translated yet" in line for line in tool.problems())


def test_an_error_code_two_domains_share_is_told_in_the_words_of_the_domain_that_raised_it():
    """ "xml_invalid" of a case and of a referral scenario have different templates and
    parameters: an author must get the case's sentence, not the other template unfilled."""
    from case_teaching import CaseError
    from referral_tracking.messages import MESSAGES as REFERRAL
    from xblocks.messages import translate_domain_error

    assert REFERRAL["xml_invalid"] != CASE_MESSAGES["xml_invalid"]
    error = CaseError("xml_invalid", line=52, problem="Attribute next-stage redefined")
    assert translate_domain_error(lambda s: s, error) == (
        "The XML cannot be read (line 52): Attribute next-stage redefined"
    )


def test_a_wrong_field_in_imported_xml_is_explained_in_the_authors_language():
    """A Chinese author importing a case with a dangling branch reads the whole sentence in
    Chinese, line and stage named, not pydantic's English."""
    from case_teaching import CaseError, case_from_xml, case_to_xml, load_demo_case
    from xblocks.i18n import catalog
    from xblocks.messages import translate_domain_error

    xml = case_to_xml(load_demo_case("chest_pain_gp"))
    broken = xml.replace('next-stage="examination"', 'next-stage="nowhere"', 1)
    try:
        case_from_xml(broken)
    except CaseError as error:
        english = translate_domain_error(lambda s: s, error)
        chinese = translate_domain_error(catalog("zh_CN").gettext, error)
    assert '"nowhere"' in english and "Line" in english
    assert "nowhere" in chinese and "行" in chinese
    assert "which is not a stage" not in chinese
