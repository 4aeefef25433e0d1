"""docs/events.md names every event the blocks can publish, and only those, each with exactly
the fields of its data: an analyst who routes the tracking log by this page misses nothing and
looks for nothing that is never sent.

What the code can publish is read without a runtime:
- the engines' events (`cme.case.*`, `cme.referral.*`): their names from the `_event(...)` calls
  in the engines' source, their fields from the events the engines publish while the demo cases
  and exercises are played (every name the source holds must be produced by a play);
- the adapter's own events (`cme.credit.*`, `cme.<block>.attempt_reset`): names and fields from
  the `self.runtime.publish(self, name, {...})` calls in xblocks/ (syntax tree, nothing imported);
- `grade` and `completion`: published by XBlock's own mixins, whose field names are read by
  calling them with a recording runtime.
"""

import ast
import re
import typing
from collections import defaultdict
from pathlib import Path
from types import SimpleNamespace

from xblock.completable import CompletableXBlockMixin
from xblock.scorable import ScorableXBlockMixin, Score

from case_teaching import Case, demo_case_names, load_demo_case
from case_teaching import engine as case_engine
from referral_tracking import apply, demo_exercise, new_progress
from referral_tracking import engine as referral_engine
from tests.conftest import REPO_ROOT
from tests.unit.test_case_strategies import act, play_expert

DOC = REPO_ROOT / "docs" / "events.md"
ADAPTER = REPO_ROOT / "xblocks"

Fields = dict[str, set[str]]


# ---- what the page documents ----------------------------------------------------------------


def documented(text: str) -> Fields:
    """Each `### \\`event.name\\`` heading with the `field` names of the table under it (up to
    the next heading). A name documented twice is refused: it would be read ambiguously."""
    events: Fields = {}
    current: str | None = None
    for line in text.splitlines():
        heading = re.match(r"^#{1,6} ", line)
        if heading:
            named = re.match(r"^### `([^`]+)`\s*$", line)
            current = named.group(1) if named else None
            if current is not None:
                assert current not in events, f"{current} is documented twice"
                events[current] = set()
        elif current is not None:
            row = re.match(r"^\|\s*`([A-Za-z0-9_]+)`\s*\|", line)
            if row:
                events[current].add(row.group(1))
    return events


# ---- what the engines publish ---------------------------------------------------------------


def _name_values(placeholder: str) -> tuple[str, ...]:
    """The values an `{placeholder}` in an engine's f-string event name can take."""
    if placeholder == "status":  # referral_{status}: the receiving side's answer
        status = referral_engine.ReferralContact.model_fields["status"].annotation
        return typing.get_args(status)
    raise AssertionError(
        f"an event name is built from {{{placeholder}}}: teach this test its values"
    )


def engine_event_names(module) -> set[str]:
    """Every name an engine's `_event(...)` calls can give (the prefix is the module's)."""
    source = Path(module.__file__).read_text(encoding="utf-8")
    calls = re.findall(r"(?<![\w.])_event\(", source)
    named = re.findall(r"(?<![\w.])_event\(\s*(f?)\"([^\"]+)\"", source)
    definitions = len(re.findall(r"def _event\(", source))
    assert len(named) == len(calls) - definitions, (
        f"an _event(...) call in {module.__name__} names its event in a way this test cannot "
        "read (not a string literal)"
    )
    names: set[str] = set()
    for is_f, name in named:
        placeholders = re.findall(r"\{(\w+)\}", name) if is_f else []
        expanded = [name]
        for placeholder in placeholders:
            expanded = [
                n.replace("{" + placeholder + "}", value)
                for n in expanded
                for value in _name_values(placeholder)
            ]
        names.update(module.EVENT_PREFIX + n for n in expanded)
    return names


def _restartable(case: Case) -> Case:
    data = case.model_dump()
    data["scoring"]["allow_restart"] = True
    return Case.model_validate(data)


def case_events_played() -> Fields:
    """Each demo case played the expert's way (findings requested, every question answered,
    reflections written) to its end, then restarted."""
    seen: Fields = defaultdict(set)
    for name in demo_case_names():
        case = _restartable(load_demo_case(name))
        results = play_expert(case)
        results.append(act(case, results[-1].progress, kind="restart"))
        for result in results:
            for event in result.events:
                seen[event["name"]] |= set(event["data"])
    return dict(seen)


LETTER = {
    "reason": "Suspected hypertensive emergency",
    "history": "Hypertension for years; stopped her tablets last week.",
    "key_findings": ["blood_pressure"],
    "treatment_given": "None before transfer.",
    "question": "Please lower the pressure safely and exclude a stroke?",
}


