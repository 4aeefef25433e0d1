"""The credit domain's schema: activities, rules, learner profiles, evaluations and records.

Every number that decides a credit is configuration, never code (provinces differ and the
national scheme is being revised): the conversion of hours to credits, its cap and rounding
step, minimum scores and study times all live in the activity and the rule.

Rounding of converted credits: hours / hours-per-credit, rounded *down* to a multiple of the
conversion's `step` (half a credit unless configured otherwise), then capped. Down, because a
learner must never be registered for more credit than earned: 8 hours at 3 hours per credit
is 2.67, registered as 2.5. Credits are `Decimal` throughout, so 0.5 stays 0.5.

Text a learner or author types is cleaned once, here: characters that no form can carry
(C0 controls except tab/newline, DEL, lone surrogates, U+FFFE/U+FFFF) are dropped, tabs and
newlines of one-line fields become spaces, and the ends are stripped; what is left must not
be blank. Chinese (and any other script) passes untouched.
"""

import re
import unicodedata
from datetime import UTC, date, datetime
from decimal import ROUND_FLOOR, Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from .messages import MESSAGES

Level = Literal["national", "provincial", "municipal", "hospital"]
CreditClass = Literal["I", "II"]
Tier = Literal["primary", "secondary", "tertiary"]
ProfessionalTitle = Literal["junior", "intermediate", "senior"]
PracticeChange = Literal["none", "considering", "planned", "already"]

#: The default rounding step of converted credits (a conversion may set its own).
CREDIT_STEP = Decimal("0.5")

_UNTYPABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
_LINE_BREAKS = re.compile("[\t\r\n]+")


def clean_text(value: str, *, one_line: bool = True) -> str:
    """`value` without characters no form can carry, stripped (one line: breaks -> spaces)."""
    value = _UNTYPABLE.sub("", value)
    if one_line:
        value = _LINE_BREAKS.sub(" ", value)
    return value.strip()


def _plain(value: str, info: ValidationInfo) -> str:
    value = clean_text(value)
    if not value:
        raise PydanticCustomError(
            "blank_text", MESSAGES["blank_text"], {"field": info.field_name or "text"}
        )
    return value


def _licence(value: str) -> str:
    # NFKC: full-width digits and letters typed with a Chinese input method become ASCII.
    value = unicodedata.normalize("NFKC", value).replace(" ", "").strip().upper()
    if not (6 <= len(value) <= 30 and value.isascii() and value.isalnum()):
        raise PydanticCustomError("licence_format", MESSAGES["licence_format"], {})
    return value


def _nfkc(value: Any) -> Any:
    return unicodedata.normalize("NFKC", value).strip() if isinstance(value, str) else value


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


