"""A case as readable nested XML (the OLX body of `cme_case`), and back.

```xml
<cme_case id="chest-pain-gp" version="1.0" estimated-minutes="25" target-tiers="primary">
  <title>Chest pain in general practice</title>
  <summary><![CDATA[<p>...</p>]]></summary>
  <discipline>General practice</discipline>
  <objective>Recognise ...</objective>
  <author>...</author>
  <guideline id="esc-2023" year="2023"><title>...</title><issuer>ESC</issuer></guideline>
  <patient age-years="56" sex="male"><setting>Community health centre</setting></patient>
  <scoring pass-threshold="0.6" max-attempts="1"/>
  <stage id="presentation" next-stage="history">
    <title>Presentation</title>
    <content><![CDATA[<p>...</p>]]></content>
    <media kind="image" src="/static/ecg.png" alt="12-lead ECG ..."/>
    <finding id="ecg" kind="investigation" relevance="essential" points="2">
      <label>12-lead ECG</label>
      <cost minutes="10" money="25"/>
      <result><![CDATA[<p>Sinus rhythm ...</p>]]></result>
      <feedback><![CDATA[...]]></feedback>
    </finding>
    <question id="disposition" kind="single_choice" points="4">
      <prompt><![CDATA[<p>What do you do now?</p>]]></prompt>
      <option id="ambulance" correct="true"><text>...</text><feedback>...</feedback></option>
      <commentary><![CDATA[...]]></commentary>
    </question>
    <branch id="sent-home" to="collapse" question="disposition" options="reassure"/>
  </stage>
  <stage id="outcome" ending="true">...</stage>
</cme_case>
```

Simple values are attributes (lists of ids or codes separated by spaces), text is an element,
author HTML is CDATA (or, hand-written, plain nested markup), repeated things are repeated
elements. The mapping is derived from the pydantic models, so a new field needs one entry
here at most. Parsing refuses DTDs and entities and never touches the network; every error
names the line and the field.
"""

from typing import Any, get_args

from lxml import etree
from pydantic import BaseModel, ValidationError

from .messages import CaseError
from .schema import Case, DoseFormula, FindingCost, PatientProfile, Question, ScoringPolicy

ROOT = "cme_case"
MAX_XML_BYTES = 2_000_000

#: List fields written as repeated child elements, with the element name of one item.
LIST_ELEMENTS = {
    "stages": "stage",
    "findings": "finding",
    "questions": "question",
    "options": "option",
    "branches": "branch",
    "scores": "score",
    "inputs": "input",
    "media": "media",
    "guidelines": "guideline",
    "learning_objectives": "objective",
    "competencies": "competency",
    "authors": "author",
}
#: List fields of ids or codes, written as one space-separated attribute.
WORD_LISTS = {"target_tiers", "target_titles", "correct_order"}
#: Text fields written as child elements; those holding author HTML are written as CDATA.
TEXT_ELEMENTS = {
    "title",
    "summary",
    "discipline",
    "setting",
    "issuer",
    "section",
    "label",
    "text",
    "prompt",
    "content",
    "result",
    "feedback",
    "commentary",
    "hypothesis",
    "new_information",
    "transcript",
    "caption",
}
HTML_ELEMENTS = {
    "summary",
    "content",
    "result",
    "feedback",
    "commentary",
    "prompt",
    "new_information",
}
SUBMODELS: dict[str, type[BaseModel]] = {
    "patient": PatientProfile,
    "scoring": ScoringPolicy,
    "cost": FindingCost,
    "formula": DoseFormula,
}
QUESTION_KINDS: dict[str, type[BaseModel]] = {
    cls.model_fields["kind"].default: cls for cls in get_args(get_args(Question)[0])
}


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def _xml_name(field: str) -> str:
    return field.replace("_", "-")


