"""Published clinical scores a case can compute from its findings: CURB-65, CHA2DS2-VASc,
the Glasgow Coma Scale and the two Wells scores.

An author states each criterion's value and the finding that reveals it; age and sex come
from the patient. The learner sees the score, item by item, once every input is revealed.
"""

from collections.abc import Callable
from dataclasses import dataclass

from .messages import N_


@dataclass(frozen=True)
class Criterion:
    """One item of a score: `points` when present (yes/no items, value 1), or the value itself
    when `scale` (a GCS component scored `low`..`high`)."""

    label: str
    points: float = 1
    scale: bool = False
    low: int = 0
    high: int = 1

    def earned(self, value: int) -> float:
        return float(value) if self.scale else self.points * value


@dataclass(frozen=True)
class Band:
    """What a total means: from `low` to `high` inclusive."""

    low: float
    high: float
    meaning: str


@dataclass(frozen=True)
class ScoreDefinition:
    name: str
    source: str
    criteria: dict[str, Criterion]
    bands: tuple[Band, ...]
    #: Items taken from the patient (age in years, sex): label -> points.
    from_patient: Callable[[float, str], list[tuple[str, float]]] = lambda age, sex: []
    #: The band is read from the total without these patient items (CHA2DS2-VASc: sex).
    band_ignores: frozenset[str] = frozenset()


def _curb65_patient(age: float, sex: str) -> list[tuple[str, float]]:
    return [(N_("Age 65 years or more"), 1.0 if age >= 65 else 0.0)]


def _cha2ds2_vasc_patient(age: float, sex: str) -> list[tuple[str, float]]:
    age_points = 2.0 if age >= 75 else (1.0 if age >= 65 else 0.0)
    return [
        (N_("Age (65-74 years: 1; 75 or more: 2)"), age_points),
        (N_("Sex category (female)"), 1.0 if sex == "female" else 0.0),
    ]


SCORES: dict[str, ScoreDefinition] = {
    "curb65": ScoreDefinition(
        name=N_("CURB-65"),
        source="Lim et al., Thorax 2003; CTS CAP guideline 2016",
        criteria={
            "confusion": Criterion(N_("Confusion (new disorientation)")),
            "urea": Criterion(N_("Urea above 7 mmol/L")),
            "respiratory_rate": Criterion(N_("Respiratory rate 30/min or more")),
            "blood_pressure": Criterion(N_("Systolic BP below 90 or diastolic 60 mmHg or less")),
        },
        bands=(
            Band(0, 1, N_("Low risk: treatment at home is usually possible")),
            Band(2, 2, N_("Moderate risk: consider treatment in hospital")),
            Band(3, 5, N_("High risk: admit; at 4-5 assess for intensive care")),
        ),
        from_patient=_curb65_patient,
    ),
    "cha2ds2_vasc": ScoreDefinition(
        name=N_("CHA2DS2-VASc"),
        source="Lip et al., Chest 2010; Chinese AF guideline 2023",
        criteria={
            "heart_failure": Criterion(N_("Congestive heart failure or LV dysfunction")),
            "hypertension": Criterion(N_("Hypertension")),
            "diabetes": Criterion(N_("Diabetes mellitus")),
            "stroke": Criterion(N_("Prior stroke, TIA or thromboembolism"), points=2),
            "vascular": Criterion(N_("Vascular disease (MI, peripheral artery disease, plaque)")),
        },
        bands=(
            Band(0, 0, N_("Low risk: no anticoagulation")),
            Band(1, 1, N_("Anticoagulation to be considered")),
            Band(2, 9, N_("Anticoagulation recommended")),
        ),
        from_patient=_cha2ds2_vasc_patient,
        band_ignores=frozenset({N_("Sex category (female)")}),
    ),
    "gcs": ScoreDefinition(
        name=N_("Glasgow Coma Scale"),
        source="Teasdale & Jennett, Lancet 1974",
        criteria={
            "eye": Criterion(N_("Eye opening (1-4)"), scale=True, low=1, high=4),
            "verbal": Criterion(N_("Verbal response (1-5)"), scale=True, low=1, high=5),
            "motor": Criterion(N_("Motor response (1-6)"), scale=True, low=1, high=6),
        },
        bands=(
            Band(3, 8, N_("Severe impairment: protect the airway")),
            Band(9, 12, N_("Moderate impairment")),
            Band(13, 15, N_("Mild impairment or normal")),
        ),
    ),
    "wells_pe": ScoreDefinition(
        name=N_("Wells score for pulmonary embolism"),
        source="Wells et al., Thromb Haemost 2000; CTS PTE guideline 2018",
        criteria={
            "dvt_signs": Criterion(N_("Clinical signs of deep-vein thrombosis"), points=3),
            "pe_most_likely": Criterion(N_("Pulmonary embolism the most likely diagnosis"), 3),
            "heart_rate": Criterion(N_("Heart rate above 100/min"), points=1.5),
            "immobilisation": Criterion(N_("Immobilisation or surgery in the past 4 weeks"), 1.5),
            "previous_vte": Criterion(N_("Previous DVT or pulmonary embolism"), points=1.5),
            "haemoptysis": Criterion(N_("Haemoptysis")),
            "cancer": Criterion(N_("Active cancer")),
        },
        bands=(
            Band(0, 4, N_("Pulmonary embolism unlikely: D-dimer first")),
            Band(4.5, 12.5, N_("Pulmonary embolism likely: CT pulmonary angiography")),
        ),
    ),
    "wells_dvt": ScoreDefinition(
        name=N_("Wells score for deep-vein thrombosis"),
        source="Wells et al., NEJM 2003",
        criteria={
            "cancer": Criterion(N_("Active cancer")),
            "paralysis": Criterion(N_("Paralysis, paresis or recent plaster cast of the leg")),
            "bedridden": Criterion(N_("Bedridden 3 days or more, or major surgery in 12 weeks")),
            "tenderness": Criterion(N_("Tenderness along the deep veins")),
            "leg_swollen": Criterion(N_("Entire leg swollen")),
            "calf_swelling": Criterion(N_("Calf swelling 3 cm more than the other side")),
            "pitting_oedema": Criterion(N_("Pitting oedema of the symptomatic leg")),
            "collateral_veins": Criterion(N_("Collateral superficial veins")),
            "previous_dvt": Criterion(N_("Previous deep-vein thrombosis")),
            "alternative": Criterion(N_("Another diagnosis at least as likely"), points=-2),
        },
        bands=(
            Band(-2, 1, N_("Deep-vein thrombosis unlikely: D-dimer first")),
            Band(2, 9, N_("Deep-vein thrombosis likely: compression ultrasound")),
        ),
    ),
}


def score_band(definition: ScoreDefinition, total: float) -> str:
    """The meaning of `total` (English; translated by the adapter)."""
    return next((b.meaning for b in definition.bands if b.low <= total <= b.high), "")
