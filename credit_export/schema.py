"""The credit domain's schema: activities, rules, learner profiles, evaluations and records.

Every number that decides a credit is configuration (provinces differ, national rules are
being revised): conversion of hours to credits, caps, minimum scores and times.
"""

import re
from datetime import date, datetime
from decimal import ROUND_FLOOR, Decimal
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo, model_validator
from pydantic_core import PydanticCustomError

from .messages import MESSAGES

Level = Literal["national", "provincial", "municipal", "hospital"]
CreditClass = Literal["I", "II"]
Tier = Literal["primary", "secondary", "tertiary"]
ProfessionalTitle = Literal["junior", "intermediate", "senior"]

#: Credits are awarded in steps of half a credit, rounded down (never more than earned).
CREDIT_STEP = Decimal("0.5")


_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")


def _plain(value: str, info: ValidationInfo) -> str:
    value = _CONTROL.sub("", value).strip()  # pasted control characters: never on a form
    if not value:
        raise PydanticCustomError(
            "blank_text", MESSAGES["blank_text"], {"field": info.field_name or "text"}
        )
    return value


def _licence(value: str) -> str:
    value = value.strip().replace(" ", "")
    if not (6 <= len(value) <= 30 and value.isascii() and value.isalnum()):
        raise PydanticCustomError("licence_format", MESSAGES["licence_format"], {})
    return value.upper()


PlainText = Annotated[str, Field(max_length=200), AfterValidator(_plain)]
Code = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,39}$")]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class HoursConversion(_Model):
    """Credits from attended hours: one credit per `hours_per_credit` hours, at most `cap`."""

    hours_per_credit: Decimal = Field(gt=0, le=100)
    cap: Decimal | None = Field(default=None, gt=0, le=100)


class CreditActivity(_Model):
    """A CME project as registered with the CME office."""

    project_number: Code
    name: PlainText
    level: Level
    credit_class: CreditClass
    credits: Decimal | None = Field(default=None, gt=0, le=100)
    hours: Decimal | None = Field(default=None, gt=0, le=1000)
    conversion: HoursConversion | None = None
    organiser: PlainText
    discipline: PlainText
    start_date: date
    end_date: date

    @model_validator(mode="after")
    def _consistent(self) -> "CreditActivity":
        fixed = self.credits is not None
        converted = self.hours is not None and self.conversion is not None
        if fixed == converted or (self.hours is None) != (self.conversion is None):
            raise PydanticCustomError("hours_or_credits", MESSAGES["hours_or_credits"], {})
        if self.end_date < self.start_date:
            raise PydanticCustomError(
                "dates_order",
                MESSAGES["dates_order"],
                {"start": self.start_date.isoformat(), "end": self.end_date.isoformat()},
            )
        return self

    @property
    def awarded_credits(self) -> Decimal:
        """The credits one learner earns: fixed, or hours converted, rounded down to half a
        credit and capped."""
        if self.credits is not None:
            return self.credits
        assert self.hours is not None and self.conversion is not None
        raw = self.hours / self.conversion.hours_per_credit
        steps = (raw / CREDIT_STEP).to_integral_value(rounding=ROUND_FLOOR)
        credits = steps * CREDIT_STEP
        if self.conversion.cap is not None:
            credits = min(credits, self.conversion.cap)
        return credits


class ComponentRequirement(_Model):
    """A block of the course to complete, with the minimum share of its maximum score."""

    usage_id: Annotated[str, Field(min_length=1, max_length=255)]
    label: PlainText
    min_fraction: float = Field(default=0.6, ge=0, le=1)


class CreditRule(_Model):
    components: list[ComponentRequirement] = Field(default_factory=list, max_length=50)
    evaluation_required: bool = True
    min_minutes: int | None = Field(default=None, ge=1, le=100_000)


class LearnerProfile(_Model):
    """What the CME registration forms ask of a learner; checked as a learner understands."""

    name: Annotated[str, Field(max_length=100), AfterValidator(_plain)]
    licence_number: Annotated[str, AfterValidator(_licence)]
    title: ProfessionalTitle
    institution: PlainText
    tier: Tier
    department: PlainText
    discipline: PlainText


class ActivityEvaluation(_Model):
    """The consortium programmes' evaluation: satisfaction and change in practice."""

    satisfaction: int = Field(ge=1, le=5)
    change_in_practice: Literal["none", "considering", "planned", "already"]
    comment: str = Field(default="", max_length=2000)


class Outcome(_Model):
    """Evidence: a learner's best completed attempt at one component."""

    usage_id: str
    score: float = Field(ge=0)
    max_score: float = Field(ge=0)
    completed_at: datetime

    @property
    def fraction(self) -> float:
        return self.score / self.max_score if self.max_score else 1.0


class CreditRecord(_Model):
    """One award to one learner for one activity; revocation is a new version of it, never a
    deletion."""

    learner_id: str
    project_number: str
    activity_name: str
    level: Level
    credit_class: CreditClass
    credits: Decimal
    awarded_at: datetime
    score_percent: int = Field(ge=0, le=100)
    profile: LearnerProfile
    evidence: list[dict[str, Any]] = Field(default_factory=list)
    status: Literal["awarded", "revoked"] = "awarded"
    revoked_reason: str = ""
    revoked_by: str = ""
    revoked_at: datetime | None = None