def _item_model(model: type[BaseModel], field: str) -> type[BaseModel] | None:
    """The model class of one item of a list field (None for a list of plain text)."""
    (item,) = get_args(model.model_fields[field].annotation)
    return item if isinstance(item, type) and issubclass(item, BaseModel) else None


def _word_list(model: type[BaseModel], field: str) -> bool:
    return field in WORD_LISTS or (model.__name__ == "Branch" and field == "options")


# ---- writing --------------------------------------------------------------------------------


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def _default(model: type[BaseModel], field: str) -> Any:
    info = model.model_fields[field]
    if info.is_required() or field == "kind":
        return object()  # never equal: required fields and discriminators are always written
    return info.get_default(call_default_factory=True)


def _write(element: etree._Element, obj: BaseModel) -> None:
    model = type(obj)
    children: list[tuple[str, Any]] = []
    for field in model.model_fields:
        value = getattr(obj, field)
        if value is None or value == _default(model, field):
            continue
        if _word_list(model, field):
            element.set(_xml_name(field), " ".join(value))
        elif field in LIST_ELEMENTS or field in TEXT_ELEMENTS or field in SUBMODELS:
            children.append((field, value))
        else:
            element.set(_xml_name(field), _scalar(value))
    for field, value in children:
        if field in TEXT_ELEMENTS:
            child = etree.SubElement(element, _xml_name(field))
            html = field in HTML_ELEMENTS and "]]>" not in value
            child.text = etree.CDATA(value) if html else value
        elif field in SUBMODELS:
            _write(etree.SubElement(element, field), value)
        else:
            for item in value:
                child = etree.SubElement(element, LIST_ELEMENTS[field])
                if isinstance(item, BaseModel):
                    _write(child, item)
                else:
                    child.text = item


def case_to_element(case: Case) -> etree._Element:
    """The case as an lxml element `<cme_case>` (the adapter may add its own attributes)."""
    root = etree.Element(ROOT)
    _write(root, case)
    etree.indent(root, space="  ")
    return root


def case_to_xml(case: Case) -> str:
    """The case as indented XML text (no declaration)."""
    return etree.tostring(case_to_element(case), encoding="unicode")


# ---- reading --------------------------------------------------------------------------------


class _Reader:
    """Turns elements into plain data for pydantic, remembering the line of every field and
    of every stage, finding and question by id (for errors about the case as a whole)."""

    def __init__(self) -> None:
        self.lines: dict[tuple, int] = {}
        self.lines_by_id: dict[tuple[str, str], int] = {}

    def read(self, element, model: type[BaseModel], loc: tuple, ignore=frozenset()) -> dict:
        self.lines[loc] = element.sourceline
        if model is Question:
            kind = element.get("kind", "")
            if kind not in QUESTION_KINDS:
                raise CaseError(
                    "xml_unknown_question_kind",
                    line=element.sourceline,
                    kind=kind,
                    kinds=", ".join(QUESTION_KINDS),
                )
            model = QUESTION_KINDS[kind]
        fields = model.model_fields
        attribute_fields = {
            f
            for f in fields
            if _word_list(model, f)
            or not (f in TEXT_ELEMENTS or f in SUBMODELS or f in LIST_ELEMENTS)
        }
        data: dict[str, Any] = {}
        for name, value in element.attrib.items():
            field = name.replace("-", "_")
            if name in ignore:
                continue
            if field not in attribute_fields:
                raise CaseError(
                    "xml_unknown_attribute",
                    line=element.sourceline,
                    attribute=name,
                    element=element.tag,
                )
            data[field] = value.split() if _word_list(model, field) else value
            self.lines[(*loc, field)] = element.sourceline
        kind_of_thing = "Question" if model in QUESTION_KINDS.values() else model.__name__
        self.lines_by_id[(kind_of_thing, element.get("id", ""))] = element.sourceline
        by_tag = {_xml_name(f): f for f in fields if f in TEXT_ELEMENTS or f in SUBMODELS}
        by_tag |= {LIST_ELEMENTS[f]: f for f in fields if f in LIST_ELEMENTS}
        for child in element:
            field = by_tag.get(child.tag) if isinstance(child.tag, str) else None
            if field is None or _word_list(model, field):
                raise CaseError(
                    "xml_unknown_element",
                    line=child.sourceline,
                    element=child.tag,
                    parent=element.tag,
                )
            if field in LIST_ELEMENTS:
                items = data.setdefault(field, [])
                item_loc = (*loc, field, len(items))
                item_model = Question if field == "questions" else _item_model(model, field)
                if item_model is None:
                    items.append(self.text(child, item_loc, html=False))
                else:
                    items.append(self.read(child, item_model, item_loc))
                continue
            if field in data:
                raise CaseError(
                    "xml_repeated_element",
                    line=child.sourceline,
                    element=child.tag,
                    parent=element.tag,
                )
            if field in SUBMODELS:
                data[field] = self.read(child, SUBMODELS[field], (*loc, field))
            else:
                data[field] = self.text(child, (*loc, field), html=field in HTML_ELEMENTS)
        return data

    def text(self, element, loc: tuple, *, html: bool) -> str:
        self.lines[loc] = element.sourceline
        if element.attrib:
            name = next(iter(element.attrib))
            raise CaseError(
                "xml_unknown_attribute",
                line=element.sourceline,
                attribute=name,
                element=element.tag,
            )
        if html:  # hand-written markup without CDATA is taken as the HTML it is
            inner = "".join(etree.tostring(c, encoding="unicode") for c in element)
            return (element.text or "") + inner
        for child in element:
            if isinstance(child.tag, str):
                raise CaseError(
                    "xml_unknown_element",
                    line=child.sourceline,
                    element=child.tag,
                    parent=element.tag,
                )
        return element.text or ""


