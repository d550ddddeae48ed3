"""Specification of shared.units and the unit tables of shared.analytes (contract §3).

Unit spellings are case-insensitive; `µ` (U+00B5, micro sign), `μ` (U+03BC, Greek mu) and `u` are
alike; an `x` or `×` may precede a power of ten; `10^9` and `10*9` are the same power.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.analytes import ANALYTES, PER_UL, Analyte, Unit
from shared.lab_values import LabValueError, parse_lab_value
from shared.units import normalize_unit

MICRO_SIGN = "\u00b5"  # µ
GREEK_MU = "\u03bc"  # μ

# Contract §3, "Analytes and units": every spelling, with the CareLoop unit key it must resolve to.
COUNT_SPELLINGS = {
    "10^9/L": "10^9/L",
    "x10^9/L": "10^9/L",
    "10*9/L": "10^9/L",
    "K/uL": "K/uL",
    "10^3/uL": "K/uL",
    "x10^3/uL": "K/uL",
    "/uL": PER_UL,
    "cells/uL": PER_UL,
    "/mm3": PER_UL,
}
CONTRACT_SPELLINGS: dict[str, dict[str, str]] = {
    "platelets": COUNT_SPELLINGS,
    "anc": COUNT_SPELLINGS,
    "wbc": COUNT_SPELLINGS,
    "hemoglobin": {"g/dL": "g/dL", "g/L": "g/L", "mmol/L": "mmol/L"},
    "creatinine": {"mg/dL": "mg/dL", "umol/L": "umol/L"},
    "alt": {"U/L": "U/L"},
    "ast": {"U/L": "U/L"},
    "bilirubin": {"mg/dL": "mg/dL", "umol/L": "umol/L"},
}
# Beyond the contract's table (it allows more analytes): alkaline phosphatase, for CTCAE's
# baseline rule (LOINC 6768-6).
EXTRA_SPELLINGS: dict[str, dict[str, str]] = {"alkaline_phosphatase": {"U/L": "U/L", "IU/L": "U/L"}}
ALL_SPELLINGS = {**CONTRACT_SPELLINGS, **EXTRA_SPELLINGS}


def _micro_slot(spelling: str) -> str | None:
    """The spelling with its micro prefix replaced by `{}`, or None if it has none."""
    for part in ("uL", "umol"):
        if part in spelling:
            return spelling.replace(part, "{}" + part[1:])
    return None


def _times_variants(spelling: str) -> set[str]:
    """`x10^…` also written `×10^…` and `X10^…`."""
    if spelling.startswith("x"):
        return {spelling, "×" + spelling[1:], "X" + spelling[1:]}
    return {spelling}


def _variants(spelling: str) -> set[str]:
    """Every case and micro spelling, the micro sign itself kept lower-case (`µ`, `μ`)."""
    out: set[str] = set()
    for times in _times_variants(spelling):
        out |= {times, times.upper(), times.lower()}
        slot = _micro_slot(times)
        if slot is not None:
            out |= {case(slot).format(m) for m in (MICRO_SIGN, GREEK_MU) for case in (str, str.upper, str.lower)}
    return out


def _capital_mu_variants(spelling: str) -> set[str]:
    """Upper-casing `µ` or `μ` gives the capital Greek `Μ` (U+039C), e.g. an all-caps lab feed."""
    slot = _micro_slot(spelling)
    return set() if slot is None else {slot.upper().format("\u039c")}


SPELLING_CASES = [
    pytest.param(analyte, variant, key, id=f"{analyte}-{variant}")
    for analyte, spellings in CONTRACT_SPELLINGS.items()
    for spelling, key in spellings.items()
    for variant in sorted(_variants(spelling))
]
CAPITAL_MU_CASES = [
    pytest.param(analyte, variant, key, id=f"{analyte}-{variant}")
    for analyte, spellings in CONTRACT_SPELLINGS.items()
    for spelling, key in spellings.items()
    for variant in sorted(_capital_mu_variants(spelling))
]


# ---------------------------------------------------------------------------
# normalize_unit
# ---------------------------------------------------------------------------


def test_normalize_unit_strips_an_x_prefix_and_spells_powers_with_a_caret() -> None:
    assert normalize_unit(" x10*9/L ") == "10^9/l"


def test_normalize_unit_writes_micro_as_u() -> None:
    assert normalize_unit("K/µL") == "k/ul"


def test_micro_sign_and_greek_mu_normalise_alike() -> None:
    assert normalize_unit(f"{MICRO_SIGN}mol/L") == normalize_unit(f"{GREEK_MU}mol/L") == "umol/l"


def test_times_sign_prefix_is_dropped_like_x() -> None:
    assert normalize_unit("×10^9/L") == normalize_unit("x10^9/L") == "10^9/l"


@pytest.mark.parametrize("power", ["10^9/L", "10*9/L", "10**9/L", "10E9/L", "10e9/L"])
def test_every_way_of_writing_the_power_of_ten_normalises_to_a_caret(power: str) -> None:
    assert normalize_unit(power) == "10^9/l"


def test_inner_spaces_are_ignored() -> None:
    assert normalize_unit("x 10^9 / L") == "10^9/l"


def test_superscript_three_in_mm3_normalises_to_plain_3() -> None:
    assert normalize_unit("/mm³") == "/mm3"


def test_caret_mm_3_normalises_to_mm3() -> None:
    assert normalize_unit("cells/mm^3") == "cells/mm3"


# ---------------------------------------------------------------------------
# Every contract spelling, for every analyte
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(("analyte", "spelling", "key"), SPELLING_CASES)
def test_every_contract_spelling_resolves_to_its_unit(analyte: str, spelling: str, key: str) -> None:
    unit = ANALYTES[analyte].unit(spelling)
    assert unit is not None
    assert unit.key == key


@pytest.mark.parametrize(("analyte", "spelling", "key"), SPELLING_CASES)
def test_every_contract_spelling_is_accepted_by_parse_lab_value(analyte: str, spelling: str, key: str) -> None:
    value = _plausible_value_in(ANALYTES[analyte], key)
    lab = parse_lab_value(analyte, value, spelling)
    assert lab.unit.key == key
    assert lab.value == value


@pytest.mark.parametrize(("analyte", "spelling", "key"), CAPITAL_MU_CASES)
def test_an_all_caps_spelling_with_a_capital_mu_resolves_to_its_unit(analyte: str, spelling: str, key: str) -> None:
    unit = ANALYTES[analyte].unit(spelling)
    assert unit is not None
    assert unit.key == key


def _plausible_value_in(analyte: Analyte, key: str) -> Decimal:
    """A value of the analyte's default range that is plausible in the unit `key`."""
    unit = next(u for u in analyte.units if u.key == key)
    assert analyte.default_high is not None
    return analyte.from_canonical(analyte.default_high, unit)


