"""The patient as the case page introduces them: a toddler's age in months, in both languages."""

import gettext

import pytest

from xblocks.case_view import CaseViewModel
from xblocks.i18n import catalog


@pytest.mark.parametrize(
    ("years", "months", "english", "chinese"),
    [
        (1, 2, "14 months old", "14 个月"),
        (0, 1, "1 month old", "1 个月"),
        (2, 6, "2 years and 6 months old", "2 岁 6 个月"),
        (56, 0, "56 years old", "56 岁"),
    ],
)
def test_a_patients_age_reads_in_months_under_two_and_in_years_after(
    years, months, english, chinese
):
    plain = gettext.NullTranslations()
    assert CaseViewModel(plain.gettext, plain.ngettext)._age(years, months) == english
    zh = catalog("zh_CN")
    assert CaseViewModel(zh.gettext, zh.ngettext)._age(years, months) == chinese
