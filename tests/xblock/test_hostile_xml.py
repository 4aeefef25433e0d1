"""Hostile XML in every place we read XML: OLX import of the three blocks and their Studio
editors. Each hostile document is a valid one with one attack added (an entity bomb, an
external entity, deep nesting, a huge attribute), so that the refusal is about the attack:

- it is refused, with a message that names the problem (a sentence an author or operator can
  act on, not only an exception type);
- quickly: within a generous multiple of the time the same path takes on a benign document of
  the same size (a ratio measured in the same test, not an absolute time);
- without reaching out: the network entities point at a real listener on 127.0.0.1, which must
  see no connection;
- and nothing is stored.
"""

import json
import re
import socket
import threading
import time

import pytest
from lxml import etree
from workbench.runtime import WorkbenchRuntime

from case_teaching import CaseError, demo_case_xml
from credit_export import CreditError, CreditRule, CreditSettings, demo_activity, settings_to_xml
from referral_tracking import ReferralError, demo_scenario_xml
from tests.support.figures import tally
from tests.xblock.test_case_block import case_scenarios
from tests.xblock.test_fuzz_handlers import snapshot
from tests.xblock.test_referral_block import referral_usages

#: A hostile document may take this many times as long as a benign one of the same size.
RATIO = 20


class Listener:
    """A TCP listener on 127.0.0.1 that counts who connects (an entity that is fetched)."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.05)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            self.connections += 1
            conn.close()

    def close(self) -> int:
        time.sleep(0.2)  # a fetch on its way still arrives
        self._stop.set()
        self._thread.join()
        self.sock.close()
        return self.connections


@pytest.fixture(scope="module")
def listener():
    server = Listener()
    yield server
    assert server.close() == 0, "an external entity was fetched from the network"


def without_declaration(xml: str) -> str:
    return re.sub(r"^\s*<\?xml[^>]*\?>\s*", "", xml)


def after_root_tag(xml: str, inserted: str) -> str:
    """`inserted` put just inside the root element."""
    end = xml.index(">") + 1
    return xml[:end] + inserted + xml[end:]


LAUGHS = (
    '<!DOCTYPE r [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
        for i in range(1, 10)
    )
    + "]>"
)
ENTITY = r"entit|doctype|dtd|amplification"


def attacks(port: int, huge: int, on: str = "") -> dict[str, tuple]:
    """name -> (the attack applied to a valid document, words its refusal must name). The huge
    attribute goes on the domain's element `on` (the case, the scenario, the activity...)."""
    url = f"http://127.0.0.1:{port}"
    return {
        "billion laughs": (lambda d: LAUGHS + after_root_tag(d, "&lol9;"), ENTITY),
        "quadratic blow-up": (
            lambda d: (
                f'<!DOCTYPE r [<!ENTITY a "{"x" * 50_000}">]>' + after_root_tag(d, "&a;" * 5_000)
            ),
            ENTITY,
        ),
        "external file": (
            lambda d: (
                '<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
                + after_root_tag(d, "&xxe;")
            ),
            ENTITY,
        ),
        "external network": (
            lambda d: (
                f'<!DOCTYPE r [<!ENTITY xxe SYSTEM "{url}/evil">]>' + after_root_tag(d, "&xxe;")
            ),
            ENTITY,
        ),
        "parameter entity": (
            lambda d: f'<!DOCTYPE r [<!ENTITY % p SYSTEM "{url}/p.dtd"> %p;]>' + d,
            ENTITY,
        ),
        "external DTD": (lambda d: f'<!DOCTYPE r SYSTEM "{url}/r.dtd">' + d, ENTITY),
        "deep nesting": (
            lambda d: after_root_tag(d, "<x>" * 5_000 + "</x>" * 5_000),
            r"depth|deep|nest|level",
        ),
        "huge attribute": (
            lambda d: d.replace(f"<{on}", f'<{on} data-x="{"a" * huge}"', 1),
            r"limit|long|large|bytes|characters|size|at most|attribute",
        ),
    }


def benign_like(document: str, size: int) -> str:
    """The valid document padded with whitespace to `size` characters."""
    return after_root_tag(document, " " * max(0, size - len(document)))


def best_of(tries: int, run) -> float:
    times = []
    for _ in range(tries):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def assert_names_the_problem(message: str, words: str, what: str) -> None:
    assert len(re.findall(r"\w+", message)) >= 3, (what, message)
    assert re.search(words, message, re.IGNORECASE), (what, message)


# ---- OLX import -----------------------------------------------------------------------------


def olx_documents() -> dict[str, str]:
    """A valid OLX document of each block."""
    case = without_declaration(demo_case_xml("chest_pain_gp"))
    scenario = without_declaration(demo_scenario_xml("hypertension_township"))
    settings = settings_to_xml(CreditSettings(activity=demo_activity(), rule=CreditRule()))
    credit = settings.replace("<cme-credit>", "<cme_credit>").replace(
        "</cme-credit>", "</cme_credit>"
    )
    return {
        "cme_case": case,
        "cme_referral": f'<cme_referral display_name="R">{scenario}</cme_referral>',
        "cme_credit": credit,
    }


