"""CTCAE v5.0 grades for lab values.

Counts and hemoglobin fall below fixed cut-points (grade 1 below the lower limit of normal);
creatinine, ALT, AST, alkaline phosphatase and bilirubin rise above multiples of the upper limit
of normal, or of the patient's own baseline. CTCAE ranges read "<75.0 - 50.0": strictly below each
cut-point, so platelets of exactly 50 ×10^9/L are grade 2 and 49.9 are grade 3 (reference.md §2.1
"Boundary convention"). Comparisons run in the unit the value was reported in; thresholds move into
it by exact multiplication, so one value gets one grade in every unit (hemoglobin 80 g/L = 8.0 g/dL =
4.9648 mmol/L is grade 2 in all three, and 4.9647 mmol/L is grade 3: the 4.9 and 6.2 CTCAE prints for
mmol/L are those same cut-points rounded, and grading by the rounded ones gave two grades to one
value).

The baseline arms (CTCAE v5.0, cross-checked against the admiral criteria in
../shared/clinical/ctcae_v5_lab_grading_criteria.json):
- 'Creatinine increased': grade 2 ">1.5 - 3.0 x baseline; >1.5 - 3.0 x ULN", grade 3 ">3.0 x
  baseline; >3.0 - 6.0 x ULN": both arms always apply, and the worse grade wins.
- ALT, AST, alkaline phosphatase, bilirubin: "... x ULN if baseline was normal; ... x baseline if
  baseline was abnormal": with a baseline above its ULN, the baseline arm replaces the ULN arm.

Each grade says which rule gave it (`LabGrade.rule`), so the alert can.

Source of every row: NCI CTCAE v5.0 (27 Nov 2017), the terms named below.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType

from shared.analytes import Analyte, Sex, Unit
from shared.lab_values import LabValue


class Direction(StrEnum):
    LOW = "low"  # "... count decreased": worse as it falls
    HIGH = "high"  # "... increased": worse as it rises


class Scale(StrEnum):
    """What a criterion's cut-points are measured in."""

    FIXED = "fixed"  # values in the analyte's canonical unit (counts, anemia, leukocytosis)
    ULN_MULTIPLE = "x ULN"  # multiples of the upper limit of normal
    ULN_PLUS = "ULN +"  # amounts above the upper limit of normal, canonical unit (hemoglobin increased)


class BaselineUse(StrEnum):
    NONE = "none"
    ALWAYS = "always"  # creatinine: x baseline and x ULN both apply; the worse grade wins
    IF_ABNORMAL = "if_abnormal"  # liver values: x baseline instead of x ULN when the baseline is above ULN


@dataclass(frozen=True)
class BaselineCut:
    grade: int
    multiple: Decimal
    inclusive: bool = False  # CTCAE "1.5 - 3.0 x baseline": grade 1 from exactly 1.5 x baseline

    @property
    def text(self) -> str:
        return f"{'≥' if self.inclusive else '>'} {self.multiple} × baseline"


@dataclass(frozen=True)
class LabCriterion:
    analyte: str
    term: str  # CTCAE v5.0 term
    meddra: str
    direction: Direction
    # Worst grade first. LOW: (grade, cut) meaning value < cut; grade 1 is "< LLN".
    # HIGH: (grade, c) meaning value > c x ULN, ULN + c or c, per `scale`; grade 1 may be "> ULN".
    cuts: tuple[tuple[int, Decimal], ...]
    scale: Scale = Scale.FIXED
    baseline_use: BaselineUse = BaselineUse.NONE
    baseline_cuts: tuple[BaselineCut, ...] = ()  # worst grade first
    # The policy's name for it: the analyte for its main term, another key for its second one.
    key: str = field(default="")

    @property
    def rule_key(self) -> str:
        return self.key or self.analyte

    @property
    def source(self) -> str:
        return f"CTCAE v5.0 '{self.term}' (MedDRA {self.meddra})"


def _cuts(*pairs: tuple[int, str]) -> tuple[tuple[int, Decimal], ...]:
    return tuple((grade, Decimal(cut)) for grade, cut in pairs)


