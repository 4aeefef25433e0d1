"""Guideline vignettes: test patients written from the guideline text, run against a rule set.

Each shipped rule-set version has its vignettes beside it (`rulesets/<id>/<version>.vignettes.json`,
a `schema.VignetteSet`): the unit tests run every one. An author's own rule set may carry
`vignettes`: they run when it is saved, and the first one the rule set answers differently
refuses the save, naming the vignette, what it expects and what the rule set answers.
"""

import json
from collections.abc import Iterable

from .messages import ReferralError
from .rules import ExpectedDecision, expected_for
from .schema import DEPARTMENTS, Institution, RuleSet, Vignette, VignetteSet, problem
from .vocabulary import require_known


def vignette_institution(vignette: Vignette) -> Institution:
    """The institution the vignette is seen at: its tier and capabilities, every department."""
    return Institution(
        id="vignette-institution",
        name="vignette institution",
        tier=vignette.at.tier,
        departments=frozenset(DEPARTMENTS),
        capabilities=vignette.at.capabilities,
    )


def vignette_answer(ruleset: RuleSet, vignette: Vignette) -> ExpectedDecision:
    """What the rule set answers for the vignette's patient."""
    institution = vignette_institution(vignette)
    return expected_for(ruleset, set(vignette.findings), vignette.measure_values(), institution)


def _describe(disposition: str, priority: str, tier: str | None, department: str | None) -> str:
    return " / ".join(str(part) for part in (disposition, priority, tier, department) if part)


def vignette_mismatch(ruleset: RuleSet, vignette: Vignette) -> dict | None:
    """None when the rule set answers as the vignette expects, else what differs."""
    answer = vignette_answer(ruleset, vignette)
    wanted = vignette.expected
    got = (answer.disposition, answer.priority, answer.tier, answer.department)
    if got == (wanted.disposition, wanted.priority, wanted.tier, wanted.department):
        return None
    return {
        "vignette": vignette.id,
        "expected": _describe(wanted.disposition, wanted.priority, wanted.tier, wanted.department),
        "answer": _describe(*got),
        "rule": answer.deciding_rule or "-",
    }


def _check_codes(ruleset: RuleSet, vignette: Vignette) -> None:
    codes = ruleset.red_flag_ids | {t.id for t in ruleset.findings}
    for code in vignette.findings:
        require_known(
            code, codes, problem, "vignette_unknown_code", vignette=vignette.id, code=code
        )
    measures = {m.id for m in ruleset.measures}
    for measure in vignette.measures:
        require_known(
            measure,
            measures,
            problem,
            "vignette_unknown_measure",
            vignette=vignette.id,
            measure=measure,
        )


def check_vignettes(ruleset: RuleSet, vignettes: Iterable[Vignette]) -> None:
    """Refuse the rule set when it answers a vignette differently (pydantic error)."""
    for vignette in vignettes:
        _check_codes(ruleset, vignette)
        mismatch = vignette_mismatch(ruleset, vignette)
        if mismatch:
            raise problem("vignette_failed", **mismatch)


def load_vignettes(text: str) -> VignetteSet:
    """A vignette file's JSON, validated."""
    return VignetteSet.model_validate(json.loads(text))


def vignettes_for(ruleset: RuleSet, vignette_set: VignetteSet) -> list[Vignette]:
    """The vignettes of a set, checked to be this rule set's version and codes."""
    if (vignette_set.ruleset_id, vignette_set.ruleset_version) != (ruleset.id, ruleset.version):
        raise ReferralError(
            "vignettes_misplaced",
            ruleset=ruleset.id,
            version=ruleset.version,
            other=f"{vignette_set.ruleset_id} {vignette_set.ruleset_version}",
        )
    for vignette in vignette_set.vignettes:
        _check_codes(ruleset, vignette)
    return list(vignette_set.vignettes)
