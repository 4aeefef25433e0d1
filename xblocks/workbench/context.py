"""Template context for our workbench pages: who is acting, in which language, what loads."""

from django.conf import settings
from django.utils import translation

from .scenarios import BROKEN
from .services import is_workbench_staff

#: Block types of this suite; their scenarios form the demo course on the index page.
SUITE_BLOCK_TYPES = ("cme_case", "cme_referral", "cme_credit", "cme_demo")
KNOWN_LEARNERS = ("student_1", "student_2")


def toolbar(request) -> dict:
    student_id = request.GET.get("student", "student_1")
    return {
        "cme_student": student_id,
        "cme_is_staff": is_workbench_staff(student_id),
        "cme_learners": KNOWN_LEARNERS,
        "cme_languages": settings.LANGUAGES,
        "cme_language": translation.get_language(),
    }


def scenario_index(request) -> dict:
    """Split the scenarios into our demo course and the other installed blocks."""
    if request.resolver_match is None or request.resolver_match.url_name != "workbench_index":
        return {}
    from workbench.scenarios import get_scenarios

    ours, others = [], []
    for scenario_id, scenario in sorted(get_scenarios().items()):
        block_type = scenario_id.split(".")[0]
        (ours if block_type in SUITE_BLOCK_TYPES else others).append(
            (scenario_id, scenario.description)
        )
    return {"cme_demo_scenarios": ours, "cme_other_scenarios": others, "cme_broken": list(BROKEN)}
