"""A referral scenario as readable nested XML (OLX body of `cme_referral`), and back.

```xml
<referral-scenario id="htn-township" ruleset="hypertension" ruleset-version="2024.1"
                   institution="qingshui-township">
  <title>...</title>
  <patient age-years="58" sex="male"/>
  <presentation>...</presentation>
  <time-course>...</time-course>
  <findings>
    <finding id="bp"><label>Blood pressure</label><text>196/118 mmHg</text>
      <measure id="sbp_mmhg" value="196"/></finding>
  </findings>
  <receiving-response>
    <decline institution="city-general">No bed in the emergency department.</decline>
    <diagnosis/><treatment/><downward-summary/>
    <instructions><instruction>...</instruction></instructions>
  </receiving-response>
  <if-not-referred>...</if-not-referred>
  <letter-requirements>
    <requirement letter-item="treatment_given"><label>Oxygen given</label><accept>oxygen</accept>
      <accept>吸氧</accept></requirement>
  </letter-requirements>
  <visits>
    <visit day="14" expected-choice="adjust">
      <finding item="bp" abnormal="true">152/96 mmHg</finding>
      <explanation>...</explanation>
    </visit>
  </visits>
</referral-scenario>
```

The rule set is referenced by id (and optionally version); rule sets travel as JSON. Parsing
refuses DTDs and entities and never touches the network; every error names the line and the
field.
"""

from typing import Any

from lxml import etree
from pydantic import ValidationError

from .messages import ReferralError
from .schema import ReferralScenario

ROOT = "referral-scenario"
MAX_XML_BYTES = 1_000_000
#: The elements of the receiving side's answer (the default one, and one per decision kind).
ANSWER_TAGS = frozenset({"diagnosis", "treatment", "downward-summary", "instructions"})


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


# ---- writing --------------------------------------------------------------------------------


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _child(parent: etree._Element, tag: str, text: str | None = None, **attrs: str):
    element = etree.SubElement(parent, tag, {k.replace("_", "-"): v for k, v in attrs.items()})
    if text is not None:
        element.text = text
    return element


def scenario_to_xml(scenario: ReferralScenario) -> str:
    """The scenario as indented XML text (UTF-8, no declaration)."""
    root = etree.Element(ROOT)
    root.set("id", scenario.id)
    root.set("ruleset", scenario.ruleset_id)
    if scenario.ruleset_version:
        root.set("ruleset-version", scenario.ruleset_version)
    root.set("institution", scenario.institution_id)
    if scenario.arrived_by_downward_referral:
        root.set("arrived-by-downward-referral", "true")
    _child(root, "title", scenario.title)
    _child(
        root,
        "patient",
        age_years=_number(scenario.patient.age_years),
        sex=scenario.patient.sex,
    )
    _child(root, "presentation", scenario.presentation)
    if scenario.time_course:
        _child(root, "time-course", scenario.time_course)
    findings = _child(root, "findings")
    for finding in scenario.findings:
        element = _child(findings, "finding", id=finding.id)
        _child(element, "label", finding.label)
        _child(element, "text", finding.text)
        for measure, value in finding.measures.items():
            _child(element, "measure", id=measure, value=_number(value))
    response = scenario.receiving_response
    receiving = _child(root, "receiving-response")
    for decline in response.declines:
        _child(receiving, "decline", decline.reason, institution=decline.institution_id)
    _write_answer(receiving, response)
    for answer in response.by_decision:
        _write_answer(_child(receiving, "if-decision", kind=answer.kind), answer)
    if scenario.if_not_referred:
        _child(root, "if-not-referred", scenario.if_not_referred)
    _write_letter_requirements(root, scenario)
    visits = _child(root, "visits")
    for visit in scenario.visits:
        element = _child(visits, "visit", day=str(visit.day), expected_choice=visit.expected_choice)
        for finding in visit.findings:
            attrs = {"item": finding.item}
            if finding.abnormal:
                attrs["abnormal"] = "true"
            _child(element, "finding", finding.text, **attrs)
        _child(element, "explanation", visit.explanation)
    etree.indent(root, space="  ")
    return etree.tostring(root, encoding="unicode")


def _write_answer(element: etree._Element, answer) -> None:
    """The diagnosis, treatment, downward-referral summary and instructions of an answer."""
    _child(element, "diagnosis", answer.diagnosis)
    _child(element, "treatment", answer.treatment)
    _child(element, "downward-summary", answer.downward_summary)
    if answer.instructions:
        instructions = _child(element, "instructions")
        for instruction in answer.instructions:
            _child(instructions, "instruction", instruction)


