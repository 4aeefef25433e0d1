"""Is the credit rule met? And the award and revocation of a credit record.

`evaluate_rule` is a pure function of the rule and the evidence; it says what is done, what
is missing (each item with its reason, and the usage id where it is a component, so the
adapter can link to it) and which evidence satisfied the rule, for the record.

Scores are compared exactly: a component is passed when score >= min_fraction * max_score,
computed in decimal from the numbers as written (0.6 * 10 is 6, not 5.999...). The percentages
a learner reads are rounded so that they never contradict the verdict: the learner's share
rounded down, the minimum rounded up ("59%, 60% is needed", never "60%, 60% is needed").
"""

from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from itertools import pairwise
from typing import Any

from pydantic import BaseModel, ConfigDict

from .messages import CreditError
from .schema import (
    CreditActivity,
    CreditRecord,
    CreditRule,
    LearnerProfile,
    Outcome,
    clean_text,
)


class Missing(BaseModel):
    """What still stands between a learner and the credit: a message code (why) and its
    params. Codes: missing_not_attempted, missing_score (with the learner's `score` and the
    `minimum`, in percent, and the raw `points` / `max_points`), missing_evaluation,
    missing_minutes, missing_profile."""

    model_config = ConfigDict(frozen=True)

    code: str
    params: dict[str, Any] = {}

    @property
    def usage_id(self) -> str | None:
        return self.params.get("usage_id")


class RuleResult(BaseModel):
    """The verdict: `met`, the usage ids `done`, the `missing` items, and the `evidence` (each
    required component's best attempt) that satisfied the rule, with the evaluation and time.
    `score_percent`: the mean share of the maximum over the required components (0 when the
    rule has none), rounded half up."""

    model_config = ConfigDict(frozen=True)

    met: bool
    done: list[str]
    missing: list[Missing]
    evidence: list[Outcome]
    score_percent: int
    evaluation_done: bool
    minutes_spent: int | None = None


def _exact(value: float) -> Decimal:
    """A float as the decimal it was written as (0.6 -> 0.6, not 0.59999...)."""
    return Decimal(repr(value))


def _passes(outcome: Outcome, min_fraction: float) -> bool:
    if not outcome.max_score:
        return True
    return _exact(outcome.score) >= _exact(min_fraction) * _exact(outcome.max_score)


def _percent(share: Decimal, rounding: str) -> int:
    return int((share * 100).to_integral_value(rounding=rounding))


def evaluate_rule(
    rule: CreditRule,
    outcomes: list[Outcome],
    evaluation_done: bool = False,
    minutes_spent: int | None = None,
) -> RuleResult:
    """Each component needs a completed attempt at or above its minimum score (the best of
    several attempts counts); the evaluation and the minimum time when the rule asks for them.
    A rule without components is never met (`rule_no_components`): credit is granted only
    after an assessment, so the adapter passes the rule with the components it resolved.

    `outcomes` may hold outcomes of blocks the rule does not name: they are ignored.
    """
    best: dict[str, Outcome] = {}
    for outcome in outcomes:
        current = best.get(outcome.usage_id)
        if current is None or outcome.fraction > current.fraction:
            best[outcome.usage_id] = outcome
    done: list[str] = []
    missing: list[Missing] = []
    evidence: list[Outcome] = []
    shares: list[Decimal] = []
    for component in rule.components:
        where = {"component": component.label, "usage_id": component.usage_id}
        outcome = best.get(component.usage_id)
        if outcome is None:
            missing.append(Missing(code="missing_not_attempted", params=where))
            continue
        share = (
            min(Decimal(1), _exact(outcome.score) / _exact(outcome.max_score))
            if outcome.max_score
            else Decimal(1)
        )
        shares.append(share)
        if not _passes(outcome, component.min_fraction):
            missing.append(
                Missing(
                    code="missing_score",
                    params=where
                    | {
                        "score": _percent(share, ROUND_FLOOR),
                        "minimum": _percent(_exact(component.min_fraction), ROUND_CEILING),
                        "points": outcome.score,
                        "max_points": outcome.max_score,
                    },
                )
            )
            continue
        done.append(component.usage_id)
        evidence.append(outcome)
    if not rule.components:  # nothing assessed: the evaluation alone never earns a credit
        missing.append(Missing(code="rule_no_components"))
    if rule.evaluation_required and not evaluation_done:
        missing.append(Missing(code="missing_evaluation"))
    if rule.min_minutes and (minutes_spent or 0) < rule.min_minutes:
        missing.append(
            Missing(
                code="missing_minutes",
                params={"minutes": minutes_spent or 0, "required": rule.min_minutes},
            )
        )
    score = _percent(sum(shares, Decimal(0)) / len(shares), ROUND_HALF_UP) if shares else 0
    return RuleResult(
        met=not missing,
        done=done,
        missing=missing,
        evidence=evidence,
        score_percent=min(100, score),
        evaluation_done=evaluation_done,
        minutes_spent=minutes_spent,
    )


