"""Scores as learners read them, shared by the blocks' views: rounded for display, with the
plural form that fits the number shown ("1 of 1 point", "0.5 of 2 points")."""

from collections.abc import Callable


def score_text(value: float) -> str:
    """A score at most one decimal, without trailing zeros: 39.6667 -> "39.7", 2.0 -> "2"."""
    text = f"{round(value, 1):.1f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def plural_count(shown: str) -> int:
    """The count that picks the plural form for a number as shown: a fraction reads as plural
    in English ("1.5 points"), so it counts as 2."""
    number = float(shown)
    return int(number) if number.is_integer() else 2


def points_text(ngettext: Callable[[str, str, int], str], earned: float, possible: float) -> str:
    """The points earned of the most possible, both rounded, singular or plural by the maximum
    (one message for every block: a translator words it once, "39.7 分（满分 41.5 分）")."""
    possible_text = score_text(possible)
    return ngettext(
        "{earned} of {possible} point", "{earned} of {possible} points", plural_count(possible_text)
    ).format(earned=score_text(earned), possible=possible_text)


def count_text(ngettext: Callable[[str, str, int], str], value: float) -> str:
    """A question's or a penalty's points, rounded, with the fitting plural ("1.5 points")."""
    shown = score_text(value)
    return ngettext("{count} point", "{count} points", plural_count(shown)).format(count=shown)
