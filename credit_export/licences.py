"""Licence numbers on more than one account: one person earning an activity's credit twice.

A credit counts once per person (the licence or certificate number names the person to the
CME office); two accounts whose awarded credits carry the same number are either one person
or a typing mistake, and the CME office must check them before registering either credit.
"""

from collections import defaultdict
from collections.abc import Iterable

from .stored import ExportRecord


def shared_licences(records: Iterable[ExportRecord]) -> dict[tuple[str, str], list[str]]:
    """(project number, licence number) -> the learner ids (in award order) of the awarded
    credits of that activity carrying that number, where more than one learner does."""
    learners: dict[tuple[str, str], list[str]] = defaultdict(list)
    for record in records:
        if record.status != "awarded":
            continue
        ids = learners[(record.project_number, record.profile.licence_number)]
        if record.learner_id not in ids:
            ids.append(record.learner_id)
    return {key: ids for key, ids in learners.items() if len(ids) > 1}