def _baseline(*rows: tuple[int, str, bool]) -> tuple[BaselineCut, ...]:
    return tuple(BaselineCut(grade, Decimal(multiple), inclusive) for grade, multiple, inclusive in rows)


_LIVER_ULN = _cuts((4, "20.0"), (3, "5.0"), (2, "3.0"), (1, "1"))
# ALT and AST with an abnormal baseline: G1 "1.5 - 3.0 x baseline" (from 1.5 inclusive), G2 ">3.0 - 5.0",
# G3 ">5.0 - 20.0", G4 ">20.0 x baseline".
_TRANSAMINASE_BASELINE = _baseline((4, "20.0", False), (3, "5.0", False), (2, "3.0", False), (1, "1.5", True))

# Each analyte's main CTCAE term.
CRITERIA: Mapping[str, LabCriterion] = MappingProxyType(
    {
        c.analyte: c
        for c in (
            LabCriterion(
                "platelets",
                "Platelet count decreased",
                "10035528",
                Direction.LOW,
                _cuts((4, "25"), (3, "50"), (2, "75")),
            ),
            LabCriterion(
                "anc",
                "Neutrophil count decreased",
                "10029366",
                Direction.LOW,
                _cuts((4, "0.5"), (3, "1.0"), (2, "1.5")),
            ),
            LabCriterion(
                "wbc",
                "White blood cell decreased",
                "10049182",
                Direction.LOW,
                _cuts((4, "1.0"), (3, "2.0"), (2, "3.0")),
            ),
            # Anemia grade 4 is "life-threatening consequences": not a lab cut-point.
            LabCriterion(
                "hemoglobin",
                "Anemia",
                "10002272",
                Direction.LOW,
                _cuts((3, "8.0"), (2, "10.0")),
            ),
            # Grade 4 ">6.0 x ULN" has no baseline arm; grade 1 ">ULN - 1.5 x ULN" neither.
            LabCriterion(
                "creatinine",
                "Creatinine increased",
                "10011368",
                Direction.HIGH,
                _cuts((4, "6.0"), (3, "3.0"), (2, "1.5"), (1, "1")),
                Scale.ULN_MULTIPLE,
                BaselineUse.ALWAYS,
                _baseline((3, "3.0", False), (2, "1.5", False)),
            ),
            LabCriterion(
                "alt",
                "Alanine aminotransferase increased",
                "10001551",
                Direction.HIGH,
                _LIVER_ULN,
                Scale.ULN_MULTIPLE,
                BaselineUse.IF_ABNORMAL,
                _TRANSAMINASE_BASELINE,
            ),
            LabCriterion(
                "ast",
                "Aspartate aminotransferase increased",
                "10003481",
                Direction.HIGH,
                _LIVER_ULN,
                Scale.ULN_MULTIPLE,
                BaselineUse.IF_ABNORMAL,
                _TRANSAMINASE_BASELINE,
            ),
            # G1 ">ULN - 2.5 x ULN; 2.0 - 2.5 x baseline", G2 ">2.5 - 5.0", G3 ">5.0 - 20.0", G4 ">20.0".
            LabCriterion(
                "alkaline_phosphatase",
                "Alkaline phosphatase increased",
                "10001675",
                Direction.HIGH,
                _cuts((4, "20.0"), (3, "5.0"), (2, "2.5"), (1, "1")),
                Scale.ULN_MULTIPLE,
                BaselineUse.IF_ABNORMAL,
                _baseline((4, "20.0", False), (3, "5.0", False), (2, "2.5", False), (1, "2.0", True)),
            ),
            # G1 ">ULN - 1.5 x ULN; > 1.0 - 1.5 x baseline", G2 ">1.5 - 3.0", G3 ">3.0 - 10.0", G4 ">10.0".
            LabCriterion(
                "bilirubin",
                "Blood bilirubin increased",
                "10005364",
                Direction.HIGH,
                _cuts((4, "10.0"), (3, "3.0"), (2, "1.5"), (1, "1")),
                Scale.ULN_MULTIPLE,
                BaselineUse.IF_ABNORMAL,
                _baseline((4, "10.0", False), (3, "3.0", False), (2, "1.5", False), (1, "1.0", False)),
            ),
        )
    }
)

