"""A learner's CME award as an Open Badges 3.0 credential (JSON-LD).

Unsigned: a verifiable proof needs the platform's signing key, which the LMS holds; the
credential is complete otherwise (`creditsEarned`, `licenseNumber`, activity dates), so a
wallet or a CME office can read it and a signing service can add the proof.
"""

from .schema import CreditActivity, CreditRecord

CONTEXTS = [
    "https://www.w3.org/ns/credentials/v2",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
]


def open_badge(
    record: CreditRecord, activity: CreditActivity, *, issuer_name: str, issuer_url: str
) -> dict:
    base = issuer_url.rstrip("/")
    return {
        "@context": CONTEXTS,
        "id": f"{base}/cme/credentials/{record.project_number}/{record.learner_id}",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": base, "type": ["Profile"], "name": issuer_name},
        "validFrom": record.awarded_at.isoformat(),
        "name": record.activity_name,
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "creditsEarned": float(record.credits),
            "licenseNumber": record.profile.licence_number,
            "activityStartDate": activity.start_date.isoformat(),
            "activityEndDate": activity.end_date.isoformat(),
            "achievement": {
                "id": f"{base}/cme/projects/{record.project_number}",
                "type": ["Achievement"],
                "achievementType": "Course",
                "name": record.activity_name,
                "description": (
                    f"{activity.level.capitalize()} CME project {activity.project_number}, "
                    f"Class {activity.credit_class}, organised by {activity.organiser}."
                ),
                "creditsAvailable": float(activity.awarded_credits),
                "criteria": {
                    "narrative": "Completed the activity's assessed components at the required "
                    "score and its evaluation."
                },
                "fieldOfStudy": activity.discipline,
            },
        },
    }
