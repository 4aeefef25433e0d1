"""A township doctor reads the referral exercise in Chinese: three urgency words a Chinese
clinician tells apart, one term for each thing on the page, Chinese list punctuation, and no
code of the rule set in a Chinese sentence."""

import gettext
import re

import pytest

from tests.conftest import REPO_ROOT
from xblocks.referral_view import DEPARTMENTS, LETTER_ITEMS, PRIORITIES, ReferralViewModel

MO = REPO_ROOT / "xblocks" / "translations" / "zh_CN" / "LC_MESSAGES" / "text.mo"
PO = REPO_ROOT / "xblocks" / "translations" / "zh_CN" / "LC_MESSAGES" / "text.po"
ZH = gettext.GNUTranslations(MO.open("rb")).gettext


def head(text: str) -> str:
    """The word before the colon: 加急 of 加急：一两天内就诊."""
    return re.split("[：:]", text)[0]


def test_routine_urgent_emergency_and_the_emergency_department_are_four_different_words():
    words = [head(ZH(PRIORITIES[p])) for p in ("routine", "urgent", "emergency")]
    words.append(ZH(DEPARTMENTS["emergency"]))
    assert words == ["常规", "加急", "紧急", "急诊科"]


@pytest.mark.parametrize("other_name", ["危险征象", "红色警示", "附加资料", "主要检查所见"])
def test_one_thing_has_one_chinese_name_on_the_referral_pages(other_name):
    po = PO.read_text(encoding="utf-8")
    referral = [e for e in po.split("\n\n") if re.search(r"#: .*referral", e)]
    assert not [e for e in referral if other_name in e.split("msgstr", 1)[1]]


def test_the_letter_fields_are_named_as_the_chinese_referral_form_names_them():
    assert ZH(LETTER_ITEMS["key_findings"]) == "主要检查结果"
    assert ZH(LETTER_ITEMS["supporting_info"]) == "补充资料"


def test_a_chinese_list_is_separated_with_the_enumeration_comma():
    words = ReferralViewModel(ZH, chinese=True)
    assert words.join(["心电图", "血糖"]) == "心电图、血糖"
    assert words.in_words({"nearest": '"severe_headache", "vomiting"'})["nearest"] == (
        "“severe_headache”、“vomiting”"
    )


def test_a_disposition_and_an_urgency_in_a_chinese_message_are_words_not_codes():
    words = ReferralViewModel(ZH, chinese=True).in_words(
        {"disposition": "emergency_transfer", "priority": "urgent"}
    )
    assert words == {"disposition": "紧急转运", "priority": "加急"}
