"""The rule sets and demo content shipped with the package (package data, read-only).

Rule sets are versioned data, each version with its guideline vignettes beside it
(`rulesets/<id>/<version>.vignettes.json`, see `vignettes`). The catalog holds every version
of each: the file
`rulesets/<id>/<version>.json` holds rule set `<id>` at `<version>` (and says so in its own
`id` and `version` fields). Shipping a newer version adds a file beside the older one, so
that a scenario pinned to the older version keeps its answers, its rubric and its learners'
grades.

A scenario names the rule set by `ruleset_id` and, optionally, `ruleset_version`:

- with a version, exactly that version, or `ReferralError("ruleset_version_not_shipped")`
  listing the versions there are;
- without one (content saved before versions were pinned, or an author who left the field
  empty), the newest version: versions compare as numbers, part by part ("1.10" is newer
  than "1.9"). Such a scenario follows the catalog: when a newer version ships, it is played
  with it. `pin_ruleset_version` fixes the newest version into the scenario for an adapter
  that wants a save to stay as it was saved.
"""

import json
from functools import cached_property
from importlib.resources import files
from importlib.resources.abc import Traversable

from pydantic import TypeAdapter, ValidationError

from .engine import Exercise, build_exercise
from .messages import ReferralError
from .schema import Code, Consortium, ReferralScenario, RuleSet, Version, Vignette
from .vignettes import load_vignettes, vignettes_for
from .xml_mapping import scenario_from_xml

PACKAGE = files("referral_tracking")
#: A version's guideline vignettes: `rulesets/<id>/<version>.vignettes.json`.
VIGNETTES_SUFFIX = ".vignettes.json"

#: Demo scenarios for the workbench course, by name (file demo/<name>.xml).
DEMO_SCENARIOS: tuple[str, ...] = (
    "hypertension_township",
    "diabetes_six_months",
    "child_pneumonia_hypoxia",
    "stroke_downward_referral",
)

_CODE = TypeAdapter(Code)
_VERSION = TypeAdapter(Version)


def version_key(version: str) -> tuple[int, int, int]:
    """A version as numbers to compare: "1" == "1.0" == "1.0.0" < "1.9" < "1.10"."""
    parts = [int(part) for part in version.split(".")]
    return tuple(parts + [0] * (3 - len(parts)))  # type: ignore[return-value]


def _valid(adapter: TypeAdapter, value: str) -> bool:
    try:
        adapter.validate_python(value)
    except ValidationError:
        return False
    return True


