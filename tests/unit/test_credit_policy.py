"""Credits as the provinces grant them: the level an activity is registered at decides the
class it may give, its hours per credit and the project cap, by a policy that is data; the
two demo activities are honest under the default policy."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from pydantic import ValidationError

from credit_export import (
    DEFAULT_POLICY_ID,
    ComponentRequirement,
    CreditError,
    CreditPolicy,
    CreditRule,
    HoursConversion,
    activity_problems,
    activity_to_xml,
    award,
    evaluate_rule,
    load_demo_activity,
    load_demo_rule,
    load_policy,
    rule_problems,
    settings_from_xml,
    shipped_policies,
    speaker_credits,
)
from credit_export.policy import ClassRange
from tests.unit.test_credit_rules import NOW, PROFILE, activity, outcome

NATIONAL = load_policy()
TIMED = ("cme_case", "cme_referral")


def kind_of(usage_id: str) -> str | None:
    """The block type of an LMS usage id (what the adapter reads from the key)."""
    return usage_id.split("type@")[1].split("+")[0] if "type@" in usage_id else None


def codes(problems) -> list[tuple[str, str]]:
    return [(p.field, p.code) for p in problems]


def test_the_default_policy_is_the_2006_national_measures_and_every_shipped_policy_loads():
    assert DEFAULT_POLICY_ID == "national-2006" and NATIONAL.id == "national-2006"
    assert NATIONAL.class_i_levels == ["national", "provincial"]
    assert NATIONAL.hours_per_credit("national") == 3
    assert NATIONAL.hours_per_credit("provincial") == 6
    assert NATIONAL.max_credits_per_project == 25
    assert (NATIONAL.annual.total, NATIONAL.annual.class_i, NATIONAL.annual.class_ii) == (
        25,
        ClassRange(minimum=5, maximum=10),
        ClassRange(minimum=15, maximum=20),
    )
    assert (NATIONAL.national.credits, NATIONAL.national.years) == (10, 5)
    assert NATIONAL.national.tiers == ["tertiary"]
    assert set(shipped_policies()) == {"national-2006", "municipal-class-i"}
    for name in shipped_policies():
        assert load_policy(name).id == name


def test_a_province_writes_its_own_policy_as_a_json_file(tmp_path):
    data = NATIONAL.model_dump(mode="json") | {
        "id": "zhejiang-2026",
        "class_i_levels": ["national"],
    }
    path = tmp_path / "zhejiang.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    policy = load_policy(str(path))
    assert policy.id == "zhejiang-2026"
    problems = activity_problems(load_demo_activity(), policy)
    assert codes(problems) == [("activity.credit_class", "policy_class_i_level")]
    with pytest.raises(KeyError, match="national-2006"):
        load_policy("no-such-province")


def test_a_policy_whose_class_range_is_upside_down_is_refused():
    data = NATIONAL.model_dump(mode="json")
    data["annual"]["class_i"] = {"minimum": "10", "maximum": "5"}
    with pytest.raises(ValidationError):
        CreditPolicy.model_validate(data)


@pytest.mark.parametrize("level", ["hospital", "municipal"])
def test_a_hospital_or_municipal_class_i_activity_is_refused_naming_the_class(level):
    problems = activity_problems(activity(level=level), NATIONAL)
    assert codes(problems) == [("activity.credit_class", "policy_class_i_level")]
    message = str(CreditError(problems[0].code, **problems[0].params))
    assert message.startswith(f"a {level} activity gives Class II credit")
    assert "Class I comes only from national, provincial projects" in message
    assert activity_problems(activity(level=level, credit_class="II"), NATIONAL) == []


def test_a_province_that_adds_municipal_projects_accepts_them_for_class_i_but_not_hospitals():
    municipal = load_policy("municipal-class-i")
    assert activity_problems(activity(level="municipal"), municipal) == []
    assert codes(activity_problems(activity(level="hospital"), municipal)) == [
        ("activity.credit_class", "policy_class_i_level")
    ]


@pytest.mark.parametrize(
    ("level", "per_credit", "refused"),
    [
        ("national", "3", False),
        ("national", "6", True),
        ("provincial", "6", False),
        ("provincial", "3", True),
        ("hospital", "2", False),  # the policy sets no rate: the author's
    ],
)
def test_hours_per_credit_follow_the_level(level, per_credit, refused):
    conversion = HoursConversion(hours_per_credit=Decimal(per_credit), step=Decimal("0.5"))
    converted = activity(level=level, credit_class="II", hours=Decimal(12), conversion=conversion)
    problems = activity_problems(converted, NATIONAL)
    expected = [("activity.conversion.hours_per_credit", "policy_hours_per_credit")]
    assert codes(problems) == (expected if refused else [])


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        (
            {"credits": Decimal("26"), "hours": None, "conversion": None},
            "activity.credits",
            "policy_project_cap",
        ),
        (
            {
                "hours": Decimal("300"),
                "conversion": HoursConversion(hours_per_credit=Decimal(6), cap=Decimal(30)),
            },
            "activity.conversion.cap",
            "policy_project_cap",
        ),
        (
            {"hours": Decimal("300"), "conversion": HoursConversion(hours_per_credit=Decimal(6))},
            "activity.conversion.cap",
            "policy_project_cap_missing",
        ),
    ],
)
def test_a_project_gives_at_most_25_credits(changes, field, code):
    assert codes(activity_problems(activity(**changes), NATIONAL)) == [(field, code)]


def test_exactly_25_credits_is_allowed():
    assert (
        activity_problems(activity(credits=Decimal(25), hours=None, conversion=None), NATIONAL)
        == []
    )
    capped = HoursConversion(hours_per_credit=Decimal(6), cap=Decimal(25))
    assert activity_problems(activity(hours=Decimal(300), conversion=capped), NATIONAL) == []


@pytest.mark.parametrize(
    ("level", "hours", "credits"),
    [
        ("national", "1.5", "3"),
        ("provincial", "1.5", "1.5"),
        ("national", "20", "25"),
        ("hospital", "2", "0"),
    ],
)
def test_speakers_earn_2_or_1_credits_per_hour_at_most_25(level, hours, credits):
    assert speaker_credits(level, Decimal(hours), NATIONAL) == Decimal(credits)


def test_the_import_of_a_hospital_class_i_activity_stops_on_the_line_of_the_field():
    source = activity_to_xml(activity(level="hospital", credit_class="I"))
    settings = f"<cme-credit>\n{source}\n</cme-credit>"
    assert settings_from_xml(settings).activity.level == "hospital"  # no policy: the schema only
    with pytest.raises(CreditError) as caught:
        settings_from_xml(settings, policy=NATIONAL)
    assert str(caught.value).startswith("Line 2, activity.credit_class: a hospital activity")
    assert caught.value.params["error_code"] == "policy_class_i_level"


@pytest.mark.parametrize(("level", "credits"), [("national", "3"), ("provincial", "1.5")])
def test_hours_without_a_rate_take_the_levels_rate_and_the_activity_keeps_the_number(
    level, credits
):
    source = activity_to_xml(activity(level=level, hours=Decimal(9))).replace(' per-credit="6"', "")
    assert "per-credit" not in source
    settings = settings_from_xml(f"<cme-credit>{source}</cme-credit>", policy=NATIONAL)
    assert settings.activity.awarded_credits == Decimal(credits)
    assert 'per-credit="' in activity_to_xml(settings.activity)  # stored: a later policy
    with pytest.raises(CreditError, match="hours_per_credit"):  # never changes the award
        settings_from_xml(f"<cme-credit>{source}</cme-credit>")  # no policy: required
    hospital = source.replace(f'level="{level}"', 'level="hospital"').replace(
        'class="I"', 'class="II"'
    )
    with pytest.raises(CreditError, match="hours_per_credit"):  # no rate for the level
        settings_from_xml(f"<cme-credit>{hospital}</cme-credit>", policy=NATIONAL)


def test_the_import_names_the_cap_on_the_hours_line():
    conversion = HoursConversion(hours_per_credit=Decimal(6), cap=Decimal(30))
    source = activity_to_xml(activity(hours=Decimal(300), conversion=conversion))
    line = next(n for n, text in enumerate(source.splitlines(), 1) if "<hours" in text)
    with pytest.raises(CreditError) as caught:
        settings_from_xml(f"<cme-credit>{source}</cme-credit>", policy=NATIONAL)
    assert str(caught.value).startswith(
        f"Line {line}, activity.conversion.cap: a project gives at most 25"
    )


# ---- study time ------------------------------------------------------------------------------


def rule(*kinds: str, minutes: int | None = 60) -> CreditRule:
    components = [
        ComponentRequirement(
            usage_id=f"block-v1:C+1+2026+type@{kind}+block@b{i}", label=f"{kind} {i}"
        )
        for i, kind in enumerate(kinds)
    ]
    return CreditRule(components=components, min_minutes=minutes)


def test_a_minimum_study_time_over_a_problem_is_refused_naming_it():
    problems = rule_problems(rule("cme_case", "problem"), kind_of, TIMED)
    assert codes(problems) == [("rule.min_minutes", "rule_minutes_untimed")]
    message = str(CreditError(problems[0].code, **problems[0].params))
    assert message.startswith("problem 1: no study time is recorded there")


def test_a_minimum_study_time_over_our_exercises_or_the_units_is_accepted():
    assert rule_problems(rule("cme_case", "cme_referral"), kind_of, TIMED) == []
    assert rule_problems(CreditRule(min_minutes=30), kind_of, TIMED) == []
    assert rule_problems(rule("problem", minutes=None), kind_of, TIMED) == []


# ---- the demos -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["hypertension_referral", "guideline_self_study"])
def test_both_demo_activities_and_rules_satisfy_the_default_policy(name):
    assert activity_problems(load_demo_activity(name), NATIONAL) == []
    assert rule_problems(load_demo_rule(name), kind_of, TIMED) == []


def test_the_class_i_demo_registers_the_hours_of_its_case_and_referral_exercise():
    """A case (about 45 minutes) and a referral exercise (about 45 minutes): 1.5 hours, at
    the provincial 1 credit per 6 hours, a quarter credit (it registered 6 hours before)."""
    demo = load_demo_activity("hypertension_referral")
    assert (demo.level, demo.credit_class) == ("provincial", "I")
    assert timedelta(hours=float(demo.hours)) <= timedelta(minutes=45 + 45)
    assert demo.conversion.hours_per_credit == NATIONAL.hours_per_credit("provincial")
    assert demo.awarded_credits == Decimal("0.25") <= NATIONAL.max_credits_per_project
    assert len(load_demo_rule("hypertension_referral").components) == 2


def test_the_self_study_demo_is_awarded_on_its_test_alone():
    """Its only component is a problem, which records no study time: before, its rule asked
    60 minutes that nothing could ever record, so no learner could get the credit."""
    demo_rule = load_demo_rule("guideline_self_study")
    (test,) = demo_rule.components
    result = evaluate_rule(demo_rule, [outcome(test.usage_id, 8)], minutes_spent=0)
    assert result.met, result.missing
    record = award(load_demo_activity("guideline_self_study"), result, PROFILE, "learner-1", NOW)
    assert (record.level, record.credit_class, record.credits) == ("hospital", "II", Decimal("0.5"))
