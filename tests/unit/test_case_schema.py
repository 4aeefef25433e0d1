"""The case model refuses what an author must fix, naming the stage, question or option."""

import copy

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from case_teaching import (
    DEFAULT_STAGE_TITLES,
    MESSAGES,
    Case,
    MediaItem,
    Stage,
    default_stages,
    sanitize_html,
)
from tests.unit.test_case_strategies import case_dict, single_choice


def refusal(data: dict, model=Case) -> tuple[str, str]:
    """(error code, English message) of the first problem pydantic reports."""
    with pytest.raises(ValidationError) as caught:
        model.model_validate(data)
    error = caught.value.errors()[0]
    return error["type"], error["msg"]


def chain(*stage_ids: str, **extra) -> list[dict]:
    """Stages in order, each leading to the next, the last an ending."""
    stages = []
    for index, sid in enumerate(stage_ids):
        stage = {"id": sid, "title": sid.title()}
        if index + 1 < len(stage_ids):
            stage["next_stage"] = stage_ids[index + 1]
        else:
            stage["ending"] = True
        stage |= extra.get(sid, {})
        stages.append(stage)
    return stages


# ---- author HTML ----------------------------------------------------------------------------


def test_author_script_never_reaches_a_learner():
    html = (
        '<p onclick="steal()">Fever <script>fetch("/x")</script>for 3 days</p>'
        '<a href="javascript:alert(1)">guideline</a><p style="color:red">BP</p>'
    )
    clean = sanitize_html(html)
    assert "script" not in clean and "fetch" not in clean and "onclick" not in clean
    assert "javascript" not in clean and "style" not in clean
    assert "<p>Fever for 3 days</p>" in clean


def test_links_get_noopener_and_only_safe_addresses():
    assert sanitize_html('<a href="https://www.who.int">WHO</a>') == (
        '<a href="https://www.who.int" rel="noopener">WHO</a>'
    )
    assert "href" in sanitize_html('<a href="mailto:teach@example.org">mail</a>')
    assert "href" not in sanitize_html('<a href="/courses/x">relative</a>')


def test_images_keep_src_and_alt_only_from_safe_sources():
    kept = sanitize_html('<img src="/static/ecg.png" alt="ECG" width="9" onerror="x()">')
    assert kept == '<img src="/static/ecg.png" alt="ECG">'
    assert "src" in sanitize_html('<img src="data:image/png;base64,iVBO" alt="x">')
    assert "src" not in sanitize_html('<img src="data:image/svg+xml;base64,PHN2" alt="x">')
    assert "src" not in sanitize_html('<img src="javascript:x()" alt="x">')


def test_allowed_structure_survives_and_other_tags_are_reduced_to_text():
    html = "<h3>Plan</h3><table><tr><td>Amoxicillin</td></tr></table><h1>Big</h1><iframe>x</iframe>"
    clean = sanitize_html(html)
    assert "<h3>Plan</h3>" in clean and "<td>Amoxicillin</td>" in clean
    assert "<h1>" not in clean and "<iframe>" not in clean and "Big" in clean


HTML_PIECES = [*"ab <>/&\"'=p", "<p>", "</p>", "<em>", "<a href=", "<script>", "<img src="]


@given(st.lists(st.sampled_from(HTML_PIECES)).map("".join))
def test_sanitizing_twice_changes_nothing(html):
    once = sanitize_html(html)
    assert sanitize_html(once) == once


def test_author_html_is_sanitized_when_a_case_is_validated():
    stage = Stage.model_validate(
        {"id": "s", "title": "S", "ending": True, "content": "<p>Hi<script>x()</script></p>"}
    )
    assert stage.content == "<p>Hi</p>"


# ---- media ----------------------------------------------------------------------------------


def test_an_image_without_alt_text_is_refused():
    code, message = refusal({"kind": "image", "src": "/static/rash.jpg"}, MediaItem)
    assert code == "media_needs_alt" and "/static/rash.jpg" in message


def test_audio_and_video_need_a_transcript():
    code, message = refusal({"kind": "audio", "src": "https://x.org/cough.mp3"}, MediaItem)
    assert code == "media_needs_transcript" and "audio" in message


def test_media_from_a_script_address_is_refused():
    code, _ = refusal({"kind": "image", "src": "javascript:x()", "alt": "x"}, MediaItem)
    assert code == "media_bad_src"


# ---- findings and questions -----------------------------------------------------------------


def finding(**fields) -> dict:
    return {
        "id": "cxr",
        "kind": "investigation",
        "label": "Chest X-ray",
        "relevance": "useful",
        "result": "<p>Clear</p>",
    } | fields


def one_stage(**stage_fields) -> dict:
    return case_dict([{"id": "only", "title": "Only", "ending": True, **stage_fields}])


def test_a_harmful_finding_cannot_earn_points():
    code, message = refusal(one_stage(findings=[finding(relevance="harmful", points=1)]))
    assert code == "finding_points_not_relevant" and '"cxr"' in message


