"""What happens after a hold: the NINLARO dose-modification table, as a suggestion for the nurse.

CareLoop never changes a dose by itself. When a hold ends, the nurse sees the dose the label's
table points to (`suggest_after_hold`) and records her own decision (resume at the same dose,
reduce, delay the cycle, stop); the phone shows the new dose from its next sync.

Sources, and how far each row was checked (verification legend of shared/clinical/reference.md):

* [V] Thrombocytopenia (platelets < 30,000/mm³) and neutropenia (ANC < 500/mm³): withhold
  ixazomib and lenalidomide until recovery; on the first occurrence resume lenalidomide at its
  next lower dose and ixazomib at its most recent dose; on a recurrence resume ixazomib at its
  next lower dose and lenalidomide at its most recent dose; "for additional occurrences,
  alternate dose modification of lenalidomide and NINLARO". NINLARO USPI §2.4 Table 3, as
  reproduced on drugs.com/dosage/ixazomib.html and minclinic.eu (Ninlaro monograph), and the UK
  SmPC summary on ninlaro.co.uk/hcp/prescribing-ninlaro/managing-adverse-events ("for
  overlapping toxicities (thrombocytopenia, neutropenia and rash), the first dose reduction
  step is to reduce lenalidomide").
* [V] Dose-reduction steps: ixazomib 4 → 3 → 2.3 mg → discontinue (NINLARO USPI §2.4 Table 2,
  drugs.com); lenalidomide: next lower dose per its own label, "do not dose below 2.5 mg daily"
  (Revlimid USPI Table 1, drugs.com/dosage/revlimid.html) — `shared.regimen` holds both ladders.
* [P] Rash grade 2 or 3: treated as an overlapping toxicity (lenalidomide first, then ixazomib,
  alternating) — the ninlaro.co.uk line above confirms rash is handled lenalidomide-first; the
  USPI row's own wording was not retrieved. Rash grade 4: discontinue the regimen [U].
* [U] Peripheral neuropathy: grade 1 with pain or grade 2 → withhold ixazomib until ≤ grade 1
  without pain (or baseline), resume at the most recent dose; grade 2 with pain or grade 3 →
  withhold, resume at the next lower dose; grade 4 → discontinue the regimen. The USPI row text
  could not be retrieved; the rows follow the issue's reading of the label and the same
  structure as the bortezomib neuropathy table (PMC1936263 Table 1).
* [P] Other non-hematologic toxicity grade 3 or 4: withhold ixazomib until ≤ grade 1 or
  baseline; if attributable to ixazomib resume at the next lower dose (reference.md §1.5:
  doctor123 monograph wording; exact USPI row [U]).

A clinician must sign off each row before release; the nurse's decision always wins.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Final

from shared.regimen import Drug, next_lower_dose

__all__ = [
    "OVERLAPPING",
    "Suggestion",
    "Toxicity",
    "suggest_after_hold",
]


class Toxicity(StrEnum):
    """What caused the hold, as the label's table rows name it."""

    THROMBOCYTOPENIA = "thrombocytopenia"
    NEUTROPENIA = "neutropenia"
    RASH = "rash"
    NEUROPATHY = "neuropathy"
    OTHER = "other"  # another non-hematologic toxicity


#: Toxicities both drugs cause: the table reduces lenalidomide first, then alternates.
OVERLAPPING: Final[frozenset[Toxicity]] = frozenset({Toxicity.THROMBOCYTOPENIA, Toxicity.NEUTROPENIA, Toxicity.RASH})

_SOURCE_TABLE: Final = "NINLARO USPI §2.4 Table 3"


@dataclass(frozen=True)
class Suggestion:
    """The label's next doses after a hold. `None` for a drug means stop it (off the ladder);
    `discontinue` means the label stops the regimen. `reduced` names the drug stepped down."""

    ixazomib_mg: Decimal | None
    lenalidomide_mg: Decimal | None
    reduced: Drug | None
    discontinue: bool
    hold: bool  # whether this row holds a drug at all (neuropathy grade 1 without pain does not)
    text: str
    source: str


