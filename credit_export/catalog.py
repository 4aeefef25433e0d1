"""The demo activities and rules shipped in `demo/` (readable XML; the rules also as JSON).

- `hypertension_referral`: the consortium module's provincial Class I project, a case and a
  referral exercise registered as the 1.5 hours they take, at the provincial 1 credit per 6
  hours in quarter credits: 0.25 credit. Its rule needs the unit's case and referral exercise
  at 60% and the evaluation.
- `guideline_self_study`: a member hospital's Class II self-study, a fixed 0.5 credit; its rule
  needs 80% in the test (a problem), no evaluation, and no minimum study time (a problem
  records when it was graded, not how long the guideline was read).
"""

from importlib import resources

from .schema import CreditActivity, CreditRule
from .xml_mapping import activity_from_xml, rule_from_xml

DEMO_ACTIVITIES = ("hypertension_referral", "guideline_self_study")


def _demo_file(filename: str) -> bytes:
    return resources.files("credit_export").joinpath("demo", filename).read_bytes()


def _check(name: str) -> None:
    if name not in DEMO_ACTIVITIES:
        raise KeyError(f"no demo activity {name!r}; there are {', '.join(DEMO_ACTIVITIES)}")


def load_demo_activity(name: str = "hypertension_referral") -> CreditActivity:
    _check(name)
    return activity_from_xml(_demo_file(f"{name}.activity.xml"))


def load_demo_rule(name: str = "hypertension_referral") -> CreditRule:
    _check(name)
    return rule_from_xml(_demo_file(f"{name}.rule.xml"))


def demo_rule_json(name: str = "hypertension_referral") -> str:
    """The rule as JSON, as an author pastes it into the Studio editor."""
    _check(name)
    return _demo_file(f"{name}.rule.json").decode("utf-8")


def demo_activity() -> CreditActivity:
    """The activity a credit block shows before its author configures one."""
    return load_demo_activity()