def test_careloop_accepts_the_contracts_analytes_and_the_listed_extras_only() -> None:
    assert set(ALL_SPELLINGS) == set(ANALYTES)


@pytest.mark.parametrize("analyte", sorted(ANALYTES))
def test_every_unit_careloop_writes_back_is_a_contract_unit(analyte: str) -> None:
    assert {u.key for u in ANALYTES[analyte].units} == set(ALL_SPELLINGS[analyte].values())


@pytest.mark.parametrize(
    ("analyte", "spelling"),
    [
        ("platelets", "g/dL"),
        ("platelets", "mg/dL"),
        ("platelets", "10^6/uL"),
        ("platelets", "10^12/L"),
        ("platelets", "%"),
        ("anc", "U/L"),
        ("wbc", "mmol/L"),
        ("hemoglobin", "mg/dL"),
        ("hemoglobin", "umol/L"),
        ("hemoglobin", "K/uL"),
        ("creatinine", "mmol/L"),
        ("creatinine", "g/dL"),
        ("alt", "mg/dL"),
        ("ast", "ukat/L"),
        ("bilirubin", "g/L"),
        ("bilirubin", "mmol/L"),
        ("platelets", ""),
    ],
)
def test_a_unit_of_another_analyte_or_no_unit_is_not_accepted(analyte: str, spelling: str) -> None:
    assert ANALYTES[analyte].unit(spelling) is None


@pytest.mark.parametrize("analyte", sorted(ANALYTES))
def test_an_unknown_unit_is_refused_on_the_unit_field_with_every_accepted_unit_listed(analyte: str) -> None:
    with pytest.raises(LabValueError) as caught:
        parse_lab_value(analyte, 1, "furlongs")
    error = caught.value
    assert error.field == "unit"
    assert "Use one of:" in error.message
    for unit in ANALYTES[analyte].units:
        assert unit.key in error.message
    assert error.suggested_unit is None


@pytest.mark.parametrize("raw_unit", [None, 42, ["K/uL"]])
def test_a_unit_that_is_not_text_is_refused_on_the_unit_field(raw_unit: object) -> None:
    with pytest.raises(LabValueError) as caught:
        parse_lab_value("platelets", 42, raw_unit)
    assert caught.value.field == "unit"


