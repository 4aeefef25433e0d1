"""What a referral rule's conditions mean as sets of patients: implication and shared patients.

A rule (`schema.Criterion`) applies to a patient when
- every finding of `findings_all` is present;
- at least one finding of `findings_any` is present, when it lists any;
- its thresholds hold. The thresholds are a union of boxes: one box holding all of them
  (`thresholds_mode="all"`), one box per threshold (`"any"`), or one free box when there are
  none. A box holds when each measure it names is known for the patient and lies within its
  interval (a measure the patient lacks fails the threshold).

The rule's `required_capability`, tier and department do not change whether it applies, only
what it asks for at a given institution (`rules.handles_locally`): they play no part here.
The rule-set language has no "finding absent": a finding can only be required.

`Condition.implies` (every patient one rule applies to, the other applies to as well) is sound:
it answers True only when that holds for every patient. It is not complete; it does not see:
- a box covered only by several boxes of the other rule together (a rule on
  150 <= systolic < 200 under a rule on "systolic < 180 or systolic >= 170");
- relations between measures (systolic above diastolic; age in months is twelve times age in
  years: it takes each measure on its own, which can only make it answer False more often);
- findings that imply or exclude one another clinically: the rule-set language cannot say so.

`Condition.shared_patient` gives a patient both rules apply to, or None. Findings never exclude
one another in the rule-set language, so a patient with every finding either rule needs is a
possible patient. Measures are taken as independent, except age: `age_months` is `age_years`
× 12 (see `ReferralScenario.measure_values`) and age is 0 to 120 years, so two rules on ages
that cannot meet share no patient. What it does not see (relations between other measures,
such as systolic above diastolic) can only make it give a patient who is implausible, never
miss one.
"""

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Interval:
    """A set of numbers between two bounds, each open or closed (infinite bounds are open)."""

    low: float = -math.inf
    low_closed: bool = False
    high: float = math.inf
    high_closed: bool = False

    def is_empty(self) -> bool:
        if self.low < self.high:
            return False
        return not (self.low == self.high and self.low_closed and self.high_closed)

    def intersect(self, other: "Interval") -> "Interval":
        if self.low > other.low or (self.low == other.low and not self.low_closed):
            low, low_closed = self.low, self.low_closed
        else:
            low, low_closed = other.low, other.low_closed
        if self.high < other.high or (self.high == other.high and not self.high_closed):
            high, high_closed = self.high, self.high_closed
        else:
            high, high_closed = other.high, other.high_closed
        return Interval(low, low_closed, high, high_closed)

    def contains(self, value: float) -> bool:
        above_low = value > self.low or (self.low_closed and value == self.low)
        below_high = value < self.high or (self.high_closed and value == self.high)
        return above_low and below_high

    def includes(self, other: "Interval") -> bool:
        """Is every number of `other` in this interval?"""
        low_ok = self.low < other.low or (
            self.low == other.low and (self.low_closed or not other.low_closed)
        )
        high_ok = self.high > other.high or (
            self.high == other.high and (self.high_closed or not other.high_closed)
        )
        return low_ok and high_ok

    def scaled(self, factor: float) -> "Interval":
        """The interval multiplied by a positive factor."""
        return Interval(self.low * factor, self.low_closed, self.high * factor, self.high_closed)

    def example(self) -> float:
        """A number of the (non-empty) interval, preferably a bound an author wrote."""
        if self.low_closed:
            return self.low
        if self.high_closed:
            return self.high
        if math.isfinite(self.low) and math.isfinite(self.high):
            return (self.low + self.high) / 2
        if math.isfinite(self.low):
            return self.low + 1
        if math.isfinite(self.high):
            return self.high - 1
        return 0.0


#: Measures a box constrains, each to an interval.
Box = Mapping[str, Interval]

AGE_RANGE = Interval(0, True, 120, True)  # years, as `schema.Patient` allows


def _unique(codes: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(codes))


@dataclass(frozen=True)
class SharedPatient:
    """A patient two rules both apply to: the findings present and measured values."""

    findings: tuple[str, ...]
    measures: dict[str, float]

    def describe(self) -> str:
        """Codes and values, in no language: "severe_headache, sbp_mmhg = 180"."""
        values = [f"{measure} = {value:g}" for measure, value in self.measures.items()]
        return ", ".join([*self.findings, *values])


@dataclass(frozen=True)
class Condition:
    """When a rule applies, normalised: a single alternative is a required finding, and
    alternatives already met by a required finding are dropped."""

    findings_all: tuple[str, ...]
    findings_any: tuple[str, ...]
    boxes: tuple[Box, ...]

    @classmethod
    def of(
        cls, findings_all: Iterable[str], findings_any: Iterable[str], boxes: Iterable[Box]
    ) -> "Condition":
        required, alternatives = _unique(findings_all), _unique(findings_any)
        if len(alternatives) == 1:
            required, alternatives = _unique([*required, *alternatives]), ()
        if set(alternatives) & set(required):
            alternatives = ()
        return cls(required, alternatives, tuple(boxes) or ({},))

    def implies(self, other: "Condition") -> bool:
        """Does `other` apply to every patient this condition applies to? (Sound, see above.)"""
        if not set(other.findings_all) <= set(self.findings_all):
            return False
        if other.findings_any:
            met_by_required = bool(set(other.findings_any) & set(self.findings_all))
            met_by_alternatives = bool(self.findings_any) and set(self.findings_any) <= set(
                other.findings_any
            )
            if not (met_by_required or met_by_alternatives):
                return False
        return all(any(_inside(mine, theirs) for theirs in other.boxes) for mine in self.boxes)

    def shared_patient(self, other: "Condition") -> SharedPatient | None:
        """A patient both conditions apply to, or None when there is none (see above)."""
        for mine in self.boxes:
            for theirs in other.boxes:
                measures = _shared_values(mine, theirs)
                if measures is not None:
                    return SharedPatient(self._shared_findings(other), measures)
        return None

    def _shared_findings(self, other: "Condition") -> tuple[str, ...]:
        present = [*self.findings_all, *other.findings_all]
        common = [code for code in self.findings_any if code in other.findings_any]
        for alternatives in (self.findings_any, other.findings_any):
            if alternatives and not set(alternatives) & set(present):
                present.append(common[0] if common else alternatives[0])
        return _unique(present)


def _inside(inner: Box, outer: Box) -> bool:
    """Does every patient in `inner` lie in `outer`? (Each measure `outer` tests, `inner`
    tests within `outer`'s interval.)"""
    return all(m in inner and outer[m].includes(inner[m]) for m in outer)


def _shared_values(first: Box, second: Box) -> dict[str, float] | None:
    """Values of a patient in both boxes (age in months and years kept consistent), or None."""
    box = dict(first)
    for measure, interval in second.items():
        box[measure] = box.get(measure, Interval()).intersect(interval)
    months_only = "age_months" in box and "age_years" not in box
    if "age_months" in box:
        in_years = box.pop("age_months").scaled(1 / 12)
        box["age_years"] = box.get("age_years", Interval()).intersect(in_years)
    if "age_years" in box:
        box["age_years"] = box["age_years"].intersect(AGE_RANGE)
    if any(interval.is_empty() for interval in box.values()):
        return None
    values = {measure: box[measure].example() for measure in sorted(box)}
    if months_only:
        values["age_months"] = values.pop("age_years") * 12
    return values
