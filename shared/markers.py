"""The myeloma response markers CareLoop accepts (contract §5): key, name, LOINC where one is
known, canonical unit, the units labs print with their exact conversion, the plausible range, and
the qualitative values; and the parsing of one marker item as the phone or the care team sends it.

Units, as for lab values (shared/analytes.py), are "reported units per canonical unit", so every
conversion is an exact Decimal operation: M-protein 1 g/dL = 10 g/L; urine 1 g/24 h = 1000 mg/24 h;
free light chains 1 mg/dL = 10 mg/L (../shared/clinical/reference.md §7.1: "FLC mg/dL × 10 = mg/L").

The free light chain unit is a real trap: the same Freelite assay is printed as κ 3.30-19.40 mg/L
by one lab and 0.33-1.94 mg/dL by another (Cleveland Clinic Laboratories and Michigan Medicine
test catalogues), and IMWG writes its FLC thresholds in mg/dL (Kumar et al., Lancet Oncol 2016).
A tenfold error would fake a 90% fall (a VGPR) or a progression, so it is caught as the /µL count
mix-up is (shared/lab_values.py): a value impossible in the unit given is refused with the unit
that was probably meant, and a printed reference range far from the usual one is refused too.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType

from shared.analytes import Unit
from shared.lab_values import LabValueError, to_decimal
from shared.sync_schema import ItemError, bad_text, fingerprint, item_id_of, parse_time
from shared.units import normalize_unit

__all__ = [
    "MARKERS",
    "Marker",
    "MarkerItem",
    "MarkerKind",
    "MarkerValue",
    "MarkerValueError",
    "parse_marker_item",
    "parse_marker_value",
]


class MarkerValueError(LabValueError):
    """A refused marker value: `field` is the wire field to blame."""


class MarkerKind(StrEnum):
    QUANTITY = "quantity"
    CHOICE = "choice"


@dataclass(frozen=True)
class Marker:
    key: str
    name: str
    loinc: str | None
    kind: MarkerKind
    canonical_unit: str = ""
    units: tuple[Unit, ...] = ()
    plausible_min: Decimal = Decimal(0)  # canonical, inclusive
    plausible_max: Decimal = Decimal(0)
    choices: tuple[str, ...] = ()
    # Usual reference limits (canonical) of the common assay: a printed range far from them was
    # copied in another unit. None where labs print none.
    usual_low: Decimal | None = None
    usual_high: Decimal | None = None
    # A non-zero value below this, in the canonical unit, is below what any lab prints in that
    # unit: almost surely the same number in the larger unit (0.85 "mg/L" read off a mg/dL report).
    canonical_floor: Decimal | None = None

    def unit(self, text: str) -> Unit | None:
        wanted = normalize_unit(text)
        for unit in self.units:
            if wanted in {normalize_unit(s) for s in (unit.key, *unit.aliases)}:
                return unit
        return None

    def to_canonical(self, value: Decimal, unit: Unit) -> Decimal:
        """Exact: every factor is a power of ten."""
        return value / unit.per_canonical

    def from_canonical(self, value: Decimal, unit: Unit) -> Decimal:
        return value * unit.per_canonical


_FLC_UNITS = (Unit("mg/L", Decimal(1), ()), Unit("mg/dL", Decimal("0.1"), ()))


def _flc(key: str, name: str, loinc: str, low: str, high: str) -> Marker:
    return Marker(
        key,
        name,
        loinc,
        MarkerKind.QUANTITY,
        "mg/L",
        _FLC_UNITS,
        Decimal(0),
        # Involved chains of tens of thousands of mg/L are reported in light-chain myeloma; beyond
        # 100,000 mg/L (10 g/dL of free light chain alone) is not a possible serum.
        Decimal(100000),
        # Freelite reference intervals (κ 3.3-19.4, λ 5.71-26.3 mg/L; Clin Biochem Rev 2019;40:5-22, Table 9).
        usual_low=Decimal(low),
        usual_high=Decimal(high),
        # Labs print FLC in mg/L to one decimal and report anything below their measuring range as
        # "<"; a non-zero value under 0.5 mg/L is a mg/dL figure in the wrong unit. A result below
        # detection is entered as 0.
        canonical_floor=Decimal("0.5"),
    )


MARKERS: Mapping[str, Marker] = MappingProxyType(
    {
        m.key: m
        for m in (
            Marker(
                "serum_m_protein",
                "Serum M-protein (SPEP M-spike)",
                "33358-3",
                MarkerKind.QUANTITY,
                "g/dL",
                (Unit("g/dL", Decimal(1), ()), Unit("g/L", Decimal(10), ())),
                Decimal(0),
                # Total serum protein is about 6-8 g/dL; an M-spike above 15 g/dL cannot be, and
                # 30 "g/dL" is then 30 g/L (3 g/dL).
                Decimal(15),
            ),
            Marker(
                "urine_m_protein",
                "Urine M-protein (24-hour UPEP)",
                None,  # LOINC candidates conflict (reference.md §7.2): none is claimed
                MarkerKind.QUANTITY,
                "mg/24h",
                (
                    Unit("mg/24h", Decimal(1), ("mg/24 h", "mg/24hr", "mg/24hrs", "mg/d", "mg/day"), "mg/24 h"),
                    Unit("g/24h", Decimal("0.001"), ("g/24 h", "g/24hr", "g/24hrs", "g/d", "g/day"), "g/24 h"),
                ),
                Decimal(0),
                Decimal(50000),  # 50 g a day of urine protein is beyond any kidney's output
            ),
            _flc("kappa_flc", "Serum free kappa light chain", "36916-5", "3.3", "19.4"),
            _flc("lambda_flc", "Serum free lambda light chain", "33944-0", "5.71", "26.3"),
            Marker("serum_ife", "Serum immunofixation", None, MarkerKind.CHOICE, choices=("positive", "negative")),
            Marker("urine_ife", "Urine immunofixation", None, MarkerKind.CHOICE, choices=("positive", "negative")),
            Marker(
                "marrow_plasma_cells",
                "Bone marrow plasma cells",
                None,
                MarkerKind.QUANTITY,
                "%",
                (Unit("%", Decimal(1), ("percent",)),),
                Decimal(0),
                Decimal(100),
            ),
            Marker(
                "marrow_clonal_cells",
                "Clonal plasma cells in the marrow (IHC or flow)",
                None,
                MarkerKind.CHOICE,
                choices=("present", "absent"),
            ),
            Marker("new_lesion", "New bone lesion or plasmacytoma", None, MarkerKind.CHOICE, choices=("yes", "no")),
            Marker("mrd", "Minimal residual disease", None, MarkerKind.CHOICE, choices=("positive", "negative")),
        )
    }
)

MRD_METHODS = ("NGF", "NGS")  # next-generation flow, next-generation sequencing
# IMWG MRD negativity needs a sensitivity of at least 1 in 10^5 (Kumar et al., Lancet Oncol 2016).
MRD_SENSITIVITIES: Mapping[str, Decimal] = MappingProxyType({"1e-5": Decimal("1e-5"), "1e-6": Decimal("1e-6")})


@dataclass(frozen=True)
class MarkerValue:
    marker: Marker
    value: Decimal | None  # as reported (quantities)
    unit: Unit | None
    canonical: Decimal | None
    text: str | None  # choices: the lower-case value
    method: str | None = None  # mrd only
    sensitivity: str | None = None  # mrd only, "1e-5" or "1e-6"
    reference_low: Decimal | None = None
    reference_high: Decimal | None = None

    def wire_value(self) -> Decimal | str:
        if self.text is not None:
            return self.text
        assert self.value is not None
        return self.value


def _number(raw: object, field: str) -> Decimal:
    try:
        return to_decimal(raw, field)
    except LabValueError as exc:
        raise MarkerValueError(exc.field, exc.message) from None


def _fmt(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _other_unit_fits(marker: Marker, value: Decimal, wrong: Unit) -> Unit | None:
    for unit in marker.units:
        if unit is wrong:
            continue
        canonical = marker.to_canonical(value, unit)
        if marker.plausible_min <= canonical <= marker.plausible_max and not _below_floor(marker, canonical):
            return unit
    return None


def _below_floor(marker: Marker, canonical: Decimal) -> bool:
    return marker.canonical_floor is not None and 0 < canonical < marker.canonical_floor


def parse_marker_value(
    marker_key: object,
    raw_value: object,
    raw_unit: object = None,
    *,
    method: object = None,
    sensitivity: object = None,
    reference_low: object = None,
    reference_high: object = None,
) -> MarkerValue:
    """One marker value, checked: a quantity in an accepted unit and a plausible range, or one of
    the marker's words; refused with the field to blame and a reason a person can act on."""
    if not isinstance(marker_key, str) or marker_key.strip().lower() not in MARKERS:
        raise MarkerValueError("marker", f"Unknown marker. Use one of: {', '.join(MARKERS)}.")
    marker = MARKERS[marker_key.strip().lower()]
    if marker.key != "mrd" and (method is not None or sensitivity is not None):
        raise MarkerValueError("method" if method is not None else "sensitivity", "Only for mrd.")
    if marker.kind is MarkerKind.CHOICE:
        return _parse_choice(marker, raw_value, raw_unit, method, sensitivity, reference_low, reference_high)
    if not isinstance(raw_unit, str) or (unit := marker.unit(raw_unit)) is None:
        accepted = ", ".join(u.key for u in marker.units)
        raise MarkerValueError("unit", f"Unit not accepted for {marker.name}. Use one of: {accepted}.")
    value = _number(raw_value, "value")
    if value < 0:
        raise MarkerValueError("value", f"{marker.name} cannot be negative.")
    canonical = marker.to_canonical(value, unit)
    if not marker.plausible_min <= canonical <= marker.plausible_max or _below_floor(marker, canonical):
        meant = _other_unit_fits(marker, value, unit)
        hint = f" Did you mean {_fmt(value)} {meant.display}?" if meant else ""
        low = _fmt(marker.from_canonical(marker.plausible_min, unit))
        high = _fmt(marker.from_canonical(marker.plausible_max, unit))
        if _below_floor(marker, canonical):
            floor = _fmt(marker.from_canonical(marker.canonical_floor or Decimal(0), unit))
            problem = f"is below what labs print in {unit.display} (under {floor}; enter a result below detection as 0)"
        else:
            problem = f"is not a possible {marker.name} value (possible: {low} to {high} {unit.display})"
        raise MarkerValueError("value", f"{_fmt(value)} {unit.display} {problem}.{hint}", meant.key if meant else None)
    low_ref = _reference(marker, unit, "reference_low", reference_low, marker.usual_low)
    high_ref = _reference(marker, unit, "reference_high", reference_high, marker.usual_high)
    if low_ref is not None and high_ref is not None and low_ref >= high_ref:
        raise MarkerValueError("reference_low", "Must be below reference_high.")
    return MarkerValue(marker, value, unit, canonical, None, reference_low=low_ref, reference_high=high_ref)


