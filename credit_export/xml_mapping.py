"""A CME activity and its credit rule as readable XML (for OLX and the demo), and back.

```xml
<cme-activity project-number="2026-05-01-003" level="provincial" class="I"
              start-date="2026-09-01" end-date="2026-12-31">
  <name>Community management of hypertension and graded referral</name>
  <name xml:lang="zh-CN">高血压社区管理与分级转诊</name>
  <organiser>Consortium lead hospital, continuing education office</organiser>
  <discipline>General practice</discipline>
  <hours per-credit="6" cap="2" step="0.5">6</hours>   <!-- or: <credits>0.5</credits> -->
</cme-activity>

<cme-credit-rule evaluation-required="true" min-minutes="120">
  <component usage-id="block-v1:..." min-fraction="0.6">Chest pain case</component>
</cme-credit-rule>
```

A block's settings hold both, as `<cme-credit>` (Studio's source editor) or as the children of
the block's own `<cme_credit>` OLX element (`settings_from_xml` takes that element as it is).

Parsing refuses DTDs and entities and never touches the network; every error names the line
and the field (`CreditError` with an `xml_*` code). The models validate what is read, so the
XML accepts exactly what the JSON form accepts.
"""

from decimal import Decimal
from typing import Any, TypeVar

from lxml import etree
from pydantic import BaseModel, ValidationError

from .messages import CreditError
from .policy import CreditPolicy, PolicyProblem, activity_problems
from .schema import CreditActivity, CreditRule, CreditSettings

ACTIVITY_ROOT = "cme-activity"
RULE_ROOT = "cme-credit-rule"
SETTINGS_ROOT = "cme-credit"
MAX_XML_BYTES = 200_000
XML_NAMESPACE = "{http://www.w3.org/XML/1998/namespace}"
XML_LANG = f"{XML_NAMESPACE}lang"


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


