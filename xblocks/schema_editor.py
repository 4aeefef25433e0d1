"""Studio's structured editor (public/js/cme_schema_form.js), shared by the blocks: a form drawn
from a pydantic model's JSON schema, with every field and choice labelled in the author's
language. Each block names its labels; the rules stay in the schema and on the server."""

from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

from pydantic import BaseModel

from .messages import N_

EDITOR_TEXT = {
    "add": N_("Add"),
    "remove": N_("Remove"),
    "up": N_("Move up"),
    "down": N_("Move down"),
    "none": N_("(none)"),
    "item": N_("Item"),
    "include": N_("Fill in"),
    "pairs": N_("one per line, as name: value"),
}


@lru_cache(maxsize=8)
def model_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The model's JSON schema, built once per process."""
    return model.model_json_schema()


def schema_editor_config(
    gettext,
    model: type[BaseModel],
    fields: Mapping[str, str],
    values: Mapping[str, str],
    long: Iterable[str] = (),
) -> dict[str, Any]:
    """Everything the editor's script needs: the model's schema, the labels translated, and
    which fields take long text (a text area rather than a line)."""
    return {
        "schema": model_schema(model),
        "fields": {name: gettext(label) for name, label in fields.items()},
        "values": {name: gettext(label) for name, label in values.items()},
        "text": {name: gettext(label) for name, label in EDITOR_TEXT.items()},
        "long": list(long),
    }