# A printed limit more than this factor from the assay's usual one was copied in another unit
# (the same rule as for lab reference ranges, shared/lab_values.py).
_REFERENCE_SPREAD = Decimal(4)


def _reference(marker: Marker, unit: Unit, field: str, raw: object, usual: Decimal | None) -> Decimal | None:
    if raw is None:
        return None
    if usual is None:
        raise MarkerValueError(field, f"Not taken for {marker.name}.")
    given = _number(raw, field)
    if given <= 0:
        raise MarkerValueError(field, "Must be above zero.")
    canonical = marker.to_canonical(given, unit)
    if not usual / _REFERENCE_SPREAD <= canonical <= usual * _REFERENCE_SPREAD:
        expected = _fmt(marker.from_canonical(usual, unit))
        raise MarkerValueError(
            field,
            f"{_fmt(given)} {unit.display} is far from the usual limit of about {expected} {unit.display}: "
            "is the value in the unit the report prints?",
        )
    return given


def _parse_choice(
    marker: Marker,
    raw_value: object,
    raw_unit: object,
    method: object,
    sensitivity: object,
    reference_low: object,
    reference_high: object,
) -> MarkerValue:
    if raw_unit not in (None, ""):
        raise MarkerValueError("unit", f"{marker.name} has no unit: leave it out.")
    if reference_low is not None or reference_high is not None:
        raise MarkerValueError("reference_low" if reference_low is not None else "reference_high", "Not taken.")
    text = raw_value.strip().lower() if isinstance(raw_value, str) else None
    if text not in marker.choices:
        raise MarkerValueError("value", f"Must be one of: {', '.join(marker.choices)}.")
    if marker.key != "mrd":
        return MarkerValue(marker, None, None, None, text)
    found_method = next((m for m in MRD_METHODS if isinstance(method, str) and method.strip().upper() == m), None)
    if found_method is None:
        raise MarkerValueError("method", f"Required for mrd: one of {', '.join(MRD_METHODS)}.")
    return MarkerValue(marker, None, None, None, text, found_method, _sensitivity(sensitivity))


