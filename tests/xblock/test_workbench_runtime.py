"""Our embedded Open edX: what the workbench settings add, checked in the real runtime."""

import html

import pytest
from django.utils import translation
from workbench import scenarios as sdk_scenarios
from workbench.runtime import WorkbenchRuntime
from xblock.core import XBlock
from xblock.fields import Scope, String

from xblocks.workbench import scenarios as tolerant


class ScenarioThatRaises(XBlock):
    """Like branching-xblock 0.3.3: `workbench_scenarios` without @staticmethod."""

    def workbench_scenarios(self):  # the defect being imitated: called on the class, it raises
        return []


@XBlock.wants("user")
class ProbeBlock(XBlock):
    """A tiny block that publishes what graded blocks publish."""

    answer = String(scope=Scope.user_state, default="")

    def student_view(self, context=None):
        from web_fragments.fragment import Fragment

        return Fragment("<p>probe</p>")

    @XBlock.json_handler
    def finish(self, data, suffix=""):
        self.answer = data["answer"]
        self.runtime.publish(self, "grade", {"value": 3, "max_value": 4})
        self.runtime.publish(self, "completion", {"completion": 1.0})
        self.runtime.publish(self, "cme.probe.finished", {"answer": self.answer})
        return {"ok": True}

    @staticmethod
    def workbench_scenarios():
        return [("Probe", "<probe_demo/>")]


@XBlock.register_temp_plugin(ProbeBlock, "probe_demo")
def test_a_block_with_broken_scenarios_is_listed_and_the_others_still_load():
    before = dict(sdk_scenarios.SCENARIOS)
    try:
        broken = tolerant.add_scenarios_of("broken_demo", ScenarioThatRaises)
        loaded = tolerant.add_scenarios_of("probe_demo", ProbeBlock)
    finally:
        added = set(sdk_scenarios.SCENARIOS) - set(before)
        for name in added:
            del sdk_scenarios.SCENARIOS[name]
    assert broken and broken[0][0] == "broken_demo"
    assert "TypeError" in broken[0][1]
    assert loaded == []
    assert added == {"probe_demo.0"}


def test_the_index_shows_the_broken_block_instead_of_failing(workbench, monkeypatch):
    monkeypatch.setattr(tolerant, "BROKEN", [("broken_demo", "TypeError: takes 0 arguments")])
    monkeypatch.setattr("xblocks.workbench.context.BROKEN", tolerant.BROKEN)
    response = workbench.client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Blocks whose scenarios could not load" in html
    assert "broken_demo" in html
    assert "Hello World" in html  # the SDK's own blocks are still listed


@XBlock.register_temp_plugin(ProbeBlock, "probe_demo")
def test_grade_completion_and_custom_events_are_recorded_for_tests(workbench):
    runtime = WorkbenchRuntime()
    runtime.id_generator.set_scenario("probe-events")
    usage_id = runtime.parse_xml_string("<probe_demo/>")
    response = workbench.handler(usage_id, "finish", {"answer": "B"}, student="student_2")
    assert response.status_code == 200, response.content
    events = workbench.events(student="student_2")
    assert [e["event_type"] for e in events] == ["grade", "completion", "cme.probe.finished"]
    assert events[0]["data"] == {"value": 3, "max_value": 4}
    assert events[0]["usage_id"] == usage_id
    assert events[2]["data"] == {"answer": "B"}
    assert workbench.events(student="student_1") == []
    listed = workbench.client.get("/cme-dev/events/", {"student": "student_2"}).json()["events"]
    assert [e["event_type"] for e in listed] == ["grade", "completion", "cme.probe.finished"]


def _user(student_id: str):
    return WorkbenchRuntime(student_id).service(ProbeBlock, "user").get_current_user()


def test_staff_is_staff_and_learners_are_not():
    assert _user("staff").opt_attrs["edx-platform.user_is_staff"] is True
    assert _user("student_1").opt_attrs["edx-platform.user_is_staff"] is False


