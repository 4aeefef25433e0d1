"""Template context for our workbench pages: who is acting, in which language, what loads."""

import logging

from django.conf import settings
from django.utils import translation

from case_teaching import CaseError
from credit_export import CreditError
from referral_tracking import ReferralError

from .scenarios import BROKEN
from .services import is_workbench_staff

#: Block types of this suite; their scenarios form the demo course on the index page.
SUITE_BLOCK_TYPES = ("cme_case", "cme_referral", "cme_credit", "cme_demo")
KNOWN_LEARNERS = ("student_1", "student_2")
log = logging.getLogger(__name__)


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


def current_scenario(request) -> dict:
    """A scenario page's title and OLX as the blocks hold them now (after Studio saves), not as
    the scenario was first loaded; the OLX only for staff (it holds the answer keys)."""
    match = request.resolver_match
    if match is None or match.url_name not in ("scenario", "workbench_show_scenario"):
        return {}
    import io

    from workbench.runtime import WorkbenchRuntime
    from workbench.scenarios import get_scenarios

    scenario = get_scenarios().get(match.kwargs.get("scenario_id", ""))
    if scenario is None:
        return {}
    student_id = request.GET.get("student", "student_1")
    runtime = WorkbenchRuntime(student_id)
    block = runtime.get_block(scenario.usage_id)
    context = {"cme_title": getattr(block, "display_name", None) or scenario.description}
    if is_workbench_staff(student_id):
        out = io.BytesIO()
        try:
            runtime.export_to_xml(block, out)
        except (ValueError, CaseError, ReferralError, CreditError):  # content that no longer builds
            log.warning("The OLX of %s cannot be exported; showing it as loaded", scenario.usage_id)
            return context
        context["cme_olx"] = out.getvalue().decode("utf-8")
    return context
