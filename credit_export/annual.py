"""A learner's credits of a year against the annual requirement of the provincial policy.

Computed from the ledger's records of that learner in every course (revoked credits never
count), by class and by level. The classes are not interchangeable: each must reach its own
minimum, and a class counts towards the total only up to its maximum, so a surplus of Class I
never makes up for missing Class II (and the reverse). Years are calendar years in the CME
office's zone. Staff of the tiers the policy names (tertiary hospitals by default) also need
national-project credits over several years (10 in 5 by default): the year and the ones
before it.
"""

from collections.abc import Iterable, Iterator
from datetime import UTC, tzinfo
from decimal import Decimal
from typing import get_args

from pydantic import BaseModel, ConfigDict

from .policy import AnnualRequirement, ClassRange, CreditPolicy
from .schema import Level
from .stored import ExportRecord, StoredProfile, as_stored

#: The levels a project is registered at, in the schema's order (national first).
LEVELS: tuple[str, ...] = get_args(Level)


class ClassTally(BaseModel):
    """One class's credits of the year: earned, counted towards the total, and its range."""

    model_config = ConfigDict(frozen=True)

    earned: Decimal
    counted: Decimal
    minimum: Decimal
    maximum: Decimal | None
    met: bool


class NationalTally(BaseModel):
    """National-project credits over `first_year`..`last_year` against what the policy asks."""

    model_config = ConfigDict(frozen=True)

    earned: Decimal
    required: Decimal
    first_year: int
    last_year: int
    met: bool


class AnnualSummary(BaseModel):
    """A learner's year: credits by class and level, what counts, and whether it is enough."""

    model_config = ConfigDict(frozen=True)

    year: int
    requirement: AnnualRequirement
    class_i: ClassTally
    class_ii: ClassTally
    by_level: dict[str, Decimal]
    counted: Decimal
    met: bool
    national: NationalTally | None = None


def _tally(earned: Decimal, share: ClassRange) -> ClassTally:
    counted = earned if share.maximum is None else min(earned, share.maximum)
    return ClassTally(
        earned=earned,
        counted=counted,
        minimum=share.minimum,
        maximum=share.maximum,
        met=earned >= share.minimum,
    )


def _national(
    records: list[ExportRecord], policy: CreditPolicy, year: int, tier: str | None, zone: tzinfo
) -> NationalTally | None:
    rule = policy.national
    if rule is None or tier not in rule.tiers:
        return None
    first = year - rule.years + 1
    earned = sum(
        (
            r.credits
            for r in records
            if r.level == "national" and first <= r.awarded_at.astimezone(zone).year <= year
        ),
        Decimal(0),
    )
    return NationalTally(
        earned=earned,
        required=rule.credits,
        first_year=first,
        last_year=year,
        met=earned >= rule.credits,
    )


def annual_summary(
    records: Iterable[ExportRecord],
    policy: CreditPolicy,
    year: int,
    *,
    title: str | None = None,
    tier: str | None = None,
    zone: tzinfo = UTC,
) -> AnnualSummary:
    """The summary of one learner's `records` (all courses) for `year`, against the policy's
    requirement for a learner of this professional title and institution tier."""
    awarded = [r for r in records if r.status == "awarded"]
    of_year = [r for r in awarded if r.awarded_at.astimezone(zone).year == year]
    requirement = policy.requirement_for(title, tier)
    by_class = {
        c: sum((r.credits for r in of_year if r.credit_class == c), Decimal(0)) for c in ("I", "II")
    }
    by_level = {lv: sum((r.credits for r in of_year if r.level == lv), Decimal(0)) for lv in LEVELS}
    class_i = _tally(by_class["I"], requirement.class_i)
    class_ii = _tally(by_class["II"], requirement.class_ii)
    counted = class_i.counted + class_ii.counted
    return AnnualSummary(
        year=year,
        requirement=requirement,
        class_i=class_i,
        class_ii=class_ii,
        by_level=by_level,
        counted=counted,
        met=class_i.met and class_ii.met and counted >= requirement.total,
        national=_national(awarded, policy, year, tier, zone),
    )


def learner_summaries(
    records: Iterable[ExportRecord], policy: CreditPolicy, year: int, *, zone: tzinfo = UTC
) -> Iterator[tuple[StoredProfile, AnnualSummary]]:
    """Each learner of `records` with their summary of `year`, in the order learners first
    appear; the profile (and so the title and tier the requirement depends on) is the one
    recorded with their latest award. Learners with no award in the year or the national
    window are left out."""
    by_learner: dict[str, list[ExportRecord]] = {}
    for record in records:
        by_learner.setdefault(record.learner_id, []).append(record)
    for own in by_learner.values():
        awarded = [r for r in own if r.status == "awarded"]
        if not awarded:
            continue
        profile = as_stored(max(awarded, key=lambda r: r.awarded_at)).profile
        summary = annual_summary(
            awarded, policy, year, title=profile.title, tier=profile.tier, zone=zone
        )
        if any(summary.by_level.values()) or (summary.national and summary.national.earned):
            yield profile, summary
