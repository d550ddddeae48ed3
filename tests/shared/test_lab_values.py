"""Specification of shared.lab_values: a typed lab value becomes an exact canonical value, or is
refused with a reason a person can act on (contract §3)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from shared.analytes import ANALYTES
from shared.lab_values import LabValue, LabValueError, parse_lab_value, to_decimal


def refused(analyte: object, value: object, unit: object, low: object = None, high: object = None) -> LabValueError:
    with pytest.raises(LabValueError) as caught:
        parse_lab_value(analyte, value, unit, low, high)
    return caught.value


# ---------------------------------------------------------------------------
# Accepted values become exact Decimals
# ---------------------------------------------------------------------------


def test_platelets_42_x10_9_per_l_is_accepted_as_reported_and_canonical() -> None:
    lab = parse_lab_value("platelets", 42, "10^9/L")
    assert isinstance(lab, LabValue)
    assert lab.analyte is ANALYTES["platelets"]
    assert lab.value == Decimal(42)
    assert lab.unit.key == "10^9/L"
    assert lab.canonical_value == Decimal(42)
    assert lab.reference_low is None
    assert lab.reference_high is None


def test_platelets_42000_per_ul_are_42_x10_9_per_l_canonically() -> None:
    lab = parse_lab_value("platelets", 42000, "/uL")
    assert lab.value == Decimal(42000)
    assert lab.unit.key == "/uL"
    assert lab.canonical_value == Decimal(42)


def test_hemoglobin_95_g_per_l_is_9_5_g_per_dl_canonically() -> None:
    assert parse_lab_value("hemoglobin", 95, "g/L").canonical_value == Decimal("9.5")


def test_creatinine_176_84_umol_per_l_is_2_mg_per_dl_canonically() -> None:
    assert parse_lab_value("creatinine", Decimal("176.84"), "umol/L").canonical_value == Decimal(2)


def test_bilirubin_34_2_umol_per_l_is_2_mg_per_dl_canonically() -> None:
    assert parse_lab_value("bilirubin", Decimal("34.2"), "umol/L").canonical_value == Decimal(2)


def test_a_float_is_read_by_its_shortest_repr_so_49_9_stays_49_9() -> None:
    lab = parse_lab_value("platelets", 49.9, "10^9/L")
    assert lab.value == Decimal("49.9")
    assert str(lab.value) == "49.9"


def test_a_decimal_is_taken_as_is() -> None:
    assert parse_lab_value("anc", Decimal("0.99"), "K/uL").value == Decimal("0.99")


def test_the_analyte_name_is_case_and_space_insensitive() -> None:
    assert parse_lab_value(" Platelets ", 42, "K/uL").analyte.key == "platelets"


# ---------------------------------------------------------------------------
# to_decimal
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "expected"), [(42, "42"), (42.0, "42.0"), (0.1, "0.1"), (Decimal("1.50"), "1.50")])
def test_to_decimal_keeps_the_number_as_written(raw: object, expected: str) -> None:
    value = to_decimal(raw, "value")
    assert value == Decimal(expected)
    assert str(value) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (True, "Must be a number."),
        (False, "Must be a number."),
        ("42", "Must be a number."),
        (None, "Must be a number."),
        ([42], "Must be a number."),
        (float("nan"), "Must be a finite number."),
        (float("inf"), "Must be a finite number."),
        (float("-inf"), "Must be a finite number."),
        (Decimal("NaN"), "Must be a finite number."),
        (Decimal("sNaN"), "Must be a finite number."),
        (Decimal("Infinity"), "Must be a finite number."),
    ],
)
def test_to_decimal_refuses_what_is_not_a_finite_number_on_the_named_field(raw: object, message: str) -> None:
    with pytest.raises(LabValueError) as caught:
        to_decimal(raw, "temperature_c")
    assert caught.value.field == "temperature_c"
    assert caught.value.message == message


# ---------------------------------------------------------------------------
# Plausibility (contract §3: platelets above 5000 ×10^9/L or negative are impossible)
# ---------------------------------------------------------------------------


def test_platelets_of_5000_x10_9_per_l_are_accepted() -> None:
    assert parse_lab_value("platelets", 5000, "10^9/L").canonical_value == Decimal(5000)


def test_platelets_of_5000_1_x10_9_per_l_are_refused_with_the_possible_range() -> None:
    error = refused("platelets", Decimal("5000.1"), "10^9/L")
    assert error.field == "value"
    assert "5000.1 ×10⁹/L is not a possible platelets value" in error.message
    assert "(possible: 0 to 5000 ×10⁹/L)" in error.message
    assert error.suggested_unit is None


def test_platelets_of_0_x10_9_per_l_are_accepted() -> None:
    assert parse_lab_value("platelets", 0, "10^9/L").canonical_value == 0


@pytest.mark.parametrize("value", [-1, Decimal("-0.1"), -42000])
@pytest.mark.parametrize("unit", ["10^9/L", "/uL"])
def test_a_negative_platelet_count_is_refused(value: object, unit: str) -> None:
    error = refused("platelets", value, unit)
    assert error.field == "value"
    assert error.message == "Platelets cannot be negative."


@pytest.mark.parametrize("analyte", sorted(ANALYTES))
def test_a_negative_value_of_any_analyte_is_refused(analyte: str) -> None:
    unit = ANALYTES[analyte].units[0].key
    assert refused(analyte, -1, unit).field == "value"


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf"), True, False, "42", None, {"v": 42}])
def test_a_platelet_value_that_is_not_a_finite_number_is_refused_on_value(value: object) -> None:
    assert refused("platelets", value, "10^9/L").field == "value"


@pytest.mark.parametrize(
    ("analyte", "unit", "lowest", "highest"),
    [
        ("platelets", "10^9/L", "0", "5000"),
        ("anc", "10^9/L", "0", "100"),
        ("wbc", "10^9/L", "0", "200"),
        ("hemoglobin", "g/dL", "2", "25"),
        ("hemoglobin", "g/L", "20", "250"),
        ("hemoglobin", "mmol/L", "1.2412", "15.515"),
        ("creatinine", "mg/dL", "0.05", "40"),
        ("creatinine", "umol/L", "4.421", "3536.8"),
        ("alt", "U/L", "0", "20000"),
        ("ast", "U/L", "0", "20000"),
        ("bilirubin", "mg/dL", "0", "60"),
        ("bilirubin", "umol/L", "0", "1026"),
    ],
)
def test_the_plausible_range_is_inclusive_at_both_ends_in_every_unit(
    analyte: str, unit: str, lowest: str, highest: str
) -> None:
    assert parse_lab_value(analyte, Decimal(lowest), unit).value == Decimal(lowest)
    assert parse_lab_value(analyte, Decimal(highest), unit).value == Decimal(highest)
    step = Decimal("0.0001")
    assert refused(analyte, Decimal(highest) + step, unit).field == "value"
    if Decimal(lowest) > 0:
        assert refused(analyte, Decimal(lowest) - step, unit).field == "value"


def test_hemoglobin_of_1_9_g_per_dl_is_refused() -> None:
    error = refused("hemoglobin", Decimal("1.9"), "g/dL")
    assert error.field == "value"
    assert "(possible: 2 to 25 g/dL)" in error.message


def test_an_unknown_analyte_is_refused_on_the_analyte_field_listing_the_known_ones() -> None:
    error = refused("ferritin", 42, "ng/mL")
    assert error.field == "analyte"
    for key in ANALYTES:
        assert key in error.message


@pytest.mark.parametrize("analyte", [None, 42, ["platelets"]])
def test_an_analyte_that_is_not_text_is_refused_on_the_analyte_field(analyte: object) -> None:
    assert refused(analyte, 42, "K/uL").field == "analyte"


# ---------------------------------------------------------------------------
# The factor-of-1000 mix-up
# ---------------------------------------------------------------------------


def test_platelets_42_per_ul_are_refused_as_a_mix_up_suggesting_k_per_ul() -> None:
    error = refused("platelets", 42, "/uL")
    assert error.field == "value"
    assert "Did you mean 42 K/µL" in error.message
    assert error.suggested_unit == "K/uL"


@pytest.mark.parametrize("unit", ["/uL", "cells/uL", "/mm3", "cells/µL"])
def test_every_per_ul_spelling_gets_the_mix_up_check(unit: str) -> None:
    assert refused("platelets", 42, unit).suggested_unit == "K/uL"


def test_platelets_42000_k_per_ul_are_refused_suggesting_per_ul() -> None:
    error = refused("platelets", 42000, "K/uL")
    assert error.field == "value"
    assert "Did you mean 42000 /µL" in error.message
    assert error.suggested_unit == "/uL"


def test_platelets_42000_x10_9_per_l_are_refused_suggesting_per_ul() -> None:
    assert refused("platelets", 42000, "10^9/L").suggested_unit == "/uL"


def test_hemoglobin_120_g_per_dl_is_refused_suggesting_g_per_l() -> None:
    error = refused("hemoglobin", 120, "g/dL")
    assert error.field == "value"
    assert "Did you mean 120 g/L" in error.message
    assert error.suggested_unit == "g/L"


def test_platelets_of_0_per_ul_are_accepted_not_a_mix_up() -> None:
    lab = parse_lab_value("platelets", 0, "/uL")
    assert lab.canonical_value == 0


def test_platelets_just_under_1000_per_ul_are_a_mix_up_and_1000_are_not() -> None:
    assert refused("platelets", 999, "/uL").suggested_unit == "K/uL"
    assert parse_lab_value("platelets", 1000, "/uL").canonical_value == Decimal(1)


# An ANC or WBC of a few cells per µL is real (grade 4), not only a unit slip: any whole number of cells
# is accepted, graded as typed, and flagged so that the alert and the phone ask to check the unit.
# (analyte, per-µL value, whether the same number in K/µL would also be possible)
VERY_LOW_COUNTS = [
    ("anc", 1, True),
    ("anc", 10, True),
    ("anc", 100, True),  # 100 K/µL: the highest ANC accepted
    ("anc", 101, False),
    ("anc", 400, False),
    ("wbc", 1, True),
    ("wbc", 200, True),  # 200 K/µL: the highest WBC accepted
    ("wbc", 201, False),
    ("platelets", 1000, True),
    ("platelets", 5000, True),  # 5000 K/µL: the highest platelet count accepted
    ("platelets", 5001, False),
]


@pytest.mark.parametrize(("analyte", "value", "doubt"), VERY_LOW_COUNTS)
def test_a_very_low_whole_count_per_ul_is_accepted_and_flagged_when_it_could_be_k_per_ul(
    analyte: str, value: int, doubt: bool
) -> None:
    lab = parse_lab_value(analyte, value, "/uL")
    assert lab.canonical_value == Decimal(value) / 1000
    assert (lab.unit_doubt.key if lab.unit_doubt else None) == ("K/uL" if doubt else None)


@pytest.mark.parametrize("unit", ["K/uL", "10^9/L"])
def test_a_count_in_k_per_ul_is_never_flagged(unit: str) -> None:
    assert parse_lab_value("anc", 10, unit).unit_doubt is None


def test_zero_cells_per_ul_is_not_flagged() -> None:
    assert parse_lab_value("anc", 0, "/uL").unit_doubt is None


def test_anc_of_0_5_per_ul_is_a_mix_up_suggesting_k_per_ul() -> None:
    error = refused("anc", Decimal("0.5"), "/uL")
    assert "Did you mean 0.5 K/µL" in error.message
    assert error.suggested_unit == "K/uL"


def test_a_fraction_of_a_cell_per_ul_is_refused_even_above_the_floor() -> None:
    error = refused("platelets", Decimal("42000.5"), "/uL")
    assert error.field == "value"


def test_a_mix_up_with_no_plausible_alternative_suggests_nothing() -> None:
    error = refused("anc", Decimal("1500.5"), "/uL")
    assert error.field == "value"
    assert error.suggested_unit is None
    assert "Did you mean" not in error.message


def test_the_mix_up_check_does_not_apply_to_hemoglobin_in_g_per_l() -> None:
    assert parse_lab_value("hemoglobin", 20, "g/L").canonical_value == Decimal(2)


# ---------------------------------------------------------------------------
# The reading's own reference range
# ---------------------------------------------------------------------------


def test_a_reference_range_is_kept_in_the_reported_unit() -> None:
    lab = parse_lab_value("platelets", 120000, "/uL", 150000, 450000)
    assert lab.reference_low == Decimal(150000)
    assert lab.reference_high == Decimal(450000)


def test_a_negative_reference_low_is_refused() -> None:
    error = refused("alt", 30, "U/L", -1, 40)
    assert error.field == "reference_low"
    assert error.message == "Cannot be negative."


@pytest.mark.parametrize("high", [0, -5])
def test_a_reference_high_of_zero_or_less_is_refused(high: int) -> None:
    error = refused("alt", 30, "U/L", None, high)
    assert error.field == "reference_high"
    assert error.message == "Must be above zero."


@pytest.mark.parametrize(("low", "high"), [(40, 40), (50, 40)])
def test_a_reference_low_not_below_reference_high_is_refused(low: int, high: int) -> None:
    error = refused("alt", 30, "U/L", low, high)
    assert error.field == "reference_low"
    assert error.message == "Must be below reference_high."


@pytest.mark.parametrize("bad", ["150", True, float("nan")])
def test_a_reference_limit_that_is_not_a_finite_number_is_refused_on_its_field(bad: object) -> None:
    assert refused("platelets", 42, "10^9/L", bad, None).field == "reference_low"
    assert refused("platelets", 42, "10^9/L", None, bad).field == "reference_high"


def test_a_reference_low_copied_from_another_unit_is_refused() -> None:
    # The value is in ×10^9/L, the printed range in /µL: 150000 ×10^9/L is 1000x the usual 150.
    error = refused("platelets", 42, "10^9/L", 150000, None)
    assert error.field == "reference_low"
    assert "is far from the usual limit of about 150 ×10⁹/L" in error.message


def test_a_reference_high_copied_from_another_unit_is_refused() -> None:
    error = refused("creatinine", 1, "mg/dL", None, 106)
    assert error.field == "reference_high"
    assert "about 1.04 mg/dL" in error.message


def test_the_reference_limit_check_allows_four_times_either_way_of_the_usual_limit() -> None:
    # Usual platelet LLN 150 ×10^9/L: 37.5 and 600 are accepted, just outside them is not.
    assert parse_lab_value("platelets", 42, "10^9/L", Decimal("37.5"), None).reference_low == Decimal("37.5")
    assert parse_lab_value("platelets", 42, "10^9/L", 600, 700).reference_low == Decimal(600)
    assert refused("platelets", 42, "10^9/L", Decimal("37.4"), None).field == "reference_low"
    assert refused("platelets", 42, "10^9/L", Decimal("600.1"), 700).field == "reference_low"


def test_the_reference_limit_check_runs_in_the_reported_unit() -> None:
    # 1.2 mg/dL = 106.104 µmol/L; 106 µmol/L is a normal printed ULN for creatinine.
    lab = parse_lab_value("creatinine", 90, "umol/L", 45, 106)
    assert lab.reference_high == Decimal(106)


def test_a_reference_low_of_zero_is_accepted_where_the_usual_low_is_zero() -> None:
    lab = parse_lab_value("alt", 30, "U/L", 0, 40)
    assert lab.reference_low == 0
    assert lab.reference_high == Decimal(40)


@pytest.mark.parametrize(("analyte", "value"), [("anc", 300), ("wbc", 900)])
def test_a_count_in_cells_per_ul_typed_under_k_per_ul_is_refused_not_graded_normal(analyte: str, value: int) -> None:
    # An ANC of 300 /µL is grade 4; read as 300 K/µL it would grade 0 and raise nothing.
    with pytest.raises(LabValueError) as refused:
        parse_lab_value(analyte, value, "K/uL")
    assert refused.value.suggested_unit == "/uL"
    assert f"Did you mean {value} /µL?" in refused.value.message


def test_a_fractional_count_per_ul_is_refused_as_not_a_whole_number_of_cells() -> None:
    with pytest.raises(LabValueError) as refused:
        parse_lab_value("anc", 1500.5, "/uL")
    assert "not a whole number of cells" in refused.value.message


# ---------------------------------------------------------------------------
# Every number of a lab result lies in the analyte's plausible range, whatever was sent
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("analyte", ["alt", "ast", "bilirubin"])
def test_a_reference_low_of_a_trillion_is_refused_where_the_usual_low_is_zero(analyte: str) -> None:
    unit = ANALYTES[analyte].units[0].key
    error = refused(analyte, 1, unit, 10**12, None)
    assert error.field == "reference_low"


@pytest.mark.parametrize(
    ("analyte", "unit", "low"), [("alt", "U/L", 40), ("ast", "U/L", 41), ("bilirubin", "mg/dL", 3.4)]
)
def test_a_reference_low_not_below_the_usual_upper_limit_is_refused_where_the_usual_low_is_zero(
    analyte: str, unit: str, low: float
) -> None:
    # 3.4 is a bilirubin lower limit in µmol/L; in mg/dL it is near three times the usual upper one.
    error = refused(analyte, 1, unit, low, None)
    assert error.field == "reference_low"
    assert "is not below the usual upper limit of about" in error.message


def test_a_reference_low_below_the_usual_upper_limit_is_accepted_where_the_usual_low_is_zero() -> None:
    assert parse_lab_value("alt", 30, "U/L", 7, 56).reference_low == Decimal(7)


@pytest.mark.parametrize(
    ("analyte", "unit"), [("hemoglobin", "mmol/L"), ("creatinine", "umol/L"), ("bilirubin", "umol/L")]
)
@pytest.mark.parametrize("huge", [10**30, 1e300])
def test_a_huge_value_in_a_unit_with_an_inexact_conversion_is_refused_not_an_arithmetic_error(
    analyte: str, unit: str, huge: object
) -> None:
    error = refused(analyte, huge, unit)
    assert error.field == "value"
    assert "is not a possible" in error.message and len(error.message) < 200


EXTREMES = [10**12, 10**12 - 1, 10**18, 10**30, 1e300, -(10**12), -1e-6, Decimal("999999999999.999999"), 0]
NUMERIC_FIELDS = ["value", "reference_low", "reference_high"]


@pytest.mark.parametrize("extreme", EXTREMES, ids=str)
@pytest.mark.parametrize("field", NUMERIC_FIELDS)
@pytest.mark.parametrize(
    ("analyte", "unit"), [(a.key, u.key) for a in ANALYTES.values() for u in a.units], ids="-".join
)
def test_every_number_of_a_lab_result_is_refused_on_its_field_or_lies_in_the_plausible_range(
    analyte: str, unit: str, field: str, extreme: object
) -> None:
    """What the server stores (value, canonical value, reference limits) is then bounded by the
    analyte's plausible range, whatever a phone sends: tests/backend/records checks that range fits
    the database's columns."""
    found = ANALYTES[analyte]
    kind = found.units[[u.key for u in found.units].index(unit)]
    low, high = found.from_canonical(found.plausible_min, kind), found.from_canonical(found.plausible_max, kind)
    fields: dict[str, object] = {"value": (low + high) / 2, "reference_low": None, "reference_high": None}
    fields[field] = extreme
    try:
        lab = parse_lab_value(analyte, fields["value"], unit, fields["reference_low"], fields["reference_high"])
    except LabValueError as error:
        assert error.field == field
        return
    for number in (lab.value, lab.reference_low, lab.reference_high):
        assert number is None or low <= number <= high
    assert found.plausible_min <= lab.canonical_value <= found.plausible_max