PlainText = Annotated[str, Field(max_length=200), AfterValidator(_plain)]
#: A project number as the CME office registers it, e.g. "2026-05-01-003" or "2025-04-01-012
#: (国)": ASCII letters and digits first, then also . _ / - ( ), spaces and Chinese characters.
ProjectNumber = Annotated[
    str,
    BeforeValidator(_nfkc),
    Field(pattern="^[A-Za-z0-9][A-Za-z0-9 ._/()\u3400-\u4dbf\u4e00-\u9fff-]{0,39}$"),
]
#: An RFC 5646 language tag such as "en" or "zh-CN" (the common shapes, not every grandfather).
LanguageTag = Annotated[str, Field(pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")]
UtcDatetime = Annotated[AwareDatetime, AfterValidator(_utc)]
Credits = Annotated[Decimal, Field(gt=0, le=100, decimal_places=2)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class HoursConversion(_Model):
    """Credits from attended hours: one credit per `hours_per_credit` hours, rounded down to a
    multiple of `step`, at most `cap` (e.g. national 3 h, provincial 6 h per credit)."""

    hours_per_credit: Decimal = Field(gt=0, le=100, decimal_places=2)
    cap: Credits | None = None
    step: Decimal = Field(default=CREDIT_STEP, gt=0, le=10, decimal_places=2)


def credits_for_hours(hours: Decimal, conversion: HoursConversion) -> Decimal:
    """Hours converted to credits: rounded down to the conversion's step, then capped."""
    steps = (hours / conversion.hours_per_credit / conversion.step).to_integral_value(
        rounding=ROUND_FLOOR
    )
    credits = steps * conversion.step
    if conversion.cap is not None:
        credits = min(credits, conversion.cap)
    return credits


class CreditActivity(_Model):
    """A CME project as registered with the CME office.

    `name` is the name as registered (any language); `name_translations` gives it in other
    languages (e.g. {"zh-CN": "..."}) for learning-record stores and wallets.
    """

    project_number: ProjectNumber
    name: PlainText
    name_translations: dict[LanguageTag, PlainText] = Field(default_factory=dict, max_length=10)
    level: Level
    credit_class: CreditClass
    credits: Credits | None = None
    hours: Decimal | None = Field(default=None, gt=0, le=1000, decimal_places=2)
    conversion: HoursConversion | None = None
    organiser: PlainText
    discipline: PlainText
    start_date: date
    end_date: date

    @field_validator("end_date")
    @classmethod
    def _after_start(cls, end: date, info: ValidationInfo) -> date:
        """On the last day's field, so the form marks it."""
        start = info.data.get("start_date")
        if start is not None and end < start:
            raise PydanticCustomError(
                "dates_order",
                MESSAGES["dates_order"],
                {"start": start.isoformat(), "end": end.isoformat()},
            )
        return end

    @model_validator(mode="after")
    def _consistent(self) -> "CreditActivity":
        fixed = self.credits is not None
        converted = self.hours is not None and self.conversion is not None
        if fixed == converted or (self.hours is None) != (self.conversion is None):
            raise PydanticCustomError("hours_or_credits", MESSAGES["hours_or_credits"], {})
        if converted and not self.awarded_credits:
            assert self.hours is not None and self.conversion is not None
            raise PydanticCustomError(
                "hours_give_no_credit",
                MESSAGES["hours_give_no_credit"],
                {
                    "hours": _decimal_text(self.hours),
                    "hours_per_credit": _decimal_text(self.conversion.hours_per_credit),
                    "step": _decimal_text(self.conversion.step),
                },
            )
        return self

    @property
    def awarded_credits(self) -> Decimal:
        """The credits one learner earns: fixed, or the hours converted (see the module)."""
        if self.credits is not None:
            return self.credits
        assert self.hours is not None and self.conversion is not None
        return credits_for_hours(self.hours, self.conversion)


def _decimal_text(value: Decimal) -> str:
    """1.50 -> "1.5", 2 -> "2", 1E+1 -> "10": how a number is written on a form."""
    return format(value.normalize(), "f")


class ComponentRequirement(_Model):
    """A graded block of the course (by usage id) to complete, with the minimum share of its
    maximum score."""

    usage_id: Annotated[str, Field(min_length=1, max_length=255)]
    label: PlainText
    min_fraction: float = Field(default=0.6, ge=0, le=1)


class CreditRule(_Model):
    """What a learner must do for the credit. No components: the adapter decides (it counts
    the graded exercises of the block's unit); a rule still without components once resolved
    is never met. `min_minutes`: study time as `rules.study_minutes` measures it."""

    components: list[ComponentRequirement] = Field(default_factory=list, max_length=50)
    evaluation_required: bool = True
    min_minutes: int | None = Field(default=None, ge=1, le=100_000)

    @model_validator(mode="after")
    def _distinct_components(self) -> "CreditRule":
        seen: set[str] = set()
        for component in self.components:
            if component.usage_id in seen:
                raise PydanticCustomError(
                    "rule_duplicate_component",
                    MESSAGES["rule_duplicate_component"],
                    {"usage_id": component.usage_id},
                )
            seen.add(component.usage_id)
        return self


class CreditSettings(_Model):
    """What an author configures in one credit block: the activity and its rule (Studio's
    editor and the block's OLX hold them together)."""

    activity: CreditActivity
    rule: CreditRule = Field(default_factory=CreditRule)


class LearnerProfile(_Model):
    """What the CME registration forms ask of a learner; checked as a learner understands."""

    name: Annotated[str, Field(max_length=100), AfterValidator(_plain)]
    licence_number: Annotated[str, Field(max_length=60), AfterValidator(_licence)]
    title: ProfessionalTitle
    institution: PlainText
    tier: Tier
    department: PlainText
    discipline: PlainText


def _comment(value: str) -> str:
    return clean_text(value, one_line=False)


class ActivityEvaluation(_Model):
    """The consortium programmes' evaluation: satisfaction (1-5 Likert) and the intended
    change in practice, with an optional free-text comment."""

    satisfaction: int = Field(ge=1, le=5)
    change_in_practice: PracticeChange
    comment: Annotated[str, Field(max_length=2000), AfterValidator(_comment)] = ""


class Outcome(_Model):
    """Evidence: a learner's completed attempt at one component (any graded block)."""

    usage_id: Annotated[str, Field(min_length=1, max_length=255)]
    score: float = Field(ge=0, allow_inf_nan=False)
    max_score: float = Field(ge=0, allow_inf_nan=False)
    completed_at: datetime

    @property
    def fraction(self) -> float:
        """Share of the maximum, at most 1; a block without points counts as fully done."""
        return min(1.0, self.score / self.max_score) if self.max_score else 1.0


class CreditRecord(_Model):
    """One award to one learner for one activity, immutable: a revocation is a new version of
    the record (`revoke`), never an edit or a deletion.

    `learner_id` is the platform's pseudonymous id; the profile is a snapshot taken at the
    award (a later change of title or institution does not rewrite history).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    learner_id: Annotated[str, Field(min_length=1, max_length=255)]
    project_number: ProjectNumber
    activity_name: PlainText
    activity_name_translations: dict[LanguageTag, PlainText] = Field(default_factory=dict)
    level: Level
    credit_class: CreditClass
    credits: Credits
    awarded_at: UtcDatetime
    score_percent: int = Field(ge=0, le=100)
    profile: LearnerProfile
    evidence: list[Outcome] = Field(default_factory=list)
    #: Whether the evaluation was answered and the study time, when the award recorded them.
    evaluation_done: bool | None = None
    minutes_spent: int | None = Field(default=None, ge=0)
    status: Literal["awarded", "revoked"] = "awarded"
    revoked_reason: Annotated[str, Field(max_length=500)] = ""
    revoked_by: Annotated[str, Field(max_length=255)] = ""
    revoked_at: UtcDatetime | None = None

    @model_validator(mode="after")
    def _revocation_complete(self) -> "CreditRecord":
        if self.status == "revoked" and not (self.revoked_reason.strip() and self.revoked_at):
            raise PydanticCustomError("revoke_needs_reason", MESSAGES["revoke_needs_reason"], {})
        return self


def name_in(names: dict[str, str], language: str | None) -> str | None:
    """The name under `language` (case-insensitive); else under its primary subtag ("zh" for
    "zh-CN"); else, for a bare "en", under a regional tag ("en-US")."""
    if not language:
        return None
    by_tag = {tag.lower(): name for tag, name in names.items()}
    wanted = language.lower()
    primary = wanted.split("-")[0]
    if wanted in by_tag or primary in by_tag:
        return by_tag.get(wanted) or by_tag[primary]
    if wanted == primary:
        return next((n for t, n in sorted(by_tag.items()) if t.split("-")[0] == primary), None)
    return None


def activity_name_in(record, language: str | None) -> str:
    """A credit record's activity name in `language` when it has one, else as registered."""
    return name_in(record.activity_name_translations, language) or record.activity_name
