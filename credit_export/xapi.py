"""CME credit awards as xAPI 1.0.3 statements, for a learning-record store (Ralph in Aspects).

There is no public CME xAPI profile; these are the IRIs this suite defines and emits.

Statement
- `id`: uuid5(`NAMESPACE`, "{actor}|{project number}|{awarded_at ISO}|{status}"), so a re-run
  produces the same statements and an LRS stores each once (204 for an identical resend).
  `awarded_at` is in UTC (the record stores it so), so the key never depends on a zone.
- `actor`: `{"objectType": "Agent", "account": {"homePage": <platform>, "name": <pseudonymous
  id>}}`, never a name or a licence number (PIPL: those go only to the regulator's file).
- `timestamp`: the award time (the revocation time for a revocation). Never "now": the LRS
  judges a resend by content, and an identical resend must carry the same timestamp.

Verbs
- `http://id.tincanapi.com/verb/earned` ("earned"): the award, as Open edX uses it for grades.
- `https://consortium-cme.example.org/xapi/verbs/revoked` ("revoked"): the CME office revoked
  an award. A separate statement with its own id (the status is part of the key); its
  `context.statement` refers to the award statement.

Object: the CME project as an Activity
- id: `{platform IRI}/cme/projects/{project number, percent-encoded}`
- definition.type: `https://consortium-cme.example.org/xapi/activity-types/cme-project`
- definition.name: a language map: the registered name under "zh-CN" when it contains Chinese
  characters, "en" otherwise, plus the activity's `name_translations`.

Result
- award: `score.scaled` = score percent / 100, `success` true, `completion` true.
- both verbs, `extensions` under `https://consortium-cme.example.org/xapi/extensions/`:
  `credit-class` ("I" | "II"), `credits` (number, e.g. 0.5), `project-number` (string),
  `activity-level` ("national" | "provincial" | "municipal" | "hospital").

Every statement is validated by this module's strict model (a subset of xAPI 1.0.3 large
enough for what we emit: unknown keys refused, IRIs, language maps, UUID id, timestamp with
a time zone) before it is returned.
"""

import re
import uuid
from collections.abc import Iterable, Iterator
from typing import Annotated, Any, Literal
from urllib.parse import quote

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, StrictBool

from .schema import CreditRecord, LanguageTag

BASE = "https://consortium-cme.example.org/xapi"
EXTENSIONS = f"{BASE}/extensions"
EXT_CREDIT_CLASS = f"{EXTENSIONS}/credit-class"
EXT_CREDITS = f"{EXTENSIONS}/credits"
EXT_PROJECT_NUMBER = f"{EXTENSIONS}/project-number"
EXT_ACTIVITY_LEVEL = f"{EXTENSIONS}/activity-level"
#: Fixed for ever: changing it would change every statement id.
NAMESPACE = uuid.UUID("7c0f1c2e-3c1f-5d0e-9a4b-2f6c1d8e9a10")
EARNED = "http://id.tincanapi.com/verb/earned"
REVOKED = f"{BASE}/verbs/revoked"
ACTIVITY_TYPE = f"{BASE}/activity-types/cme-project"
VERB_DISPLAY = {
    EARNED: {"en-US": "earned", "zh-CN": "获得"},
    REVOKED: {"en-US": "revoked", "zh-CN": "撤销"},
}

