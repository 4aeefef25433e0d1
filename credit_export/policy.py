"""Provincial credit policies: which levels give Class I, hours per credit, the project cap
and the annual requirement, as data (`schemas/policies/<id>.json`), never as code.

The default, `national-2006`, is the 2006 national measures (继续医学教育学分授予与管理办法) as
provinces still apply them: Class I only from national and provincial projects; participants
earn 1 credit per 3 hours (national) or 6 hours (provincial), speakers 2 or 1 credits per hour;
at most 25 credits per project; each year at least 25 credits, 5-10 of Class I and 15-20 of
Class II, the classes not interchangeable; tertiary-hospital staff also 10 national-project
credits in 5 years. A province that differs ships its own file (or the operator names one).

`activity_problems` and `rule_problems` say what a policy refuses in an activity or a rule,
each problem with the field at fault, a message code and its params; the adapter turns them
into sentences at a Studio save and at a course import.
"""

from collections.abc import Callable, Iterable
from decimal import ROUND_FLOOR, Decimal
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .schema import CreditActivity, CreditRule, Level, ProfessionalTitle, Tier

DEFAULT_POLICY_ID = "national-2006"
PolicyId = Annotated[str, Field(pattern="^[a-z0-9][a-z0-9-]{0,63}$")]
Amount = Annotated[Decimal, Field(ge=0, le=1000, decimal_places=2)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LevelRate(_Model):
    """How one level's projects convert time to credit (None: the author sets it)."""

    hours_per_credit: Decimal | None = Field(default=None, gt=0, le=100, decimal_places=2)
    speaker_credits_per_hour: Decimal | None = Field(default=None, gt=0, le=10, decimal_places=2)


class ClassRange(_Model):
    """A class's share of the annual requirement: at least `minimum`, counted up to `maximum`."""

    minimum: Amount
    maximum: Amount | None = None

    @model_validator(mode="after")
    def _ordered(self) -> "ClassRange":
        if self.maximum is not None and self.maximum < self.minimum:
            raise ValueError("maximum below minimum")
        return self


class AnnualRequirement(_Model):
    """A year's credits: at least `total` counted, each class within its range (the classes
    are not interchangeable: a surplus of one never makes up for the other)."""

    total: Amount
    class_i: ClassRange
    class_ii: ClassRange


class GroupRequirement(_Model):
    """Another annual requirement for some learners (e.g. junior or township staff): it applies
    when the learner's title is in `titles` (any, if empty) and tier in `tiers` (any, if
    empty); the first group that applies wins."""

    titles: list[ProfessionalTitle] = Field(default_factory=list)
    tiers: list[Tier] = Field(default_factory=list)
    requirement: AnnualRequirement

    def applies(self, title: str | None, tier: str | None) -> bool:
        return (not self.titles or title in self.titles) and (not self.tiers or tier in self.tiers)


class NationalRequirement(_Model):
    """National-project credits over several years, for staff of the institutions named."""

    credits: Amount
    years: int = Field(ge=1, le=10)
    tiers: list[Tier]


class CreditPolicy(_Model):
    """How a province grants CME credits (see the module)."""

    id: PolicyId
    name: Annotated[str, Field(min_length=1, max_length=200)]
    source: Annotated[str, Field(min_length=1, max_length=500)]
    class_i_levels: list[Level] = Field(min_length=1)
    rates: dict[Level, LevelRate] = Field(default_factory=dict)
    max_credits_per_project: Decimal = Field(gt=0, le=100, decimal_places=2)
    annual: AnnualRequirement
    annual_groups: list[GroupRequirement] = Field(default_factory=list)
    national: NationalRequirement | None = None

    def requirement_for(self, title: str | None, tier: str | None) -> AnnualRequirement:
        """The annual requirement of a learner with this title and institution tier."""
        for group in self.annual_groups:
            if group.applies(title, tier):
                return group.requirement
        return self.annual

    def hours_per_credit(self, level: str) -> Decimal | None:
        rate = self.rates.get(level)  # type: ignore[call-overload]
        return rate.hours_per_credit if rate else None


def shipped_policies() -> tuple[str, ...]:
    """The ids of the policies shipped in `schemas/policies/`."""
    folder = resources.files("credit_export").joinpath("schemas", "policies")
    return tuple(
        sorted(p.name[: -len(".json")] for p in folder.iterdir() if p.name.endswith(".json"))
    )


def load_policy(name: str = DEFAULT_POLICY_ID) -> CreditPolicy:
    """A shipped policy by id, or a policy file by path (a name ending in .json)."""
    if name.endswith(".json"):
        return CreditPolicy.model_validate_json(Path(name).read_bytes())
    if name not in shipped_policies():
        raise KeyError(
            f"no shipped credit policy {name!r}; there are {', '.join(shipped_policies())}"
        )
    text = (
        resources.files("credit_export")
        .joinpath("schemas", "policies", f"{name}.json")
        .read_bytes()
    )
    return CreditPolicy.model_validate_json(text)


class PolicyProblem(NamedTuple):
    """What a policy refuses: the field (as the form names it), a message code, its params."""

    field: str
    code: str
    params: dict[str, Any]


def _text(value: Decimal) -> str:
    return format(value.normalize(), "f")


def activity_problems(activity: CreditActivity, policy: CreditPolicy) -> list[PolicyProblem]:
    """Everything `policy` refuses in `activity`: the class its level may give, the hours per
    credit of its level, and the per-project cap."""
    return [
        *_class_problems(activity, policy),
        *_rate_problems(activity, policy),
        *_cap_problems(activity, policy),
    ]


def _class_problems(activity: CreditActivity, policy: CreditPolicy) -> list[PolicyProblem]:
    if activity.credit_class != "I" or activity.level in policy.class_i_levels:
        return []
    params = {
        "level": activity.level,
        "allowed": ", ".join(policy.class_i_levels),
        "policy": policy.id,
    }
    return [PolicyProblem("activity.credit_class", "policy_class_i_level", params)]


def _rate_problems(activity: CreditActivity, policy: CreditPolicy) -> list[PolicyProblem]:
    required = policy.hours_per_credit(activity.level)
    if activity.conversion is None or required is None:
        return []
    given = activity.conversion.hours_per_credit
    if given == required:
        return []
    params = {
        "level": activity.level,
        "required": _text(required),
        "given": _text(given),
        "policy": policy.id,
    }
    return [
        PolicyProblem("activity.conversion.hours_per_credit", "policy_hours_per_credit", params)
    ]


def _cap_problems(activity: CreditActivity, policy: CreditPolicy) -> list[PolicyProblem]:
    over = _over_cap(activity, policy.max_credits_per_project)
    if over is None:
        return []
    field, code, credits = over
    params = {"maximum": _text(policy.max_credits_per_project), "policy": policy.id}
    return [PolicyProblem(field, code, params | {"credits": _text(credits)})]


def _over_cap(activity: CreditActivity, maximum: Decimal) -> tuple[str, str, Decimal] | None:
    """The field that gives more than `maximum`, its message code and its credits, if any."""
    if activity.credits is not None:
        fixed = activity.credits
        return ("activity.credits", "policy_project_cap", fixed) if fixed > maximum else None
    cap = activity.conversion.cap if activity.conversion else None
    if cap is not None:
        return ("activity.conversion.cap", "policy_project_cap", cap) if cap > maximum else None
    if activity.awarded_credits > maximum:
        field = "activity.conversion.cap"
        return (field, "policy_project_cap_missing", activity.awarded_credits)
    return None


def rule_problems(
    rule: CreditRule, kind_of: Callable[[str], str | None], timed_kinds: Iterable[str]
) -> list[PolicyProblem]:
    """A minimum study time is refused when a component's kind records no study time
    (`kind_of(usage_id)`: its block type, None when unknown): a problem's or an ORA's score
    says when it was graded, not how long it was studied, so the minimum could never be met
    honestly. Without components the rule counts the unit's exercises, which are timed."""
    if not rule.min_minutes:
        return []
    timed = set(timed_kinds)
    untimed = [c.label for c in rule.components if kind_of(c.usage_id) not in timed]
    if not untimed:
        return []
    return [
        PolicyProblem(
            "rule.min_minutes", "rule_minutes_untimed", {"components": ", ".join(untimed)}
        )
    ]


def speaker_credits(
    level: str, hours: Decimal, policy: CreditPolicy, step: Decimal = Decimal("0.5")
) -> Decimal:
    """A speaker's credits for `hours` of teaching at a project of `level`: the policy's credits
    per hour, rounded down to `step`, at most the per-project cap (0 where the policy sets no
    speaker rate for the level: the CME office decides)."""
    rate = policy.rates.get(level)  # type: ignore[call-overload]
    if rate is None or rate.speaker_credits_per_hour is None:
        return Decimal(0)
    steps = (hours * rate.speaker_credits_per_hour / step).to_integral_value(rounding=ROUND_FLOOR)
    return min(steps * step, policy.max_credits_per_project)
