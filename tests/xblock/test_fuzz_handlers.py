"""Every JSON handler of every block, attacked with generated bodies: wrong types, missing and
extra fields, huge strings, unicode, negative and huge numbers, replayed and out-of-order steps.

Bodies grow from valid ones: for each action a handler takes, a body its request model (pydantic)
accepts and, where the learner's state allows, one the domain accepts too (the move the
learner's page offers now); Studio saves start from the block's own content (JSON and XML, the
rule set and consortium of a referral exercise). A draw keeps the body as it is or mutates a few
of its fields: a value of another type, a value at or past the model's own bounds, a field
dropped, a field added, the action swapped for another, the step moved back or ahead. Valid
bodies are accepted, so the learner moves on through the exercise as the examples run.
A state machine (hypothesis' RuleBasedStateMachine) plays a learner who moves on, replays an
earlier page, and sends a page from the future or the past.

Property: never a 5xx; a refused request (4xx) carries a readable sentence and changes nothing
(the whole field store: every learner's state, attempt and grade, the CME profile, the block's
content and settings; the outcome, decision, receipt, reset, ledger and push rows; the published
events); an accepted learner request touches nothing of anyone else's; an accepted Studio save
leaves a block whose views render (what a course export and the editor need).
`CME_FUZZ_EXAMPLES` sets the examples per handler, each handler its own test (CI: the default
below; `make fuzz`: 5,000).
"""

import json
import os
import re
import typing
from collections import Counter
from itertools import count

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from tests.support.figures import tally
from tests.xblock.test_case_block import case_scenarios
from tests.xblock.test_referral_block import referral_usages

