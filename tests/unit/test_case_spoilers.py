"""The spoiler guard: an author is warned (never refused) when the summary or an objective, read
before the case starts, uses the words of an answer marked correct or of a later result."""

from case_teaching import (
    case_from_xml,
    case_overview,
    case_to_xml,
    learner_view,
    load_demo_case,
    spoiler_warnings,
    start,
)
from case_teaching.schema import plain_text


def with_summary(name: str, summary: str, objectives: list[str] | None = None):
    case = load_demo_case(name)
    update = {"summary": summary}
    if objectives is not None:
        update["learning_objectives"] = objectives
    return case.model_copy(update=update)


def test_a_summary_that_names_the_keyed_answer_is_warned_about():
    case = with_summary(
        "child_pneumonia", "<p>No general danger signs, no chest indrawing: treat at home.</p>"
    )
    found = [w for w in spoiler_warnings(case) if w.loc == ("summary",)]
    assert any(
        w.code == "spoiler_correct_option" and w.params["question"] == "home-criteria"
        for w in found
    )
    assert ("chest", "indrawing") in [w.words for w in found]


def test_an_objective_that_gives_a_later_result_away_is_warned_about():
    case = load_demo_case("hypertensive_emergency")
    stage = case.stages[2]
    finding = stage.findings[0]
    case = with_summary(
        "hypertensive_emergency", case.summary, ["Notice that " + plain_text(finding.result)]
    )
    found = [w for w in spoiler_warnings(case) if w.loc == ("learning_objectives", 0)]
    assert any(
        w.code == "spoiler_later_finding"
        and (w.params["finding"], w.params["stage"]) == (finding.label, stage.title)
        for w in found
    )


def test_a_summary_in_chinese_is_compared_by_its_phrases():
    case = with_summary("sulfonylurea_hypoglycaemia", "<p>先静脉推注葡萄糖，再收住院观察。</p>")
    found = [w for w in spoiler_warnings(case) if w.loc == ("summary",)]
    assert any("住院观察" in word for w in found for word in w.words)


def test_a_summary_that_only_sets_the_scene_is_not_warned_about():
    for name in ("child_pneumonia", "chest_pain_gp", "acute_limb_ischaemia"):
        case = load_demo_case(name)
        assert not [w for w in spoiler_warnings(case) if w.loc == ("summary",)], name


def test_one_common_word_shared_with_an_answer_is_not_a_spoiler():
    case = with_summary("child_pneumonia", "<p>A boy whose mother worries about his breathing.</p>")
    assert not [w for w in spoiler_warnings(case) if w.loc == ("summary",)]


def test_an_author_who_keeps_the_summary_for_the_end_is_not_warned_and_learners_read_it_last():
    spoiling = "<p>No general danger signs, no chest indrawing: treat at home.</p>"
    case = with_summary("child_pneumonia", spoiling)
    kept = case_from_xml(
        case_to_xml(case).replace("<cme_case ", '<cme_case summary-after-case="true" ', 1)
    )
    assert kept.summary_after_case and spoiler_warnings(kept) == []
    header = case_overview(kept)["case"]
    assert header["summary"] == "" and header["learning_objectives"] == []
    progress = start(kept).progress
    assert learner_view(kept, progress)["case"]["summary"] == ""
    done = progress.model_copy(update={"completed": True})
    assert learner_view(kept, done)["case"]["summary"] == kept.summary
