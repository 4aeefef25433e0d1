"""Two authors open one block's Studio editor and both save: the second is told, and the
first one's work is not silently replaced (issue 7), for each of the suite's three blocks."""

import json
import re

import pytest

from credit_export import CreditSettings


def _case(block, mark: str) -> dict:
    return {
        "weight": 1,
        "case_source": block.case.model_copy(update={"title": mark}).model_dump_json(),
    }


def _referral(block, mark: str) -> dict:
    scenario = block.exercise.scenario.model_copy(update={"title": mark})
    return {"weight": 1, "scenario_source": scenario.model_dump_json()}


def _credit(block, mark: str) -> dict:
    settings = CreditSettings(
        activity=block.activity.model_copy(update={"name": mark}), rule=block.settings.rule
    )
    return {"settings_source": settings.model_dump_json()}


EDITORS = {
    # block type: (the edit as the editor posts it, the title the block now has, words of the 409)
    "cme_case": (_case, lambda b: b.case.title, "this case"),
    "cme_referral": (_referral, lambda b: b.exercise.scenario.title, "this exercise"),
    "cme_credit": (_credit, lambda b: b.activity.name, "these credit settings"),
}


@pytest.mark.parametrize("block_type", sorted(EDITORS))
def test_the_second_of_two_authors_saving_one_block_is_told_and_nothing_is_lost(
    workbench, module, block_type
):
    edit, title_of, words = EDITORS[block_type]
    usage_id = module[1][block_type]

    def save(mark: str, base: str):
        payload = {"mode": "save", "display_name": "Edited", "base_fingerprint": base}
        payload.update(edit(workbench.block(usage_id, "staff"), mark))
        return workbench.handler(usage_id, "studio_submit", payload, student="staff")

    # Both authors open the editor: the form carries the version it was opened on.
    editor = workbench.page_of(usage_id, "staff", "studio_view")
    opened = re.search(r'name="base_fingerprint" value="([0-9a-f]+)"', editor).group(1)

    first = save("The first author's title", opened)
    assert first.status_code == 200, first.content
    refused = save("The second author's title", opened)
    assert refused.status_code == 409
    body = json.loads(refused.content)
    assert body["code"] == "edit_conflict"
    assert f"Someone else saved {words} after you opened" in body["error"]
    assert title_of(workbench.block(usage_id, "staff")) == "The first author's title"

    # Reloaded on the first author's version, the second author's save goes through.
    again = save("The second author's title", json.loads(first.content)["fingerprint"])
    assert again.status_code == 200, again.content
    assert title_of(workbench.block(usage_id, "staff")) == "The second author's title"
