"""The lab analytes CareLoop accepts: LOINC code, canonical unit, the units labs print with their
exact conversion, the physiologically plausible range, and the reference range used when a
report gives none.

Conversions are stored as "reported units per canonical unit" so that a threshold moves into the
reported unit by an exact Decimal multiplication (50 ×10^9/L × 1000 = 50000 /µL), never by a
lossy division. Sources: ../shared/clinical/reference.md §2.1 (unit equivalences), §7.1 (reference
ranges), §7.2 (LOINC).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, Inexact, localcontext
from enum import StrEnum
from functools import cached_property, lru_cache
from types import MappingProxyType

from shared.units import normalize_unit


@dataclass(frozen=True)
class Unit:
    key: str  # how CareLoop writes it back, e.g. "10^9/L"
    per_canonical: Decimal  # how many of this unit make one canonical unit
    aliases: tuple[str, ...]  # other spellings, before normalisation
    label: str = ""  # how a person reads it, e.g. "K/µL"

    @property
    def display(self) -> str:
        return self.label or self.key


class Sex(StrEnum):
    """The sex a patient's reference limits follow (recorded at enrollment; optional)."""

    FEMALE = "female"
    MALE = "male"


@dataclass(frozen=True)
class Analyte:
    key: str
    name: str
    loinc: str
    canonical_unit: str
    units: tuple[Unit, ...]
    plausible_min: Decimal  # canonical unit, inclusive; outside it a value is refused
    plausible_max: Decimal
    # Canonical; the reading's own range wins when it carries one. Where limits differ by sex
    # (`by_sex`), these are the ones used when the patient's sex is not recorded: the stricter of
    # the two (the higher LLN, the lower ULN), so that a grade is never missed for want of it.
    default_low: Decimal | None
    default_high: Decimal | None
    reference_source: str
    # Counts reported "per µL": a non-zero value below this, or a fraction of a cell, is not a count
    # any lab prints that way, so it is refused as the factor-of-1000 mix-up. None where the mix-up
    # cannot happen.
    per_ul_floor: Decimal | None = None
    by_sex: Mapping[Sex, tuple[Decimal | None, Decimal | None]] = field(default_factory=dict)

    def limits(self, sex: Sex | None) -> tuple[Decimal | None, Decimal | None]:
        """CareLoop's (LLN, ULN) for a patient of that sex (None: not recorded), canonical."""
        if sex is not None and sex in self.by_sex:
            return self.by_sex[sex]
        return self.default_low, self.default_high

    def unit(self, text: str) -> Unit | None:
        """The unit this spelling names (any spelling `normalize_unit` makes alike), or None."""
        # Phones send a handful of spellings, so their normalised form is remembered; only short
        # plain strings are, so that odd input can neither fill memory nor reach a str subclass.
        wanted = _normalized(text) if type(text) is str and len(text) <= _REMEMBERED_LENGTH else normalize_unit(text)
        return self._units_by_spelling.get(wanted)

    @cached_property
    def _units_by_spelling(self) -> Mapping[str, Unit]:
        """Each accepted spelling, normalised, to its unit; where two units share a spelling, the
        first one listed wins."""
        table: dict[str, Unit] = {}
        for unit in self.units:
            for spelling in (unit.key, *unit.aliases):
                table.setdefault(normalize_unit(spelling), unit)
        return MappingProxyType(table)

    def to_canonical(self, value: Decimal, unit: Unit) -> Decimal:
        """Exact for factors of ten; rounded to a millionth for 0.6206, 88.42 and 17.1, which is
        finer than any lab prints. Grading never uses it: it compares in the reported unit."""
        # Whether the division rounded is asked of the decimal context, not found by multiplying
        # back: a rounded 28-digit quotient can multiply back to the value exactly, and would then be
        # kept (and shown) with 28 digits.
        with localcontext() as context:
            context.clear_flags()
            quotient = value / unit.per_canonical
            exact = not context.flags[Inexact]
        return quotient if exact else quotient.quantize(CANONICAL_STEP)

    def from_canonical(self, value: Decimal, unit: Unit) -> Decimal:
        return value * unit.per_canonical


_REMEMBERED_LENGTH = 40
_normalized = lru_cache(maxsize=256)(normalize_unit)

_THOUSAND = Decimal(1000)
CANONICAL_STEP = Decimal("0.000001")

# Cell counts: 1 K/µL = 10^3/µL = 1,000/mm³ = 1 ×10^9/L (reference.md §2.1, §7.1).
# K/µL first: it is what US reports print, so it is the unit a mix-up hint suggests.
_COUNT_UNITS = (
    Unit("K/uL", Decimal(1), ("10^3/uL", "k/mm3", "10^3/mm3", "thou/uL"), "K/µL"),
    Unit("10^9/L", Decimal(1), (), "×10⁹/L"),
    Unit("/uL", _THOUSAND, ("cells/uL", "/mm3", "cells/mm3"), "/µL"),
)
PER_UL = "/uL"


def _sexes(*, female: tuple[str, str], male: tuple[str, str]) -> Mapping[Sex, tuple[Decimal | None, Decimal | None]]:
    return MappingProxyType(
        {Sex.FEMALE: (Decimal(female[0]), Decimal(female[1])), Sex.MALE: (Decimal(male[0]), Decimal(male[1]))}
    )


def _counts(key: str, name: str, loinc: str, *, hi: str, low: str, high: str, src: str, floor: str) -> Analyte:
    return Analyte(
        key=key,
        name=name,
        loinc=loinc,
        canonical_unit="10^9/L",
        units=_COUNT_UNITS,
        plausible_min=Decimal(0),
        plausible_max=Decimal(hi),
        default_low=Decimal(low),
        default_high=Decimal(high),
        reference_source=src,
        per_ul_floor=Decimal(floor),
    )


