"""Hostile XML in every place we read XML: OLX import of both blocks and the Studio editors.
Each is refused with a clear error and nothing is changed or expanded."""

import json

import pytest
from lxml import etree
from workbench.runtime import WorkbenchRuntime

from case_teaching import CaseError
from credit_export import CreditError
from referral_tracking import ReferralError
from tests.support.figures import tally
from tests.xblock.test_case_block import case_scenarios
from tests.xblock.test_referral_block import referral_usages

LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
        for i in range(1, 10)
    )
    + "]>"
)
HOSTILE = {
    "billion laughs": LAUGHS + "<{tag}><title>&lol9;</title></{tag}>",
    "external file": '<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><{tag}>&xxe;</{tag}>',
    "external network": (
        '<!DOCTYPE x [<!ENTITY xxe SYSTEM "http://127.0.0.1:9/evil">]><{tag}>&xxe;</{tag}>'
    ),
    "parameter entity": (
        '<!DOCTYPE x [<!ENTITY % p SYSTEM "http://127.0.0.1:9/p.dtd"> %p;]><{tag}/>'
    ),
    "deep nesting": "<{tag}>" + "<stage>" * 5000 + "</stage>" * 5000 + "</{tag}>",
    "huge attribute": '<{tag}><{inner} id="' + "a" * 3_000_000 + '"/></{tag}>',
}


@pytest.mark.parametrize("name", HOSTILE)
@pytest.mark.parametrize(
    ("tag", "inner", "error"),
    [
        ("cme_case", "stage", CaseError),
        ("cme_referral", "referral-scenario", ReferralError),
        ("cme_credit", "cme-activity", CreditError),
    ],
)
def test_hostile_olx_is_refused_by_the_block(name, tag, inner, error):
    """The runtime parses the file (its parser, not ours); our parse_xml refuses what a DTD or
    an entity touched, and the rest fails our validation with a sentence."""
    runtime = WorkbenchRuntime("staff")
    runtime.id_generator.set_scenario(f"hostile-{tag}-{len(name)}")
    text = HOSTILE[name].format(tag=tag, inner=inner)
    tally("hostile_xml.documents")
    with pytest.raises((error, etree.XMLSyntaxError, ValueError)) as caught:
        runtime.parse_xml_string(text)
    if isinstance(caught.value, error):
        assert str(caught.value)


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_xml_in_the_studio_editors_is_refused_and_changes_nothing(
    workbench, scenarios, module, name
):
    case_usage = case_scenarios(scenarios)["chest_pain_gp"]
    _, referral_usage = referral_usages(scenarios)["hypertension_township"]
    credit_usage = module[1]["cme_credit"]
    for usage_id, tag, field, stored in (
        (case_usage, "cme_case", "case_source", "case_json"),
        (referral_usage, "referral-scenario", "scenario_source", "content_json"),
        (credit_usage, "cme-credit", "settings_source", "activity_json"),
    ):
        tally("hostile_xml.documents")
        before = getattr(workbench.block(usage_id, "staff"), stored)
        payload = {
            "mode": "save",
            "display_name": "x",
            "weight": 1,
            field: HOSTILE[name].format(tag=tag, inner="stage")[:1_999_000],
        }
        response = workbench.handler(usage_id, "studio_submit", payload, student="staff")
        assert response.status_code == 400, (name, tag)
        body = json.loads(response.content)
        assert body["error"] and body.get("problems")
        assert "root:" not in json.dumps(body)  # nothing of /etc/passwd
        assert getattr(workbench.block(usage_id, "staff"), stored) == before
