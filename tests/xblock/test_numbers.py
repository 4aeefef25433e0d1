"""Scores as learners read them: one decimal at most, the plural that fits the number shown."""

import gettext

import pytest

from xblocks.i18n import catalog
from xblocks.numbers import count_text, points_text, score_text

ENGLISH = gettext.NullTranslations().ngettext


@pytest.mark.parametrize(
    ("value", "shown"),
    [(39.666666, "39.7"), (41.5, "41.5"), (1.66667, "1.7"), (2.0, "2"), (0.04, "0"), (0, "0")],
)
def test_a_score_is_shown_with_one_decimal_at_most_and_no_trailing_zero(value, shown):
    assert score_text(value) == shown


def test_one_point_is_singular_and_a_fraction_plural_in_english():
    assert points_text(ENGLISH, 1, 1) == "1 of 1 point"
    assert points_text(ENGLISH, 1.66667, 2) == "1.7 of 2 points"
    assert points_text(ENGLISH, 39.6667, 41.5) == "39.7 of 41.5 points"
    assert count_text(ENGLISH, 1) == "1 point"
    assert count_text(ENGLISH, 1.5) == "1.5 points"


def test_a_chinese_reader_sees_the_points_and_the_maximum_each_with_fen():
    chinese = catalog("zh_CN").ngettext
    assert points_text(chinese, 39.6667, 41.5) == "39.7 分（满分 41.5 分）"
    assert count_text(chinese, 2) == "2 分"