def _play(seen: Fields, scenario: str, actions: list[dict]) -> None:
    exercise, progress = demo_exercise(scenario), new_progress()
    for action in actions:
        step = apply(exercise, progress, {**action, "step": progress.step})
        progress = step.progress
        for event in step.events:
            seen[event.name] |= set(event.data)


def referral_events_played() -> Fields:
    """A township GP transfers a hypertensive emergency (accepted, back downward, followed up
    and re-referred at a visit); a community doctor sends a hypoxic child to a hospital without
    a paediatric ward (declined)."""
    seen: Fields = defaultdict(set)
    transfer = {
        "disposition": "emergency_transfer",
        "priority": "emergency",
        "target_institution_id": "dongxian-county",
        "department": "emergency",
        "letter": LETTER,
    }
    _play(
        seen,
        "hypertension_township",
        [
            {"kind": "decide", "decision": transfer},
            {"kind": "set_plan", "plan": {"interval_days": 14, "monitoring": ["blood_pressure"]}},
            {"kind": "visit_choice", "choice": "continue"},
            {"kind": "visit_choice", "choice": "re_refer"},
        ],
    )
    no_ward = transfer | {"target_institution_id": "city-general", "letter": {"reason": "SpO2 89%"}}
    _play(seen, "child_pneumonia_hypoxia", [{"kind": "decide", "decision": no_ward}])
    return dict(seen)


# ---- what the adapter publishes -------------------------------------------------------------


class RecordingRuntime:
    def __init__(self):
        self.published: list[tuple[str, dict]] = []

    def publish(self, block, name, data):
        self.published.append((name, data))


def mixin_event_fields() -> Fields:
    """`grade` and `completion` as XBlock's mixins publish them for our blocks."""
    runtime = RecordingRuntime()
    block = SimpleNamespace(
        runtime=runtime,
        has_custom_completion=CompletableXBlockMixin.has_custom_completion,
        completion_mode=CompletableXBlockMixin.completion_mode,
    )
    ScorableXBlockMixin._publish_grade(block, Score(raw_earned=3, raw_possible=4), False)
    CompletableXBlockMixin.emit_completion(block, 1.0)
    return {name: set(data) for name, data in runtime.published}


def _is_runtime_publish(call: ast.Call) -> bool:
    func = call.func
    return (
        isinstance(func, ast.Attribute)
        and func.attr == "publish"
        and isinstance(func.value, ast.Attribute)
        and func.value.attr == "runtime"
    )


def _forwards_an_engine_event(name: ast.expr) -> bool:
    """`event["name"]` or `event.name`: an event the engine made, documented from the engine."""
    if isinstance(name, ast.Subscript):
        return isinstance(name.slice, ast.Constant) and name.slice.value == "name"
    return isinstance(name, ast.Attribute) and name.attr == "name"


def adapter_event_fields(root: Path = ADAPTER) -> Fields:
    """Events the adapter names itself, with the keys of the dict it publishes; `grade` and
    `completion` wherever a block calls `_publish_grade` or `emit_completion`."""
    trees = {path: ast.parse(path.read_text(encoding="utf-8")) for path in root.rglob("*.py")}
    block_types: dict[str, str] = {}  # class name -> its block_type_name
    bases: dict[str, list[str]] = {}
    for tree in trees.values():
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                bases[node.name] = [b.id for b in node.bases if isinstance(b, ast.Name)]
                for item in node.body:
                    if (
                        isinstance(item, ast.Assign)
                        and [getattr(t, "id", None) for t in item.targets] == ["block_type_name"]
                        and isinstance(item.value, ast.Constant)
                        and item.value.value
                    ):
                        block_types[node.name] = item.value.value

    def types_of_subclasses(class_name: str) -> list[str]:
        return [t for cls, t in block_types.items() if class_name in bases.get(cls, [])]

    mixins = mixin_event_fields()
    fields: Fields = defaultdict(set)

    def published(call: ast.Call, cls: ast.ClassDef | None, where: str) -> None:
        name, data = call.args[1], call.args[2]
        if _forwards_an_engine_event(name):
            return
        assert isinstance(data, ast.Dict) and all(isinstance(k, ast.Constant) for k in data.keys), (
            f"{where}: publishes data this test cannot read (not a dict literal)"
        )
        keys = {k.value for k in data.keys}
        if isinstance(name, ast.Constant):
            fields[name.value] |= keys
        elif isinstance(name, ast.JoinedStr) and cls is not None:
            # f"cme.{self.block_type_name.removeprefix('cme_')}.attempt_reset": one name for
            # each block class that inherits the method's class
            code = compile(ast.Expression(body=name), where, "eval")
            block_types_here = types_of_subclasses(cls.name)
            assert block_types_here, f"{where}: no block class inherits {cls.name}"
            for block_type in block_types_here:
                this = SimpleNamespace(block_type_name=block_type)
                fields[eval(code, {}, {"self": this})] |= keys  # noqa: S307 (our own source)
        else:
            raise AssertionError(f"{where}: an event name this test cannot read")

    for path, tree in trees.items():
        enclosing = {
            id(node): cls
            for cls in ast.walk(tree)
            if isinstance(cls, ast.ClassDef)
            for node in ast.walk(cls)
        }
        for call in ast.walk(tree):
            if not isinstance(call, ast.Call) or not isinstance(call.func, ast.Attribute):
                continue
            if call.func.attr == "_publish_grade":
                fields["grade"] |= mixins["grade"]
            elif call.func.attr == "emit_completion":
                fields["completion"] |= mixins["completion"]
            elif _is_runtime_publish(call):
                where = f"{path.relative_to(root)}:{call.lineno}"
                published(call, enclosing.get(id(call)), where)
    return dict(fields)


