"""How every handler of the suite answers bad input: 400/403/405 with a sentence, never 500."""

import json

import pytest
from django.utils import translation
from pydantic import BaseModel, ConfigDict, Field
from webob import Request
from workbench.runtime import WorkbenchRuntime
from xblock.core import XBlock
from xblock.fields import Integer, Scope

from xblocks.base import CmeBlockMixin, json_action


class DoseError(Exception):
    """Stands in for a domain package's error (code + params)."""

    __module__ = "case_teaching.fake"

    def __init__(self, code: str, **params):
        super().__init__(code)
        self.code, self.params = code, params


class Dose(BaseModel):
    model_config = ConfigDict(extra="forbid")
    mg: int = Field(ge=1, le=1000)
    drug: str = Field(max_length=20)


@XBlock.needs("i18n")
@XBlock.wants("user")
class DoseBlock(CmeBlockMixin, XBlock):
    given = Integer(scope=Scope.user_state, default=0)

    @json_action(Dose)
    def give(self, data: Dose, suffix=""):
        if data.drug == "unknown":
            raise DoseError("missing_in_catalog", drug=data.drug)
        self.given += data.mg
        return {"given": self.given}

    @json_action(staff_only=True)
    def reset_all(self, data, suffix=""):
        self.given = 0
        return {"given": 0}


@pytest.fixture
def dose_block():
    with_plugin = XBlock.register_temp_plugin(DoseBlock, "dose_demo")

    @with_plugin
    def make():
        runtime = WorkbenchRuntime("student_1")
        runtime.id_generator.set_scenario("dose")
        return runtime.get_block(runtime.parse_xml_string("<dose_demo/>"))

    return make()


def call(block, handler: str, body, method: str = "POST"):
    request = Request.blank("/", method=method)
    if body is not None:
        request.body = body if isinstance(body, bytes) else json.dumps(body).encode()
    response = block.handle(handler, request)
    return response.status_code, json.loads(response.body or b"{}")


def test_a_valid_request_is_applied(dose_block):
    assert call(dose_block, "give", {"mg": 5, "drug": "aspirin"}) == (200, {"given": 5})


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"mg": 0, "drug": "aspirin"}, "mg"),
        ({"mg": "lots", "drug": "aspirin"}, "mg"),
        ({"drug": "aspirin"}, "mg"),
        ({"mg": 5, "drug": "x" * 21}, "drug"),
        ({"mg": 5, "drug": "aspirin", "route": "iv"}, "route"),
    ],
)
def test_a_wrong_field_is_named_in_a_400_and_nothing_changes(dose_block, body, field):
    status, answer = call(dose_block, "give", body)
    assert status == 400
    assert answer["error"].startswith(f"{field}:")
    assert answer["problems"][0]["field"] == field
    assert dose_block.given == 0


@pytest.mark.parametrize("body", [b"{not json", b"\xff\xfe", b""])
def test_unreadable_json_is_a_400_with_a_sentence(dose_block, body):
    status, answer = call(dose_block, "give", body)
    assert status == 400
    assert "not valid JSON" in answer["error"]


def test_a_get_is_refused_with_405(dose_block):
    status, answer = call(dose_block, "give", None, method="GET")
    assert status == 405 and "POST" in answer["error"]


def test_a_domain_error_is_a_400_with_its_code(dose_block):
    status, answer = call(dose_block, "give", {"mg": 5, "drug": "unknown"})
    assert status == 400
    assert answer["code"] == "missing_in_catalog"
    assert dose_block.given == 0


def test_a_learner_calling_a_staff_handler_gets_403(dose_block):
    status, answer = call(dose_block, "reset_all", {})
    assert status == 403
    assert "staff" in answer["error"]


def test_errors_come_in_chinese_for_a_chinese_learner(dose_block):
    with translation.override("zh-cn"):
        status, answer = call(dose_block, "give", {"mg": 0, "drug": "aspirin"})
        _, forbidden = call(dose_block, "reset_all", {})
    assert status == 400
    assert answer["error"] == "mg：不能小于 1。"
    assert forbidden["error"] == "只有课程管理人员可以执行此操作。"