# An analyte's second term, in the other direction: dexamethasone raises both hemoglobin and the
# white count, so a value above the usual range has a grade of its own.
SECOND_CRITERIA: Mapping[str, LabCriterion] = MappingProxyType(
    {
        c.analyte: c
        for c in (
            # G1 "Increase in >0 - 2 g/dL", G2 ">2 - 4 g/dL", G3 ">4 g/dL": above the ULN, as the
            # admiral criteria read it (ANRHI + 20 / + 40 g/L). No grade 4.
            LabCriterion(
                "hemoglobin",
                "Hemoglobin increased",
                "10055599",
                Direction.HIGH,
                _cuts((3, "4"), (2, "2"), (1, "0")),
                Scale.ULN_PLUS,
                key="hemoglobin_increased",
            ),
            # Only grade 3 is a lab value: ">100,000/mm3". Grade 4 is leukostasis, a clinical finding.
            LabCriterion(
                "wbc",
                "Leukocytosis",
                "10024378",
                Direction.HIGH,
                _cuts((3, "100")),
                key="leukocytosis",
            ),
        )
    }
)

# Every criterion by its policy key ("platelets", ..., "hemoglobin_increased", "leukocytosis").
ALL_CRITERIA: Mapping[str, LabCriterion] = MappingProxyType(
    {c.rule_key: c for c in (*CRITERIA.values(), *SECOND_CRITERIA.values())}
)

# The analytes whose grade can depend on the patient's baseline.
BASELINE_ANALYTES: tuple[str, ...] = tuple(k for k, c in CRITERIA.items() if c.baseline_use is not BaselineUse.NONE)


@dataclass(frozen=True)
class Baseline:
    """The patient's own earlier value of an analyte: the last one on or before cycle 1 day 1, or
    one the care team entered. Kept in the unit it was reported in, so it is compared exactly."""

    analyte: str
    value: Decimal
    unit: Unit
    reference_high: Decimal | None = None  # the ULN printed with it, same unit
    on: date | None = None  # the day it was collected
    source: str = ""  # "lab": the last reading on or before cycle 1 day 1; "entered": by the care team

    @property
    def text(self) -> str:
        return f"{_fmt(self.value)} {self.unit.display}"


@dataclass(frozen=True)
class LabGrade:
    grade: int
    term: str
    source: str
    limit: Decimal | None  # the LLN or ULN applied, in the reported unit
    limit_is_reports_own: bool  # False: CareLoop's documented default (shared/analytes.py)
    criterion: str = ""  # the policy key of the criterion that graded it (see ALL_CRITERIA)
    # Which rule gave the grade, as a nurse reads it: "> 3.0 × ULN", "> 3.0 × baseline 0.7 mg/dL",
    # "< 50 K/µL", "< LLN". Empty for grade 0.
    rule: str = ""
    baseline: Baseline | None = None  # the baseline the grade was measured against, if it was
    limit_origin: str = ""  # "lab's own", "CareLoop default", "CareLoop default for women", ...


def grade_lab(lab: LabValue, *, sex: Sex | None = None, baseline: Baseline | None = None) -> LabGrade:
    """The CTCAE v5.0 grade of a lab value. `sex` picks CareLoop's default limits (the lab's printed
    ones always win); `baseline` is the patient's, used where the term has a baseline arm."""
    if baseline is not None and baseline.analyte != lab.analyte.key:
        raise ValueError(f"a {baseline.analyte} baseline cannot grade {lab.analyte.key}")
    result = _grade(CRITERIA[lab.analyte.key], lab, sex, baseline)
    second = SECOND_CRITERIA.get(lab.analyte.key)
    if result.grade == 0 and second is not None:
        other = _grade(second, lab, sex, None)
        if other.grade > 0:
            return other
    return result