def _sensitivity(raw: object) -> str:
    """ "1e-5" or "1e-6", from that text or the number (1e-05 in JSON)."""
    wanted: Decimal | None = None
    if isinstance(raw, str):
        text = raw.strip().lower().replace("10^", "1e").replace("10**", "1e").replace("−", "-")
        try:
            wanted = Decimal(text)
        except ArithmeticError:
            wanted = None
    elif isinstance(raw, (int, float)) and not isinstance(raw, bool):
        wanted = Decimal(repr(raw))
    for key, level in MRD_SENSITIVITIES.items():
        if wanted is not None and wanted.is_finite() and wanted == level:
            return key
    raise MarkerValueError("sensitivity", f"Required for mrd: one of {', '.join(MRD_SENSITIVITIES)}.")


# --- the wire item: contract §5, the same shape from the care team and from the phone ----------

_FIELDS = frozenset(
    {"id", "marker", "value", "unit", "collected_at", "method", "sensitivity", "reference_low", "reference_high"}
)


@dataclass(frozen=True)
class MarkerItem:
    id: uuid.UUID
    value: MarkerValue
    collected_at: datetime

    def fingerprint(self) -> str:
        """A digest of the item's meaning (numbers normalised, the time in UTC): a replay is the same."""
        v = self.value
        return fingerprint(
            {
                "marker": v.marker.key,
                "value": v.wire_value(),
                "unit": v.unit.key if v.unit else None,
                "method": v.method,
                "sensitivity": v.sensitivity,
                "reference_low": v.reference_low,
                "reference_high": v.reference_high,
                "collected_at": self.collected_at,
            }
        )