class RulesetCatalog:
    """Versioned rule sets in a folder: `<root>/<id>/<version>.json`.

    A misplaced file (a folder or file name that is not an id or a version, a file whose
    content names another id or version, two files of the same version such as "1" and "1.0")
    raises `ReferralError("ruleset_file_misplaced")` naming the file: shipped content is
    checked by the unit tests, so such a file never reaches a learner.
    """

    def __init__(self, root: Traversable) -> None:
        self.root = root
        self._loaded: dict[tuple[str, str], RuleSet] = {}

    @cached_property
    def _index(self) -> dict[str, list[str]]:
        index: dict[str, list[str]] = {}
        for folder in sorted(self.root.iterdir(), key=lambda entry: entry.name):
            if not folder.is_dir() or folder.name.startswith((".", "_")):
                continue
            if not _valid(_CODE, folder.name):
                raise ReferralError("ruleset_file_misplaced", path=folder.name)
            versions: list[str] = []
            for entry in folder.iterdir():
                if not entry.name.endswith(".json") or entry.name.endswith(VIGNETTES_SUFFIX):
                    continue
                version = entry.name.removesuffix(".json")
                path = f"{folder.name}/{entry.name}"
                if not _valid(_VERSION, version):
                    raise ReferralError("ruleset_file_misplaced", path=path)
                if any(version_key(v) == version_key(version) for v in versions):
                    raise ReferralError("ruleset_file_misplaced", path=path)
                versions.append(version)
            if versions:
                index[folder.name] = sorted(versions, key=version_key)
        return index

    def ids(self) -> list[str]:
        """Ids of the rule sets in the catalog, sorted."""
        return sorted(self._index)

    def versions(self, ruleset_id: str) -> list[str]:
        """The versions of one rule set, oldest first (ReferralError when there is none)."""
        if ruleset_id not in self._index:
            raise ReferralError("ruleset_unknown", ruleset=ruleset_id)
        return list(self._index[ruleset_id])

    def all_versions(self) -> dict[str, list[str]]:
        """Every rule set id with its versions, oldest first (for Studio's hint)."""
        return {ruleset_id: self.versions(ruleset_id) for ruleset_id in self.ids()}

    def newest(self, ruleset_id: str) -> str:
        return self.versions(ruleset_id)[-1]

    def load(self, ruleset_id: str, version: str | None = None) -> RuleSet:
        """A rule set by id: `version` exactly, or the newest when None. A copy: editing it
        leaves the catalog as it is."""
        versions = self.versions(ruleset_id)
        if version is None:
            version = versions[-1]
        elif version not in versions:
            raise ReferralError(
                "ruleset_version_not_shipped",
                ruleset=ruleset_id,
                version=version,
                available=", ".join(versions),
            )
        key = (ruleset_id, version)
        if key not in self._loaded:
            text = (self.root / ruleset_id / f"{version}.json").read_text(encoding="utf-8")
            ruleset = RuleSet.model_validate(json.loads(text))
            if (ruleset.id, ruleset.version) != key:
                raise ReferralError("ruleset_file_misplaced", path=f"{ruleset_id}/{version}.json")
            self._loaded[key] = ruleset
        return self._loaded[key].model_copy(deep=True)

    def vignettes(self, ruleset_id: str, version: str) -> list[Vignette]:
        """The guideline vignettes of one version (an empty list when it ships none)."""
        ruleset = self.load(ruleset_id, version)
        entry = self.root / ruleset_id / f"{version}{VIGNETTES_SUFFIX}"
        if not entry.is_file():
            return []
        return vignettes_for(ruleset, load_vignettes(entry.read_text(encoding="utf-8")))

    def for_scenario(self, scenario: ReferralScenario) -> RuleSet:
        """The rule set a scenario names: its pinned version, or the newest."""
        return self.load(scenario.ruleset_id, scenario.ruleset_version)

    def pin(self, scenario: ReferralScenario) -> ReferralScenario:
        """The scenario with the version it is played with written into it (unchanged when it
        names one already): saved this way, a newer version in the catalog does not move it."""
        if scenario.ruleset_version is not None:
            self.load(scenario.ruleset_id, scenario.ruleset_version)
            return scenario
        return scenario.model_copy(update={"ruleset_version": self.newest(scenario.ruleset_id)})


#: The rule sets shipped in `referral_tracking/rulesets/`.
SHIPPED_RULESETS = RulesetCatalog(PACKAGE / "rulesets")


def available_rulesets() -> list[str]:
    """Ids of the shipped rule sets."""
    return SHIPPED_RULESETS.ids()


def ruleset_versions(ruleset_id: str) -> list[str]:
    """The shipped versions of one rule set, oldest first."""
    return SHIPPED_RULESETS.versions(ruleset_id)


def shipped_ruleset_versions() -> dict[str, list[str]]:
    """Every shipped rule set id with its versions, oldest first (Studio's hint)."""
    return SHIPPED_RULESETS.all_versions()


def load_ruleset(ruleset_id: str, version: str | None = None) -> RuleSet:
    """A shipped rule set by id: exactly `version`, or the newest when None."""
    return SHIPPED_RULESETS.load(ruleset_id, version)


def pin_ruleset_version(scenario: ReferralScenario) -> ReferralScenario:
    """The scenario with the shipped version it is played with written into it."""
    return SHIPPED_RULESETS.pin(scenario)


def load_demo_consortium() -> Consortium:
    """A tertiary children's hospital and a tertiary general hospital, two county hospitals
    (one with PCI, one without), a township health centre and a community health centre."""
    text = (PACKAGE / "demo" / "consortium.json").read_text(encoding="utf-8")
    return Consortium.model_validate(json.loads(text))


def demo_scenario_xml(name: str) -> str:
    if name not in DEMO_SCENARIOS:
        raise ReferralError("demo_unknown", name=name)
    return (PACKAGE / "demo" / f"{name}.xml").read_text(encoding="utf-8")


def load_demo_scenario(name: str) -> ReferralScenario:
    return scenario_from_xml(demo_scenario_xml(name))


def demo_exercise(name: str) -> Exercise:
    """A demo scenario with its shipped rule set and the demo consortium, ready to play."""
    scenario = load_demo_scenario(name)
    return build_exercise(scenario, SHIPPED_RULESETS.for_scenario(scenario), load_demo_consortium())