def _write_letter_requirements(root: etree._Element, scenario: ReferralScenario) -> None:
    """What this patient's letter must say, item by item (nothing when there is none)."""
    if not scenario.letter_requirements:
        return
    element = _child(root, "letter-requirements")
    for requirement in scenario.letter_requirements:
        attrs = {"letter_item": requirement.letter_item}
        if requirement.label_zh:
            attrs["label_zh"] = requirement.label_zh
        if requirement.with_time:
            attrs["with_time"] = "true"
        child = _child(element, "requirement", **attrs)
        _child(child, "label", requirement.label)
        for accepted in requirement.accepts:
            _child(child, "accept", accepted)


# ---- reading --------------------------------------------------------------------------------


class _Reader:
    """Turns elements into plain data for pydantic, remembering the line of every field."""

    def __init__(self) -> None:
        self.lines: dict[tuple, int] = {}

    def attrs(self, element, allowed: dict[str, str], loc: tuple) -> dict[str, str]:
        self.lines[loc] = element.sourceline
        data = {}
        for name, value in element.attrib.items():
            if name not in allowed:
                raise ReferralError(
                    "xml_unknown_attribute",
                    line=element.sourceline,
                    attribute=name,
                    element=element.tag,
                )
            data[allowed[name]] = value
            self.lines[(*loc, allowed[name])] = element.sourceline
        return data

    def children(self, element, allowed: set[str]) -> list:
        found = []
        for child in element:
            if not isinstance(child.tag, str):
                continue
            if child.tag not in allowed:
                raise ReferralError(
                    "xml_unknown_element",
                    line=child.sourceline,
                    element=child.tag,
                    parent=element.tag,
                )
            found.append(child)
        return found

    def text(self, element, loc: tuple) -> str:
        self.lines[loc] = element.sourceline
        self.children(element, set())
        return element.text or ""


def _find(children: list, tag: str) -> list:
    return [c for c in children if c.tag == tag]


def _read_scenario(reader: _Reader, root) -> dict[str, Any]:
    data: dict[str, Any] = reader.attrs(
        root,
        {
            "id": "id",
            "ruleset": "ruleset_id",
            "ruleset-version": "ruleset_version",
            "institution": "institution_id",
            "arrived-by-downward-referral": "arrived_by_downward_referral",
        },
        (),
    )
    children = reader.children(
        root,
        {
            "title",
            "patient",
            "presentation",
            "time-course",
            "findings",
            "receiving-response",
            "if-not-referred",
            "letter-requirements",
            "visits",
        },
    )
    for tag, key in (
        ("title", "title"),
        ("presentation", "presentation"),
        ("time-course", "time_course"),
        ("if-not-referred", "if_not_referred"),
    ):
        for element in _find(children, tag):
            data[key] = reader.text(element, (key,))
    for element in _find(children, "patient"):
        reader.children(element, set())
        data["patient"] = reader.attrs(
            element, {"age-years": "age_years", "sex": "sex"}, ("patient",)
        )
    for element in _find(children, "findings"):
        data["findings"] = [
            _read_finding(reader, child, ("findings", index))
            for index, child in enumerate(reader.children(element, {"finding"}))
        ]
    for element in _find(children, "receiving-response"):
        data["receiving_response"] = _read_response(reader, element)
    for element in _find(children, "letter-requirements"):
        data["letter_requirements"] = [
            _read_requirement(reader, child, ("letter_requirements", index))
            for index, child in enumerate(reader.children(element, {"requirement"}))
        ]
    for element in _find(children, "visits"):
        data["visits"] = [
            _read_visit(reader, child, ("visits", index))
            for index, child in enumerate(reader.children(element, {"visit"}))
        ]
    return data


def _read_finding(reader: _Reader, element, loc: tuple) -> dict[str, Any]:
    data: dict[str, Any] = reader.attrs(element, {"id": "id"}, loc)
    children = reader.children(element, {"label", "text", "measure"})
    for tag in ("label", "text"):
        for child in _find(children, tag):
            data[tag] = reader.text(child, (*loc, tag))
    measures = {}
    for child in _find(children, "measure"):
        reader.children(child, set())
        attrs = reader.attrs(child, {"id": "id", "value": "value"}, (*loc, "measures"))
        measures[attrs.get("id", "")] = attrs.get("value", "")
    if measures:
        data["measures"] = measures
    return data


