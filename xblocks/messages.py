"""Turning domain errors and pydantic validation errors into sentences in the user's language.

The domain packages never translate: they raise errors carrying a stable code and parameters,
with English templates marked `N_()` in their `messages.MESSAGES`. Here the template is looked
up by code, translated with the runtime's i18n service and formatted.
"""

import importlib
import re
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache

from pydantic import ValidationError


def N_(message: str) -> str:  # the gettext convention: mark now, translate later
    return message


DOMAIN_PACKAGES = ("case_teaching", "referral_tracking", "credit_export")

#: Templates for pydantic's own error types (the ones users can provoke with a form or JSON).
PYDANTIC_MESSAGES = {
    "missing": N_("{field}: this is required."),
    "extra_forbidden": N_("{field}: this field is not expected here."),
    "string_type": N_("{field}: enter text."),
    "string_too_short": N_("{field}: enter at least {min_length} characters."),
    "string_too_long": N_("{field}: enter at most {max_length} characters."),
    "string_pattern_mismatch": N_("{field}: the format is not accepted."),
    "int_type": N_("{field}: enter a whole number."),
    "int_parsing": N_("{field}: enter a whole number."),
    "int_from_float": N_("{field}: enter a whole number."),
    "float_type": N_("{field}: enter a number."),
    "float_parsing": N_("{field}: enter a number."),
    "finite_number": N_("{field}: enter a finite number."),
    "bool_type": N_("{field}: answer yes or no."),
    "bool_parsing": N_("{field}: answer yes or no."),
    "greater_than": N_("{field}: must be greater than {gt}."),
    "greater_than_equal": N_("{field}: must be at least {ge}."),
    "less_than": N_("{field}: must be less than {lt}."),
    "less_than_equal": N_("{field}: must be at most {le}."),
    "too_short": N_("{field}: give at least {min_length} item(s)."),
    "too_long": N_("{field}: give at most {max_length} item(s)."),
    "list_type": N_("{field}: give a list."),
    "dict_type": N_("{field}: give an object with named fields."),
    "model_type": N_("{field}: give an object with named fields."),
    "literal_error": N_("{field}: choose one of {expected}."),
    "enum": N_("{field}: choose one of {expected}."),
    "union_tag_invalid": N_("{field}: unknown kind {tag}; choose one of {expected_tags}."),
    "union_tag_not_found": N_("{field}: say which kind this is ({discriminator})."),
    "date_parsing": N_("{field}: enter a date as YYYY-MM-DD."),
    "date_from_datetime_parsing": N_("{field}: enter a date as YYYY-MM-DD."),
    "datetime_parsing": N_("{field}: enter a date and time."),
    "datetime_from_date_parsing": N_("{field}: enter a date and time."),
    "url_parsing": N_("{field}: enter a web address."),
    "value_error": N_("{field}: {error}"),
    "assertion_error": N_("{field}: {error}"),
}
FALLBACK = N_("{field}: this value is not accepted.")
WHOLE_REQUEST = N_("the request")
#: Pasted or imported JSON that does not parse: where, in the author's own lines and columns.
JSON_INVALID_AT = N_(
    "The JSON is not valid at line {line}, column {column}: check the commas, quotes and "
    "brackets there."
)
JSON_INVALID = N_("The JSON is not valid: check the commas, quotes and brackets.")
#: One item of a list, as an author counts (from 1): "Stages no. 2".
LIST_ITEM = N_("{list} no. {number}")
PATH_SEPARATOR = " › "

#: Where each Studio editor's field and choice labels live, by the domain package whose model
#: is validated (imported when first needed: the editors import this module).
EDITOR_MODULES = {
    "case_teaching": "xblocks.case_editor",
    "referral_tracking": "xblocks.referral_editor",
    "credit_export": "xblocks.credit_editor",
}
#: Forms a learner fills in, named by their model (pydantic's `ValidationError.title`): their
#: labels as the form shows them, before any editor's label of the same field name.
FORM_LABELS = {
    "LearnerProfile": {
        "name": N_("Name"),
        "licence_number": N_("Licence or certificate number"),
        "title": N_("Professional title"),
        "institution": N_("Institution"),
        "tier": N_("Level of your institution"),
        "department": N_("Department"),
        "discipline": N_("Discipline"),
    },
    "ActivityEvaluation": {
        "satisfaction": N_("How satisfied are you with this activity?"),
        "change_in_practice": N_("Will it change your practice?"),
        "comment": N_("Comment (optional)"),
    },
}


@lru_cache(maxsize=8)
def domain_messages(package: str | None = None) -> dict[str, str]:
    """Code -> English template: one domain package's, or all of them merged (codes are only
    unique within a package: "xml_invalid" of a case and of a referral scenario differ)."""
    merged: dict[str, str] = {}
    for name in DOMAIN_PACKAGES if package is None else (package,):
        try:
            module = importlib.import_module(f"{name}.messages")
        except ImportError:
            continue
        merged.update(getattr(module, "MESSAGES", {}))
    return merged


def _format(template: str, params: dict) -> str:
    try:
        return template.format(**params)
    except (KeyError, IndexError, ValueError):
        return template


