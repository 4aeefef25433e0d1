"""The clinical case as pydantic models: the single source of truth for storage, Studio
validation, JSON import/export and the OLX mapping.

A case is a list of stages. The first stage is where every learner starts; each stage either
is an ending or names its `next_stage`, and may route elsewhere through `branches` (first
matching branch wins: a chosen option of one of the stage's questions and/or the score so
far). Findings are obtained on request (MedBiquitous "if requested" availability) and
questions are a discriminated union on `kind`.

Author HTML passes through `sanitize_html()` whenever a model is validated, so nothing an
author types can run as script in a learner's browser.
"""

import hashlib
import html as html_lib
import re
import unicodedata
from collections.abc import Iterator
from functools import cached_property
from typing import Annotated, Any, ClassVar, Literal

import nh3
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    model_validator,
)
from pydantic_core import PydanticCustomError

from .clinical_scores import SCORES
from .messages import DEFAULT_STAGE_TITLES, MESSAGES

# ---- author HTML ----------------------------------------------------------------------------

ALLOWED_TAGS = frozenset(
    {
        "p",
        "br",
        "strong",
        "em",
        "ul",
        "ol",
        "li",
        "table",
        "caption",
        "thead",
        "tbody",
        "tfoot",
        "tr",
        "th",
        "td",
        "h3",
        "h4",
        "h5",
        "img",
        "a",
    }
)
ALLOWED_ATTRIBUTES = {
    "img": {"src", "alt"},
    "a": {"href"},
    "th": {"colspan", "rowspan", "scope"},
    "td": {"colspan", "rowspan"},
}
_SCHEME = re.compile(r"^\s*([a-zA-Z][a-zA-Z0-9+.-]*):")


def _is_relative(url: str) -> bool:
    return _SCHEME.match(url) is None


def _safe_url(tag: str, url: str) -> bool:
    lowered = url.strip().lower()
    if tag == "a":
        return lowered.startswith(("http://", "https://", "mailto:"))
    # img: web addresses, paths on this site, or inline raster images (never SVG: it can
    # carry script when opened on its own).
    if lowered.startswith("data:"):
        return lowered.startswith("data:image/") and not lowered.startswith("data:image/svg")
    return lowered.startswith(("http://", "https://")) or _is_relative(url)


def _attribute_filter(tag: str, attribute: str, value: str) -> str | None:
    if (tag, attribute) in {("a", "href"), ("img", "src")} and not _safe_url(tag, value):
        return None
    return value


def sanitize_html(html: str) -> str:
    """Author HTML reduced to an allow-list: text structure, tables, images and links.

    No style, no event handlers, no script (its content is dropped, not shown as text), links
    only to http(s)/mailto with rel="noopener", images only from http(s), this site or an
    inline raster `data:image/...`.
    """
    cleaned = nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        clean_content_tags={"script", "style"},
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        attribute_filter=_attribute_filter,
        url_schemes={"http", "https", "mailto", "data"},
        link_rel="noopener",
        strip_comments=True,
    )
    return cleaned.strip()


def plain_text(html: str) -> str:
    """Author HTML as one line of plain text (tags dropped, entities read)."""
    text = html_lib.unescape(nh3.clean(html, tags=set(), clean_content_tags={"script", "style"}))
    return " ".join(text.split())


def text_excerpt(html: str, width: int = 60) -> str:
    """Author HTML as one line of plain text, cut at about `width` columns with "…" (a CJK
    character counts as two columns, as it is about twice as wide on screen)."""
    text = plain_text(html)
    used = 0
    for index, char in enumerate(text):
        used += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
        if used > width:
            return text[:index].rstrip(" ,.;:，。；：") + "…"
    return text


# ---- reusable field types -------------------------------------------------------------------

_IDENTIFIER = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


def _identifier(value: str) -> str:
    if not _IDENTIFIER.match(value):
        raise PydanticCustomError("bad_identifier", MESSAGES["bad_identifier"], {"value": value})
    return value


def _plain_text(value: str, info: ValidationInfo) -> str:
    value = value.strip()
    if not value:
        field = info.field_name or "text"
        raise PydanticCustomError("blank_text", MESSAGES["blank_text"], {"field": field})
    return value