#: The element of each block's OLX that the domain reads (where an attribute is its business).
DOMAIN_ROOT = {
    "cme_case": "cme_case",
    "cme_referral": "referral-scenario",
    "cme_credit": "cme-activity",
}
ERRORS = {"cme_case": CaseError, "cme_referral": ReferralError, "cme_credit": CreditError}
_imports = iter(range(10**6))


def import_olx(text: str):
    runtime = WorkbenchRuntime("staff")
    runtime.id_generator.set_scenario(f"hostile-{next(_imports)}")
    return runtime.parse_xml_string(text)


@pytest.mark.parametrize("name", list(attacks(0, 1)))
@pytest.mark.parametrize("block_type", sorted(ERRORS))
def test_hostile_olx_is_refused_quickly_saying_why_and_nothing_is_stored(
    scenarios, listener, name, block_type
):
    """The runtime parses the file (its parser, not ours), then our parse_xml; either refuses,
    with a message naming the problem."""
    valid = olx_documents()[block_type]
    attack, words = attacks(listener.port, 3_000_000, DOMAIN_ROOT[block_type])[name]
    hostile = attack(valid)
    import_olx(valid)  # the document itself imports: the attack is what is refused
    benign = benign_like(valid, len(hostile))
    benign_time = best_of(3, lambda: import_olx(benign))

    before = snapshot()
    tally("hostile_xml.documents")
    errors = (ERRORS[block_type], etree.XMLSyntaxError, ValueError)
    timings = []
    for _ in range(2):
        start = time.perf_counter()
        with pytest.raises(errors) as caught:
            import_olx(hostile)
        timings.append(time.perf_counter() - start)
    assert min(timings) <= RATIO * benign_time, (name, min(timings), benign_time)
    assert_names_the_problem(str(caught.value), words, (block_type, name))
    assert snapshot() == before
    tally("hostile_xml.refused")


# ---- the Studio editors ---------------------------------------------------------------------


@pytest.fixture
def editors(scenarios, module) -> dict[str, tuple[str, str, str, dict]]:
    """block type -> (usage id, the source field, a valid source, the rest of the body)."""
    from case_teaching import case_to_xml, load_demo_case
    from referral_tracking import load_demo_scenario, scenario_to_xml

    settings = CreditSettings(activity=demo_activity(), rule=CreditRule())
    return {
        "cme_case": (
            case_scenarios(scenarios)["chest_pain_gp"],
            "case_source",
            case_to_xml(load_demo_case("chest_pain_gp")),
            {"weight": 1},
        ),
        "cme_referral": (
            referral_usages(scenarios)["hypertension_township"][1],
            "scenario_source",
            without_declaration(scenario_to_xml(load_demo_scenario("hypertension_township"))),
            {"weight": 1},
        ),
        "cme_credit": (
            module[1]["cme_credit"],
            "settings_source",
            settings_to_xml(settings),
            {},
        ),
    }


#: The root element of each editor's source.
EDITOR_ROOT = {
    "cme_case": "cme_case",
    "cme_referral": "referral-scenario",
    "cme_credit": "cme-credit",
}
#: The largest attribute each editor's source can carry (its request model's limit).
HUGE = {"cme_case": 1_900_000, "cme_referral": 1_900_000, "cme_credit": 150_000}


@pytest.mark.parametrize("name", list(attacks(0, 1)))
@pytest.mark.parametrize("block_type", sorted(HUGE))
def test_hostile_xml_in_the_studio_editors_is_refused_quickly_saying_why_and_changes_nothing(
    workbench, editors, listener, name, block_type
):
    usage_id, field, valid, rest = editors[block_type]
    attack, words = attacks(listener.port, HUGE[block_type], EDITOR_ROOT[block_type])[name]
    hostile = attack(valid)

    def submit(source: str, mode: str = "save"):
        body = {"mode": mode, "display_name": "x", field: source, **rest}
        return workbench.handler(usage_id, "studio_submit", body, student="staff")

    assert submit(valid, "validate").status_code == 200  # the document itself is fine
    benign = benign_like(valid, len(hostile))
    benign_time = best_of(3, lambda: submit(benign, "validate"))

    before = snapshot()
    tally("hostile_xml.documents")
    timings = []
    for _ in range(2):
        start = time.perf_counter()
        response = submit(hostile)
        timings.append(time.perf_counter() - start)
    assert response.status_code == 400, (name, block_type, response.content[:300])
    assert min(timings) <= RATIO * benign_time, (name, min(timings), benign_time)
    body = json.loads(response.content)
    said = " ".join([body["error"], *(p["message"] for p in body.get("problems", []))])
    assert_names_the_problem(said, words, (block_type, name))
    assert "root:" not in said  # nothing of /etc/passwd
    assert snapshot() == before
    tally("hostile_xml.refused")
