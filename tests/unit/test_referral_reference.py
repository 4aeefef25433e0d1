"""The closed vocabularies an author writes codes from are documented as the code has them, and
"nebuliser" is a capability an institution can list."""

from typing import get_args

import pytest
from pydantic import ValidationError

from referral_tracking import load_demo_consortium
from referral_tracking.reference import (
    DISPOSITION_MEANINGS,
    PRIORITY_MEANINGS,
    TIER_MEANINGS,
    VISIT_CHOICE_MEANINGS,
    vocabulary_reference,
    with_reference,
)
from referral_tracking.schema import Consortium, Disposition, Priority, Tier, VisitChoice
from tests.conftest import REPO_ROOT

DOC = REPO_ROOT / "docs" / "olx-cme-referral.md"


def test_the_documented_vocabularies_are_the_codes_as_they_are():
    text = DOC.read_text(encoding="utf-8")
    assert vocabulary_reference() in text, "run: python tools/referral_vocabularies.py"
    assert with_reference(text) == text


@pytest.mark.parametrize(
    "meanings, literal",
    [
        (TIER_MEANINGS, Tier),
        (PRIORITY_MEANINGS, Priority),
        (DISPOSITION_MEANINGS, Disposition),
        (VISIT_CHOICE_MEANINGS, VisitChoice),
    ],
)
def test_every_code_of_a_closed_choice_has_its_meaning_documented(meanings, literal):
    assert list(meanings) == list(get_args(literal))


def test_the_reference_lists_the_codes_of_every_shipped_rule_set_and_the_village_clinic():
    text = vocabulary_reference()
    for code in ("severe_headache", "sbp_mmhg", "hypoxaemia", "age_months", "hba1c_percent"):
        assert f"`{code}`" in text
    assert "village clinic (村卫生室)" in text


def township_with(capability: str) -> dict:
    data = load_demo_consortium().model_dump(mode="json")
    township = next(i for i in data["institutions"] if i["id"] == "qingshui-township")
    township["capabilities"].append(capability)
    return data


def test_a_township_centre_with_a_nebuliser_is_accepted():
    consortium = Consortium.model_validate(township_with("nebuliser"))
    assert "nebuliser" in consortium.institution("qingshui-township").capabilities


def test_the_american_spelling_is_refused_suggesting_the_capability_code_first():
    with pytest.raises(ValidationError) as refused:
        Consortium.model_validate(township_with("nebulizer"))
    assert 'Known ones, nearest first: "nebuliser"' in str(refused.value)


def test_a_consortium_id_in_capitals_is_refused_saying_how_to_write_one():
    data = load_demo_consortium().model_dump(mode="json")
    data["id"] = "Demo-Consortium"
    with pytest.raises(ValidationError) as refused:
        Consortium.model_validate(data)
    assert '"Demo-Consortium" cannot be an id: write lower-case letters a-z' in str(refused.value)


def test_a_code_with_a_space_is_refused_saying_how_to_write_one():
    data = township_with("pulse oximetry")
    with pytest.raises(ValidationError, match="lower-case letters a-z, digits or _"):
        Consortium.model_validate(data)