def _required_html(value: str, info: ValidationInfo) -> str:
    return _plain_text(sanitize_html(value), info)


#: A stable, URL- and XML-safe id for stages, findings, questions, options, branches.
Identifier = Annotated[str, AfterValidator(_identifier)]
#: A short line of plain text that must not be blank (titles, labels, option text).
PlainText = Annotated[str, Field(max_length=2000), AfterValidator(_plain_text)]
#: Author HTML, sanitized; may be empty.
Html = Annotated[str, Field(max_length=50_000), AfterValidator(sanitize_html)]
#: Author HTML, sanitized; must not be empty once sanitized.
RequiredHtml = Annotated[str, Field(max_length=50_000), AfterValidator(_required_html)]

Tier = Literal["primary", "secondary", "tertiary"]
ProfessionalTitle = Literal["junior", "intermediate", "senior"]
FindingKind = Literal["history", "examination", "investigation"]
Relevance = Literal["essential", "useful", "unnecessary", "harmful"]


def _error(code: str, **ctx: Any) -> PydanticCustomError:
    return PydanticCustomError(code, MESSAGES[code], ctx)


#: Characters XML 1.0 cannot hold (C0 controls but tab and line breaks, U+FFFE, U+FFFF,
#: surrogates): a case holding one could be saved but never exported or shown in the editor.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _check_xml_safe(data: Any) -> None:
    """Refuse a model's own texts (and lists of texts) holding such a character; nested
    models check theirs."""
    if not isinstance(data, dict):
        return
    for field, value in data.items():
        for text in value if isinstance(value, list) else [value]:
            found = _NOT_XML.search(text) if isinstance(text, str) else None
            if found:
                char = f"U+{ord(found[0]):04X}"
                raise _error("text_control_character", field=str(field), character=char)