#: A pause between two recorded actions longer than this is not study time (the default of
#: `study_minutes`; the adapter's setting may change it).
IDLE_CAP = timedelta(minutes=30)


def study_minutes(moments: Iterable[datetime], idle_cap: timedelta = IDLE_CAP) -> int:
    """Whole minutes of study between a learner's recorded actions.

    The moments (each accepted action, each completion, of any component, timezone-aware)
    are put on one time line; every gap between two consecutive moments counts, except a gap
    longer than `idle_cap`, which is a pause and counts nothing. Work in two tabs at once is
    counted once; time before the first recorded action and after the last is not counted,
    so the figure is a lower bound of the time really spent.
    """
    ordered = sorted(moments)
    total = timedelta(0)
    for before, after in pairwise(ordered):
        gap = after - before
        if gap <= idle_cap:
            total += gap
    return int(total.total_seconds() // 60)


def award(
    activity: CreditActivity,
    result: RuleResult,
    profile: LearnerProfile | None,
    learner_id: str,
    now: datetime,
) -> CreditRecord:
    """The credit record, only when the rule is met and the profile is there.

    Refuses with `CreditError("rule_not_met", missing=<English sentence>, items=[Missing...])`
    listing everything missing, the profile included; `now` must be timezone-aware (it is
    stored in UTC).
    """
    missing = list(result.missing)
    if profile is None:
        missing.append(Missing(code="missing_profile"))
    if missing:
        raise CreditError(
            "rule_not_met",
            missing="; ".join(str(CreditError(m.code, **m.params)) for m in missing),
            items=missing,
        )
    assert profile is not None
    if not learner_id.strip():
        raise CreditError("blank_text", field="learner_id")
    return CreditRecord(
        learner_id=learner_id,
        project_number=activity.project_number,
        activity_name=activity.name,
        activity_name_translations=activity.name_translations,
        level=activity.level,
        credit_class=activity.credit_class,
        credits=activity.awarded_credits,
        awarded_at=now,
        score_percent=result.score_percent,
        profile=profile,
        evidence=result.evidence,
        evaluation_done=result.evaluation_done,
        minutes_spent=result.minutes_spent,
    )


def revoke(record: CreditRecord, reason: str, by: str, now: datetime) -> CreditRecord:
    """A new version of the record, revoked, with who, when and why (the award stays)."""
    if record.status == "revoked":
        assert record.revoked_at is not None
        raise CreditError("already_revoked", when=record.revoked_at.isoformat())
    reason = clean_text(reason)
    if not reason:
        raise CreditError("revoke_needs_reason")
    if not by.strip():
        raise CreditError("blank_text", field="revoked_by")
    return CreditRecord.model_validate(
        record.model_dump()
        | {
            "status": "revoked",
            "revoked_reason": reason,
            "revoked_by": by.strip(),
            "revoked_at": now,
        }
    )