def suggest_after_hold(
    *,
    toxicity: Toxicity,
    grade: int,
    ixazomib_mg: Decimal,
    lenalidomide_mg: Decimal,
    last_reduced: Drug | None = None,
    painful: bool = False,
) -> Suggestion:
    """The dose the label's table suggests once the hold for `toxicity` at `grade` has ended.

    `last_reduced` is the drug reduced the previous time this toxicity held the regimen (from the
    patient's dose history; None the first time): overlapping toxicities alternate, lenalidomide
    first. `painful` qualifies neuropathy (the table grades neuropathy with pain one row up).
    """
    if not 0 <= grade <= 4:
        raise ValueError(f"grade must be 0..4, got {grade}")
    if toxicity in OVERLAPPING:
        return _overlapping(toxicity, grade, ixazomib_mg, lenalidomide_mg, last_reduced)
    if toxicity is Toxicity.NEUROPATHY:
        return _neuropathy(grade, painful, ixazomib_mg, lenalidomide_mg)
    return _other(grade, ixazomib_mg, lenalidomide_mg)


def _same(ixazomib_mg: Decimal, lenalidomide_mg: Decimal, *, hold: bool, text: str) -> Suggestion:
    return Suggestion(ixazomib_mg, lenalidomide_mg, None, False, hold, text, _SOURCE_TABLE)


def _stop_regimen(ixazomib_mg: Decimal, lenalidomide_mg: Decimal, text: str) -> Suggestion:
    return Suggestion(ixazomib_mg, lenalidomide_mg, None, True, True, text, _SOURCE_TABLE)


def _reduce(drug: Drug, ixazomib_mg: Decimal, lenalidomide_mg: Decimal, text: str) -> Suggestion:
    current = ixazomib_mg if drug is Drug.IXAZOMIB else lenalidomide_mg
    lower = next_lower_dose(drug, current)
    step = f"{drug.value} {_mg(current)} → {_mg(lower)} mg" if lower is not None else f"stop {drug.value}"
    if drug is Drug.IXAZOMIB:
        return Suggestion(lower, lenalidomide_mg, drug, False, True, f"{text}: {step}.", _SOURCE_TABLE)
    return Suggestion(ixazomib_mg, lower, drug, False, True, f"{text}: {step}.", _SOURCE_TABLE)


def _overlapping(
    toxicity: Toxicity, grade: int, ixazomib_mg: Decimal, lenalidomide_mg: Decimal, last_reduced: Drug | None
) -> Suggestion:
    if toxicity is Toxicity.RASH:
        if grade <= 1:
            return _same(ixazomib_mg, lenalidomide_mg, hold=False, text="Rash grade ≤ 1: no dose change in the table.")
        if grade == 4:
            return _stop_regimen(ixazomib_mg, lenalidomide_mg, "Rash grade 4: the table discontinues the regimen.")
    drug = Drug.IXAZOMIB if last_reduced is Drug.LENALIDOMIDE else Drug.LENALIDOMIDE
    occurrence = "first occurrence" if last_reduced is None else "recurrence (alternating)"
    return _reduce(drug, ixazomib_mg, lenalidomide_mg, f"{toxicity.value.capitalize()}, {occurrence}")


def _neuropathy(grade: int, painful: bool, ixazomib_mg: Decimal, lenalidomide_mg: Decimal) -> Suggestion:
    if grade == 4:
        return _stop_regimen(ixazomib_mg, lenalidomide_mg, "Neuropathy grade 4: the table discontinues the regimen.")
    if grade == 3 or (grade == 2 and painful):
        return _reduce(
            Drug.IXAZOMIB, ixazomib_mg, lenalidomide_mg, "Neuropathy grade 2 with pain or grade 3, once ≤ grade 1"
        )
    if grade == 2 or (grade == 1 and painful):
        return _same(
            ixazomib_mg,
            lenalidomide_mg,
            hold=True,
            text="Neuropathy grade 1 with pain or grade 2: hold ixazomib until ≤ grade 1 without pain, "
            "then resume at the same dose.",
        )
    return _same(ixazomib_mg, lenalidomide_mg, hold=False, text="Neuropathy grade ≤ 1 without pain: no dose change.")


def _other(grade: int, ixazomib_mg: Decimal, lenalidomide_mg: Decimal) -> Suggestion:
    if grade < 3:
        return _same(ixazomib_mg, lenalidomide_mg, hold=False, text="Grade ≤ 2: no dose change in the table.")
    return _reduce(
        Drug.IXAZOMIB,
        ixazomib_mg,
        lenalidomide_mg,
        "Other non-hematologic grade 3-4, once ≤ grade 1 and if attributable to ixazomib",
    )


def _mg(dose: Decimal | None) -> str:
    return "-" if dose is None else format(dose.normalize(), "f")
