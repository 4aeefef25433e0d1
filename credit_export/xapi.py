"""CME credit awards as xAPI 1.0.3 statements.

- Statement id: uuid5 of (learner, project number, award time, status) in our namespace, so a
  re-run produces the same statements and an LRS stores each once.
- Actor: a pseudonymous account (the platform's anonymous id on our home page); never a name
  or a licence number (PIPL: those go only to the regulator's file).
- Verb: `http://id.tincanapi.com/verb/earned` for an award (as Open edX does for grades);
  `https://consortium-cme.example.org/xapi/verbs/revoked` for a revocation, a separate
  statement with its own id.
- `timestamp` is the award time: an LRS judges an identical resend by content, timestamp
  included, so a resend must carry the same one.
- Extensions (result): `.../extensions/credit-class` ("I"/"II"), `.../credits` (number),
  `.../project-number`, `.../activity-level`, under
  `https://consortium-cme.example.org/xapi/extensions/`.
Every statement is validated by our own strict model before it is returned.
"""

import uuid
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Literal

from pydantic import AnyUrl, BaseModel, ConfigDict, Field

from .schema import CreditRecord

BASE = "https://consortium-cme.example.org/xapi"
EXTENSIONS = f"{BASE}/extensions"
NAMESPACE = uuid.UUID("7c0f1c2e-3c1f-5d0e-9a4b-2f6c1d8e9a10")
EARNED = "http://id.tincanapi.com/verb/earned"
REVOKED = f"{BASE}/verbs/revoked"
ACTIVITY_TYPE = f"{BASE}/activity-types/cme-project"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Account(_Strict):
    homePage: AnyUrl
    name: str = Field(min_length=1)


class Agent(_Strict):
    objectType: Literal["Agent"] = "Agent"
    account: Account


class Verb(_Strict):
    id: AnyUrl
    display: dict[str, str]


class ActivityDefinition(_Strict):
    name: dict[str, str]
    type: AnyUrl


class Activity(_Strict):
    objectType: Literal["Activity"] = "Activity"
    id: AnyUrl
    definition: ActivityDefinition


class Score(_Strict):
    scaled: float = Field(ge=-1, le=1)


class Result(_Strict):
    score: Score | None = None
    success: bool | None = None
    completion: bool | None = None
    extensions: dict[AnyUrl, object]


class Statement(_Strict):
    id: uuid.UUID
    actor: Agent
    verb: Verb
    object: Activity
    result: Result
    timestamp: datetime


def statement_id(learner: str, record: CreditRecord) -> str:
    key = f"{learner}|{record.project_number}|{record.awarded_at.isoformat()}|{record.status}"
    return str(uuid.uuid5(NAMESPACE, key))


def statement_for(record: CreditRecord, *, actor_id: str, homepage: str, platform: str) -> dict:
    """One award (or its revocation) as a JSON-ready, validated xAPI statement."""
    revoked = record.status == "revoked"
    extensions: dict = {
        f"{EXTENSIONS}/credit-class": record.credit_class,
        f"{EXTENSIONS}/credits": float(record.credits),
        f"{EXTENSIONS}/project-number": record.project_number,
        f"{EXTENSIONS}/activity-level": record.level,
    }
    result: dict = {"extensions": extensions}
    if not revoked:
        result |= {
            "score": {"scaled": record.score_percent / 100},
            "success": True,
            "completion": True,
        }
    data = {
        "id": statement_id(actor_id, record),
        "actor": {"objectType": "Agent", "account": {"homePage": homepage, "name": actor_id}},
        "verb": {
            "id": REVOKED if revoked else EARNED,
            "display": {"en-US": "revoked" if revoked else "earned"},
        },
        "object": {
            "objectType": "Activity",
            "id": f"{platform.rstrip('/')}/cme/projects/{record.project_number}",
            "definition": {"name": {"en-US": record.activity_name}, "type": ACTIVITY_TYPE},
        },
        "result": result,
        "timestamp": (
            record.revoked_at if revoked and record.revoked_at else record.awarded_at
        ).isoformat(),
    }
    Statement.model_validate(data)
    return data


def iter_statements(
    awards: Iterable[tuple[str, CreditRecord]], *, homepage: str, platform: str
) -> Iterator[dict]:
    """(pseudonymous id, record) pairs -> statements, in the order given."""
    for actor_id, record in awards:
        yield statement_for(record, actor_id=actor_id, homepage=homepage, platform=platform)