def _field_name(loc: tuple) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else ("." if out else "") + str(part)
    return out or ROOT


def _parse(text: str | bytes) -> etree._Element:
    raw = text.encode("utf-8") if isinstance(text, str) else text
    if len(raw) > MAX_XML_BYTES:
        raise CaseError("xml_too_large", size=len(raw), limit=MAX_XML_BYTES)
    try:
        root = etree.fromstring(raw, _parser())
    except etree.XMLSyntaxError as exc:
        raise CaseError("xml_invalid", line=exc.lineno or 0, problem=exc.msg) from exc
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise CaseError("xml_doctype_forbidden")
    return root


def case_from_xml(
    source: str | bytes | etree._Element, ignore_attributes: frozenset[str] = frozenset()
) -> Case:
    """Parse and validate case XML (text or an already parsed element, e.g. an OLX node).

    `ignore_attributes` are root attributes that belong to the adapter (url_name,
    display_name...). CaseError names the line and the field at fault.
    """
    root = source if isinstance(source, etree._Element) else _parse(source)
    if root.tag != ROOT:
        raise CaseError("xml_unexpected_root", line=root.sourceline, expected=ROOT, found=root.tag)
    reader = _Reader()
    data = reader.read(root, Case, (), ignore=ignore_attributes)
    try:
        return Case.model_validate(data)
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        loc = tuple(p for p in error["loc"] if p not in QUESTION_KINDS)
        line = root.sourceline
        for size in range(len(loc), -1, -1):
            if loc[:size] in reader.lines:
                line = reader.lines[loc[:size]]
                break
        field = _field_name(loc)
        ctx = error.get("ctx") or {}
        for kind, key in (("Question", "question"), ("Finding", "finding"), ("Stage", "stage")):
            if not loc and key in ctx:
                found = reader.lines_by_id.get((kind, str(ctx[key])))
                if found is not None:
                    line, field = found, f'{key} "{ctx[key]}"'
                    break
        raise CaseError(
            "xml_field",
            line=line,
            field=field,
            problem=error["msg"],
            error_code=error["type"],
            problem_params={k: str(v) for k, v in ctx.items()},
        ) from exc