def test_a_finding_result_that_sanitizes_to_nothing_is_refused():
    code, _ = refusal(one_stage(findings=[finding(result="<script>x()</script>")]))
    assert code == "blank_text"


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (lambda q: q["options"][1].update(correct=True), "single_choice_needs_one_correct"),
        (lambda q: q["options"][0].update(credit=0.5), "credit_on_correct_option"),
        (lambda q: q["options"][1].update(votes=3), "option_field_not_used"),
        (lambda q: q["options"].append(dict(q["options"][0])), "duplicate_option"),
        (lambda q: q.update(options=q["options"][:1]), "question_too_few_options"),
    ],
)
def test_single_choice_answer_keys_must_be_consistent(change, code):
    question = single_choice("q")
    change(question)
    found, message = refusal(one_stage(questions=[question]))
    assert found == code and '"q"' in message


def test_multiple_choice_keys_and_selection_limits_must_allow_full_credit():
    question = single_choice("q") | {"kind": "multiple_choice"}
    for option in question["options"]:
        option["correct"] = True
    assert refusal(one_stage(questions=[question]))[0] == "choice_all_correct"
    question["options"][2]["correct"] = False
    question["max_selections"] = 1
    code, message = refusal(one_stage(questions=[question]))
    assert code == "max_selections_too_small" and "2 correct" in message


def test_a_key_feature_option_cannot_be_both_critical_and_harmful():
    question = single_choice("kf") | {"kind": "key_feature", "max_selections": 1}
    question["options"][0]["harmful"] = True
    assert refusal(one_stage(questions=[question]))[0] == "harmful_and_correct"


def test_ranking_options_listed_in_the_key_order_would_give_the_answer_away():
    question = single_choice("rank") | {"kind": "ranking", "correct_order": ["a", "b", "c"]}
    for option in question["options"]:
        option.pop("correct", None)
    assert refusal(one_stage(questions=[question]))[0] == "ranking_shown_in_key_order"
    question["correct_order"] = ["c", "b"]
    assert refusal(one_stage(questions=[question]))[0] == "ranking_order_mismatch"


def test_a_script_concordance_question_needs_at_least_one_panel_vote():
    question = single_choice("sct") | {
        "kind": "script_concordance",
        "hypothesis": "Asthma",
        "new_information": "<p>No wheeze</p>",
    }
    for option in question["options"]:
        option.pop("correct", None)
        option["votes"] = 0
    code, message = refusal(one_stage(questions=[question]))
    assert code == "panel_without_votes" and '"sct"' in message


def test_unknown_fields_are_refused_rather_than_ignored():
    assert refusal(one_stage(notes="x"))[0] == "extra_forbidden"


# ---- stages and branching -------------------------------------------------------------------


def test_a_dead_end_is_named():
    stages = chain("history", "examination")
    del stages[1]["ending"]
    code, message = refusal(case_dict(stages))
    assert code == "stage_dead_end" and '"examination"' in message


def test_a_loop_is_named_with_the_stages_it_runs_through():
    stages = chain("history", "examination", "plan")
    stages[2] = {"id": "plan", "title": "Plan", "next_stage": "history"}
    code, message = refusal(case_dict(stages))
    assert code == "stage_cycle"
    assert message.startswith('Stage "history" leads back to itself through "examination"')
    assert '"plan"' in message


def test_a_stage_no_path_reaches_is_named():
    stages = [*chain("history", "outcome"), {"id": "orphan", "title": "Orphan", "ending": True}]
    code, message = refusal(case_dict(stages))
    assert code == "stage_unreachable" and '"orphan"' in message


def test_a_link_to_a_missing_stage_is_named():
    stages = chain("history", "outcome")
    stages[0]["next_stage"] = "outcom"
    code, message = refusal(case_dict(stages))
    assert code == "unknown_stage" and '"outcom"' in message and '"history"' in message


def test_an_ending_cannot_lead_on():
    stages = chain("history", "outcome")
    stages[1]["next_stage"] = "history"
    assert refusal(case_dict(stages))[0] == "ending_with_next"


@pytest.mark.parametrize(
    ("branch", "code"),
    [
        ({"id": "b", "to": "outcome"}, "branch_without_condition"),
        ({"id": "b", "to": "outcome", "options": ["a"]}, "branch_options_without_question"),
        ({"id": "b", "to": "outcome", "question": "q"}, "branch_question_without_options"),
        (
            {"id": "b", "to": "outcome", "question": "zz", "options": ["a"]},
            "branch_unknown_question",
        ),
        ({"id": "b", "to": "outcome", "question": "q", "options": ["z"]}, "branch_unknown_option"),
        (
            {"id": "b", "to": "outcome", "score_at_least": 5, "score_below": 3},
            "branch_empty_score_range",
        ),
    ],
)
def test_branch_conditions_must_make_sense(branch, code):
    stages = chain("decide", "middle", "outcome")
    stages[0]["questions"] = [single_choice("q")]
    stages[0]["branches"] = [branch]
    found, message = refusal(case_dict(stages))
    assert found == code and '"decide"' in message and '"b"' in message