EXAMPLES = int(os.environ.get("CME_FUZZ_EXAMPLES", "300"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)
#: A learner's session is about 20 requests: as many requests in all as a handler's fuzz test.
STATEFUL = settings(
    max_examples=max(5, EXAMPLES // 20),
    stateful_step_count=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    database=None,
)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    st.text(max_size=40),
    st.text(alphabet="=+-@\t\r<>\"'&{}\\/\u202e\u0000中文", max_size=20),
    st.just("x" * 30_000),
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)
#: Fields no handler takes that a hostile page might add (someone else's id, a domain key).
INTRUDERS = [
    "learner",
    "student_id",
    "user_id",
    "usage_id",
    "anonymous_user_id",
    "kind",
    "decision",
    "answer",
    "score",
    "__proto__",
    "surprise",
]


# ---- bodies from the request models ---------------------------------------------------------


def model_actions(model) -> list[str]:
    """The actions a request model takes (its `action` Literal)."""
    field = model.model_fields.get("action")
    return list(typing.get_args(field.annotation)) if field else []


#: Bounds above this are not probed at their edge: the platform refuses a body of megabytes
#: before any handler sees it (Django's DATA_UPLOAD_MAX_MEMORY_SIZE), and the huge strings of
#: `values` already pass 30,000 characters.
MAX_EDGE = 50_000


def edges(model, name: str) -> st.SearchStrategy:
    """Values at and just past the bounds the model itself sets on `name`, and its literals."""
    info = model.model_fields.get(name)
    if info is None:  # a field the model does not have: any value
        return values
    found: list[st.SearchStrategy] = []
    for bound in info.metadata:
        longest = getattr(bound, "max_length", None)
        if longest is not None and longest <= MAX_EDGE:
            found += [
                st.just("x" * longest),
                st.just("x" * (longest + 1)),
                st.just(["a"] * (longest + 1)),
            ]
        shortest = getattr(bound, "min_length", None)
        if shortest:
            found += [st.just(""), st.just(" " * shortest)]
        for side, step in (("ge", -1), ("gt", 0), ("le", 1), ("lt", 0)):
            limit = getattr(bound, side, None)
            if limit is not None:
                found += [st.just(limit), st.just(limit + step), st.just(float(limit) + step / 2)]
    literals = [a for a in typing.get_args(info.annotation) if isinstance(a, str)]
    if literals:
        found += [st.sampled_from(literals), st.sampled_from([x.upper() for x in literals])]
    found += [st.just(-1), st.just(2**63), st.just(""), st.just([]), st.just({})]
    return st.one_of(found)


@st.composite
def mutated(draw, base: dict, model, max_changes: int = 3):
    """`base` as it is (about one draw in four) or with up to `max_changes` changes."""
    body = dict(base)
    fields = list(model.model_fields) or ["surprise"]  # a model that takes nothing
    actions = model_actions(model)
    for _ in range(draw(st.sampled_from([0, 1, 1, 2, max_changes]))):
        how = draw(st.sampled_from(["value", "edge", "edge", "drop", "extra", "action", "step"]))
        if how == "value":
            body[draw(st.sampled_from(fields))] = draw(values)
        elif how == "edge":
            name = draw(st.sampled_from(fields))
            body[name] = draw(edges(model, name))
        elif how == "drop":
            body.pop(draw(st.sampled_from([*fields, *INTRUDERS])), None)
        elif how == "extra":
            body[draw(st.sampled_from(INTRUDERS) | st.text(max_size=12))] = draw(values)
        elif how == "action" and actions:
            body["action"] = draw(st.sampled_from(actions))
        elif how == "step" and "step" in fields:
            step = body.get("step") if isinstance(body.get("step"), int) else 0
            body["step"] = step + draw(st.sampled_from([-2, -1, 1, 2, 5, -(2**40), 2**63]))
    return body


def paths(doc, prefix=()):
    """Every place in a JSON document (containers and leaves)."""
    yield prefix
    if isinstance(doc, dict):
        for key, value in doc.items():
            yield from paths(value, (*prefix, key))
    elif isinstance(doc, list):
        for index, value in enumerate(doc):
            yield from paths(value, (*prefix, index))


def at(doc, where: tuple):
    for key in where:
        doc = doc[key]
    return doc


#: What pasting from a word processor or a terminal can put into a text: control characters,
#: the byte-order mark, non-characters, bidirectional marks, markup.
PASTED = "\x00\x01\x08\x0b\x0c\x1b\x1f\x7f\ufeff\ufffe\uffff\u202e\u2028<&>\"' 中\t\r\n"


@st.composite
def mutated_document(draw, doc: dict):
    """An author's document (a case, a scenario, a rule set...) with one to three places
    changed: a value replaced, a key or item dropped, an item repeated."""
    doc = json.loads(json.dumps(doc))
    for _ in range(draw(st.integers(1, 3))):
        how = draw(st.sampled_from(["text", "text", "value", "value", "drop", "repeat"]))
        places = list(paths(doc))[1:]
        if how == "text":  # the same kind of value, with characters an author might paste
            places = [where for where in places if isinstance(at(doc, where), str)] or places
        if not places:  # every key dropped already: nothing left to change
            break
        where = draw(st.sampled_from(places))
        parent = at(doc, where[:-1])
        last = where[-1]
        if how == "text":
            text, pasted = str(parent[last]), draw(st.text(alphabet=PASTED, min_size=1))
            parent[last] = text[: len(text) // 2] + pasted + text[len(text) // 2 :]
        elif how == "value":
            parent[last] = draw(values)
        elif how == "drop":
            del parent[last]
        elif isinstance(parent, list):
            parent.append(json.loads(json.dumps(parent[last])))
        if not isinstance(doc, dict):
            break
    return doc


def test_a_document_whose_every_key_is_dropped_is_still_mutated_without_error():
    """A small document (a credit's settings) can lose every key before the last change."""

    @settings(max_examples=200, deadline=None)
    @given(mutated_document({"only": "key"}))
    def check(doc):
        assert isinstance(doc, dict)

    check()


SPLICE = "<>&;'\"=/ !-[]?{}:,xmlDOCTYPEENTITY中\u0000\ud7ff"


@st.composite
def mutated_text(draw, text: str):
    """Source text cut, or with hostile characters spliced in."""
    at = draw(st.integers(0, len(text)))
    how = draw(st.sampled_from(["cut", "splice", "splice"]))
    if how == "cut":
        return text[:at]
    splice = draw(
        st.text(alphabet="<>&;'\"=/ !-[]?{}:,xmlDOCTYPEENTITY中\u0000\ud7ff", max_size=30)
    )
    return text[:at] + splice + text[at:]


def source_variants(doc: dict, xml: str | None) -> st.SearchStrategy:
    """The document as it is (JSON and XML), mutated as data, or mutated as text."""
    text = json.dumps(doc, ensure_ascii=False)
    as_data = mutated_document(doc).map(json.dumps)
    options = [st.just(text), as_data, as_data, mutated_text(text)]
    if xml is not None:
        options += [st.just(xml), mutated_text(xml)]
    return st.one_of(options)


# ---- what a refusal must leave as it was ----------------------------------------------------

RECORDS = (
    "LearnerOutcome",
    "ReferralDecisionRecord",
    "CreditAward",
    "ActionReceipt",
    "AttemptReset",
    "LrsPush",
)


def store() -> list[tuple]:
    """Every field the runtime keeps, of every block and every user (content, settings, each
    learner's state, preferences such as the CME profile): the workbench's field store."""
    from workbench.models import XBlockState

    return list(
        XBlockState.objects.order_by("pk").values_list("scope", "scope_id", "user_id", "state")
    )


def records() -> dict:
    """Every durable row, and the published events counted by learner."""
    from xblocks.records import models
    from xblocks.workbench.models import PublishedEvent

    rows: dict = {
        name: list(getattr(models, name).objects.order_by("pk").values()) for name in RECORDS
    }
    rows["events"] = dict(Counter(PublishedEvent.objects.values_list("student_id", flat=True)))
    return rows


def snapshot() -> dict:
    """What a refused request must leave as it was: the field store and the durable rows."""
    return {"store": store(), "records": records()}


def others_of(taken: dict, learner: str) -> dict:
    """What of a snapshot belongs to anyone but `learner` (content and settings included)."""
    return {
        "store": [row for row in taken["store"] if row[2] != learner],
        "records": {
            name: (
                {who: n for who, n in found.items() if who != learner}
                if name == "events"
                else [row for row in found if row.get("learner_id") != learner]
            )
            for name, found in taken["records"].items()
        },
    }


SENTENCE = re.compile(r".*\w.*[.!?)\"'”。]$", re.DOTALL)


def is_sentence(text) -> bool:
    """A message a person reads: words (three or more) ending as a sentence ends."""
    if os.environ.get("CME_FUZZ_MESSAGES"):  # to read what the refusals say
        with open(os.environ["CME_FUZZ_MESSAGES"], "a", encoding="utf-8") as out:
            out.write(f"{text}\n")
    return (
        isinstance(text, str)
        and len(re.findall(r"\w+", text)) >= 3
        and SENTENCE.match(text.strip()) is not None
    )


class Target:
    """One handler of one block, called as one user."""

    def __init__(self, workbench, usage_id: str, handler: str, student: str):
        self.workbench = workbench
        self.usage_id = usage_id
        self.handler = handler
        self.student = student
        self.block_type = workbench.block(usage_id, student).scope_ids.block_type

    def send(self, body):
        """Send one body; check the property; return the response."""
        before = snapshot()
        raw = body if isinstance(body, (str, bytes)) else json.dumps(body)
        response = self.workbench.handler(self.usage_id, self.handler, raw, student=self.student)
        tally("fuzz.requests")
        tally(f"fuzz.requests.{self.block_type}.{self.handler}")
        assert response.status_code < 500, (self.handler, body, response.content[:500])
        if response.status_code >= 400:
            tally("fuzz.refused")
            answer = json.loads(response.content)
            assert is_sentence(answer.get("error")), (self.handler, body, answer)
            assert snapshot() == before, (self.handler, body, answer)
        elif self.student != "staff":  # an accepted learner request: nobody else is touched
            after = others_of(snapshot(), self.student)
            assert after == others_of(before, self.student), (self.handler, body)
        return response


# ---- the blocks under attack ----------------------------------------------------------------

LEARNER, OTHER = "fuzzer", "fuzz_other"


def case_progress_view(workbench, usage_id: str, learner: str) -> dict:
    from case_teaching import CaseProgress, learner_view

    block = workbench.block(usage_id, learner)
    return learner_view(block.case, CaseProgress.model_validate_json(block.progress_json))


def case_moves(view: dict) -> list[dict]:
    """The actions the learner's page offers now, as the page posts them."""
    step, stage = view["step"], view["stage"] or {}  # no stage: the summary of a finished case
    moves = [
        {"action": "request_finding", "step": step, "finding": finding["id"]}
        for finding in stage.get("findings_available", [])
    ]
    for question in stage.get("questions", []):
        if question.get("answer") is not None:
            continue
        body = {"action": "submit_answer", "step": step, "question": question["id"]}
        options = [option["id"] for option in question.get("options", [])]
        if question["kind"] == "reflection":
            body["text"] = "A reflection long enough to be accepted by the case."
        elif question["kind"] == "ranking":
            body["order"] = options
        else:
            body["options"] = options[:1]
        moves.append(body)
    if stage.get("can_continue"):
        moves.append({"action": "continue", "step": step})
    if view.get("summary"):
        moves.append({"action": "restart", "step": step})
    return moves


def case_bases(workbench, usage_id: str, learner: str) -> list[dict]:
    """For every action of the case's request model, a valid body: the page's own move when
    the learner's state offers one, else one the model accepts (the domain may refuse it)."""
    from xblocks.case_block import CaseRequest

    view = case_progress_view(workbench, usage_id, learner)
    case = workbench.block(usage_id, learner).case
    step = view["step"]
    finding = next(f.id for s in case.stages for f in s.findings)
    question = next(q for s in case.stages for q in s.questions)
    fallback = {
        "request_finding": {"action": "request_finding", "step": step, "finding": finding},
        "submit_answer": {
            "action": "submit_answer",
            "step": step,
            "question": question.id,
            "options": [o.id for o in getattr(question, "options", [])][:1],
        },
        "continue": {"action": "continue", "step": step},
        "restart": {"action": "restart", "step": step},
    }
    offered = {move["action"]: move for move in case_moves(view)}
    assert set(fallback) == set(model_actions(CaseRequest))
    return [offered.get(action, fallback[action]) for action in model_actions(CaseRequest)]


def referral_progress_view(workbench, usage_id: str, learner: str) -> dict:
    from referral_tracking import learner_view

    block = workbench.block(usage_id, learner)
    return learner_view(block.exercise, block._stored_state().progress)


def referral_moves(view: dict) -> list[dict]:
    """The forms the learner's page shows now, filled in as a learner would."""
    step, phase = view["step"], view["phase"]
    institutions = [i for i in view["options"]["institutions"] if i["tier"] != "primary"]
    if phase == "presentation":
        moves = [
            {
                "action": "decide",
                "step": step,
                "disposition": "manage_locally",
                "priority": "routine",
                "recognised_red_flags": [view["options"]["red_flags"][0]["id"]],
            }
        ]
        for institution in institutions[:2]:
            moves.append(
                {
                    "action": "decide",
                    "step": step,
                    "disposition": "refer_upward",
                    "priority": "urgent",
                    "target_institution_id": institution["id"],
                    "department": institution["departments"][0],
                    "letter_reason": "Blood pressure above target despite treatment.",
                    "letter_key_findings": [],
                    "letter_supporting_info": "Home readings\nECG",
                }
            )
        return moves
    if phase == "declined":
        return [
            {
                "action": "redirect",
                "step": step,
                "target_institution_id": i["id"],
                "department": i["departments"][0],
            }
            for i in institutions
        ]
    if phase == "plan":
        options = view["follow_up_options"]
        return [
            {
                "action": "set_plan",
                "step": step,
                "interval_days": options["min_interval_days"],
                "monitoring": [options["monitoring_items"][0]["id"]],
                "targets": [t["id"] for t in options.get("targets", [])][:1],
                "re_referral_criteria": [c["id"] for c in options.get("re_referral_criteria", [])][
                    :1
                ],
            }
        ]
    if phase == "visit":
        return [{"action": "visit_choice", "step": step, "choice": "continue", "note": "Seen."}]
    return []


def referral_bases(workbench, usage_id: str, learner: str) -> list[dict]:
    from xblocks.referral_block import ReferralRequest

    view = referral_progress_view(workbench, usage_id, learner)
    step = view["step"]
    fallback = {
        "decide": {
            "action": "decide",
            "step": step,
            "disposition": "refer_upward",
            "priority": "urgent",
            "recognised_red_flags": [],
            "target_institution_id": "dongxian-county",
            "department": "cardiology",
            "letter_reason": "Reason",
            "letter_history": "History",
            "letter_key_findings": ["blood_pressure"],
            "letter_treatment_given": "None",
            "letter_question": "Please assess.",
            "letter_supporting_info": "ECG",
        },
        "redirect": {
            "action": "redirect",
            "step": step,
            "target_institution_id": "city-general",
            "department": "cardiology",
        },
        "set_plan": {
            "action": "set_plan",
            "step": step,
            "interval_days": 14,
            "monitoring": ["blood_pressure"],
            "targets": [],
            "re_referral_criteria": [],
        },
        "visit_choice": {
            "action": "visit_choice",
            "step": step,
            "choice": "adjust",
            "note": "Adjusted.",
            "interval_days": 30,
            "monitoring": ["blood_pressure"],
        },
    }
    assert set(fallback) == set(model_actions(ReferralRequest))
    offered = {}
    for move in referral_moves(view):
        offered.setdefault(move["action"], move)
    return [offered.get(action, fallback[action]) for action in model_actions(ReferralRequest)]


@pytest.fixture
def case_usage(scenarios, workbench) -> str:
    usage_id = case_scenarios(scenarios)["chest_pain_gp"]
    scenario_id = next(k for k, s in scenarios.items() if s.usage_id == usage_id)
    for learner in (LEARNER, OTHER):
        workbench.page(scenario_id, student=learner)
    # The other learner is under way: their answer and receipt must survive the fuzzing.
    Target(workbench, usage_id, "act", OTHER).send(
        case_moves(case_progress_view(workbench, usage_id, OTHER))[0]
    )
    return usage_id


@pytest.fixture
def referral_usage(scenarios, workbench) -> str:
    scenario_id, usage_id = referral_usages(scenarios)["hypertension_township"]
    for learner in (LEARNER, OTHER):
        workbench.page(scenario_id, student=learner)
    Target(workbench, usage_id, "act", OTHER).send(
        referral_moves(referral_progress_view(workbench, usage_id, OTHER))[0]
    )
    return usage_id


# ---- learners' handlers ---------------------------------------------------------------------


@FUZZ
@given(data=st.data())
def test_the_case_handler_never_fails_and_refusals_change_nothing(workbench, case_usage, data):
    from xblocks.case_block import CaseRequest

    target = Target(workbench, case_usage, "act", LEARNER)
    action = data.draw(st.integers(0, len(model_actions(CaseRequest)) - 1))
    base = case_bases(workbench, case_usage, LEARNER)[action]
    target.send(data.draw(mutated(base, CaseRequest)))


@FUZZ
@given(data=st.data())
def test_the_referral_handler_never_fails_and_refusals_change_nothing(
    workbench, referral_usage, data
):
    from xblocks.referral_block import ReferralRequest

    target = Target(workbench, referral_usage, "act", LEARNER)
    action = data.draw(st.integers(0, len(model_actions(ReferralRequest)) - 1))
    base = referral_bases(workbench, referral_usage, LEARNER)[action]
    target.send(data.draw(mutated(base, ReferralRequest)))


@FUZZ
@given(body=st.one_of(st.text(max_size=200), st.binary(max_size=200), values.map(json.dumps)))
def test_any_bytes_at_all_are_answered_without_a_server_error(workbench, case_usage, body):
    Target(workbench, case_usage, "act", LEARNER).send(body)


@pytest.mark.parametrize("which", ["case", "referral", "credit"])
@FUZZ
@given(data=st.data())
def test_the_mobile_view_handlers_never_fail_and_refusals_change_nothing(
    workbench, case_usage, referral_usage, credit_usage, data, which
):
    """`view_data` (the mobile app's view of each block) takes an empty body."""
    from xblocks.exercise import ViewDataRequest

    usage_id = {"case": case_usage, "referral": referral_usage, "credit": credit_usage}[which]
    body = data.draw(st.one_of(mutated({}, ViewDataRequest), values.map(json.dumps)))
    Target(workbench, usage_id, "view_data", LEARNER).send(body)


CREDIT_PROFILE = {
    "action": "profile",
    "name": "王晓梅",
    "licence_number": "110440100001234",
    "title": "intermediate",
    "institution": "青山镇卫生院",
    "tier": "primary",
    "department": "全科",
    "discipline": "General practice",
}
CREDIT_BASES = [
    CREDIT_PROFILE,
    {"action": "evaluate", "satisfaction": 4, "change_in_practice": "none", "comment": "Useful."},
    {"action": "claim"},
]


@pytest.fixture
def credit_usage(module, workbench) -> str:
    usage_id = module[1]["cme_credit"]
    workbench.page(module[0], student=LEARNER)
    Target(workbench, usage_id, "act", OTHER).send(CREDIT_PROFILE)
    return usage_id


@FUZZ
@given(data=st.data())
def test_the_credit_handler_never_fails_and_refusals_change_nothing(workbench, credit_usage, data):
    from xblocks.credit_block import CreditRequest

    assert {b["action"] for b in CREDIT_BASES} == set(model_actions(CreditRequest))
    base = data.draw(st.sampled_from(CREDIT_BASES))
    Target(workbench, credit_usage, "act", LEARNER).send(data.draw(mutated(base, CreditRequest)))


# ---- a learner's session, played as a state machine -----------------------------------------

_sessions = count()


class LearnerSession(RuleBasedStateMachine):
    """A learner who moves on as the page offers, replays a page already answered, and sends a
    page from ahead or behind their step. Subclasses say which block and how its page moves."""

    workbench = None
    usage_id = ""
    scenario_id = ""

    def __init__(self):
        super().__init__()
        self.learner = f"session_{next(_sessions)}"
        self.workbench.page(self.scenario_id, student=self.learner)
        self.target = Target(self.workbench, self.usage_id, "act", self.learner)
        self.steps_seen = [self.step()]

    sent = Bundle("sent")

    def moves(self) -> list[dict]:
        raise NotImplementedError

    def step(self) -> int:
        raise NotImplementedError

    def send(self, body):
        tally("fuzz.stateful.requests")
        return self.target.send(body)

    @precondition(lambda self: bool(self.moves()))
    @rule(target=sent, data=st.data())
    def a_move_the_page_offers_is_accepted(self, data):
        body = data.draw(st.sampled_from(self.moves()))
        response = self.send(body)
        assert response.status_code == 200, (body, response.content[:300])
        return body

    @rule(body=sent)
    def a_page_already_answered_is_refused(self, body):
        response = self.send(body)
        assert 400 <= response.status_code < 500, (body, response.content[:300])

    @precondition(lambda self: bool(self.moves()))
    @rule(data=st.data(), ahead=st.integers(1, 3))
    def a_page_from_ahead_is_refused(self, data, ahead):
        body = dict(data.draw(st.sampled_from(self.moves())))
        body["step"] += ahead
        response = self.send(body)
        assert 400 <= response.status_code < 500, (body, response.content[:300])

    @precondition(lambda self: bool(self.moves()) and self.step() > 0)
    @rule(data=st.data(), behind=st.integers(1, 3))
    def a_stale_page_is_refused(self, data, behind):
        body = dict(data.draw(st.sampled_from(self.moves())))
        body["step"] = max(0, body["step"] - behind)
        response = self.send(body)
        assert 400 <= response.status_code < 500, (body, response.content[:300])

    @invariant()
    def the_step_never_goes_back(self):
        step = self.step()
        assert step >= self.steps_seen[-1]
        self.steps_seen.append(step)


def test_a_case_learner_replaying_and_reordering_pages_changes_nothing(
    workbench, scenarios, case_usage
):
    class CaseSession(LearnerSession):
        def moves(self):
            return case_moves(case_progress_view(self.workbench, self.usage_id, self.learner))

        def step(self):
            return case_progress_view(self.workbench, self.usage_id, self.learner)["step"]

    CaseSession.workbench = workbench
    CaseSession.usage_id = case_usage
    CaseSession.scenario_id = next(k for k, s in scenarios.items() if s.usage_id == case_usage)
    run_state_machine_as_test(CaseSession, settings=STATEFUL)


def test_a_referral_learner_replaying_and_reordering_pages_changes_nothing(
    workbench, scenarios, referral_usage
):
    class ReferralSession(LearnerSession):
        def moves(self):
            return referral_moves(
                referral_progress_view(self.workbench, self.usage_id, self.learner)
            )

        def step(self):
            return referral_progress_view(self.workbench, self.usage_id, self.learner)["step"]

    ReferralSession.workbench = workbench
    ReferralSession.usage_id = referral_usage
    ReferralSession.scenario_id = referral_usages(scenarios)["hypertension_township"][0]
    run_state_machine_as_test(ReferralSession, settings=STATEFUL)


# ---- Studio saves ---------------------------------------------------------------------------


def views_render(workbench, usage_id: str) -> None:
    """After an accepted save the block still shows: its editor, a learner's and staff's page
    (an exception here is what a 500 would be in the LMS)."""
    assert "cme-studio" in workbench.page_of(usage_id, "staff", "studio_view")
    for who in (LEARNER, "staff"):
        assert "cme-block" in workbench.page_of(usage_id, who)
    tally("fuzz.saves_rendered")


#: Stands for the fingerprint of the content as it is when the body is sent (the editor's own).
CURRENT = "<the content's fingerprint now>"


def studio_check(workbench, usage_id: str, body) -> None:
    if isinstance(body, dict) and body.get("base_fingerprint") == CURRENT:
        body["base_fingerprint"] = workbench.block(usage_id, "staff").content_fingerprint
    response = Target(workbench, usage_id, "studio_submit", "staff").send(body)
    if response.status_code == 200 and isinstance(body, dict) and body.get("mode") == "save":
        views_render(workbench, usage_id)


def studio_base(model, sources: dict[str, st.SearchStrategy], **fields) -> st.SearchStrategy:
    """A Studio body (save or validate, the editor's fingerprint, none or a stale one) around
    the sources drawn, then mutated."""
    base = st.fixed_dictionaries(
        {
            "mode": st.sampled_from(["save", "validate"]),
            "base_fingerprint": st.sampled_from([CURRENT, "", "0" * 16]),
            **{name: st.just(value) for name, value in fields.items()},
            **sources,
        }
    )
    # Two draws in three keep the body's frame as the editor sends it: the sources are the attack.
    return base.flatmap(
        lambda body: st.one_of(st.just(body), st.just(body), mutated(body, model, max_changes=2))
    )


def case_saves() -> st.SearchStrategy:
    from case_teaching import case_to_xml, load_demo_case
    from xblocks.case_block import StudioRequest

    case = load_demo_case("chest_pain_gp")  # the block's own content
    source = source_variants(json.loads(case.model_dump_json()), case_to_xml(case))
    return studio_base(StudioRequest, {"case_source": source}, display_name="A case", weight=1)


@FUZZ
@given(data=st.data())
def test_case_studio_saves_never_fail_and_refusals_change_nothing(workbench, case_usage, data):
    studio_check(workbench, case_usage, data.draw(case_saves()))


def own_or_mutated(model) -> st.SearchStrategy:
    """An author's own rule set or consortium: none (the shipped one), as it is, or mutated."""
    doc = json.loads(model.model_dump_json())
    return st.one_of(st.just(""), st.just(json.dumps(doc)), source_variants(doc, None))


def referral_saves() -> st.SearchStrategy:
    from referral_tracking import demo_exercise, scenario_to_xml
    from xblocks.referral_block import StudioRequest

    exercise = demo_exercise("hypertension_township")  # the block's own content
    scenario = exercise.scenario
    sources = {
        "scenario_source": source_variants(
            json.loads(scenario.model_dump_json()), scenario_to_xml(scenario)
        ),
        "ruleset_source": own_or_mutated(exercise.ruleset),
        "consortium_source": own_or_mutated(exercise.consortium),
    }
    return studio_base(StudioRequest, sources, display_name="A referral exercise", weight=1)


@FUZZ
@given(data=st.data())
def test_referral_studio_saves_never_fail_and_refusals_change_nothing(
    workbench, referral_usage, data
):
    studio_check(workbench, referral_usage, data.draw(referral_saves()))


def credit_saves() -> st.SearchStrategy:
    from credit_export import CreditRule, CreditSettings, demo_activity, settings_to_xml
    from xblocks.credit_block import StudioRequest

    own = CreditSettings(activity=demo_activity(), rule=CreditRule())  # the block's own
    source = source_variants(json.loads(own.model_dump_json()), settings_to_xml(own))
    return studio_base(StudioRequest, {"settings_source": source}, display_name="CME credit")


@FUZZ
@given(data=st.data())
def test_credit_settings_saves_never_fail_and_refusals_change_nothing(
    workbench, credit_usage, data
):
    studio_check(workbench, credit_usage, data.draw(credit_saves()))


# ---- staff handlers -------------------------------------------------------------------------


def staff_bodies(model, base: dict) -> st.SearchStrategy:
    return st.one_of(
        mutated(base, model), values.map(json.dumps), st.text(max_size=50), st.binary(max_size=50)
    )


@pytest.mark.parametrize("which", ["case", "referral"])
@FUZZ
@given(data=st.data())
def test_staff_resets_never_fail(workbench, case_usage, referral_usage, data, which):
    from xblocks.exercise import ResetRequest

    usage_id = case_usage if which == "case" else referral_usage
    body = data.draw(staff_bodies(ResetRequest, {"learner": OTHER, "reason": "Asked again."}))
    Target(workbench, usage_id, "reset_learner", "staff").send(body)


@pytest.mark.parametrize("handler", ["revoke", "report"])
@FUZZ
@given(data=st.data())
def test_staff_credit_handlers_never_fail(workbench, credit_usage, data, handler):
    from xblocks.credit_block import ReportRequest, RevokeRequest

    model, base = {
        "revoke": (RevokeRequest, {"learner": OTHER, "reason": "Duplicate."}),
        "report": (ReportRequest, {"action": "report"}),
    }[handler]
    body = data.draw(staff_bodies(model, base))
    Target(workbench, credit_usage, handler, "staff").send(body)


@pytest.mark.parametrize("which", ["case cohort", "referral analytics", "credit push"])
@FUZZ
@given(data=st.data())
def test_staff_reports_never_fail(workbench, case_usage, referral_usage, credit_usage, data, which):
    """The staff views' handlers (the credit push without an LRS configured: it must refuse
    with what to set, not reach out)."""
    from xblocks.case_block import CohortRequest
    from xblocks.credit_block import PushRequest
    from xblocks.referral_block import AnalyticsRequest

    usage_id, handler, model = {
        "case cohort": (case_usage, "cohort", CohortRequest),
        "referral analytics": (referral_usage, "analytics", AnalyticsRequest),
        "credit push": (credit_usage, "push_lrs", PushRequest),
    }[which]
    body = data.draw(staff_bodies(model, {"action": model_actions(model)[0]}))
    Target(workbench, usage_id, handler, "staff").send(body)
