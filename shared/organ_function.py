"""Kidney and liver function against the labels' starting doses: Cockcroft–Gault CrCl, the
ixazomib and lenalidomide starting-dose helpers, and a warning when the regimen's dose is above
the label's dose for the patient's current kidney function.

Sources:

* Cockcroft DW, Gault MH. Prediction of creatinine clearance from serum creatinine. Nephron
  1976;16:31-41: CrCl (mL/min) = (140 − age) × weight (kg) / (72 × serum creatinine mg/dL),
  × 0.85 for women. The labels dose by CrCl, not eGFR (reference.md §1.3 note).
* [V] NINLARO USPI §2.5/§2.6 (drugs.com/dosage/ixazomib.html; minclinic.eu; ninlarohcp.com):
  starting dose 3 mg for severe renal impairment (CrCl < 30 mL/min) or end-stage renal disease
  on dialysis, and for moderate (total bilirubin > 1.5-3 × ULN) or severe (> 3 × ULN) hepatic
  impairment; otherwise 4 mg.
* [P] Revlimid USPI §2.5 (multiple myeloma): a starting dose adjustment "is recommended for
  patients with CLcr < 60 mL/min" (120ty.net copy of the US PI, verified); the doses — CrCl
  30-60: 10 mg once daily; CrCl < 30 not on dialysis: 15 mg every 48 hours; CrCl < 30 on
  dialysis: 5 mg once daily (after dialysis on dialysis days) — are the current US table as the
  issue and reference.md §1.6 give it, and match the EU SmPC copy seen (10 mg daily, 15 mg every
  other day, 5 mg daily); the US table's own cells were not retrieved.

Doses are compared as average mg per day, so 15 mg every 48 hours is 7.5 mg/day.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Final

__all__ = [
    "CRCL_MODERATE",
    "CRCL_SEVERE",
    "LabelDose",
    "RenalWarning",
    "cockcroft_gault",
    "ixazomib_starting_dose",
    "lenalidomide_renal_dose",
    "renal_dose_warnings",
]

#: mL/min bounds of the labels' renal rows.
CRCL_SEVERE: Final = Decimal(30)
CRCL_MODERATE: Final = Decimal(60)
_FEMALE_FACTOR: Final = Decimal("0.85")
#: Plausible adult inputs; outside them the formula says nothing useful (and a typo is likely).
_AGE_RANGE: Final = (18, 120)
_WEIGHT_RANGE_KG: Final = (Decimal(25), Decimal(300))
_CREATININE_RANGE_MG_DL: Final = (Decimal("0.1"), Decimal(20))


@dataclass(frozen=True)
class LabelDose:
    mg: Decimal
    every_days: int  # 1 = once daily, 2 = every 48 hours
    text: str
    source: str

    @property
    def mg_per_day(self) -> Decimal:
        return self.mg / self.every_days


@dataclass(frozen=True)
class RenalWarning:
    drug: str
    regimen_mg_per_day: Decimal
    label: LabelDose
    text: str


def cockcroft_gault(*, age_years: int, weight_kg: Decimal, creatinine_mg_dl: Decimal, sex: str) -> Decimal:
    """Creatinine clearance in mL/min, to one decimal. `sex` is "female" or "male": without it
    the formula is not defined (the 0.85 factor), and callers show no CrCl rather than guess."""
    if sex not in ("female", "male"):
        raise ValueError("sex must be 'female' or 'male' for Cockcroft-Gault")
    if not _AGE_RANGE[0] <= age_years <= _AGE_RANGE[1]:
        raise ValueError(f"age must be {_AGE_RANGE[0]}-{_AGE_RANGE[1]} years")
    if not _WEIGHT_RANGE_KG[0] <= weight_kg <= _WEIGHT_RANGE_KG[1]:
        raise ValueError(f"weight must be {_WEIGHT_RANGE_KG[0]}-{_WEIGHT_RANGE_KG[1]} kg")
    if not _CREATININE_RANGE_MG_DL[0] <= creatinine_mg_dl <= _CREATININE_RANGE_MG_DL[1]:
        raise ValueError(f"creatinine must be {_CREATININE_RANGE_MG_DL[0]}-{_CREATININE_RANGE_MG_DL[1]} mg/dL")
    crcl = (140 - age_years) * weight_kg / (72 * creatinine_mg_dl)
    if sex == "female":
        crcl *= _FEMALE_FACTOR
    return crcl.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def ixazomib_starting_dose(
    *, crcl: Decimal | None, dialysis: bool = False, bilirubin_x_uln: Decimal | None = None
) -> LabelDose:
    """NINLARO's starting dose for this kidney and liver function (unknown values count as normal)."""
    reasons: list[str] = []
    if dialysis:
        reasons.append("end-stage renal disease on dialysis")
    elif crcl is not None and crcl < CRCL_SEVERE:
        reasons.append(f"CrCl {crcl} < {CRCL_SEVERE} mL/min")
    if bilirubin_x_uln is not None and bilirubin_x_uln > Decimal("1.5"):
        reasons.append(f"total bilirubin {bilirubin_x_uln} × ULN (> 1.5: moderate or severe hepatic impairment)")
    source = "NINLARO USPI §2.5-2.6"
    if reasons:
        return LabelDose(Decimal(3), 1, f"3 mg starting dose: {'; '.join(reasons)}.", source)
    return LabelDose(Decimal(4), 1, "4 mg: no renal or hepatic adjustment.", source)


def lenalidomide_renal_dose(*, crcl: Decimal, dialysis: bool = False) -> LabelDose:
    """Revlimid's multiple-myeloma starting dose for this kidney function."""
    source = "Revlimid USPI §2.5 (renal impairment, MM)"
    if dialysis:
        return LabelDose(Decimal(5), 1, "5 mg once daily (on dialysis; after dialysis on dialysis days).", source)
    if crcl < CRCL_SEVERE:
        return LabelDose(Decimal(15), 2, f"15 mg every 48 hours (CrCl {crcl} < 30 mL/min, not on dialysis).", source)
    if crcl < CRCL_MODERATE:
        return LabelDose(Decimal(10), 1, f"10 mg once daily (CrCl {crcl} mL/min, 30-60).", source)
    return LabelDose(Decimal(25), 1, "25 mg once daily: no renal adjustment (CrCl ≥ 60 mL/min).", source)


def renal_dose_warnings(
    *, crcl: Decimal | None, ixazomib_mg: Decimal, lenalidomide_mg: Decimal, dialysis: bool = False
) -> list[RenalWarning]:
    """A warning per drug whose regimen dose (mg/day) is above the label's for this CrCl.
    Unknown CrCl and no dialysis: nothing to compare, no warning."""
    if crcl is None and not dialysis:
        return []
    found: list[RenalWarning] = []
    ixa = ixazomib_starting_dose(crcl=crcl, dialysis=dialysis)
    if ixazomib_mg > ixa.mg:
        found.append(
            RenalWarning(
                "ixazomib", ixazomib_mg, ixa, f"Ixazomib {_mg(ixazomib_mg)} mg is above the label's {ixa.text}"
            )
        )
    len_dose = lenalidomide_renal_dose(crcl=crcl if crcl is not None else Decimal(0), dialysis=dialysis)
    if lenalidomide_mg > len_dose.mg_per_day:
        found.append(
            RenalWarning(
                "lenalidomide",
                lenalidomide_mg,
                len_dose,
                f"Lenalidomide {_mg(lenalidomide_mg)} mg daily is above the label's {len_dose.text}",
            )
        )
    return found


def _mg(dose: Decimal) -> str:
    return format(dose.normalize(), "f")