ANALYTES: Mapping[str, Analyte] = MappingProxyType(
    {
        a.key: a
        for a in (
            # Contract §3: platelets above 5000 ×10^9/L are impossible. Analyzers report platelets in
            # whole thousands per µL (1 K/µL at the least) [U: reporting resolution, confirm with the
            # clinic's lab], so 1-999 /µL is not a printed count: refused as a mix-up.
            _counts(
                "platelets",
                "Platelets",
                "777-3",
                hi="5000",
                low="150",
                high="450",
                src="Mayo Clinic CBC 150-450 x10^9/L (reference.md §7.1)",
                floor="1000",
            ),
            # ANC and WBC ceilings sit just above what a myeloma patient can have, so that a count in
            # cells/µL typed under K/µL (an ANC of 300 = grade 4) is refused, not graded 0. Any whole
            # number of cells per µL is a real count (an ANC of 10 /µL is grade 4): only a fraction is
            # refused. One at or under the ceiling is graded per µL and flagged for its unit
            # (shared.lab_values.LabValue.unit_doubt): a grade 4 or a slip, it is alerted either way.
            _counts(
                "anc",
                "Neutrophils (absolute)",
                "751-8",
                hi="100",
                low="1.8",
                high="7.7",
                src="Merck Manual 1.8-7.7 x10^9/L (reference.md §7.1)",
                floor="1",
            ),
            _counts(
                "wbc",
                "White blood cells",
                "6690-2",
                hi="200",
                low="3.5",
                high="10.5",
                src="Mayo Clinic CBC 3.5-10.5 x10^9/L (reference.md §7.1)",
                floor="1",
            ),
            Analyte(
                key="hemoglobin",
                name="Hemoglobin",
                loinc="718-7",
                canonical_unit="g/dL",
                # g/dL x 10 = g/L; g/dL x 0.6206 = mmol/L (reference.md §7.1).
                units=(
                    Unit("g/dL", Decimal(1), ()),
                    Unit("g/L", Decimal(10), ()),
                    Unit("mmol/L", Decimal("0.6206"), ()),
                ),
                # Below 2 g/dL is not compatible with a patient typing it in; 12 g/L then reads as 12 g/dL.
                plausible_min=Decimal(2),
                plausible_max=Decimal(25),
                # Sex not recorded: the men's LLN and the women's ULN (the stricter of each).
                default_low=Decimal("13.5"),
                default_high=Decimal("15.5"),
                reference_source="Mayo Clinic 12.0-15.5 (F) / 13.5-17.5 (M) g/dL (reference.md §7.1)",
                by_sex=_sexes(female=("12.0", "15.5"), male=("13.5", "17.5")),
            ),
            Analyte(
                key="creatinine",
                name="Creatinine",
                loinc="2160-0",
                canonical_unit="mg/dL",
                units=(Unit("mg/dL", Decimal(1), ()), Unit("umol/L", Decimal("88.42"), (), "µmol/L")),
                plausible_min=Decimal("0.05"),
                plausible_max=Decimal(40),
                # Sex not recorded: the women's range, whose ULN is the stricter.
                default_low=Decimal("0.59"),
                default_high=Decimal("1.04"),
                reference_source=(
                    "Mayo Clinic creatinine test: 0.59-1.04 (F) / 0.74-1.35 (M) mg/dL [P: seen quoted, "
                    "confirm with the clinic's lab]"
                ),
                by_sex=_sexes(female=("0.59", "1.04"), male=("0.74", "1.35")),
            ),
            Analyte(
                key="alt",
                name="ALT",
                loinc="1742-6",
                canonical_unit="U/L",
                units=(Unit("U/L", Decimal(1), ("IU/L",)),),
                plausible_min=Decimal(0),
                plausible_max=Decimal(20000),
                default_low=Decimal(0),
                default_high=Decimal(40),
                reference_source="common adult ULN 40 U/L [U: confirm with the clinic's lab]",
            ),
            Analyte(
                key="ast",
                name="AST",
                loinc="1920-8",
                canonical_unit="U/L",
                units=(Unit("U/L", Decimal(1), ("IU/L",)),),
                plausible_min=Decimal(0),
                plausible_max=Decimal(20000),
                default_low=Decimal(0),
                default_high=Decimal(40),
                reference_source="common adult ULN 40 U/L [U: confirm with the clinic's lab]",
            ),
            Analyte(
                key="bilirubin",
                name="Total bilirubin",
                loinc="1975-2",
                canonical_unit="mg/dL",
                units=(Unit("mg/dL", Decimal(1), ()), Unit("umol/L", Decimal("17.1"), (), "µmol/L")),
                plausible_min=Decimal(0),
                plausible_max=Decimal(60),
                default_low=Decimal(0),
                default_high=Decimal("1.2"),
                reference_source="common adult ULN 1.2 mg/dL [U: confirm with the clinic's lab]",
            ),
            Analyte(
                key="alkaline_phosphatase",
                name="Alkaline phosphatase",
                loinc="6768-6",  # Alkaline phosphatase [Enzymatic activity/volume] in Serum or Plasma
                canonical_unit="U/L",
                units=(Unit("U/L", Decimal(1), ("IU/L",)),),
                plausible_min=Decimal(0),
                plausible_max=Decimal(20000),
                default_low=Decimal(0),
                default_high=Decimal(147),
                reference_source="MedlinePlus adult range 44-147 IU/L [P: seen quoted, confirm with the clinic's lab]",
            ),
        )
    }
)