def test_the_toolbar_switch_gives_and_takes_staff_rights_of_the_current_user(workbench):
    response = workbench.client.post(
        "/cme-dev/staff/", {"student": "student_2", "staff": "on", "next": "/?student=student_2"}
    )
    assert response.status_code == 302 and response["Location"] == "/?student=student_2"
    assert _user("student_2").opt_attrs["edx-platform.user_is_staff"] is True
    assert _user("student_1").opt_attrs["edx-platform.user_is_staff"] is False
    page = workbench.client.get("/", {"student": "student_2"}).content.decode()
    assert "Drop staff rights" in page
    workbench.client.post("/cme-dev/staff/", {"student": "student_2", "staff": "off"})
    assert _user("student_2").opt_attrs["edx-platform.user_is_staff"] is False


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)"]
)
def test_the_staff_switch_never_redirects_off_site(workbench, target):
    response = workbench.client.post(
        "/cme-dev/staff/", {"student": "s", "staff": "on", "next": target}
    )
    assert response["Location"] == "/"


def test_learners_get_stable_pseudonymous_ids_that_do_not_contain_their_names():
    first, again, other = (
        _user(s).opt_attrs["edx-platform.anonymous_user_id"]
        for s in ("student_1", "student_1", "student_2")
    )
    assert first == again
    assert first != other
    assert "student" not in first and len(first) == 32


def test_the_language_switch_is_remembered_and_sets_the_page_language(workbench):
    response = workbench.client.get("/", {"lang": "zh-cn"})
    assert response.cookies["django_language"].value == "zh-cn"
    assert '<html lang="zh-cn">' in response.content.decode()
    follow_up = workbench.client.get("/")
    assert '<html lang="zh-cn">' in follow_up.content.decode()
    with translation.override("en"):
        assert '<html lang="en">' in workbench.client.get("/", {"lang": "en"}).content.decode()


def test_a_handler_works_before_any_page_was_viewed(workbench, scenarios):
    """After a restart a browser tab may call a handler first; scenarios are loaded on demand."""
    usage_id = scenarios["thumbs.0"].usage_id
    block = workbench.block(usage_id)
    thumb_id = block.children[0]
    response = workbench.handler(thumb_id, "vote", {"voteType": "up"})
    assert response.status_code == 200
    assert response.json()["up"] >= 1


def test_the_student_id_cannot_break_out_of_the_page_script(workbench, scenarios):
    hostile = '";alert(1);//</script><script>alert(2)</script>'
    html = workbench.page("helloworld_demo.0", student=hostile).content.decode()
    assert "<script>alert(2)</script>" not in html
    assert '";alert(1)' not in html


def test_after_a_studio_save_the_page_title_and_the_olx_panel_show_the_new_content(
    workbench, scenarios
):
    from case_teaching import demo_case_xml

    scenario_id, scenario = next(
        (k, s) for k, s in scenarios.items() if s.description.startswith("Case: A cold, painful")
    )
    source = demo_case_xml("acute_limb_ischaemia").replace(
        "<title>", "<title>Cold leg, edited: ", 1
    )
    payload = {"mode": "save", "display_name": "Cold leg (edited)", "weight": 1}
    saved = workbench.handler(
        scenario.usage_id, "studio_submit", payload | {"case_source": source}, "staff"
    )
    assert saved.status_code == 200, saved.content

    staff_page = workbench.page(scenario_id, student="staff").content.decode()
    assert "<title>Cold leg (edited) · CME workbench</title>" in staff_page
    assert '<h1 class="title">Cold leg (edited)</h1>' in staff_page
    olx = html.unescape(staff_page.split("<summary>Scenario OLX</summary>")[1])
    assert "Cold leg, edited: " in olx and 'display_name="Cold leg (edited)"' in olx
    learner_page = workbench.page(scenario_id, student="student_1").content.decode()
    assert "Scenario OLX" not in learner_page  # the answer keys stay with staff