_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|\\^`\x00-\x1f\x7f]+$")
_IRL = re.compile(r"^https?://[^\s<>\"{}|\\^`\x00-\x1f\x7f/]+(/[^\s<>\"{}|\\^`\x00-\x1f\x7f]*)?$")
_CJK = re.compile("[\u3400-\u4dbf\u4e00-\u9fff]")


def _iri(value: str) -> str:
    if not _IRI.match(value):
        raise ValueError(f"not an IRI: {value!r}")
    return value


def _irl(value: str) -> str:
    if not _IRL.match(value):
        raise ValueError(f"not an http(s) address: {value!r}")
    return value


IRI = Annotated[str, AfterValidator(_iri)]
IRL = Annotated[str, AfterValidator(_irl)]
NonEmpty = Annotated[str, Field(min_length=1)]
LanguageMap = Annotated[dict[LanguageTag, NonEmpty], Field(min_length=1)]
Extensions = dict[IRI, Any]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Account(_Strict):
    homePage: IRL
    name: NonEmpty


class Agent(_Strict):
    objectType: Literal["Agent"]
    account: Account


class Verb(_Strict):
    id: IRI
    display: LanguageMap


class ActivityDefinition(_Strict):
    name: LanguageMap
    type: IRI
    extensions: Extensions | None = None


class Activity(_Strict):
    objectType: Literal["Activity"]
    id: IRI
    definition: ActivityDefinition


class Score(_Strict):
    scaled: float = Field(ge=-1, le=1)


class Result(_Strict):
    score: Score | None = None
    success: StrictBool | None = None
    completion: StrictBool | None = None
    extensions: Extensions | None = None


class StatementRef(_Strict):
    objectType: Literal["StatementRef"]
    id: uuid.UUID


class Context(_Strict):
    statement: StatementRef | None = None
    extensions: Extensions | None = None


class Statement(_Strict):
    """The subset of an xAPI 1.0.3 statement this module emits, strictly."""

    id: uuid.UUID
    actor: Agent
    verb: Verb
    object: Activity
    result: Result | None = None
    context: Context | None = None
    timestamp: AwareDatetime


def statement_id(
    record: CreditRecord, actor_id: str | None = None, status: str | None = None
) -> str:
    """The deterministic id of the statement of `record` (in `status`, default its own)."""
    actor = actor_id if actor_id is not None else record.learner_id
    key = (
        f"{actor}|{record.project_number}|{record.awarded_at.isoformat()}|{status or record.status}"
    )
    return str(uuid.uuid5(NAMESPACE, key))


def activity_iri(platform_iri: str, project_number: str) -> str:
    return f"{platform_iri.rstrip('/')}/cme/projects/{quote(project_number, safe='-._~')}"


def activity_names(record: CreditRecord) -> dict[str, str]:
    """The project's name as a language map (see the module docstring)."""
    language = "zh-CN" if _CJK.search(record.activity_name) else "en"
    return {**record.activity_name_translations, language: record.activity_name}


def _statement(
    record: CreditRecord, status: str, actor: str, homepage: str, platform_iri: str
) -> dict:
    revoked = status == "revoked"
    verb = REVOKED if revoked else EARNED
    result: dict[str, Any] = {}
    if not revoked:
        result = {
            "score": {"scaled": record.score_percent / 100},
            "success": True,
            "completion": True,
        }
    result["extensions"] = {
        EXT_CREDIT_CLASS: record.credit_class,
        EXT_CREDITS: float(record.credits),
        EXT_PROJECT_NUMBER: record.project_number,
        EXT_ACTIVITY_LEVEL: record.level,
    }
    data: dict[str, Any] = {
        "id": statement_id(record, actor, status),
        "actor": {"objectType": "Agent", "account": {"homePage": homepage, "name": actor}},
        "verb": {"id": verb, "display": dict(VERB_DISPLAY[verb])},
        "object": {
            "objectType": "Activity",
            "id": activity_iri(platform_iri, record.project_number),
            "definition": {"name": activity_names(record), "type": ACTIVITY_TYPE},
        },
        "result": result,
    }
    if revoked:
        assert record.revoked_at is not None
        award_id = statement_id(record, actor, "awarded")
        data["context"] = {"statement": {"objectType": "StatementRef", "id": award_id}}
        data["timestamp"] = record.revoked_at.isoformat()
    else:
        data["timestamp"] = record.awarded_at.isoformat()
    Statement.model_validate(data)
    return data


def statement_for(
    record: CreditRecord,
    *,
    platform_iri: str | None = None,
    homepage: str,
    actor_id: str | None = None,
    platform: str | None = None,
) -> dict:
    """The record, in its current status, as one JSON-ready, validated xAPI statement: the
    award ("earned") or, for a revoked record, the revocation.

    `homepage`: the platform's address, home page of the pseudonymous accounts. `actor_id`:
    the pseudonymous id to send (default `record.learner_id`; the adapter passes the
    platform's anonymous id). `platform` is the former name of `platform_iri`.
    """
    iri = platform_iri or platform
    if not iri:
        raise TypeError("statement_for() needs platform_iri")
    actor = actor_id if actor_id is not None else record.learner_id
    return _statement(record, record.status, actor, homepage, iri)


def statements_for(
    record: CreditRecord, *, platform_iri: str, homepage: str, actor_id: str | None = None
) -> list[dict]:
    """Everything the record says: the award and, when revoked, the revocation after it."""
    actor = actor_id if actor_id is not None else record.learner_id
    statements = [_statement(record, "awarded", actor, homepage, platform_iri)]
    if record.status == "revoked":
        statements.append(_statement(record, "revoked", actor, homepage, platform_iri))
    return statements


def iter_statements(
    records: Iterable[CreditRecord], *, platform_iri: str, homepage: str
) -> Iterator[dict]:
    """Every record's statements (`statements_for`), in the order given, one at a time."""
    for record in records:
        yield from statements_for(record, platform_iri=platform_iri, homepage=homepage)
