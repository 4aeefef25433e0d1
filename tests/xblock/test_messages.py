"""Validation problems in words the author or learner saw on the form, not code paths."""

import json

import pytest
from pydantic import ValidationError

from case_teaching import Case, load_demo_case
from credit_export import LearnerProfile
from xblocks.i18n import catalog
from xblocks.messages import translate_validation_error


def problems_of(model, data, package, gettext=lambda s: s):
    with pytest.raises(ValidationError) as caught:
        if isinstance(data, str):
            model.model_validate_json(data)
        else:
            model.model_validate(data)
    return translate_validation_error(gettext, caught.value, package=package)


def demo_case_data() -> dict:
    return json.loads(load_demo_case("hypertensive_emergency").model_dump_json())


def test_an_author_who_blanks_a_finding_is_told_which_stage_and_finding_counted_from_one():
    data = demo_case_data()
    data["stages"][1]["findings"][0]["label"] = ""
    (problem,) = problems_of(Case, data, "case_teaching")
    # The path stays for the editor to mark the input; the sentence uses the form's labels.
    assert problem["field"] == "stages[1].findings[0].label"
    assert problem["label"] == (
        "Stages no. 2 › Findings on request no. 1 › What the learner asks for"
    )
    assert problem["message"].startswith(problem["label"])
    assert "[1]" not in problem["message"] and "findings" not in problem["message"]


def test_a_question_kind_in_the_path_is_not_shown_as_a_level_of_the_form():
    data = demo_case_data()
    stage = next(i for i, s in enumerate(data["stages"]) if s["questions"])
    data["stages"][stage]["questions"][0]["points"] = -3
    problems = problems_of(Case, data, "case_teaching")
    labels = [p["label"] for p in problems]
    kind = data["stages"][stage]["questions"][0]["kind"]
    assert any(label.endswith("Questions no. 1 › Points") for label in labels), labels
    assert all(kind not in label for label in labels), labels


def test_pasted_json_that_does_not_parse_is_told_by_line_and_column():
    (problem,) = problems_of(Case, '{"title": "Chest pain",\n "stages": [1,', "case_teaching")
    assert problem["message"] == (
        "The JSON is not valid at line 2, column 14: check the commas, quotes and brackets there."
    )


def test_a_learner_profile_problem_names_the_field_as_the_profile_form_labels_it():
    problems = problems_of(
        LearnerProfile,
        {
            "name": "",
            "licence_number": "110101198001",
            "title": "intermediate",
            "institution": "Dongxian County Hospital",
            "tier": "secondary",
            "department": "Cardiology",
            "discipline": "Internal medicine",
        },
        "credit_export",
    )
    # "Name", the learner's own name, not the activity's "Name as registered" of the editor.
    assert [p["message"] for p in problems] == ["Name is empty; write something here."]


def test_in_chinese_the_field_words_and_the_sentence_are_chinese():
    gettext = catalog("zh_CN").gettext
    data = demo_case_data()
    data["stages"][1]["findings"][0]["label"] = ""
    (problem,) = problems_of(Case, data, "case_teaching", gettext)
    assert "Stages" not in problem["message"] and "is empty" not in problem["message"]
    assert " no. " not in problem["label"]
    assert "2" in problem["label"] and "1" in problem["label"]