class _Authored(BaseModel):
    """Anything that comes from an author: unknown fields are refused, not ignored, and no text
    holds a character a course export (XML) cannot."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _no_control_characters(cls, data: Any) -> Any:
        _check_xml_safe(data)
        return data


# ---- the case header ------------------------------------------------------------------------


class PatientProfile(_Authored):
    """The de-identified patient: age, sex and where they present. A child's age may be given
    in months alone (`age_months=14`): whole years are carried into `age_years`."""

    age_years: int = Field(default=0, ge=0, le=120)
    age_months: int = Field(default=0, ge=0, le=11)
    sex: Literal["female", "male"]
    weight_kg: float | None = Field(default=None, gt=0, le=400)
    setting: PlainText

    @model_validator(mode="before")
    @classmethod
    def _carry_whole_years(cls, data: Any) -> Any:
        """14 months -> 1 year and 2 months (left alone when not whole numbers: the fields
        say what is wrong)."""
        if not isinstance(data, dict):
            return data
        try:
            years, months = int(data.get("age_years", 0)), int(data.get("age_months", 0))
        except (TypeError, ValueError):
            return data
        if months < 12:
            return data
        return {**data, "age_years": years + months // 12, "age_months": months % 12}

    @property
    def age(self) -> float:
        """Age in years, months as a fraction."""
        return self.age_years + self.age_months / 12


class GuidelineReference(_Authored):
    """A guideline the case follows: its body, year and the section the case relies on."""

    id: Identifier
    title: PlainText
    issuer: PlainText
    year: int = Field(ge=1900, le=2100)
    section: str = Field(default="", max_length=500)
    url: str | None = Field(default=None, pattern=r"^https?://\S+$", max_length=2000)


class MediaItem(_Authored):
    """An image, video or audio clip of a stage; accessible by construction."""

    kind: Literal["image", "video", "audio"]
    src: str = Field(min_length=1, max_length=4000)
    alt: str = Field(default="", max_length=2000)
    transcript: str = Field(default="", max_length=50_000)
    caption: str = Field(default="", max_length=2000)

    @model_validator(mode="after")
    def _accessible_and_safe(self) -> "MediaItem":
        lowered = self.src.strip().lower()
        if not (lowered.startswith(("http://", "https://")) or _is_relative(self.src)):
            raise _error("media_bad_src", src=self.src)
        if self.kind == "image" and not self.alt.strip():
            raise _error("media_needs_alt", src=self.src)
        if self.kind != "image" and not self.transcript.strip():
            raise _error("media_needs_transcript", kind=self.kind, src=self.src)
        return self


# ---- findings on request --------------------------------------------------------------------


class FindingCost(_Authored):
    """What obtaining a finding costs: time, money (in the case's currency), score penalty.

    Time and money are shown before the learner asks; the penalty is revealed with the result.
    """

    minutes: int = Field(default=0, ge=0, le=100_000)
    money: float = Field(default=0, ge=0, le=1_000_000)
    penalty: float = Field(default=0, ge=0, le=1000)


class Finding(_Authored):
    """A history question, examination or test whose result appears only once requested."""

    id: Identifier
    kind: FindingKind
    label: PlainText
    relevance: Relevance
    points: float = Field(default=0, ge=0, le=1000)
    cost: FindingCost = Field(default_factory=FindingCost)
    result: RequiredHtml
    value: str | None = Field(default=None, max_length=200)
    unit: str | None = Field(default=None, max_length=50)
    normal_range: str | None = Field(default=None, max_length=200)
    feedback: Html = ""

    @model_validator(mode="after")
    def _only_relevant_findings_score(self) -> "Finding":
        if self.points > 0 and self.relevance in ("unnecessary", "harmful"):
            raise _error(
                "finding_points_not_relevant",
                finding=self.id,
                relevance=self.relevance,
                points=self.points,
            )
        return self


# ---- questions ------------------------------------------------------------------------------


class Option(_Authored):
    """One answer option. Which of `correct`, `credit`, `harmful`, `votes` apply depends on
    the question kind; fields a kind does not use are refused so that nothing is silently
    ignored."""

    id: Identifier
    text: PlainText
    feedback: Html = ""
    correct: bool = False
    credit: float | None = Field(default=None, ge=0, le=1)
    harmful: bool = False
    votes: int | None = Field(default=None, ge=0, le=10_000)


class _Question(_Authored):
    id: Identifier
    prompt: RequiredHtml
    required: bool = True
    commentary: Html = ""
    max_attempts: int | None = Field(default=None, ge=1, le=20)


class _ChoiceQuestion(_Question):
    points: float = Field(default=1, gt=0, le=1000)
    options: list[Option] = Field(max_length=10)

    #: Option fields this kind of question uses (others must keep their defaults).
    OPTION_FIELDS: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="after")
    def _options_well_formed(self) -> "_ChoiceQuestion":
        if len(self.options) < 2:
            raise _error("question_too_few_options", question=self.id)
        seen: set[str] = set()
        for option in self.options:
            if option.id in seen:
                raise _error("duplicate_option", question=self.id, option=option.id)
            seen.add(option.id)
            if option.correct and option.harmful:
                raise _error("harmful_and_correct", question=self.id, option=option.id)
            if option.harmful and option.credit is not None:
                raise _error("harmful_with_credit", question=self.id, option=option.id)
            defaults = {"correct": False, "credit": None, "harmful": False, "votes": None}
            for field, default in defaults.items():
                if field not in self.OPTION_FIELDS and getattr(option, field) != default:
                    raise _error(
                        "option_field_not_used",
                        question=self.id,
                        option=option.id,
                        setting=field,
                        kind=self.kind.replace("_", "-"),  # type: ignore[attr-defined]
                    )
        self._check_key()
        return self

    def _check_key(self) -> None:
        """Kind-specific consistency of the answer key."""

    @property
    def option_ids(self) -> list[str]:
        return [option.id for option in self.options]

    def option(self, option_id: str) -> Option | None:
        return next((o for o in self.options if o.id == option_id), None)


class SingleChoiceQuestion(_ChoiceQuestion):
    """One best answer; other options may carry partial credit (a fraction; 1 for an
    accepted alternative, e.g. a referral that is as right as observing) or be marked
    `harmful` (a dangerous choice, shown as such in the feedback and reports)."""

    kind: Literal["single_choice"] = "single_choice"
    OPTION_FIELDS = frozenset({"correct", "credit", "harmful"})

    def _check_key(self) -> None:
        correct = [o for o in self.options if o.correct]
        if len(correct) != 1:
            raise _error("single_choice_needs_one_correct", question=self.id, count=len(correct))
        if correct[0].credit is not None:
            raise _error("credit_on_correct_option", question=self.id, option=correct[0].id)


PartialCreditRule = Literal["all_or_nothing", "right_minus_wrong", "per_option"]


class MultipleChoiceQuestion(_ChoiceQuestion):
    """Several correct options with an explicit partial-credit rule:

    - all_or_nothing: full credit only for exactly the correct set;
    - right_minus_wrong: (correct chosen - incorrect chosen) / number correct, not below 0;
    - per_option: the share of options judged right (chosen if correct, left if not).

    Choosing an option marked `harmful` (a killer option) scores the question zero.
    """

    kind: Literal["multiple_choice"] = "multiple_choice"
    partial_credit: PartialCreditRule = "right_minus_wrong"
    max_selections: int | None = Field(default=None, ge=1)
    OPTION_FIELDS = frozenset({"correct", "harmful"})

    def _check_key(self) -> None:
        correct = sum(o.correct for o in self.options)
        if correct == 0:
            raise _error("choice_needs_correct", question=self.id)
        if correct == len(self.options):
            raise _error("choice_all_correct", question=self.id)
        _check_selections(self.id, self.max_selections, correct, len(self.options))

    @property
    def selection_limit(self) -> int:
        return self.max_selections or len(self.options)


class KeyFeatureQuestion(_ChoiceQuestion):
    """Page & Bordage key features: "select up to N" from a list that may be long; only the
    critical decisions (`correct`) score, each its share of the points; choosing more than N,
    or any option marked `harmful` (a killer option), scores the question zero.

    N is required, at least the number of keys and close to it (at most twice as many), and
    below the number of options that are not harmful: were it not, ticking every safe option
    would earn full marks."""

    kind: Literal["key_feature"] = "key_feature"
    options: list[Option] = Field(max_length=40)
    max_selections: int = Field(ge=1)
    OPTION_FIELDS = frozenset({"correct", "harmful"})

    def _check_key(self) -> None:
        correct = sum(o.correct for o in self.options)
        if correct == 0:
            raise _error("choice_needs_correct", question=self.id)
        _check_selections(self.id, self.max_selections, correct, len(self.options))
        safe = sum(not o.harmful for o in self.options)
        if self.max_selections >= safe:
            raise _error(
                "key_feature_limit_allows_everything",
                question=self.id,
                max_selections=self.max_selections,
                safe=safe,
            )
        if self.max_selections > 2 * correct:
            raise _error(
                "key_feature_limit_not_close",
                question=self.id,
                max_selections=self.max_selections,
                correct=correct,
                most=2 * correct,
            )

    @property
    def selection_limit(self) -> int:
        """What a learner may tick: every option (ticking more than N scores zero)."""
        return len(self.options)


class RankingQuestion(_ChoiceQuestion):
    """Put the options in order (e.g. a differential from most to least likely).

    Options are listed in the order learners see them; `correct_order` is the key. Credit is
    the share of pairs in the right relative order, or all-or-nothing.
    """

    kind: Literal["ranking"] = "ranking"
    correct_order: list[Identifier]
    partial_credit: Literal["pairwise", "all_or_nothing"] = "pairwise"

    def _check_key(self) -> None:
        if sorted(self.correct_order) != sorted(self.option_ids):
            raise _error("ranking_order_mismatch", question=self.id)
        if self.correct_order == self.option_ids:
            raise _error("ranking_shown_in_key_order", question=self.id)


class ScriptConcordanceQuestion(_ChoiceQuestion):
    """Script concordance: "if you were thinking of <hypothesis> and then found
    <new_information>, the hypothesis becomes ..." on a scale; an answer earns the share of
    the expert panel that chose it, relative to the modal answer (aggregate scoring, Charlin).
    One attempt only: the test measures a first judgement."""

    kind: Literal["script_concordance"] = "script_concordance"
    hypothesis: PlainText
    new_information: RequiredHtml
    OPTION_FIELDS = frozenset({"votes"})

    def _check_key(self) -> None:
        if sum(o.votes or 0 for o in self.options) < 1:
            raise _error("panel_without_votes", question=self.id)
        if self.max_attempts not in (None, 1):
            raise _error("sct_one_attempt", question=self.id, attempts=self.max_attempts)

    @property
    def modal_votes(self) -> int:
        return max(o.votes or 0 for o in self.options)


class DoseFormula(_Authored):
    """The expected value from the patient: `per_kg` x weight + `per_year` x age + `fixed`,
    at most `maximum` (e.g. 15 mg/kg paracetamol up to 1000 mg; (age + 4) x 2 kg)."""

    per_kg: float = Field(default=0, ge=-10_000, le=10_000)
    per_year: float = Field(default=0, ge=-10_000, le=10_000)
    fixed: float = Field(default=0, ge=-1_000_000, le=1_000_000)
    maximum: float | None = Field(default=None, gt=0, le=1_000_000)

    def compute(self, patient: PatientProfile) -> tuple[float, bool]:
        """(value, whether the maximum applied)."""
        value = self.per_kg * (patient.weight_kg or 0) + self.per_year * patient.age + self.fixed
        if self.maximum is not None and value > self.maximum:
            return self.maximum, True
        return value, False


class NumericQuestion(_Question):
    """A number with its unit (a dose, a fluid volume, a rate): right within `tolerance`
    (absolute) or `tolerance_percent` of the key, whichever is wider. The key is a fixed
    `value` or a `formula` from the patient's weight and age."""

    kind: Literal["numeric"] = "numeric"
    points: float = Field(default=1, gt=0, le=1000)
    unit: PlainText
    value: float | None = Field(default=None, ge=-1_000_000, le=1_000_000)
    formula: DoseFormula | None = None
    tolerance: float = Field(default=0, ge=0, le=1_000_000)
    tolerance_percent: float = Field(default=0, ge=0, le=50)
    decimals: int = Field(default=1, ge=0, le=4)

    @model_validator(mode="after")
    def _one_key(self) -> "NumericQuestion":
        if (self.value is None) == (self.formula is None):
            raise _error("numeric_needs_one_key", question=self.id)
        return self

    def expected(self, patient: PatientProfile) -> tuple[float, bool]:
        """The key for this patient, rounded as shown, and whether a maximum capped it."""
        if self.formula is None:
            return round(self.value or 0, self.decimals), False
        value, capped = self.formula.compute(patient)
        return round(value, self.decimals), capped

    def accepts(self, given: float, patient: PatientProfile) -> bool:
        expected, _ = self.expected(patient)
        margin = max(self.tolerance, abs(expected) * self.tolerance_percent / 100)
        return abs(given - expected) <= margin + 1e-9


class ReflectionQuestion(_Question):
    """Free-text reflection: ungraded, visible to staff, usually required."""

    kind: Literal["reflection"] = "reflection"
    min_chars: int = Field(default=1, ge=1, le=20_000)
    max_chars: int = Field(default=4000, ge=1, le=20_000)

    @model_validator(mode="after")
    def _bounds(self) -> "ReflectionQuestion":
        if self.min_chars > self.max_chars:
            raise _error(
                "reflection_bounds",
                question=self.id,
                min_chars=self.min_chars,
                max_chars=self.max_chars,
            )
        return self


def _check_selections(question: str, limit: int | None, correct: int, options: int) -> None:
    """The limit allows full credit and is no larger than the list."""
    if limit is None:
        return
    if limit < correct:
        raise _error(
            "max_selections_too_small", question=question, max_selections=limit, correct=correct
        )
    if limit > options:
        raise _error(
            "max_selections_too_large", question=question, max_selections=limit, options=options
        )


Question = Annotated[
    SingleChoiceQuestion
    | MultipleChoiceQuestion
    | RankingQuestion
    | KeyFeatureQuestion
    | ScriptConcordanceQuestion
    | NumericQuestion
    | ReflectionQuestion,
    Field(discriminator="kind"),
]
ChoiceQuestion = (
    SingleChoiceQuestion | MultipleChoiceQuestion | KeyFeatureQuestion | ScriptConcordanceQuestion
)
#: Question kinds whose chosen options can route a branch.
ROUTING_KINDS = frozenset({"single_choice", "multiple_choice", "key_feature", "script_concordance"})


def question_points(question: Question) -> float:
    """The most a question can earn (reflections are ungraded)."""
    return 0.0 if isinstance(question, ReflectionQuestion) else question.points


# ---- computed clinical scores ---------------------------------------------------------------


#: Every criterion of the published scores (the editor offers them as a choice).
CriterionCode = Literal[tuple(sorted({c for s in SCORES.values() for c in s.criteria}))]  # type: ignore[valid-type]


class ScoreInput(_Authored):
    """One criterion of a score: its value (1 present, 0 absent; a GCS component its own
    score) and the finding that reveals it (none: the stage's text already says it)."""

    criterion: CriterionCode
    value: int = Field(default=1, ge=0, le=6)
    finding: Identifier | None = None


class ComputedScore(_Authored):
    """A published score (CURB-65, CHA2DS2-VASc, GCS, Wells) computed from the findings and
    the patient's age and sex, shown with the stage's findings once every input is revealed."""

    id: Identifier
    kind: Literal["curb65", "cha2ds2_vasc", "gcs", "wells_pe", "wells_dvt"]
    inputs: list[ScoreInput] = Field(max_length=12)
    feedback: Html = ""

    @model_validator(mode="after")
    def _criteria_complete(self) -> "ComputedScore":
        criteria = SCORES[self.kind].criteria
        given = [i.criterion for i in self.inputs]
        for item in self.inputs:
            criterion = criteria.get(item.criterion)
            if criterion is None:
                raise _error(
                    "score_unknown_criterion",
                    score=self.id,
                    criterion=item.criterion,
                    criteria=", ".join(criteria),
                )
            if given.count(item.criterion) > 1:
                raise _error("score_duplicate_criterion", score=self.id, criterion=item.criterion)
            if not criterion.low <= item.value <= criterion.high:
                raise _error(
                    "score_value_out_of_range",
                    score=self.id,
                    criterion=item.criterion,
                    value=item.value,
                    low=criterion.low,
                    high=criterion.high,
                )
        missing = [c for c in criteria if c not in given]
        if missing:
            raise _error("score_missing_criteria", score=self.id, criteria=", ".join(missing))
        return self

    @property
    def findings(self) -> list[str]:
        """The findings whose results reveal an input."""
        return [i.finding for i in self.inputs if i.finding]


# ---- stages and branches --------------------------------------------------------------------


class Branch(_Authored):
    """Leave the stage for `to` when every condition given holds: one of `options` of
    `question` was chosen, and/or the score so far is at least `score_at_least` and below
    `score_below`. Branches are tried in order; the first that holds wins."""

    id: Identifier
    to: Identifier
    question: Identifier | None = None
    options: list[Identifier] = Field(default_factory=list, max_length=10)
    score_at_least: float | None = None
    score_below: float | None = None

    @property
    def has_score_condition(self) -> bool:
        return self.score_at_least is not None or self.score_below is not None


class Stage(_Authored):
    id: Identifier
    title: PlainText
    content: Html = ""
    media: list[MediaItem] = Field(default_factory=list, max_length=20)
    findings: list[Finding] = Field(default_factory=list, max_length=60)
    scores: list[ComputedScore] = Field(default_factory=list, max_length=10)
    questions: list[Question] = Field(default_factory=list, max_length=20)
    branches: list[Branch] = Field(default_factory=list, max_length=20)
    next_stage: Identifier | None = None
    ending: bool = False

    @model_validator(mode="after")
    def _routing_well_formed(self) -> "Stage":
        if self.ending and (self.next_stage or self.branches):
            raise _error("ending_with_next", stage=self.id)
        questions = {q.id: q for q in self.questions}
        for branch in self.branches:
            where = {"stage": self.id, "branch": branch.id}
            if branch.question is None and branch.options:
                raise _error("branch_options_without_question", **where)
            if branch.question is None and not branch.has_score_condition:
                raise _error("branch_without_condition", **where)
            if branch.question is not None:
                question = questions.get(branch.question)
                if question is None:
                    raise _error("branch_unknown_question", question=branch.question, **where)
                if question.kind not in ROUTING_KINDS:
                    raise _error("branch_question_kind", question=question.id, **where)
                if not branch.options:
                    raise _error("branch_question_without_options", question=question.id, **where)
                for option in branch.options:
                    if question.option(option) is None:
                        raise _error(
                            "branch_unknown_option", question=question.id, option=option, **where
                        )
            low, high = branch.score_at_least, branch.score_below
            if low is not None and high is not None and low >= high:
                raise _error("branch_empty_score_range", at_least=low, below=high, **where)
        return self

    @property
    def targets(self) -> list[str]:
        """Every stage this stage can lead to (branch targets, then the next stage)."""
        found = [branch.to for branch in self.branches]
        if self.next_stage:
            found.append(self.next_stage)
        return list(dict.fromkeys(found))


def _share(value: Any) -> Any:
    """A pass mark as a share of the points: 75 (a percentage) is read as 0.75."""
    if isinstance(value, bool):
        return value
    try:
        number = float(value)
    except (TypeError, ValueError):
        return value  # the field's own check names the problem
    return number / 100 if 1 < number <= 100 else value


class ScoringPolicy(_Authored):
    #: A share of the points (0.75), or a percentage (75).
    pass_threshold: Annotated[float, BeforeValidator(_share)] = Field(default=0.6, ge=0, le=1)
    max_attempts: int = Field(default=1, ge=1, le=20)
    allow_restart: bool = False
    currency: str = Field(default="CNY", pattern=r"^[A-Z]{3}$")


# ---- the case -------------------------------------------------------------------------------


class Case(_Authored):
    id: Identifier
    version: str = Field(default="1", min_length=1, max_length=40)
    title: PlainText
    summary: Html = ""
    #: The summary and objectives give answers away: learners read them only at the end.
    summary_after_case: bool = False
    discipline: PlainText
    target_tiers: list[Tier] = Field(default_factory=lambda: ["primary", "secondary", "tertiary"])
    target_titles: list[ProfessionalTitle] = Field(
        default_factory=lambda: ["junior", "intermediate", "senior"]
    )
    learning_objectives: list[PlainText] = Field(default_factory=list, max_length=30)
    competencies: list[PlainText] = Field(default_factory=list, max_length=30)
    estimated_minutes: int = Field(default=20, ge=1, le=600)
    authors: list[PlainText] = Field(default_factory=list, max_length=30)
    guidelines: list[GuidelineReference] = Field(default_factory=list, max_length=30)
    patient: PatientProfile
    scoring: ScoringPolicy = Field(default_factory=ScoringPolicy)
    stages: list[Stage] = Field(max_length=60)

    @model_validator(mode="after")
    def _paths_well_formed(self) -> "Case":
        if not self.stages:
            raise _error("case_without_stages")
        _check_unique_ids(self)
        _check_score_findings(self)
        _check_formulas_have_weight(self)
        stages = {stage.id: stage for stage in self.stages}
        for stage in self.stages:
            for target in stage.targets:
                if target not in stages:
                    raise _error("unknown_stage", stage=stage.id, target=target)
            if not stage.ending and not stage.next_stage:
                raise _error("stage_dead_end", stage=stage.id)
        _check_acyclic(self.stages)
        start = self.stages[0].id
        reached = _reachable(stages, start)
        for stage in self.stages:
            if stage.id not in reached:
                raise _error("stage_unreachable", start=start, stage=stage.id)
        _check_expert_path_is_best(self)
        return self

    # -- look-ups (indexes are built once per validated case) --

    @cached_property
    def _stage_index(self) -> dict[str, Stage]:
        return {stage.id: stage for stage in self.stages}

    @cached_property
    def _finding_index(self) -> dict[str, tuple[Stage, Finding]]:
        return {f.id: (stage, f) for stage in self.stages for f in stage.findings}

    @cached_property
    def _question_index(self) -> dict[str, tuple[Stage, Question]]:
        return {q.id: (stage, q) for stage in self.stages for q in stage.questions}

    @property
    def start_stage(self) -> Stage:
        return self.stages[0]

    def stage(self, stage_id: str) -> Stage | None:
        return self._stage_index.get(stage_id)

    def finding(self, finding_id: str) -> tuple[Stage, Finding] | None:
        """The finding and the stage that offers it, or None."""
        return self._finding_index.get(finding_id)

    def question(self, question_id: str) -> tuple[Stage, Question] | None:
        """The question and the stage that asks it, or None."""
        return self._question_index.get(question_id)

    def attempts_allowed(self, question: Question) -> int:
        """Attempts at `question`: its own limit, else the case's scoring policy; one at a
        script-concordance question (a first judgement)."""
        if question.kind == "script_concordance":
            return 1
        return question.max_attempts or self.scoring.max_attempts

    def model_copy(self, *, update: dict[str, Any] | None = None, deep: bool = False) -> "Case":
        """A copy whose look-up indexes and fingerprint are rebuilt for the copied content.

        Treat a validated case as immutable; edit a case by validating new data (or through
        this method, which does not validate)."""
        copied = super().model_copy(update=update, deep=deep)
        for cached in (
            "_stage_index",
            "_finding_index",
            "_question_index",
            "fingerprint",
            "_max_score",
        ):
            copied.__dict__.pop(cached, None)
        return copied

    @cached_property
    def fingerprint(self) -> str:
        """A digest of the whole case; learner progress remembers the one it started on."""
        return hashlib.sha256(self.model_dump_json().encode("utf-8")).hexdigest()


def _check_unique_ids(case: Case) -> None:
    def check(ids: Iterator[str], what: str) -> None:
        seen: set[str] = set()
        for value in ids:
            if value in seen:
                raise _error("duplicate_id", id=value, what=what)
            seen.add(value)

    check((s.id for s in case.stages), "stages")
    check((f.id for s in case.stages for f in s.findings), "findings")
    check((q.id for s in case.stages for q in s.questions), "questions")
    check((g.id for g in case.guidelines), "guideline references")
    check((c.id for s in case.stages for c in s.scores), "computed scores")
    for stage in case.stages:
        check((b.id for b in stage.branches), f'branches of stage "{stage.id}"')


def _check_score_findings(case: Case) -> None:
    """Each score input names a finding of the case."""
    known = {f.id for stage in case.stages for f in stage.findings}
    for stage in case.stages:
        for score in stage.scores:
            for finding in score.findings:
                if finding not in known:
                    raise _error("score_unknown_finding", score=score.id, finding=finding)


def _check_formulas_have_weight(case: Case) -> None:
    """A per-kg formula needs the patient's weight."""
    if case.patient.weight_kg is not None:
        return
    for stage in case.stages:
        for question in stage.questions:
            formula = getattr(question, "formula", None)
            if formula is not None and formula.per_kg:
                raise _error("numeric_formula_needs_weight", question=question.id)


def _check_acyclic(stages: list[Stage]) -> None:
    """Depth-first search; a back edge is a loop, reported with the stages it runs through."""
    targets = {stage.id: stage.targets for stage in stages}
    state: dict[str, str] = {}  # "open" while on the current path, "done" when finished

    def visit(stage_id: str, path: list[str]) -> None:
        state[stage_id] = "open"
        path.append(stage_id)
        for target in targets[stage_id]:
            if state.get(target) == "open":
                loop = path[path.index(target) :]
                via = " -> ".join(f'"{s}"' for s in [*loop[1:], target]) or f'"{target}"'
                raise _error("stage_cycle", stage=target, via=via)
            if target not in state:
                visit(target, path)
        path.pop()
        state[stage_id] = "done"

    for stage in stages:
        if stage.id not in state:
            visit(stage.id, [])


def _reachable(stages: dict[str, Stage], start: str) -> set[str]:
    seen = {start}
    todo = [start]
    while todo:
        for target in stages[todo.pop()].targets:
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


def _check_expert_path_is_best(case: Case) -> None:
    """A detour (say, the deterioration after a harmful choice) must not pay better than the
    right decisions, or a learner who gets everything right could not earn full marks."""
    from .scoring import best_route, expert_route  # scoring builds on these models

    expert = expert_route(case)
    expert_points = sum(step.points for step in expert)
    best_points, best_path = best_route(case)
    if best_points > expert_points + 1e-9:
        expert_path = [step.stage for step in expert]
        detour = next(s for s in best_path if s not in expert_path)
        raise _error(
            "detour_outscores_expert_path",
            stage=detour,
            points=round(best_points, 2),
            expert_points=round(expert_points, 2),
        )


def default_stages() -> list[Stage]:
    """The classic stages, chained in order, the last an ending: a new case's skeleton."""
    ids = list(DEFAULT_STAGE_TITLES)
    return [
        Stage(
            id=stage_id,
            title=DEFAULT_STAGE_TITLES[stage_id],
            next_stage=ids[index + 1] if index + 1 < len(ids) else None,
            ending=index + 1 == len(ids),
        )
        for index, stage_id in enumerate(ids)
    ]