def _number(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _child(parent: etree._Element, tag: str, text: str | None = None, **attrs: str):
    element = etree.SubElement(parent, tag, {k.replace("_", "-"): v for k, v in attrs.items()})
    if text is not None:
        element.text = text
    return element


def _serialize(root: etree._Element) -> str:
    etree.indent(root, space="  ")
    return etree.tostring(root, encoding="unicode")


def activity_to_xml(activity: CreditActivity) -> str:
    """The activity as indented XML text (no declaration)."""
    return _serialize(activity_element(activity))


def activity_element(activity: CreditActivity) -> etree._Element:
    root = etree.Element(ACTIVITY_ROOT)
    root.set("project-number", activity.project_number)
    root.set("level", activity.level)
    root.set("class", activity.credit_class)
    root.set("start-date", activity.start_date.isoformat())
    root.set("end-date", activity.end_date.isoformat())
    _child(root, "name", activity.name)
    for language, name in activity.name_translations.items():
        _child(root, "name", name).set(XML_LANG, language)
    _child(root, "organiser", activity.organiser)
    _child(root, "discipline", activity.discipline)
    if activity.credits is not None:
        _child(root, "credits", _number(activity.credits))
    else:
        assert activity.hours is not None and activity.conversion is not None
        conversion = activity.conversion
        hours = _child(root, "hours", _number(activity.hours))
        hours.set("per-credit", _number(conversion.hours_per_credit))
        if conversion.cap is not None:
            hours.set("cap", _number(conversion.cap))
        hours.set("step", _number(conversion.step))
    return root


def rule_to_xml(rule: CreditRule) -> str:
    """The rule as indented XML text (no declaration)."""
    return _serialize(rule_element(rule))


def rule_element(rule: CreditRule) -> etree._Element:
    root = etree.Element(RULE_ROOT)
    root.set("evaluation-required", "true" if rule.evaluation_required else "false")
    if rule.min_minutes is not None:
        root.set("min-minutes", str(rule.min_minutes))
    for component in rule.components:
        _child(
            root,
            "component",
            component.label,
            usage_id=component.usage_id,
            min_fraction=repr(component.min_fraction),
        )
    return root


def settings_to_xml(settings: CreditSettings) -> str:
    """Activity and rule together under `<cme-credit>`, as Studio's source editor shows them."""
    root = etree.Element(SETTINGS_ROOT)
    root.extend([activity_element(settings.activity), rule_element(settings.rule)])
    return _serialize(root)


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
                raise CreditError(
                    "xml_unknown_attribute",
                    line=element.sourceline,
                    attribute=name.replace(XML_NAMESPACE, "xml:"),
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
                raise CreditError(
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


def _root(text: "str | bytes | etree._Element", expected: str | None):
    """The checked root element of `text`; an element (already parsed by the caller, e.g. the
    runtime's OLX) is taken as it is, keeping its lines; `expected=None` takes any tag."""
    if isinstance(text, etree._Element):
        return _expect(text, expected)
    raw = text.encode("utf-8") if isinstance(text, str) else text
    if len(raw) > MAX_XML_BYTES:
        raise CreditError("xml_too_large", size=len(raw), limit=MAX_XML_BYTES)
    try:
        root = etree.fromstring(raw, _parser())
    except etree.XMLSyntaxError as exc:
        raise CreditError("xml_syntax", line=exc.lineno or 0, problem=exc.msg) from exc
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise CreditError("xml_doctype_forbidden")
    return _expect(root, expected)


def _expect(root, expected: str | None):
    if expected is not None and root.tag != expected:
        raise CreditError(
            "xml_unexpected_root", line=root.sourceline, expected=expected, found=root.tag
        )
    return root


def _field(loc: tuple) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else ("." if out else "") + str(part)
    return out


Model = TypeVar("Model", bound=BaseModel)


def _validate(model: type[Model], data: dict[str, Any], reader: "_Reader", root) -> Model:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        loc = tuple(p for p in error["loc"] if not str(p).startswith("function-"))
        line = root.sourceline
        for size in range(len(loc), -1, -1):
            if loc[:size] in reader.lines:
                line = reader.lines[loc[:size]]
                break
        raise CreditError(
            "xml_invalid",
            line=line,
            field=_field(loc) or root.tag,
            problem=error["msg"],
            error_code=error["type"],
            problem_params={k: str(v) for k, v in (error.get("ctx") or {}).items()},
        ) from exc


def _refuse_by_policy(problem: PolicyProblem, reader: "_Reader", root) -> None:
    """A policy's refusal as an import error on the line of the field at fault."""
    loc = tuple(problem.field.split(".")[1:])  # "activity.conversion.cap" -> conversion, cap
    line = next(
        (reader.lines[loc[:n]] for n in range(len(loc), 0, -1) if loc[:n] in reader.lines),
        root.sourceline,
    )
    raise CreditError(
        "xml_invalid",
        line=line,
        field=".".join(loc),
        problem=str(CreditError(problem.code, **problem.params)),
        error_code=problem.code,
        problem_params=problem.params,
    )


def _default_rate(data: dict[str, Any], policy: CreditPolicy | None) -> None:
    """`<hours>` without `per-credit` takes the policy's rate for the level, when it has one
    (the stored activity then holds the number, so a later policy never changes an award)."""
    conversion = data.get("conversion")
    if policy is None or conversion is None or "hours_per_credit" in conversion:
        return
    rate = policy.hours_per_credit(str(data.get("level", "")))
    if rate is not None:
        conversion["hours_per_credit"] = str(rate)


def activity_from_xml(
    text: "str | bytes | etree._Element", policy: CreditPolicy | None = None, *, check: bool = True
) -> CreditActivity:
    """Parse and validate activity XML, and check it against `policy` when given (the
    class its level may give, its hours per credit, the project cap; `<hours>` without
    `per-credit` takes the level's rate; `check=False`: that default only, the caller checks);
    CreditError names the line and field at fault."""
    root = _root(text, ACTIVITY_ROOT)
    reader = _Reader()
    data: dict[str, Any] = reader.attrs(
        root,
        {
            "project-number": "project_number",
            "level": "level",
            "class": "credit_class",
            "start-date": "start_date",
            "end-date": "end_date",
        },
        (),
    )
    translations: dict[str, str] = {}
    for child in reader.children(root, {"name", "organiser", "discipline", "credits", "hours"}):
        if child.tag == "name":
            language = reader.attrs(child, {XML_LANG: "language"}, ("name",)).get("language")
            if language:
                translations[language] = reader.text(child, ("name_translations", language))
            else:
                data["name"] = reader.text(child, ("name",))
        elif child.tag == "hours":
            data["conversion"] = reader.attrs(
                child,
                {"per-credit": "hours_per_credit", "cap": "cap", "step": "step"},
                ("conversion",),
            )
            data["hours"] = reader.text(child, ("hours",))
        else:
            data[child.tag] = reader.text(child, (child.tag,))
    if translations:
        data["name_translations"] = translations
    _default_rate(data, policy)
    activity = _validate(CreditActivity, data, reader, root)
    for problem in activity_problems(activity, policy) if policy and check else []:
        _refuse_by_policy(problem, reader, root)
    return activity


def rule_from_xml(text: "str | bytes | etree._Element") -> CreditRule:
    """Parse and validate rule XML; CreditError names the line and field at fault."""
    root = _root(text, RULE_ROOT)
    reader = _Reader()
    data: dict[str, Any] = reader.attrs(
        root,
        {"evaluation-required": "evaluation_required", "min-minutes": "min_minutes"},
        (),
    )
    components = []
    for index, child in enumerate(reader.children(root, {"component"})):
        loc = ("components", index)
        component: dict[str, Any] = reader.attrs(
            child, {"usage-id": "usage_id", "min-fraction": "min_fraction"}, loc
        )
        component["label"] = reader.text(child, (*loc, "label"))
        components.append(component)
    data["components"] = components
    return _validate(CreditRule, data, reader, root)


def settings_from_xml(
    text: "str | bytes | etree._Element",
    root_tag: str | None = SETTINGS_ROOT,
    policy: CreditPolicy | None = None,
    *,
    check: bool = True,
) -> CreditSettings:
    """Activity and rule from `<cme-credit>` text, or from a block's OLX element
    (`root_tag=None`), the activity checked against `policy` when given (`activity_from_xml`).
    The activity is required; without a rule, the default rule applies.
    `<cme-credit>` has no attributes (one is refused, as on every other element); a block's
    element carries the runtime's (display_name, url_name, ...), which are not ours to check.
    CreditError names the line and field at fault."""
    root = _root(text, root_tag)
    reader = _Reader()
    if root_tag is not None:
        reader.attrs(root, {}, ())
    activity = rule = None
    for child in reader.children(root, {ACTIVITY_ROOT, RULE_ROOT}):
        if (activity if child.tag == ACTIVITY_ROOT else rule) is not None:
            raise CreditError("xml_duplicate_element", line=child.sourceline, element=child.tag)
        part = "activity" if child.tag == ACTIVITY_ROOT else "rule"
        try:
            if part == "activity":
                activity = activity_from_xml(child, policy, check=check)
            else:
                rule = rule_from_xml(child)
        except CreditError as exc:
            if exc.code != "xml_invalid":
                raise
            field = exc.params["field"]  # named as the form and the JSON name it
            field = part if field == child.tag else f"{part}.{field}"
            raise CreditError(exc.code, **(exc.params | {"field": field})) from exc
    if activity is None:
        raise CreditError("xml_missing_element", line=root.sourceline, element=ACTIVITY_ROOT)
    return CreditSettings(activity=activity, rule=rule or CreditRule())