def _read_requirement(reader: _Reader, element, loc: tuple) -> dict[str, Any]:
    data: dict[str, Any] = reader.attrs(
        element,
        {"letter-item": "letter_item", "label-zh": "label_zh", "with-time": "with_time"},
        loc,
    )
    children = reader.children(element, {"label", "accept"})
    for child in _find(children, "label"):
        data["label"] = reader.text(child, (*loc, "label"))
    data["accepts"] = [
        reader.text(child, (*loc, "accepts", index))
        for index, child in enumerate(_find(children, "accept"))
    ]
    return data


def _read_response(reader: _Reader, element) -> dict[str, Any]:
    loc = ("receiving_response",)
    reader.attrs(element, {}, loc)
    data: dict[str, Any] = {}
    children = reader.children(element, {"decline", "if-decision", *ANSWER_TAGS})
    declines = []
    for index, child in enumerate(_find(children, "decline")):
        decline_loc = (*loc, "declines", index)
        decline = reader.attrs(child, {"institution": "institution_id"}, decline_loc)
        decline["reason"] = reader.text(child, (*decline_loc, "reason"))
        declines.append(decline)
    if declines:
        data["declines"] = declines
    data.update(_read_answer(reader, children, loc))
    answers = []
    for index, child in enumerate(_find(children, "if-decision")):
        answer_loc = (*loc, "by_decision", index)
        answer = reader.attrs(child, {"kind": "kind"}, answer_loc)
        answer.update(_read_answer(reader, reader.children(child, ANSWER_TAGS), answer_loc))
        answers.append(answer)
    if answers:
        data["by_decision"] = answers
    return data


def _read_answer(reader: _Reader, children: list, loc: tuple) -> dict[str, Any]:
    """The diagnosis, treatment, downward-referral summary and instructions among `children`."""
    data: dict[str, Any] = {}
    for tag, key in (
        ("diagnosis", "diagnosis"),
        ("treatment", "treatment"),
        ("downward-summary", "downward_summary"),
    ):
        for child in _find(children, tag):
            data[key] = reader.text(child, (*loc, key))
    for child in _find(children, "instructions"):
        data["instructions"] = [
            reader.text(item, (*loc, "instructions", index))
            for index, item in enumerate(reader.children(child, {"instruction"}))
        ]
    return data


def _read_visit(reader: _Reader, element, loc: tuple) -> dict[str, Any]:
    data: dict[str, Any] = reader.attrs(
        element, {"day": "day", "expected-choice": "expected_choice"}, loc
    )
    children = reader.children(element, {"finding", "explanation"})
    findings = []
    for index, child in enumerate(_find(children, "finding")):
        finding_loc = (*loc, "findings", index)
        finding = reader.attrs(child, {"item": "item", "abnormal": "abnormal"}, finding_loc)
        finding["text"] = reader.text(child, (*finding_loc, "text"))
        findings.append(finding)
    data["findings"] = findings
    for child in _find(children, "explanation"):
        data["explanation"] = reader.text(child, (*loc, "explanation"))
    return data


def _field(loc: tuple) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else ("." if out else "") + str(part)
    return out or ROOT


def scenario_from_xml(text: str | bytes) -> ReferralScenario:
    """Parse and validate scenario XML; ReferralError names the line and field at fault."""
    raw = text.encode("utf-8") if isinstance(text, str) else text
    if len(raw) > MAX_XML_BYTES:
        raise ReferralError("xml_too_large", size=len(raw), limit=MAX_XML_BYTES)
    try:
        root = etree.fromstring(raw, _parser())
    except etree.XMLSyntaxError as exc:
        raise ReferralError("xml_syntax", line=exc.lineno or 0, problem=exc.msg) from exc
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise ReferralError("xml_doctype_forbidden")
    if root.tag != ROOT:
        raise ReferralError(
            "xml_unexpected_root", line=root.sourceline, expected=ROOT, found=root.tag
        )
    reader = _Reader()
    data = _read_scenario(reader, root)
    try:
        return ReferralScenario.model_validate(data)
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        loc = tuple(p for p in error["loc"] if not str(p).startswith("function-"))
        line = root.sourceline
        for size in range(len(loc), -1, -1):
            if loc[:size] in reader.lines:
                line = reader.lines[loc[:size]]
                break
        raise ReferralError(
            "xml_invalid",
            line=line,
            field=_field(loc),
            problem=error["msg"],
            error_code=error["type"],
            problem_params={k: str(v) for k, v in (error.get("ctx") or {}).items()},
        ) from exc