def _grade(criterion: LabCriterion, lab: LabValue, sex: Sex | None, baseline: Baseline | None) -> LabGrade:
    low, high = lab.analyte.limits(sex)
    if criterion.direction is Direction.LOW:
        own = lab.reference_low is not None
        limit = lab.reference_low if own else _in_unit(lab.analyte, low, lab.unit)
    else:
        own = lab.reference_high is not None
        limit = lab.reference_high if own else _in_unit(lab.analyte, high, lab.unit)
    grade, rule = _by_limit(criterion, lab, limit)
    used: Baseline | None = None
    if baseline is not None and criterion.baseline_use is not BaselineUse.NONE:
        by_baseline, baseline_rule = _by_baseline(criterion, lab, baseline)
        if criterion.baseline_use is BaselineUse.ALWAYS:
            if by_baseline > grade:  # a tie keeps the ULN rule: it needs no baseline to check
                grade, rule, used = by_baseline, baseline_rule, baseline
        elif _baseline_abnormal(lab.analyte, baseline, high):
            grade, rule, used = by_baseline, baseline_rule, baseline
    return LabGrade(
        grade,
        criterion.term,
        criterion.source,
        limit,
        own,
        criterion.rule_key,
        rule,
        used,
        _origin(lab.analyte, own, sex),
    )


def _origin(analyte: Analyte, own: bool, sex: Sex | None) -> str:
    if own:
        return "lab's own"
    if not analyte.by_sex:
        return "CareLoop default"
    if sex is None:
        return "CareLoop default; sex not recorded"
    return f"CareLoop default for {'women' if sex is Sex.FEMALE else 'men'}"


def _by_limit(criterion: LabCriterion, lab: LabValue, limit: Decimal | None) -> tuple[int, str]:
    unit = lab.unit
    if criterion.direction is Direction.LOW:
        for grade, cut in criterion.cuts:
            threshold = lab.analyte.from_canonical(cut, unit)
            if lab.value < threshold:
                return grade, f"< {_fmt(threshold)} {unit.display}"
        if limit is not None and lab.value < limit:
            return 1, "< LLN"
        return 0, ""
    if criterion.scale is not Scale.FIXED and limit is None:  # pragma: no cover - every such analyte has a ULN
        raise ValueError(f"no upper limit of normal for {lab.analyte.key}")
    for grade, cut in criterion.cuts:
        if criterion.scale is Scale.ULN_MULTIPLE:
            assert limit is not None
            threshold, text = cut * limit, ("> ULN" if cut == 1 else f"> {cut} × ULN")
        elif criterion.scale is Scale.ULN_PLUS:
            assert limit is not None
            above = lab.analyte.from_canonical(cut, unit)
            threshold = limit + above
            text = "> ULN" if cut == 0 else f"> ULN + {_fmt(above)} {unit.display}"
        else:
            threshold = lab.analyte.from_canonical(cut, unit)
            text = f"> {_fmt(threshold)} {unit.display}"
        if lab.value > threshold:
            return grade, text
    return 0, ""


def _by_baseline(criterion: LabCriterion, lab: LabValue, baseline: Baseline) -> tuple[int, str]:
    for cut in criterion.baseline_cuts:
        # value / unit > multiple × baseline / baseline unit, cross-multiplied so that no division
        # rounds: value × baseline.per_canonical vs multiple × baseline × unit.per_canonical.
        left = lab.value * baseline.unit.per_canonical
        right = cut.multiple * baseline.value * lab.unit.per_canonical
        if left > right or (cut.inclusive and left == right):
            return cut.grade, f"{cut.text} {baseline.text}"
    return 0, ""


def _baseline_abnormal(analyte: Analyte, baseline: Baseline, default_high: Decimal | None) -> bool:
    """CTCAE's "baseline was abnormal": above the ULN printed with it, else CareLoop's default."""
    uln = baseline.reference_high
    if uln is None:
        uln = _in_unit(analyte, default_high, baseline.unit)
    return uln is not None and baseline.value > uln


def _in_unit(analyte: Analyte, canonical: Decimal | None, unit: Unit) -> Decimal | None:
    return None if canonical is None else analyte.from_canonical(canonical, unit)


def _fmt(value: Decimal) -> str:
    return format(value.normalize(), "f")
