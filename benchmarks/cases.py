"""A long case for the page benchmark: 20 stages, each with findings and a question.

Built through the domain model (so it is a valid case) and written as the block's OLX.
"""

from case_teaching import Case, case_to_xml


def twenty_stage_case() -> Case:
    stages = []
    for number in range(1, 21):
        last = number == 20
        stages.append(
            {
                "id": f"s{number}",
                "title": f"Day {number} on the ward",
                "content": f"<p>Ward round on day {number}: the patient is reviewed.</p>",
                "next_stage": None if last else f"s{number + 1}",
                "ending": last,
                "findings": [
                    {
                        "id": f"s{number}-bp",
                        "kind": "examination",
                        "label": "Blood pressure",
                        "relevance": "essential",
                        "points": 1,
                        "result": "<p>142/88 mmHg</p>",
                    },
                    {
                        "id": f"s{number}-ct",
                        "kind": "investigation",
                        "label": "CT of the head",
                        "relevance": "unnecessary",
                        "cost": {"minutes": 60, "money": 400, "penalty": 1},
                        "result": "<p>Normal.</p>",
                    },
                ],
                "questions": [
                    {
                        "kind": "single_choice",
                        "id": f"q{number}",
                        "prompt": "<p>What do you do today?</p>",
                        "points": 2,
                        "options": [
                            {"id": "a", "text": "Continue the plan", "correct": True},
                            {"id": "b", "text": "Stop all treatment", "feedback": "No."},
                            {"id": "c", "text": "Transfer to ICU", "feedback": "Not needed."},
                        ],
                    }
                ],
            }
        )
    return Case.model_validate(
        {
            "id": "bench-twenty-stages",
            "title": "Twenty ward rounds (benchmark)",
            "discipline": "Internal medicine",
            "patient": {"age_years": 67, "sex": "female", "setting": "County hospital ward"},
            "stages": stages,
        }
    )


def twenty_stage_olx() -> str:
    return case_to_xml(twenty_stage_case()).replace(
        "<cme_case ", '<cme_case display_name="Twenty ward rounds" ', 1
    )


#: The components the benchmark's credit rule names (a module's case and referral exercise);
#: each measured learner has completed both before the claim (`benchmarks.records`).
CREDIT_COMPONENTS = (
    ("bench-module-case", "Case: a hypertensive emergency"),
    ("bench-module-referral", "Referral: hypertension at a township clinic"),
)


def credit_settings():
    """The demo activity with a rule a learner meets: both components at 60% or more and the
    evaluation answered."""
    from credit_export import ComponentRequirement, CreditRule, CreditSettings, demo_activity

    rule = CreditRule(
        components=[
            ComponentRequirement(usage_id=usage_id, label=label)
            for usage_id, label in CREDIT_COMPONENTS
        ],
        evaluation_required=True,
    )
    return CreditSettings(activity=demo_activity(), rule=rule)


def credit_olx() -> str:
    """`<cme_credit>` alone, with the activity and rule of `credit_settings` as its children
    (the block's own OLX format)."""
    from lxml import etree

    from credit_export import settings_to_xml

    block = etree.Element("cme_credit", {"display_name": "CME credit for module 3"})
    block.extend(list(etree.fromstring(settings_to_xml(credit_settings()).encode())))
    return etree.tostring(block, encoding="unicode")
