"""Spoiler guard: the summary and learning objectives are read before the case starts, so they
should not give away an answer or a result.

A warning for the author, never a refusal: a summary or objective that shares two or more
telling words with an option marked correct (words no other option, the prompt, the title or
the first stage uses), or with the result of a later stage's finding (words not in its label,
the title or the first stage). Telling words are words of four or more letters outside a short
list of common ones; Chinese text, which has no spaces, is compared by runs of three characters
(two shared runs: a shared phrase of four characters or more).
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from .schema import Case, plain_text

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_WORD = re.compile(r"[^\W\d_]{4,}")
#: Telling words a text must share with a secret to be warned about (one alone is too common).
ENOUGH = 2
#: Words too common in clinical English to give anything away.
COMMON_WORDS = frozenset(
    """about after again also been before being between both could does down each from have
    having here into just more most much must only other over same should some such than that
    their them then there these they this those through under very what when where which while
    with would your patient patients case learner learners doctor treatment history
    examination""".split()
)


@dataclass(frozen=True)
class SpoilerWarning:
    """`code` names the message (`messages.MESSAGES`), `loc` the text at fault (`("summary",)`,
    `("learning_objectives", 1)`), `params` the answer or finding, `words` those it shares
    (the adapter quotes and lists them in the author's language)."""

    code: str
    loc: tuple[str | int, ...]
    params: dict[str, str] = field(default_factory=dict)
    words: tuple[str, ...] = ()


def terms(text: str) -> set[str]:
    """The telling words of plain text: words of 4+ letters (lower case, common ones left out)
    and, in Chinese, every run of three characters."""
    grams = {run[i : i + 3] for run in _CJK.findall(text) for i in range(len(run) - 2)}
    words = {w for w in _WORD.findall(_CJK.sub(" ", text.casefold())) if w not in COMMON_WORDS}
    return words | grams


def _shown_at_start(case: Case) -> set[str]:
    """Telling words learners read at once anyway: the title, discipline and first stage."""
    first = case.start_stage
    texts = (case.title, case.discipline, first.title, plain_text(first.content))
    return set().union(*(terms(text) for text in texts))


def _correct_options(case: Case, shown: set[str]) -> Iterator[tuple[set[str], dict[str, str]]]:
    for stage in case.stages:
        for question in stage.questions:
            options = getattr(question, "options", [])
            others = set().union(*(terms(o.text) for o in options if not o.correct))
            seen = shown | others | terms(plain_text(question.prompt))
            for option in (o for o in options if o.correct):
                secret = terms(option.text) - seen
                yield secret, {"option": option.text, "question": question.id}


def _later_findings(case: Case, shown: set[str]) -> Iterator[tuple[set[str], dict[str, str]]]:
    for stage in case.stages[1:]:
        for finding in stage.findings:
            result = terms(plain_text(finding.result)) | terms(finding.value or "")
            secret = result - terms(finding.label) - shown
            yield secret, {"finding": finding.label, "stage": stage.title}


def spoiler_warnings(case: Case) -> list[SpoilerWarning]:
    """What the summary and each objective give away, one warning per text and secret (none
    when the author keeps them for the end)."""
    if case.summary_after_case:
        return []
    places: list[tuple[tuple[str | int, ...], str]] = [(("summary",), plain_text(case.summary))]
    places += [(("learning_objectives", i), t) for i, t in enumerate(case.learning_objectives)]
    shown = _shown_at_start(case)
    secrets = [("spoiler_correct_option", s, p) for s, p in _correct_options(case, shown)]
    secrets += [("spoiler_later_finding", s, p) for s, p in _later_findings(case, shown)]
    warnings = []
    for loc, text in places:
        used = terms(text)
        for code, secret, params in secrets:
            shared = used & secret
            if len(shared) >= ENOUGH:
                words = tuple(_phrases(text, shared))
                warnings.append(SpoilerWarning(code, loc, params, words))
    return warnings


def _phrases(text: str, shared: set[str]) -> list[str]:
    """The shared words as the author wrote them: Chinese runs of three joined back into the
    longest phrases of `text` they cover."""
    found = {w for w in shared if not _CJK.fullmatch(w)}
    for run in _CJK.findall(text):
        start = 0
        while start < len(run) - 2:
            end = start
            while end < len(run) - 2 and run[end : end + 3] in shared:
                end += 1
            if end > start:
                found.add(run[start : end + 2])
            start = end + 1
    return sorted(found)