# ---- the comparison -------------------------------------------------------------------------


def published_fields() -> Fields:
    fields: Fields = {}
    for module, played in (
        (case_engine, case_events_played()),
        (referral_engine, referral_events_played()),
    ):
        names = engine_event_names(module)
        never_played = names - set(played)
        assert not never_played, (
            f"{sorted(never_played)} can be published but no play of this test produces it: "
            "add a play so that its fields are checked"
        )
        assert set(played) <= names, sorted(set(played) - names)
        fields.update(played)
    for name, keys in adapter_event_fields().items():
        assert name not in fields, f"{name} is published by an engine and by the adapter"
        fields[name] = keys
    return fields


def differences(doc_text: str, code: Fields) -> list[str]:
    """What a reader of the page would get wrong, one sentence per problem."""
    doc = documented(doc_text)
    problems = [f"{name} is published but not documented" for name in sorted(code.keys() - doc)]
    problems += [f"{name} is documented but never published" for name in sorted(doc.keys() - code)]
    for name in sorted(set(doc) & set(code)):
        for field in sorted(code[name] - doc[name]):
            problems.append(f"{name}: field {field} is sent but not documented")
        for field in sorted(doc[name] - code[name]):
            problems.append(f"{name}: field {field} is documented but never sent")
    return problems


def test_the_page_documents_every_event_the_blocks_publish_with_exactly_its_fields():
    code = published_fields()
    # the events the issue asks the case block for, and the credit ledger's, are among them
    assert {
        "cme.case.stage_reached",
        "cme.case.finding_requested",
        "cme.case.answer_submitted",
        "cme.case.case_completed",
        "cme.case.attempt_reset",
        "cme.referral.attempt_reset",
        "cme.credit.awarded",
        "cme.credit.revoked",
        "grade",
        "completion",
    } <= set(code)
    assert differences(DOC.read_text(encoding="utf-8"), code) == []


def test_the_comparison_reports_an_event_or_a_field_missing_from_the_page_or_invented_on_it():
    code = published_fields()
    text = DOC.read_text(encoding="utf-8")
    assert "### `cme.credit.revoked`" in text and "| `previous_score` |" in text
    without_revoked = text.replace("### `cme.credit.revoked`", "### Revoked (renamed)")
    assert "cme.credit.revoked is published but not documented" in differences(
        without_revoked, code
    )
    invented = text + "\n### `cme.case.hint_shown`\n\n| `hint` | string | |\n"
    assert "cme.case.hint_shown is documented but never published" in differences(invented, code)
    without_field = text.replace("| `previous_score` |", "| previous score |")
    assert "cme.case.restarted: field previous_score is sent but not documented" in differences(
        without_field, code
    )
    extra_field = text.replace(
        "### `cme.credit.revoked`\n", "### `cme.credit.revoked`\n\n| `learner` | string | |\n"
    )
    assert "cme.credit.revoked: field learner is documented but never sent" in differences(
        extra_field, code
    )


def test_an_adapter_event_added_in_the_source_is_seen_by_the_test(tmp_path):
    """The syntax-tree reading finds a new `runtime.publish` with its fields (so a new adapter
    event cannot slip past the page)."""
    (tmp_path / "block.py").write_text(
        "class Mixin:\n"
        "    def reset(self):\n"
        "        self.runtime.publish(self, f'cme.{self.block_type_name}.x', {'attempt': 1})\n"
        "class ThingBlock(Mixin, XBlock):\n"
        "    block_type_name = 'thing'\n"
        "    def award(self):\n"
        "        self.runtime.publish(self, 'cme.thing.awarded', {'credits': '1'})\n"
        "        self.emit_completion(1.0)\n",
        encoding="utf-8",
    )
    found = adapter_event_fields(tmp_path)
    assert found == {
        "cme.thing.x": {"attempt"},
        "cme.thing.awarded": {"credits"},
        "completion": {"completion"},
    }
