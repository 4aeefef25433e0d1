"""The demo cases shipped with the package (package data `demo/<name>.xml`, read-only)."""

from importlib.resources import files

from .messages import CaseError
from .schema import Case
from .xml_mapping import case_from_xml

DEMO_DIR = files("case_teaching") / "demo"

#: The suffix of a demo case's English version: a case holds one language (its learners'),
#: so a case written in Chinese ships its English version as a second case, `<name>.en.xml`.
ENGLISH = ".en"

#: Demo cases written in Chinese first, each with its English version (same stages, findings,
#: questions and answer key; only the text differs).
CHINESE_DEMO_CASES: tuple[str, ...] = (
    "paediatric_septic_shock",
    "febrile_status_epilepticus",
    "neonatal_fever",
    "neonatal_jaundice",
    "child_acute_asthma",
    "severe_hfmd",
    "copd_exacerbation",
    "stemi_thrombolysis",
)

#: Demo cases for the workbench course, by name, in the order a course would offer them.
DEMO_CASES: tuple[str, ...] = (
    "child_pneumonia",
    "chest_pain_gp",
    "hypertensive_emergency",
    "acute_limb_ischaemia",
    "sulfonylurea_hypoglycaemia",
    *(version for name in CHINESE_DEMO_CASES for version in (name, name + ENGLISH)),
)


def demo_case_names() -> list[str]:
    return list(DEMO_CASES)


def demo_case_xml(name: str) -> str:
    """The XML text of a demo case (as it appears in an OLX export)."""
    if name not in DEMO_CASES:
        raise CaseError("demo_unknown", name=name)
    return (DEMO_DIR / f"{name}.xml").read_text(encoding="utf-8")


def load_demo_case(name: str) -> Case:
    return case_from_xml(demo_case_xml(name))
