"""Is the credit rule met? And the award and revocation of a credit record."""

from dataclasses import dataclass, field
from datetime import datetime

from .messages import CreditError
from .schema import CreditActivity, CreditRecord, CreditRule, LearnerProfile, Outcome


@dataclass(frozen=True)
class Missing:
    """What still stands between a learner and the credit: a message code and its params
    (`usage_id` where a component is missing, so the adapter can link to it)."""

    code: str
    params: dict = field(default_factory=dict)


@dataclass(frozen=True)
class RuleResult:
    met: bool
    done: list[str]
    missing: list[Missing]
    evidence: list[dict]
    score_percent: int


def evaluate_rule(
    rule: CreditRule,
    outcomes: list[Outcome],
    evaluation_done: bool,
    minutes: int | None = None,
) -> RuleResult:
    """Each component needs a completed attempt at or above its minimum score; the evaluation
    and minimum time when the rule asks for them."""
    best: dict[str, Outcome] = {}
    for outcome in outcomes:
        current = best.get(outcome.usage_id)
        if current is None or outcome.fraction > current.fraction:
            best[outcome.usage_id] = outcome
    done, missing, evidence, fractions = [], [], [], []
    for component in rule.components:
        outcome = best.get(component.usage_id)
        if outcome is None:
            missing.append(
                Missing(
                    "missing_not_attempted",
                    {"component": component.label, "usage_id": component.usage_id},
                )
            )
            continue
        fractions.append(outcome.fraction)
        if outcome.fraction + 1e-9 < component.min_fraction:
            missing.append(
                Missing(
                    "missing_score",
                    {
                        "component": component.label,
                        "usage_id": component.usage_id,
                        "score": round(outcome.fraction * 100),
                        "minimum": round(component.min_fraction * 100),
                    },
                )
            )
            continue
        done.append(component.label)
        evidence.append(
            {
                "usage_id": component.usage_id,
                "score": outcome.score,
                "max_score": outcome.max_score,
                "completed_at": outcome.completed_at.isoformat(),
            }
        )
    if rule.evaluation_required and not evaluation_done:
        missing.append(Missing("missing_evaluation"))
    if rule.min_minutes and (minutes or 0) < rule.min_minutes:
        missing.append(
            Missing("missing_minutes", {"minutes": minutes or 0, "required": rule.min_minutes})
        )
    score = round(100 * sum(fractions) / len(fractions)) if fractions else 0
    return RuleResult(not missing, done, missing, evidence, min(100, score))


def award(
    activity: CreditActivity,
    result: RuleResult,
    profile: LearnerProfile | None,
    learner_id: str,
    now: datetime,
) -> CreditRecord:
    """The credit record, only when the rule is met and the profile is there."""
    missing = list(result.missing)
    if profile is None:
        missing.append(Missing("missing_profile"))
    if missing:
        raise CreditError(
            "rule_not_met",
            missing="; ".join(CreditError(m.code, **m.params).args[0] for m in missing),
            items=missing,
        )
    assert profile is not None
    return CreditRecord(
        learner_id=learner_id,
        project_number=activity.project_number,
        activity_name=activity.name,
        level=activity.level,
        credit_class=activity.credit_class,
        credits=activity.awarded_credits,
        awarded_at=now,
        score_percent=result.score_percent,
        profile=profile,
        evidence=result.evidence,
    )


def revoke(record: CreditRecord, reason: str, by: str, now: datetime) -> CreditRecord:
    """The same record, revoked, with who, when and why (the award is never deleted)."""
    if record.status == "revoked":
        raise CreditError("already_revoked", when=record.revoked_at.isoformat())  # type: ignore[union-attr]
    if not reason.strip():
        raise CreditError("revoke_needs_reason")
    return record.model_copy(
        update={
            "status": "revoked",
            "revoked_reason": reason.strip(),
            "revoked_by": by,
            "revoked_at": now,
        }
    )