# ---------------------------------------------------------------------------
# Display labels: what the phone shows must be accepted back
# ---------------------------------------------------------------------------

LABELS = [
    pytest.param(analyte.key, unit, id=f"{analyte.key}-{unit.display}")
    for analyte in ANALYTES.values()
    for unit in analyte.units
    if unit.key != "10^9/L"
]


@pytest.mark.parametrize(("analyte", "unit"), LABELS)
def test_every_display_label_resolves_back_to_its_unit(analyte: str, unit: Unit) -> None:
    assert ANALYTES[analyte].unit(unit.display) is unit


@pytest.mark.parametrize("analyte", ["platelets", "anc", "wbc"])
def test_the_display_label_x10_superscript_9_per_l_resolves_back_to_10_9_per_l(analyte: str) -> None:
    unit = ANALYTES[analyte].unit("×10⁹/L")
    assert unit is not None
    assert unit.key == "10^9/L"


# ---------------------------------------------------------------------------
# Conversion factors (reference.md §2.1, §7.1) and the round trip
# ---------------------------------------------------------------------------

FACTORS = [
    ("platelets", "10^9/L", "1"),
    ("platelets", "K/uL", "1"),
    ("platelets", "/uL", "1000"),
    ("anc", "/uL", "1000"),
    ("wbc", "/uL", "1000"),
    ("hemoglobin", "g/dL", "1"),
    ("hemoglobin", "g/L", "10"),
    ("hemoglobin", "mmol/L", "0.6206"),
    ("creatinine", "mg/dL", "1"),
    ("creatinine", "umol/L", "88.42"),
    ("alt", "U/L", "1"),
    ("ast", "U/L", "1"),
    ("bilirubin", "mg/dL", "1"),
    ("bilirubin", "umol/L", "17.1"),
]


@pytest.mark.parametrize(("analyte", "key", "factor"), FACTORS)
def test_one_canonical_unit_is_exactly_this_many_reported_units(analyte: str, key: str, factor: str) -> None:
    a = ANALYTES[analyte]
    unit = a.unit(key)
    assert unit is not None
    assert a.from_canonical(Decimal(1), unit) == Decimal(factor)


def test_50_x10_9_per_l_is_exactly_50000_per_ul() -> None:
    a = ANALYTES["platelets"]
    per_ul = a.unit("/uL")
    assert per_ul is not None
    assert a.from_canonical(Decimal(50), per_ul) == Decimal(50000)
    assert a.to_canonical(Decimal(50000), per_ul) == Decimal(50)


@pytest.mark.parametrize(
    ("analyte", "canonical"),
    [
        ("platelets", "10^9/L"),
        ("anc", "10^9/L"),
        ("wbc", "10^9/L"),
        ("hemoglobin", "g/dL"),
        ("creatinine", "mg/dL"),
        ("alt", "U/L"),
        ("ast", "U/L"),
        ("bilirubin", "mg/dL"),
    ],
)
def test_the_canonical_unit_is_one_of_the_accepted_units_with_factor_1(analyte: str, canonical: str) -> None:
    a = ANALYTES[analyte]
    assert a.canonical_unit == canonical
    unit = a.unit(canonical)
    assert unit is not None
    assert unit.per_canonical == 1


EXACT_UNITS = [
    pytest.param(a.key, u.key, id=f"{a.key}-{u.key}")
    for a in ANALYTES.values()
    for u in a.units
    if u.per_canonical in (Decimal(1), Decimal(10), Decimal(1000))
]


@settings(deadline=None)
@given(data=st.data())
@pytest.mark.parametrize(("analyte", "key"), EXACT_UNITS)
def test_a_value_round_trips_exactly_through_the_canonical_unit(analyte: str, key: str, data: st.DataObject) -> None:
    a = ANALYTES[analyte]
    unit = a.unit(key)
    assert unit is not None
    high = a.from_canonical(a.plausible_max, unit)
    value = data.draw(st.decimals(min_value=0, max_value=high, places=4, allow_nan=False, allow_infinity=False))
    assert a.from_canonical(a.to_canonical(value, unit), unit) == value