def translate_code(
    gettext: Callable[[str], str],
    code: str,
    params: dict,
    default: str,
    package: str | None = None,
) -> str:
    """The message for a domain error code in the user's language (`package` first)."""
    template = None
    if package is not None:
        template = domain_messages(package).get(code)
    if template is None:
        template = domain_messages().get(code)
    if template is None:
        return default
    return _format(gettext(template), dict(params))


def translate_domain_error(gettext: Callable[[str], str], error: Exception) -> str:
    """A domain package's error (`.code`, `.params`) as a sentence in the user's language.

    An import error that wraps a validation problem (`error_code`, `problem_params`: a line
    of XML whose field is wrong) gets that problem translated too, not pydantic's English.
    """
    package = type(error).__module__.split(".")[0]
    params = dict(getattr(error, "params", {}))
    inner = params.get("error_code")
    if inner:
        problem = _problem_text(gettext, inner, params, package)
        if problem:
            params["problem"] = problem
    return translate_code(
        gettext,
        getattr(error, "code", ""),
        params,
        default=str(error),
        package=package,
    )


def _problem_text(gettext: Callable[[str], str], code: str, params: dict, package: str) -> str:
    inner_params = {**dict(params.get("problem_params") or {}), "field": params.get("field", "")}
    template = domain_messages(package).get(code) or domain_messages().get(code)
    if template is None:
        template = PYDANTIC_MESSAGES.get(code)
        if template is None:
            return ""
        # "{field}: enter text." -> "enter text.": the field is already named by the caller.
        template = gettext(template)
        text = _format(template, inner_params)
        field = str(inner_params["field"])
        return text[len(field) + 2 :] if field and text.startswith(field + ": ") else text
    text = _format(gettext(template), inner_params)
    return "" if "{" in text else text


def field_label(loc: Iterable) -> str:
    """('stages', 2, 'title') -> 'stages[2].title' (the path the editor marks its fields by)."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


@lru_cache(maxsize=8)
def _editor_labels(package: str | None) -> tuple[Mapping[str, str], Mapping[str, str]]:
    """(field labels, choice labels) of the Studio editor for `package`'s model, untranslated."""
    if package not in EDITOR_MODULES:
        return {}, {}
    module = importlib.import_module(EDITOR_MODULES[package])
    return getattr(module, "FIELD_LABELS", {}), getattr(module, "VALUE_LABELS", {})


def describe_field(
    gettext: Callable[[str], str],
    loc: Iterable,
    package: str | None = None,
    model: str | None = None,
) -> str:
    """A field's place in words the author or learner saw on the form:
    ('stages', 1, 'findings', 0, 'label') -> 'Stages no. 2 › Findings on request no. 1 ›
    What the learner asks for'. A question's kind in the path ('single_choice') is left out,
    as the form shows no such level; a name without a label keeps its own words."""
    labels, kinds = _editor_labels(package)
    labels = {**labels, **FORM_LABELS.get(model or "", {})}
    parts: list[str] = []
    names: list[str] = []  # the place without list positions: a label may be for a place
    after_item = False
    for part in loc:
        if isinstance(part, int):
            parts.append(
                _format(
                    gettext(LIST_ITEM),
                    {"list": parts.pop() if parts else "", "number": part + 1},
                )
            )
            after_item = True
            continue
        name = str(part)
        if after_item and name in kinds:
            after_item = False
            continue
        after_item = False
        names.append(name)
        label = labels.get(".".join(names)) or labels.get(name)
        parts.append(gettext(label) if label else name.replace("_", " "))
    return PATH_SEPARATOR.join(parts)


def _json_invalid(gettext: Callable[[str], str], error: str) -> str:
    where = re.search(r"line (\d+) column (\d+)", error)
    if where:
        return _format(gettext(JSON_INVALID_AT), {"line": where[1], "column": where[2]})
    return gettext(JSON_INVALID)


def translate_validation_error(
    gettext: Callable[[str], str],
    exc: ValidationError,
    package: str | None = None,
    words: Callable[[dict], dict] | None = None,
) -> list[dict]:
    """Each problem as {"field": path, "label": where in words, "message": sentence}, in the
    user's language. `field` is the path the editor marks; the sentence names the field as
    the form labels it.

    `package`: the domain package whose model raised it (its codes take precedence, its
    editor's labels name the fields). `words`: the package's codes among the parameters in
    the user's words (a disposition by its label, not its code)."""
    problems = []
    for error in exc.errors(include_url=False):
        loc = [
            p
            for p in error.get("loc", ())
            if not (isinstance(p, str) and p.startswith("function-"))
        ]
        path = field_label(loc)
        label = describe_field(gettext, loc, package, exc.title) or gettext(WHOLE_REQUEST)
        ctx = {k: v for k, v in (error.get("ctx") or {}).items()}
        params = {**{k: str(v) for k, v in ctx.items()}, "field": label}
        if "error" in ctx:
            params["error"] = str(ctx["error"])
        if words is not None:
            params = words(params)
        code = error["type"]
        if code == "json_invalid":
            message = _json_invalid(gettext, params.get("error", ""))
        elif code in domain_messages():
            message = translate_code(gettext, code, params, default=error["msg"], package=package)
            message = (
                message
                if label.casefold() in message.casefold() or not loc
                else f"{label}: {message}"
            )
        else:
            message = _format(gettext(PYDANTIC_MESSAGES.get(code, FALLBACK)), params)
        problems.append({"field": path, "label": label, "message": message})
    return problems
