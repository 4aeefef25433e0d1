"""A learner's CME award as an Open Badges 3.0 credential (`OpenBadgeCredential`, JSON-LD).

Unsigned: a verifiable credential needs a proof made with the issuer's key, which the platform
holds, not this package. Everything else is there (`creditsEarned`, `licenseNumber`, the
activity's dates, the achievement with `creditsAvailable` and its criteria), so a wallet or a
CME office can read it and a signing service can add the `proof` without changing a field.

- `id`: `urn:uuid:` + uuid5 of the award (learner, project, award time): the same award always
  gives the same credential id.
- The learner is identified by the licence number (`licenseNumber`, as on the certificate) and
  by the platform's pseudonymous id (`identifier`, identityType "systemId", not hashed).
- `activityStartDate` / `activityEndDate` are date-times (OB 3.0 types them so): the first
  and last day of the activity, from 00:00:00 to 23:59:59 in `zone` (UTC unless given).
"""

import uuid
from datetime import UTC, datetime, time, tzinfo
from typing import Annotated
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, Field

from .messages import CreditError
from .schema import CreditActivity, CreditRecord, PlainText

CONTEXTS = [
    "https://www.w3.org/ns/credentials/v2",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
]
#: Fixed for ever: changing it would change every credential id.
BADGE_NAMESPACE = uuid.UUID("0d3b8f4e-6a52-5c1e-8d7a-4b9e2f61c0a7")
CRITERIA = (
    "Completed the activity's assessed components at the score its credit rule requires, "
    "and the activity evaluation and study time where the rule asks for them."
)


class IssuerProfile(BaseModel):
    """Who issues the credential: the platform's or the CME office's address and name."""

    model_config = ConfigDict(extra="forbid")

    #: An http(s) address or a DID.
    id: Annotated[str, Field(pattern=r"^(https?://[^\s/]+\S*|did:[a-z0-9]+:\S+)$")]
    name: PlainText


def open_badge(
    record: CreditRecord,
    activity: CreditActivity,
    issuer: IssuerProfile | None = None,
    *,
    issuer_name: str | None = None,
    issuer_url: str | None = None,
    zone: tzinfo = UTC,
) -> dict:
    """The award as an unsigned OpenBadgeCredential (a JSON-ready dict).

    `issuer`: an IssuerProfile, or `issuer_name` and `issuer_url` (the adapter's form).
    Refuses a revoked credit (CreditError "already_revoked") and an activity that is not the
    record's (ValueError).
    """
    if record.status == "revoked":
        assert record.revoked_at is not None
        raise CreditError("already_revoked", when=record.revoked_at.isoformat())
    if activity.project_number != record.project_number:
        raise ValueError(
            f"the record is for {record.project_number}, the activity {activity.project_number}"
        )
    if issuer is None:
        issuer = IssuerProfile(id=issuer_url or "", name=issuer_name or activity.organiser)
    base = issuer.id.rstrip("/")
    key = f"{record.learner_id}|{record.project_number}|{record.awarded_at.isoformat()}"
    start = datetime.combine(activity.start_date, time(0, 0, 0), zone)
    end = datetime.combine(activity.end_date, time(23, 59, 59), zone)
    return {
        "@context": list(CONTEXTS),
        "id": f"urn:uuid:{uuid.uuid5(BADGE_NAMESPACE, key)}",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": base, "type": ["Profile"], "name": issuer.name},
        "validFrom": record.awarded_at.isoformat(),
        "awardedDate": record.awarded_at.isoformat(),
        "name": record.activity_name,
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [
                {
                    "type": "IdentityObject",
                    "identityHash": record.learner_id,
                    "identityType": "systemId",
                    "hashed": False,
                }
            ],
            "creditsEarned": float(record.credits),
            "licenseNumber": record.profile.licence_number,
            "activityStartDate": start.isoformat(),
            "activityEndDate": end.isoformat(),
            "achievement": {
                "id": f"{base}/cme/projects/{quote(record.project_number, safe='-._~')}",
                "type": ["Achievement"],
                "achievementType": "Course",
                "name": record.activity_name,
                "description": (
                    f"{activity.level.capitalize()} CME project {activity.project_number}, "
                    f"Class {activity.credit_class}, organised by {activity.organiser}."
                ),
                "criteria": {"narrative": CRITERIA},
                "creditsAvailable": float(activity.awarded_credits),
                "fieldOfStudy": activity.discipline,
            },
        },
    }