@pytest.mark.parametrize(
    ("analyte", "key", "value"),
    [("hemoglobin", "mmol/L", "7.5"), ("creatinine", "umol/L", "90"), ("bilirubin", "umol/L", "21")],
)
def test_a_value_in_a_non_decimal_factor_unit_is_kept_to_a_millionth_in_the_canonical_unit(
    analyte: str, key: str, value: str
) -> None:
    a = ANALYTES[analyte]
    unit = a.unit(key)
    assert unit is not None
    canonical = a.to_canonical(Decimal(value), unit)
    assert canonical == canonical.quantize(Decimal("0.000001"))
    assert abs(a.from_canonical(canonical, unit) - Decimal(value)) <= Decimal("0.000001") * unit.per_canonical


# ---------------------------------------------------------------------------
# The precomputed spelling table resolves exactly as the scan over every spelling did
# ---------------------------------------------------------------------------


def reference_unit(analyte: Analyte, text: str) -> Unit | None:
    """`Analyte.unit` before its spellings were precomputed: a verbatim copy. Do not "fix" it."""
    wanted = normalize_unit(text)
    for unit in analyte.units:
        if wanted == normalize_unit(unit.key) or wanted in (normalize_unit(a) for a in unit.aliases):
            return unit
    return None


EVERY_SPELLING = sorted(
    {s for a in ANALYTES.values() for u in a.units for s in (u.key, *u.aliases, u.display)}
    | {s for spellings in CONTRACT_SPELLINGS.values() for s in spellings}
)


def _respelt(spelling: str, upper: bool, pad: str, micro: str, times: str) -> str:
    text = spelling.upper() if upper else spelling
    text = text.replace("u", micro).replace("U", micro.upper())
    if text[:1] in ("x", "X"):
        text = times + text[1:]
    return pad + text + pad


unit_texts = st.one_of(
    st.sampled_from(EVERY_SPELLING),
    st.builds(
        _respelt,
        st.sampled_from(EVERY_SPELLING),
        st.booleans(),
        st.sampled_from(["", " ", "\t"]),
        st.sampled_from(["u", MICRO_SIGN, GREEK_MU]),
        st.sampled_from(["x", "×", "X", ""]),
    ),
    st.text(alphabet="10^*eExX/uµμLlgdmoKk3³⁹ ", max_size=10),
    st.text(max_size=8),
)


@settings(deadline=None, max_examples=500)
@given(analyte=st.sampled_from(sorted(ANALYTES)), text=unit_texts)
def test_a_unit_resolves_exactly_as_the_reference_scan(analyte: str, text: str) -> None:
    assert ANALYTES[analyte].unit(text) is reference_unit(ANALYTES[analyte], text)


@pytest.mark.parametrize("analyte", sorted(ANALYTES))
@pytest.mark.parametrize("text", EVERY_SPELLING)
def test_every_known_spelling_resolves_as_the_reference_scan_for_every_analyte(analyte: str, text: str) -> None:
    assert ANALYTES[analyte].unit(text) is reference_unit(ANALYTES[analyte], text)


COUNT_UNITS_LISTED = "K/uL, 10^3/uL, k/mm3, 10^3/mm3, thou/uL, 10^9/L, /uL, cells/uL, /mm3, cells/mm3"
UNKNOWN_UNIT_MESSAGES = {
    "alt": "Unit not accepted for ALT. Use one of: U/L, IU/L.",
    "anc": f"Unit not accepted for Neutrophils (absolute). Use one of: {COUNT_UNITS_LISTED}.",
    "ast": "Unit not accepted for AST. Use one of: U/L, IU/L.",
    "bilirubin": "Unit not accepted for Total bilirubin. Use one of: mg/dL, umol/L.",
    "creatinine": "Unit not accepted for Creatinine. Use one of: mg/dL, umol/L.",
    "hemoglobin": "Unit not accepted for Hemoglobin. Use one of: g/dL, g/L, mmol/L.",
    "platelets": f"Unit not accepted for Platelets. Use one of: {COUNT_UNITS_LISTED}.",
    "wbc": f"Unit not accepted for White blood cells. Use one of: {COUNT_UNITS_LISTED}.",
}


@pytest.mark.parametrize(("analyte", "message"), sorted(UNKNOWN_UNIT_MESSAGES.items()))
@pytest.mark.parametrize("raw_unit", ["furlongs", "", "K/uL/uL", None])
def test_an_unknown_unit_is_refused_with_the_same_message_as_before(
    analyte: str, message: str, raw_unit: object
) -> None:
    with pytest.raises(LabValueError) as caught:
        parse_lab_value(analyte, 1, raw_unit)
    assert (caught.value.field, caught.value.message) == ("unit", message)