def parse_marker_item(raw: object, *, now: datetime) -> MarkerItem:
    """One item, or ItemError with every field that is wrong (contract §2: field and reason)."""
    if not isinstance(raw, Mapping):
        raise ItemError({"non_field_errors": ["Each item must be an object."]})
    found = bad_text(raw)
    if found:
        raise ItemError({found[0]: [found[1]]}, item_id_of(raw))
    errors: dict[str, list[str]] = {}
    item_id: uuid.UUID | None = None
    raw_id = raw.get("id")
    if not isinstance(raw_id, str):
        errors["id"] = ["Required: a UUID made on the device or by the clinic's system."]
    else:
        try:
            item_id = uuid.UUID(raw_id)
        except ValueError:
            errors["id"] = ["Must be a UUID."]
    for name in sorted(set(raw) - _FIELDS):
        errors[name] = ["Unknown field."]
    collected_at = parse_time(raw.get("collected_at"), "collected_at", errors, now=now)
    value: MarkerValue | None = None
    try:
        value = parse_marker_value(
            raw.get("marker"),
            raw.get("value"),
            raw.get("unit"),
            method=raw.get("method"),
            sensitivity=raw.get("sensitivity"),
            reference_low=raw.get("reference_low"),
            reference_high=raw.get("reference_high"),
        )
    except MarkerValueError as exc:
        errors.setdefault(exc.field, []).append(exc.message)
    if errors or item_id is None or collected_at is None or value is None:
        raise ItemError(errors, item_id_of(raw))
    return MarkerItem(item_id, value, collected_at)
