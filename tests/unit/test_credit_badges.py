"""The Open Badges 3.0 credential of an award: pseudonymous, in the learner's language."""

from credit_export import open_badge
from tests.unit.test_credit_rules import activity, records

ZH = {
    "provincial": "省级",
    "{level} CME project {project_number}, Class {credit_class}, organised by {organiser}.": (
        "{level}继续医学教育项目 {project_number}，{credit_class} 类学分，主办：{organiser}。"
    ),
}


def badge(**options) -> dict:
    (record,) = records(1)
    return open_badge(
        record,
        activity(),
        issuer_name="CME office",
        issuer_url="https://lms.example.org",
        **options,
    )


def test_the_learner_is_named_by_the_pseudonymous_id_given_never_the_user_id():
    credential = badge(subject_id="anon-7f3a")
    (identity,) = credential["credentialSubject"]["identifier"]
    assert identity["identityHash"] == "anon-7f3a" and identity["identityType"] == "systemId"
    assert "learner-0" not in str(credential["credentialSubject"])


def test_the_credential_id_is_stable_and_cannot_be_worked_back_to_the_user_id():
    import uuid

    from credit_export.badges import BADGE_NAMESPACE

    credential = badge(subject_id="anon-7f3a")
    assert badge(subject_id="anon-7f3a")["id"] == credential["id"]  # the same award, the same id
    assert badge(subject_id="anon-9c41")["id"] != credential["id"]
    (record,) = records(1)
    # What someone holding the file could try: the user id with the project and award time.
    guess = f"{record.learner_id}|{record.project_number}|{credential['validFrom']}"
    assert credential["id"] != f"urn:uuid:{uuid.uuid5(BADGE_NAMESPACE, guess)}"


def test_the_name_description_and_criteria_follow_the_language_asked():
    english = badge()["credentialSubject"]["achievement"]
    assert english["description"].startswith("Provincial CME project 2026-05-01-003, Class I")
    assert "inLanguage" not in english

    chinese = badge(language="zh-CN", gettext=lambda text: ZH.get(text, text))
    achievement = chinese["credentialSubject"]["achievement"]
    assert chinese["name"] == achievement["name"] == "高血压社区管理与分级转诊"
    assert achievement["description"].startswith("省级继续医学教育项目 2026-05-01-003")
    assert achievement["inLanguage"] == "zh-CN"
    # "zh" alone finds the zh-CN name; a language without a name keeps the registered one.
    assert badge(language="zh")["name"] == "高血压社区管理与分级转诊"
    assert (
        badge(language="fr")["name"] == "Community management of hypertension and graded referral"
    )
