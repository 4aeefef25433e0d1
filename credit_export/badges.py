"""A learner's CME award as an Open Badges 3.0 credential (`OpenBadgeCredential`, JSON-LD).

Unsigned: a verifiable credential needs a proof made with the issuer's key, which the platform
holds, not this package. Everything else is there (`creditsEarned`, `licenseNumber`, the
activity's dates, the achievement with `creditsAvailable` and its criteria), so a wallet or a
CME office can read it and a signing service can add the `proof` without changing a field.

- `id`: `urn:uuid:` + uuid5 of the award (the learner's pseudonymous id, project, award time):
  the same award always gives the same credential id, and the id cannot be worked back to an
  account number (the name-based uuid of a small LMS user id, a public project number and the
  award time on the credential could be found by trying user ids one by one).
- The learner is identified by the licence number (`licenseNumber`, as on the certificate) and
  by `subject_id` (`identifier`, identityType "systemId", not hashed): the adapter passes the
  platform's pseudonymous id (Open edX's anonymous user id), never the LMS user id, so a
  wallet or verifier that receives the file learns no account number (PIPL: the licence
  number is there because the certificate carries it; nothing else identifies the person).
- Language: `language` (an RFC 5646 tag such as "zh-CN") picks the activity's name in that
  language when it has one (`name_translations`; else the name as registered) and is stated
  as the achievement's `inLanguage`; `gettext` translates the description and criteria
  (English templates marked N_, so the adapter's catalog has them).
- `activityStartDate` / `activityEndDate` are date-times (OB 3.0 types them so): the first
  and last day of the activity, from 00:00:00 to 23:59:59 in `zone` (UTC unless given).
"""

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, time, tzinfo
from typing import Annotated
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, Field

from .csv_export import VALUE_NAMES
from .messages import N_, CreditError
from .schema import CreditActivity, CreditRecord, PlainText, name_in

CONTEXTS = [
    "https://www.w3.org/ns/credentials/v2",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
]
#: Fixed for ever: changing it would change every credential id.
BADGE_NAMESPACE = uuid.UUID("0d3b8f4e-6a52-5c1e-8d7a-4b9e2f61c0a7")
CRITERIA = N_(
    "Completed the activity's assessed components at the score its credit rule requires, "
    "and the activity evaluation and study time where the rule asks for them."
)
DESCRIPTION = N_(
    "{level} CME project {project_number}, Class {credit_class}, organised by {organiser}."
)


def credential_uuid(subject: str, record: CreditRecord) -> uuid.UUID:
    """The award's credential id (see the module), also the certificate's verification code."""
    key = f"{subject}|{record.project_number}|{record.awarded_at.isoformat()}"
    return uuid.uuid5(BADGE_NAMESPACE, key)


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
    subject_id: str | None = None,
    language: str | None = None,
    gettext: Callable[[str], str] | None = None,
) -> dict:
    """The award as an unsigned OpenBadgeCredential (a JSON-ready dict).

    `issuer`: an IssuerProfile, or `issuer_name` and `issuer_url` (the adapter's form).
    `subject_id`: the learner's pseudonymous id (default: the record's learner id, for
    callers outside the platform that have nothing else). `language`, `gettext`: see the
    module.
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
    subject = subject_id or record.learner_id
    start = datetime.combine(activity.start_date, time(0, 0, 0), zone)
    end = datetime.combine(activity.end_date, time(23, 59, 59), zone)
    translate = gettext or (lambda text: text)
    name = (
        name_in(record.activity_name_translations, language)
        or name_in(activity.name_translations, language)
        or record.activity_name
    )
    description = translate(DESCRIPTION).format(
        level=translate(VALUE_NAMES.get(activity.level, activity.level)),
        project_number=activity.project_number,
        credit_class=activity.credit_class,
        organiser=activity.organiser,
    )
    achievement = {
        "id": f"{base}/cme/projects/{quote(record.project_number, safe='-._~')}",
        "type": ["Achievement"],
        "achievementType": "Course",
        "name": name,
        "description": description[:1].upper() + description[1:],
        "criteria": {"narrative": translate(CRITERIA)},
        "creditsAvailable": float(activity.awarded_credits),
        "fieldOfStudy": activity.discipline,
    }
    if language:
        achievement["inLanguage"] = language
    return {
        "@context": list(CONTEXTS),
        "id": f"urn:uuid:{credential_uuid(subject, record)}",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": base, "type": ["Profile"], "name": issuer.name},
        "validFrom": record.awarded_at.isoformat(),
        "awardedDate": record.awarded_at.isoformat(),
        "name": name,
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [
                {
                    "type": "IdentityObject",
                    "identityHash": subject,
                    "identityType": "systemId",
                    "hashed": False,
                }
            ],
            "creditsEarned": float(record.credits),
            "licenseNumber": record.profile.licence_number,
            "activityStartDate": start.isoformat(),
            "activityEndDate": end.isoformat(),
            "achievement": achievement,
        },
    }
