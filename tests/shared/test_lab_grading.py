"""Specification of shared.lab_grading: CTCAE v5.0 grades of lab values.

Every cut-point is strict (reference.md §2.1 "Boundary convention"): a falling count is in the
worse grade only when strictly below the cut, a rising value only when strictly above the multiple
of the upper limit of normal. Each cut-point is checked just below, exactly at and just above it,
in every unit the contract accepts for the analyte, with values converted exactly
(50 ×10^9/L = 50000 /µL).
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from shared.analytes import ANALYTES
from shared.lab_grading import CRITERIA, SECOND_CRITERIA, Direction, LabGrade, grade_lab
from shared.lab_values import parse_lab_value

CTCAE_JSON = Path(__file__).resolve().parents[3] / "shared" / "clinical" / "ctcae_v5_lab_grading_criteria.json"


def grade_of(analyte: str, value: object, unit: str, low: object = None, high: object = None) -> LabGrade:
    return grade_lab(parse_lab_value(analyte, value, unit, low, high))


# ---------------------------------------------------------------------------
# Boundary table
# ---------------------------------------------------------------------------

# Contract §3: every spelling of a count unit, with how many of it make one ×10^9/L.
COUNT_UNITS = [
    ("10^9/L", Decimal(1)),
    ("x10^9/L", Decimal(1)),
    ("10*9/L", Decimal(1)),
    ("K/uL", Decimal(1)),
    ("10^3/uL", Decimal(1)),
    ("x10^3/uL", Decimal(1)),
    ("/uL", Decimal(1000)),
    ("cells/uL", Decimal(1000)),
    ("/mm3", Decimal(1000)),
]

# (analyte, cut in ×10^9/L, grade strictly below, grade at the cut and above it). The last row of
# each analyte is CareLoop's default lower limit of normal (shared/analytes.py).
COUNT_CUTS = [
    ("platelets", "25", 4, 3),
    ("platelets", "50", 3, 2),
    ("platelets", "75", 2, 1),
    ("platelets", "150", 1, 0),
    ("anc", "0.5", 4, 3),
    ("anc", "1.0", 3, 2),
    ("anc", "1.5", 2, 1),
    ("anc", "1.8", 1, 0),
    ("wbc", "1.0", 4, 3),
    ("wbc", "2.0", 3, 2),
    ("wbc", "3.0", 2, 1),
    ("wbc", "3.5", 1, 0),
]
COUNT_STEP = {"platelets": Decimal("0.1"), "anc": Decimal("0.01"), "wbc": Decimal("0.01")}

# Hemoglobin (CTCAE 'Anemia'): one value, one grade, in every unit. The cut-points 8.0 and 10.0 g/dL
# are 80 and 100 g/L and, exactly, 4.9648 and 6.206 mmol/L (g/dL x 0.6206, reference.md §7.1; the 4.9
# and 6.2 CTCAE prints for mmol/L are these rounded). The default LLN with sex not recorded is the
# men's 13.5 g/dL = 135 g/L = 8.3781 mmol/L. (unit, cut, step, grade below, grade at and above)
HEMOGLOBIN_CUTS = [
    ("g/dL", "8.0", "0.01", 3, 2),
    ("g/dL", "10.0", "0.01", 2, 1),
    ("g/dL", "13.5", "0.01", 1, 0),
    ("g/L", "80", "0.1", 3, 2),
    ("g/L", "100", "0.1", 2, 1),
    ("g/L", "135", "0.1", 1, 0),
    ("mmol/L", "4.9648", "0.0001", 3, 2),
    ("mmol/L", "6.206", "0.0001", 2, 1),
    ("mmol/L", "8.3781", "0.0001", 1, 0),
]

# Rising values: (analyte, unit, default ULN in that unit, step). ULN defaults: creatinine 1.04 mg/dL
# with sex not recorded (the women's, the stricter; x 88.42 = 91.9568 µmol/L), bilirubin 1.2 mg/dL
# (x 17.1 = 20.52 µmol/L), ALT and AST 40 U/L, alkaline phosphatase 147 U/L.
HIGH_UNITS = [
    ("creatinine", "mg/dL", "1.04", "0.01"),
    ("creatinine", "umol/L", "91.9568", "0.01"),
    ("alt", "U/L", "40", "0.1"),
    ("ast", "U/L", "40", "0.1"),
    ("alkaline_phosphatase", "U/L", "147", "0.1"),
    ("bilirubin", "mg/dL", "1.2", "0.01"),
    ("bilirubin", "umol/L", "20.52", "0.01"),
]
# (multiple of ULN, grade strictly above it), per CTCAE v5.0 and shared/lab_grading.py CRITERIA.
HIGH_MULTIPLES = {
    "creatinine": [("1", 1), ("1.5", 2), ("3", 3), ("6", 4)],
    "alt": [("1", 1), ("3", 2), ("5", 3), ("20", 4)],
    "ast": [("1", 1), ("3", 2), ("5", 3), ("20", 4)],
    "alkaline_phosphatase": [("1", 1), ("2.5", 2), ("5", 3), ("20", 4)],
    "bilirubin": [("1", 1), ("1.5", 2), ("3", 3), ("10", 4)],
}


def _around(cut: Decimal, step: Decimal, below: int, at: int, above: int) -> list[tuple[Decimal, str, int]]:
    return [(cut - step, "below", below), (cut, "at", at), (cut + step, "above", above)]


def _count_rows() -> list[Any]:
    rows = []
    for analyte, cut, below, at in COUNT_CUTS:
        for unit, factor in COUNT_UNITS:
            in_unit = Decimal(cut) * factor
            step = Decimal(1) if factor == 1000 else COUNT_STEP[analyte]
            for value, where, grade in _around(in_unit, step, below, at, at):
                rows.append(pytest.param(analyte, value, unit, grade, id=f"{analyte}-{cut}-{unit}-{where}"))
    return rows


def _hemoglobin_rows() -> list[Any]:
    rows = []
    for unit, cut, step, below, at in HEMOGLOBIN_CUTS:
        for value, where, grade in _around(Decimal(cut), Decimal(step), below, at, at):
            rows.append(pytest.param("hemoglobin", value, unit, grade, id=f"hemoglobin-{cut}-{unit}-{where}"))
    return rows


def _high_rows(uln_of: dict[tuple[str, str], str] | None = None) -> list[Any]:
    rows = []
    for analyte, unit, default_uln, step in HIGH_UNITS:
        uln = Decimal((uln_of or {}).get((analyte, unit), default_uln))
        for multiple, grade in HIGH_MULTIPLES[analyte]:
            at_cut = Decimal(multiple) * uln
            for value, where, expected in _around(at_cut, Decimal(step), grade - 1, grade - 1, grade):
                rows.append(pytest.param(analyte, value, unit, expected, id=f"{analyte}-{multiple}xULN-{unit}-{where}"))
    return rows


@pytest.mark.parametrize(("analyte", "value", "unit", "grade"), _count_rows())
def test_count_cut_points_in_every_count_unit(analyte: str, value: Decimal, unit: str, grade: int) -> None:
    assert grade_of(analyte, value, unit).grade == grade


@pytest.mark.parametrize(("analyte", "value", "unit", "grade"), _hemoglobin_rows())
def test_hemoglobin_cut_points_in_every_hemoglobin_unit(analyte: str, value: Decimal, unit: str, grade: int) -> None:
    assert grade_of(analyte, value, unit).grade == grade


@pytest.mark.parametrize(("analyte", "value", "unit", "grade"), _high_rows())
def test_rising_value_cut_points_at_multiples_of_the_default_uln(
    analyte: str, value: Decimal, unit: str, grade: int
) -> None:
    assert grade_of(analyte, value, unit).grade == grade


# The reading's own limits win over CareLoop's defaults.
OWN_ULN = {
    ("creatinine", "mg/dL"): "1.1",
    ("creatinine", "umol/L"): "97",
    ("alt", "U/L"): "33",
    ("ast", "U/L"): "32",
    ("alkaline_phosphatase", "U/L"): "120",
    ("bilirubin", "mg/dL"): "1.0",
    ("bilirubin", "umol/L"): "21",
}


@pytest.mark.parametrize(("analyte", "value", "unit", "grade"), _high_rows(OWN_ULN))
def test_rising_value_cut_points_move_with_the_readings_own_uln(
    analyte: str, value: Decimal, unit: str, grade: int
) -> None:
    uln = Decimal(OWN_ULN[(analyte, unit)])
    result = grade_of(analyte, value, unit, None, uln)
    assert result.grade == grade
    assert result.limit == uln
    assert result.limit_is_reports_own is True


# (analyte, unit, own LLN in that unit, step)
OWN_LLN = [
    *[("platelets", unit, Decimal(140) * f, Decimal(1) if f == 1000 else Decimal("0.1")) for unit, f in COUNT_UNITS],
    *[("anc", unit, Decimal("2.0") * f, Decimal(1) if f == 1000 else Decimal("0.01")) for unit, f in COUNT_UNITS],
    *[("wbc", unit, Decimal("4.0") * f, Decimal(1) if f == 1000 else Decimal("0.01")) for unit, f in COUNT_UNITS],
    ("hemoglobin", "g/dL", Decimal("13.5"), Decimal("0.01")),
    ("hemoglobin", "g/L", Decimal(135), Decimal("0.1")),
    ("hemoglobin", "mmol/L", Decimal("8.4"), Decimal("0.01")),
]


@pytest.mark.parametrize(
    ("analyte", "unit", "lln", "step"), [pytest.param(*row, id=f"{row[0]}-{row[1]}-{row[2]}") for row in OWN_LLN]
)
def test_grade_1_starts_strictly_below_the_readings_own_lln(
    analyte: str, unit: str, lln: Decimal, step: Decimal
) -> None:
    assert grade_of(analyte, lln - step, unit, lln).grade == 1
    assert grade_of(analyte, lln, unit, lln).grade == 0
    assert grade_of(analyte, lln + step, unit, lln).grade == 0
    result = grade_of(analyte, lln, unit, lln)
    assert result.limit == lln
    assert result.limit_is_reports_own is True


def test_a_count_below_the_default_lln_but_above_the_readings_own_lln_is_grade_0() -> None:
    # Default LLN 150; this lab prints 140.
    assert grade_of("platelets", 145, "K/uL").grade == 1
    assert grade_of("platelets", 145, "K/uL", 140).grade == 0


def test_a_value_above_the_default_uln_but_not_the_readings_own_uln_is_grade_0() -> None:
    # Default ALT ULN 40; this lab prints 56.
    assert grade_of("alt", 50, "U/L").grade == 1
    assert grade_of("alt", 50, "U/L", None, 56).grade == 0


def test_the_default_lln_is_reported_in_the_readings_unit_and_marked_as_careloops() -> None:
    result = grade_of("platelets", 120000, "/uL")
    assert result.limit == Decimal(150000)
    assert result.limit_is_reports_own is False


def test_the_default_uln_is_reported_in_the_readings_unit_and_marked_as_careloops() -> None:
    result = grade_of("creatinine", 90, "umol/L")
    assert result.limit == Decimal("91.9568")
    assert result.limit_is_reports_own is False


def test_a_reference_high_does_not_change_the_grade_of_a_falling_count() -> None:
    assert grade_of("platelets", 140, "K/uL", None, 400).grade == 1


def test_a_reference_low_does_not_change_the_grade_of_a_rising_value() -> None:
    result = grade_of("alt", 41, "U/L", 7, None)
    assert result.grade == 1
    assert result.limit == Decimal(40)


# ---------------------------------------------------------------------------
# The contract's examples (§4) and CTCAE's printed hemoglobin units
# ---------------------------------------------------------------------------


def test_platelets_of_exactly_50_are_grade_2() -> None:
    assert grade_of("platelets", 50, "10^9/L").grade == 2


def test_platelets_of_49_9_are_grade_3() -> None:
    assert grade_of("platelets", 49.9, "10^9/L").grade == 3


def test_platelets_of_exactly_50000_per_ul_are_grade_2_and_49999_are_grade_3() -> None:
    assert grade_of("platelets", 50000, "/uL").grade == 2
    assert grade_of("platelets", 49999, "/uL").grade == 3


def test_anc_of_exactly_1_0_is_grade_2() -> None:
    assert grade_of("anc", 1.0, "10^9/L").grade == 2


def test_anc_of_0_99_is_grade_3() -> None:
    assert grade_of("anc", 0.99, "10^9/L").grade == 3


def test_a_count_of_zero_is_grade_4() -> None:
    assert grade_of("platelets", 0, "/uL").grade == 4


def test_hemoglobin_has_no_lab_grade_4() -> None:
    assert grade_of("hemoglobin", 2, "g/dL").grade == 3


def test_hemoglobin_of_80_g_per_l_is_4_9648_mmol_per_l_and_grade_2_in_both() -> None:
    assert grade_of("hemoglobin", 80, "g/L").grade == 2
    assert grade_of("hemoglobin", Decimal("4.9648"), "mmol/L").grade == 2
    assert grade_of("hemoglobin", Decimal("4.9647"), "mmol/L").grade == 3


def test_hemoglobin_of_4_9_mmol_per_l_is_7_9_g_per_dl_and_grade_3() -> None:
    # CTCAE's printed "4.9 mmol/L" is 8.0 g/dL rounded: by it, 4.9 mmol/L (7.896 g/dL) was grade 2.
    assert (
        grade_of("hemoglobin", Decimal("4.9"), "mmol/L").grade
        == grade_of("hemoglobin", Decimal("7.896"), "g/dL").grade
        == 3
    )


def test_hemoglobin_of_6_2_mmol_per_l_is_9_99_g_per_dl_and_grade_2() -> None:
    assert grade_of("hemoglobin", Decimal("6.2"), "mmol/L").grade == 2


def test_the_grade_names_its_ctcae_term_and_source() -> None:
    result = grade_of("platelets", 42, "K/uL")
    assert result.term == "Platelet count decreased"
    assert result.source == "CTCAE v5.0 'Platelet count decreased' (MedDRA 10035528)"


@pytest.mark.parametrize(
    ("analyte", "term", "meddra", "direction"),
    [
        ("platelets", "Platelet count decreased", "10035528", Direction.LOW),
        ("anc", "Neutrophil count decreased", "10029366", Direction.LOW),
        ("wbc", "White blood cell decreased", "10049182", Direction.LOW),
        ("hemoglobin", "Anemia", "10002272", Direction.LOW),
        ("creatinine", "Creatinine increased", "10011368", Direction.HIGH),
        ("alt", "Alanine aminotransferase increased", "10001551", Direction.HIGH),
        ("ast", "Aspartate aminotransferase increased", "10003481", Direction.HIGH),
        ("bilirubin", "Blood bilirubin increased", "10005364", Direction.HIGH),
        ("alkaline_phosphatase", "Alkaline phosphatase increased", "10001675", Direction.HIGH),
    ],
)
def test_every_analyte_is_graded_under_its_ctcae_term(
    analyte: str, term: str, meddra: str, direction: Direction
) -> None:
    criterion = CRITERIA[analyte]
    assert (criterion.term, criterion.meddra, criterion.direction) == (term, meddra, direction)


def test_every_accepted_analyte_has_a_grading_criterion() -> None:
    assert set(CRITERIA) == set(ANALYTES)


@pytest.mark.parametrize("analyte", sorted(CRITERIA))
def test_cut_points_are_listed_worst_grade_first(analyte: str) -> None:
    criterion = CRITERIA[analyte]
    grades = [g for g, _ in criterion.cuts]
    cuts = [c for _, c in criterion.cuts]
    assert grades == sorted(grades, reverse=True)
    assert cuts == (sorted(cuts) if criterion.direction is Direction.LOW else sorted(cuts, reverse=True))


# ---------------------------------------------------------------------------
# Cross-check against the CTCAE v5.0 machine-readable criteria (pharmaverse admiral)
# ---------------------------------------------------------------------------

JSON_TERMS = [
    "Platelet count decreased",
    "Neutrophil count decreased",
    "White blood cell decreased",
    "Anemia",
    "Creatinine increased",
    "Alanine aminotransferase increased",
    "Aspartate aminotransferase increased",
    "Blood bilirubin increased",
    "Alkaline phosphatase increased",
]
# `signif(AVAL, signif_dig) < 80 ~ "3"`
_LOW_CODE = re.compile(r'^signif\(AVAL, signif_dig\) < (?P<cut>\d+(?:\.\d+)?) ~ "(?P<grade>\d)"$')
# the upper-limit-of-normal arm: `signif(AVAL, signif_dig) > signif(3*ANRHI, signif_dig) ~ "2"`
_HIGH_ULN_ARM = re.compile(
    r'signif\(AVAL, signif_dig\) > signif\((?:(?P<multiple>\d+(?:\.\d+)?)\*)?ANRHI, signif_dig\) ~ "(?P<grade>\d)"'
)


@pytest.fixture(scope="module")
def ctcae_terms() -> dict[str, dict[str, str]]:
    if not CTCAE_JSON.is_file():
        pytest.skip(f"CTCAE criteria file not found at {CTCAE_JSON} (the shared/ folder beside the repo)")
    return {entry["TERM"]: entry for entry in json.loads(CTCAE_JSON.read_text(encoding="utf-8"))}


def _criterion_for(term: str) -> Any:
    return next(c for c in CRITERIA.values() if c.term == term)


def _grade_codes(entry: dict[str, str]) -> dict[int, str]:
    return {int(key.split("_")[1]): code for key, code in entry.items() if re.fullmatch(r"GRADE_\d_CODE", key)}


@pytest.mark.parametrize("term", JSON_TERMS)
def test_cut_points_equal_the_ctcae_json(term: str, ctcae_terms: dict[str, dict[str, str]]) -> None:
    entry = ctcae_terms[term]
    criterion = _criterion_for(term)
    codes = _grade_codes(entry)
    if criterion.direction is Direction.LOW:
        assert entry["DIRECTION"] == "L"
        parsed: dict[int, Decimal] = {}
        for grade, code in codes.items():
            if grade == 1:
                assert "ANRLO" in code  # grade 1 is "< LLN": no fixed cut-point
                continue
            match = _LOW_CODE.match(code)
            assert match is not None, code
            assert int(match["grade"]) == grade
            parsed[grade] = Decimal(match["cut"])
        analyte = ANALYTES[criterion.analyte]
        unit = analyte.unit(entry["UNIT_CHECK"])
        assert unit is not None, entry["UNIT_CHECK"]
        ours = {grade: analyte.from_canonical(cut, unit) for grade, cut in criterion.cuts}
        assert ours == parsed
    else:
        assert entry["DIRECTION"] == "H"
        parsed = {}
        for grade, code in codes.items():
            match = _HIGH_ULN_ARM.search(code)
            assert match is not None, code
            assert int(match["grade"]) == grade
            parsed[grade] = Decimal(match["multiple"] or "1")
        assert dict(criterion.cuts) == parsed


def test_the_ctcae_json_gives_anemia_in_g_per_l_and_counts_in_10_9_per_l(
    ctcae_terms: dict[str, dict[str, str]],
) -> None:
    assert ctcae_terms["Anemia"]["UNIT_CHECK"] == "g/L"
    for term in ("Platelet count decreased", "Neutrophil count decreased", "White blood cell decreased"):
        assert ctcae_terms[term]["UNIT_CHECK"] == "10^9/L"


# ---------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------

LOW_UNITS = [
    ("platelets", "10^9/L", 1),
    ("anc", "10^9/L", 2),
    ("wbc", "10^9/L", 2),
    ("hemoglobin", "g/dL", 2),
    ("hemoglobin", "g/L", 1),
    ("hemoglobin", "mmol/L", 4),
]
HIGH_UNIT_PLACES = [
    ("creatinine", "mg/dL", 2),
    ("creatinine", "umol/L", 1),
    ("alt", "U/L", 1),
    ("ast", "U/L", 1),
    ("bilirubin", "mg/dL", 2),
    ("bilirubin", "umol/L", 1),
]


def _plausible(
    analyte: str, unit_key: str, places: int, *, low: Decimal | None = None, high: Decimal | None = None
) -> st.SearchStrategy[Decimal]:
    """Plausible values of the analyte in that unit (optionally within [low, high])."""
    a = ANALYTES[analyte]
    unit = a.unit(unit_key)
    assert unit is not None
    lowest = a.from_canonical(a.plausible_min, unit) if low is None else low
    highest = a.from_canonical(a.plausible_max, unit) if high is None else high
    return st.decimals(min_value=lowest, max_value=highest, places=places, allow_nan=False, allow_infinity=False)


@settings(deadline=None)
@given(data=st.data())
@pytest.mark.parametrize(("analyte", "unit", "places"), LOW_UNITS)
def test_grade_never_decreases_as_a_count_falls(analyte: str, unit: str, places: int, data: st.DataObject) -> None:
    # Up to the ULN: above it, hemoglobin and WBC have a rising term of their own (SECOND_CRITERIA).
    target = ANALYTES[analyte]
    u = target.unit(unit)
    assert u is not None and target.default_high is not None
    top = target.from_canonical(target.default_high, u) if analyte in SECOND_CRITERIA else None
    a = data.draw(_plausible(analyte, unit, places, high=top), label="a")
    b = data.draw(_plausible(analyte, unit, places, high=a), label="b")
    assert grade_of(analyte, b, unit).grade >= grade_of(analyte, a, unit).grade


@settings(deadline=None)
@given(data=st.data())
@pytest.mark.parametrize(("analyte", "unit", "places"), HIGH_UNIT_PLACES)
def test_grade_never_decreases_as_a_value_rises(analyte: str, unit: str, places: int, data: st.DataObject) -> None:
    a = data.draw(_plausible(analyte, unit, places), label="a")
    b = data.draw(_plausible(analyte, unit, places, low=a), label="b")
    assert grade_of(analyte, b, unit).grade >= grade_of(analyte, a, unit).grade


@settings(deadline=None)
@given(
    analyte=st.sampled_from(["platelets", "anc", "wbc"]),
    thousandths=st.integers(min_value=0, max_value=500_000),
    own_lln=st.none() | st.integers(min_value=1000, max_value=4000),
)
def test_the_same_count_in_every_equivalent_unit_gets_the_same_grade(
    analyte: str, thousandths: int, own_lln: int | None
) -> None:
    # A count with at most 3 decimals in ×10^9/L is a whole number per µL.
    per_ul = Decimal(thousandths)
    floor = ANALYTES[analyte].per_ul_floor
    assert floor is not None
    assume(per_ul == 0 or per_ul >= floor)
    canonical = per_ul / 1000
    assume(canonical <= ANALYTES[analyte].plausible_max)
    lln_scale = {"platelets": Decimal("0.1"), "anc": Decimal("0.001"), "wbc": Decimal("0.001")}[analyte]
    lln = None if own_lln is None else Decimal(own_lln) * lln_scale
    grades = {
        unit: grade_of(
            analyte,
            canonical * factor if factor == 1000 else canonical,
            unit,
            None if lln is None else lln * factor,
        ).grade
        for unit, factor in COUNT_UNITS
    }
    assert len(set(grades.values())) == 1, grades


@settings(deadline=None)
@given(tenths=st.integers(min_value=20, max_value=250))
def test_the_same_hemoglobin_in_g_per_dl_and_g_per_l_gets_the_same_grade(tenths: int) -> None:
    g_per_dl = Decimal(tenths) / 10
    assert grade_of("hemoglobin", g_per_dl, "g/dL").grade == grade_of("hemoglobin", g_per_dl * 10, "g/L").grade
