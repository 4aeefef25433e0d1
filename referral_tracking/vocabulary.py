"""The nearest known codes to one an author wrote, so that a misspelt id is refused with what
they probably meant (difflib's similarity, most alike first)."""

import difflib
from collections.abc import Callable, Iterable

#: How many known codes a refusal suggests.
SUGGESTED = 5
#: Similarity from which an unknown finding id is taken for a misspelt code of the rule set.
MISSPELT_FROM = 0.8


def _likeness(word: str, known: str) -> float:
    return difflib.SequenceMatcher(None, word.lower(), known.lower()).ratio()


def nearest(word: str, known: Iterable[str], count: int = SUGGESTED) -> str:
    """The known codes most like `word`, quoted and most alike first: '"a", "b"'."""
    ranked = sorted(set(known), key=lambda code: (-_likeness(word, code), code))
    return ", ".join(f'"{code}"' for code in ranked[:count])


def misspelt(word: str, known: Iterable[str]) -> list[str]:
    """The known codes `word` is probably a misspelling of (empty: none is that close)."""
    return difflib.get_close_matches(word, sorted(set(known)), n=3, cutoff=MISSPELT_FROM)


def require_known(
    word: str, known: Iterable[str], error: Callable[..., Exception], message: str, /, **where
) -> None:
    """Raise `error(message, **where, nearest=...)` when `word` is not one of `known`."""
    known = set(known)
    if word not in known:
        raise error(message, **where, nearest=nearest(word, known))
