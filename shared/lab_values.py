"""Turn a lab value as the patient typed it (value, unit, optional reference range) into a
canonical value, or refuse it with a reason a person can act on.

Refused: unknown analyte or unit, a value that is not a finite number, a physiologically
impossible value, and the factor-of-1000 mix-up where the per-µL count is not one a lab prints
(platelets "42" in "/µL", a fraction of a cell), whose reason names the unit that was probably meant.

Accepted but flagged (`LabValue.unit_doubt`): a count per µL that would also be a possible value in
K/µL ("10 /µL" of neutrophils: grade 4, or a normal 10 K/µL typed under the wrong unit). It is
graded as typed, per µL, because a missed grade 4 is worse than a spare alert; the alert and the
phone ask to check the unit. A printed reference limit is a value of the analyte too, and is
refused on the same grounds; so every number stored for a lab result lies in the analyte's
plausible range, far inside the server's columns (18 digits, 6 after the point).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from shared.analytes import ANALYTES, PER_UL, Analyte, Unit


class LabValueError(ValueError):
    """A refused lab value: `field` is the wire field to blame, `suggested_unit` the likely intent."""

    def __init__(self, field: str, message: str, suggested_unit: str | None = None) -> None:
        super().__init__(message)
        self.field = field
        self.message = message
        self.suggested_unit = suggested_unit


@dataclass(frozen=True)
class LabValue:
    analyte: Analyte
    value: Decimal  # as reported
    unit: Unit  # as reported (CareLoop's spelling)
    canonical_value: Decimal
    reference_low: Decimal | None  # in the reported unit, when the report printed a range
    reference_high: Decimal | None
    unit_doubt: Unit | None = None  # another unit in which this number is also possible (check it)


MAX_DECIMAL_PLACES = 6


def to_decimal(raw: object, field: str) -> Decimal:
    """A JSON number as an exact Decimal (floats via their shortest repr: 49.9 stays 49.9)."""
    if isinstance(raw, bool) or not isinstance(raw, (int, float, Decimal)):
        raise LabValueError(field, "Must be a number.")
    try:
        value = Decimal(repr(raw)) if isinstance(raw, float) else Decimal(raw)
    except InvalidOperation as exc:  # pragma: no cover - repr of a float always parses
        raise LabValueError(field, "Must be a number.") from exc
    if not value.is_finite():
        raise LabValueError(field, "Must be a finite number.")
    if value.as_tuple().exponent < -MAX_DECIMAL_PLACES:  # type: ignore[operator]
        # Stored to a millionth: a finer value would be graded after rounding (49.9999999 → 50).
        raise LabValueError(field, f"At most {MAX_DECIMAL_PLACES} decimal places.")
    return value


def _fmt(value: Decimal) -> str:
    if value.adjusted() >= _LONGEST_PLAIN:  # a reason quoting a number should not be a page of zeros
        return format(value, ".6G")
    return format(value.normalize(), "f")


_LONGEST_PLAIN = 15


def _plausible(analyte: Analyte, value: Decimal, unit: Unit) -> bool:
    """Whether `value` in `unit` lies in the analyte's plausible range. Compared in the reported
    unit, where the limits are exact products: the value is never divided, so a number of any size
    is simply out of range (its division would overflow Decimal's precision when rounded)."""
    return (
        analyte.from_canonical(analyte.plausible_min, unit)
        <= value
        <= analyte.from_canonical(analyte.plausible_max, unit)
    )


def _looks_like_per_ul_mixup(analyte: Analyte, value: Decimal, unit: Unit) -> bool:
    if analyte.per_ul_floor is None or unit.key != PER_UL or value == 0:
        return False
    return value < analyte.per_ul_floor or value != value.to_integral_value()


def _per_ul_doubt(analyte: Analyte, value: Decimal, unit: Unit) -> Unit | None:
    """The count unit this per-µL number would also be possible in (K/µL), if any."""
    if analyte.per_ul_floor is None or unit.key != PER_UL or value == 0:
        return None
    return _unit_that_fits(analyte, value, unit)


def _unit_that_fits(analyte: Analyte, value: Decimal, wrong: Unit) -> Unit | None:
    """The first other unit in which this number is a plausible value (and no mix-up itself)."""
    for unit in analyte.units:
        if unit is wrong or unit.per_canonical == wrong.per_canonical:
            continue
        if _plausible(analyte, value, unit) and not _looks_like_per_ul_mixup(analyte, value, unit):
            return unit
    return None


def _range_text(analyte: Analyte, unit: Unit) -> str:
    low = _fmt(analyte.from_canonical(analyte.plausible_min, unit))
    high = _fmt(analyte.from_canonical(analyte.plausible_max, unit))
    return f"{low} to {high} {unit.display}"


def parse_lab_value(
    analyte_key: object,
    raw_value: object,
    raw_unit: object,
    reference_low: object = None,
    reference_high: object = None,
) -> LabValue:
    if not isinstance(analyte_key, str) or analyte_key.strip().lower() not in ANALYTES:
        known = ", ".join(sorted(ANALYTES))
        raise LabValueError("analyte", f"Unknown analyte. Use one of: {known}.")
    analyte = ANALYTES[analyte_key.strip().lower()]
    if not isinstance(raw_unit, str) or (unit := analyte.unit(raw_unit)) is None:
        accepted = ", ".join(spelling for u in analyte.units for spelling in (u.key, *u.aliases))
        raise LabValueError("unit", f"Unit not accepted for {analyte.name}. Use one of: {accepted}.")
    value = to_decimal(raw_value, "value")
    if value < 0:
        raise LabValueError("value", f"{analyte.name} cannot be negative.")

    if _looks_like_per_ul_mixup(analyte, value, unit):
        meant = _unit_that_fits(analyte, value, unit)
        hint = f" Did you mean {_fmt(value)} {meant.display}?" if meant else ""
        problem = (
            "is not a whole number of cells"
            if value != value.to_integral_value()
            else f"is far too low for {analyte.name.lower()}"
        )
        raise LabValueError("value", f"{_fmt(value)} {unit.display} {problem}.{hint}", meant.key if meant else None)
    if not _plausible(analyte, value, unit):
        meant = _unit_that_fits(analyte, value, unit)
        hint = f" Did you mean {_fmt(value)} {meant.display}?" if meant else ""
        raise LabValueError(
            "value",
            f"{_fmt(value)} {unit.display} is not a possible {analyte.name.lower()} value "
            f"(possible: {_range_text(analyte, unit)}).{hint}",
            meant.key if meant else None,
        )
    canonical = analyte.to_canonical(value, unit)

    low = None if reference_low is None else to_decimal(reference_low, "reference_low")
    high = None if reference_high is None else to_decimal(reference_high, "reference_high")
    if low is not None and low < 0:
        raise LabValueError("reference_low", "Cannot be negative.")
    if high is not None and high <= 0:
        raise LabValueError("reference_high", "Must be above zero.")
    if low is not None and high is not None and low >= high:
        raise LabValueError("reference_low", "Must be below reference_high.")
    _check_reference(analyte, unit, "reference_low", low, analyte.default_low)
    _check_reference(analyte, unit, "reference_high", high, analyte.default_high)
    return LabValue(analyte, value, unit, canonical, low, high, _per_ul_doubt(analyte, value, unit))


# A printed reference limit more than this factor away from the usual one was almost surely
# copied in another unit; grading against it would be wrong by that factor.
_REFERENCE_SPREAD = Decimal(4)


def _check_reference(analyte: Analyte, unit: Unit, field: str, given: Decimal | None, usual: Decimal | None) -> None:
    """Compared in the reported unit, like the value, so that a limit of any size is refused, not divided."""
    if given is None:
        return
    if usual:
        expected = analyte.from_canonical(usual, unit)
        if not expected / _REFERENCE_SPREAD <= given <= expected * _REFERENCE_SPREAD:
            raise LabValueError(
                field,
                f"{_fmt(given)} {unit.display} is far from the usual limit of about {_fmt(expected)} {unit.display}: "
                "is it in the same unit as the value?",
            )
    elif field == "reference_low" and analyte.default_high is not None:
        # A usual lower limit of zero (ALT, AST, bilirubin) gives no scale to compare a printed one
        # with; but a lower limit at or above the usual upper limit cannot be one in this unit.
        ceiling = analyte.from_canonical(analyte.default_high, unit)
        if given >= ceiling:
            raise LabValueError(
                field,
                f"{_fmt(given)} {unit.display} is not below the usual upper limit of about "
                f"{_fmt(ceiling)} {unit.display}: is it in the same unit as the value?",
            )
    if not _plausible(analyte, given, unit):
        raise LabValueError(
            field,
            f"{_fmt(given)} {unit.display} is not a possible {analyte.name.lower()} value for a reference limit "
            f"(possible: {_range_text(analyte, unit)}).",
        )
