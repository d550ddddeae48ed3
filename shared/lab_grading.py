"""CTCAE v5.0 grades for lab values.

Counts and hemoglobin fall below fixed cut-points (grade 1 below the lower limit of normal);
creatinine, ALT, AST and bilirubin rise above multiples of the upper limit of normal. CTCAE ranges
read "<75.0 - 50.0": strictly below each cut-point, so platelets of exactly 50 ×10^9/L are grade 2
and 49.9 are grade 3 (reference.md §2.1 "Boundary convention"). Comparisons run in the unit the
value was reported in; thresholds move into it by exact multiplication, except where CTCAE prints
its own cut-points for that unit (hemoglobin in mmol/L: 6.2 and 4.9, not 10.0 × 0.6206).

Source of every row: NCI CTCAE v5.0 (27 Nov 2017), the terms named below; cross-checked against
../shared/clinical/ctcae_v5_lab_grading_criteria.json. The ALT/AST/bilirubin/creatinine criteria
also have a "× baseline if baseline was abnormal" arm: CareLoop has no baseline, so it grades
against the upper limit of normal.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType

from shared.lab_values import LabValue


class Direction(StrEnum):
    LOW = "low"  # "... count decreased": worse as it falls
    HIGH = "high"  # "... increased": worse as it rises


@dataclass(frozen=True)
class LabCriterion:
    analyte: str
    term: str  # CTCAE v5.0 term
    meddra: str
    direction: Direction
    # LOW: (grade, cut) meaning value < cut, in the canonical unit; grade 1 is "< LLN".
    # HIGH: (grade, multiple) meaning value > multiple × ULN; grade 1 is "> ULN" (multiple 1).
    cuts: tuple[tuple[int, Decimal], ...]
    # Cut-points CTCAE prints in another unit, used as printed.
    cuts_by_unit: Mapping[str, tuple[tuple[int, Decimal], ...]] = field(default_factory=dict)

    @property
    def source(self) -> str:
        return f"CTCAE v5.0 '{self.term}' (MedDRA {self.meddra})"


def _cuts(*pairs: tuple[int, str]) -> tuple[tuple[int, Decimal], ...]:
    return tuple((grade, Decimal(cut)) for grade, cut in pairs)


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
                MappingProxyType({"mmol/L": _cuts((3, "4.9"), (2, "6.2")), "g/L": _cuts((3, "80"), (2, "100"))}),
            ),
            LabCriterion(
                "creatinine",
                "Creatinine increased",
                "10011368",
                Direction.HIGH,
                _cuts((4, "6.0"), (3, "3.0"), (2, "1.5"), (1, "1")),
            ),
            LabCriterion(
                "alt",
                "Alanine aminotransferase increased",
                "10001551",
                Direction.HIGH,
                _cuts((4, "20.0"), (3, "5.0"), (2, "3.0"), (1, "1")),
            ),
            LabCriterion(
                "ast",
                "Aspartate aminotransferase increased",
                "10003481",
                Direction.HIGH,
                _cuts((4, "20.0"), (3, "5.0"), (2, "3.0"), (1, "1")),
            ),
            LabCriterion(
                "bilirubin",
                "Blood bilirubin increased",
                "10005364",
                Direction.HIGH,
                _cuts((4, "10.0"), (3, "3.0"), (2, "1.5"), (1, "1")),
            ),
        )
    }
)


@dataclass(frozen=True)
class LabGrade:
    grade: int
    term: str
    source: str
    limit: Decimal | None  # the LLN or ULN applied, in the reported unit
    limit_is_reports_own: bool  # False: CareLoop's documented default (shared/analytes.py)


def grade_lab(lab: LabValue) -> LabGrade:
    criterion = CRITERIA[lab.analyte.key]
    if criterion.direction is Direction.LOW:
        return _grade_low(criterion, lab)
    return _grade_high(criterion, lab)


def _grade_low(criterion: LabCriterion, lab: LabValue) -> LabGrade:
    own = lab.reference_low is not None
    lln = lab.reference_low if own else _default_in_unit(lab, lab.analyte.default_low)
    printed = criterion.cuts_by_unit.get(lab.unit.key)
    cuts = printed or tuple((g, lab.analyte.from_canonical(c, lab.unit)) for g, c in criterion.cuts)
    grade = next((g for g, cut in cuts if lab.value < cut), 0)
    if grade == 0 and lln is not None and lab.value < lln:
        grade = 1
    return LabGrade(grade, criterion.term, criterion.source, lln, own)


def _grade_high(criterion: LabCriterion, lab: LabValue) -> LabGrade:
    own = lab.reference_high is not None
    uln = lab.reference_high if own else _default_in_unit(lab, lab.analyte.default_high)
    if uln is None:  # pragma: no cover - every HIGH analyte has a default ULN
        raise ValueError(f"no upper limit of normal for {lab.analyte.key}")
    grade = next((g for g, multiple in criterion.cuts if lab.value > multiple * uln), 0)
    return LabGrade(grade, criterion.term, criterion.source, uln, own)


def _default_in_unit(lab: LabValue, canonical: Decimal | None) -> Decimal | None:
    return None if canonical is None else lab.analyte.from_canonical(canonical, lab.unit)