def test_only_choice_questions_can_route():
    stages = chain("decide", "outcome")
    stages[0]["questions"] = [{"kind": "reflection", "id": "r", "prompt": "Why?"}]
    stages[0]["branches"] = [{"id": "b", "to": "outcome", "question": "r", "options": ["a"]}]
    assert refusal(case_dict(stages))[0] == "branch_question_kind"


def test_a_detour_may_not_pay_better_than_the_right_decision():
    stages = [
        *chain("decide", "outcome"),
        {
            "id": "deterioration",
            "title": "Deterioration",
            "ending": True,
            "questions": [single_choice("rescue", points=5)],
        },
    ]
    stages[0]["questions"] = [single_choice("q", points=2)]
    stages[0]["branches"] = [
        {"id": "harm", "to": "deterioration", "question": "q", "options": ["b"]}
    ]
    code, message = refusal(case_dict(stages))
    assert code == "detour_outscores_expert_path" and '"deterioration"' in message
    stages[2]["questions"][0]["points"] = 1  # the detour now earns 1 < 2
    assert Case.model_validate(case_dict(stages)).stage("deterioration")


def test_ids_are_unique_across_the_case():
    stages = chain("history", "outcome")
    stages[0]["findings"] = [finding()]
    stages[1]["findings"] = [finding()]
    code, message = refusal(case_dict(stages))
    assert code == "duplicate_id" and '"cxr"' in message and "findings" in message


def test_ids_must_be_safe_slugs():
    assert refusal(case_dict(chain("History 1", "outcome")))[0] == "bad_identifier"


def test_a_new_case_starts_with_the_classic_stages_in_order():
    stages = default_stages()
    assert [s.title for s in stages] == list(DEFAULT_STAGE_TITLES.values())
    assert [s.id for s in stages][:3] == ["presentation", "history", "examination"]
    case = Case.model_validate(case_dict([s.model_dump() for s in stages]))
    assert case.stages[-1].ending and case.start_stage.id == "presentation"


def test_every_message_code_raised_by_the_model_has_an_english_template():
    assert all(isinstance(text, str) and text for text in MESSAGES.values())
    broken = copy.deepcopy(chain("history", "outcome"))
    broken[0]["next_stage"] = "nowhere"
    code, _ = refusal(case_dict(broken))
    assert code in MESSAGES


def key_feature_view(critical: list[str], **fields) -> dict:
    """What a learner's page receives of a four-option key-feature question."""
    from case_teaching import learner_view, new_progress

    question = single_choice("kf") | {"kind": "key_feature", **fields}
    question["options"].append({"id": "d", "text": "Option D"})
    for option in question["options"]:
        option["correct"] = option["id"] in critical
    case = Case.model_validate(one_stage(questions=[question]))
    return learner_view(case, new_progress(case))["stage"]["questions"][0]


def test_what_a_learner_is_told_of_a_key_feature_limit_is_the_authors_n_not_the_key():
    one_key = key_feature_view(["a"], max_selections=2)
    assert one_key == key_feature_view(["a", "b"], max_selections=2)
    assert key_feature_view(["a", "b"], max_selections=3)["max_selections"] == 3


def test_no_demo_key_feature_question_lets_a_learner_tick_every_safe_option_for_full_marks():
    from case_teaching import demo_case_names, load_demo_case

    for name in demo_case_names():
        for stage in load_demo_case(name).stages:
            for question in stage.questions:
                if question.kind == "key_feature":
                    keys = sum(o.correct for o in question.options)
                    safe = sum(not o.harmful for o in question.options)
                    assert keys <= question.max_selections < safe, (name, question.id)
                    assert question.max_selections <= 2 * keys, (name, question.id)


@pytest.mark.parametrize("where", ["version", "title", "objective"])
def test_a_control_character_that_no_course_export_could_hold_is_refused_by_name(where):
    data = one_stage()
    if where == "objective":
        data["learning_objectives"] = ["Recognise\x0bsepsis"]
    else:
        data[where] = "1\x1f" if where == "version" else "Chest\x00pain"
    code, message = refusal(data)
    assert code == "text_control_character"
    assert message.startswith("learning_objectives" if where == "objective" else where)
    assert "U+00" in message
    data = one_stage(content="<p>Line one\nline two\ttabbed</p>")  # ordinary white space is fine
    Case.model_validate(data)


@pytest.mark.parametrize(("given", "kept"), [(75, 0.75), ("75", 0.75), (0.75, 0.75), (1, 1.0)])
def test_a_pass_mark_given_as_a_percentage_is_taken_as_its_share(given, kept):
    from case_teaching.schema import ScoringPolicy

    assert ScoringPolicy(pass_threshold=given).pass_threshold == kept


def test_a_pass_mark_above_a_hundred_is_refused():
    from case_teaching.schema import ScoringPolicy

    with pytest.raises(ValidationError):
        ScoringPolicy(pass_threshold=120)
