"""Specification of what a lab grade depends on besides the value (shared.lab_grading,
shared.lab_context): the patient's baseline (CTCAE v5.0's "x baseline" arms), their sex (which of
CareLoop's default limits apply), the second CTCAE term of hemoglobin and WBC, one grade per value
in every hemoglobin unit, and very low counts per µL.

Every baseline cut-point is checked just below, exactly at and just above it, with the value and the
baseline each in every unit a lab prints for the analyte.
"""

from __future__ import annotations

import json
import re
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.alert_policy import DEFAULT_POLICY, Severity, evaluate_lab
from shared.analytes import ANALYTES, Sex
from shared.lab_context import (
    NO_CONTEXT,
    LabContext,
    baseline_parse,
    context_from_wire,
    context_to_wire,
    sex_parse,
)
from shared.lab_grading import CRITERIA, SECOND_CRITERIA, Baseline, LabGrade, grade_lab
from shared.lab_values import LabValueError, parse_lab_value

CTCAE_JSON = Path(__file__).resolve().parents[3] / "shared" / "clinical" / "ctcae_v5_lab_grading_criteria.json"


def grade(
    analyte: str,
    value: object,
    unit: str,
    *,
    baseline: Baseline | None = None,
    sex: Sex | None = None,
    high: Any = None,
) -> LabGrade:
    return grade_lab(parse_lab_value(analyte, value, unit, None, high), sex=sex, baseline=baseline)


# ---------------------------------------------------------------------------
# The two examples of the issue
# ---------------------------------------------------------------------------


def test_creatinine_2_11_against_a_baseline_of_0_7_is_grade_3_by_the_baseline_and_holds_ixazomib() -> None:
    lab = parse_lab_value("creatinine", Decimal("2.11"), "mg/dL")
    baseline = baseline_parse("creatinine", Decimal("0.7"), "mg/dL", source="lab")
    result = grade_lab(lab, sex=Sex.MALE, baseline=baseline)  # by the men's ULN 1.35 alone: grade 2
    assert grade_lab(lab, sex=Sex.MALE).grade == 2
    assert (result.grade, result.rule, result.baseline) == (3, "> 3.0 × baseline 0.7 mg/dL", baseline)
    alert = evaluate_lab(DEFAULT_POLICY, lab, result)
    assert alert is not None and alert.hold_drugs == ("ixazomib",)
    assert "by > 3.0 × baseline 0.7 mg/dL" in alert.message
    assert "the last before cycle 1 day 1" in alert.message


def test_alt_201_against_an_abnormal_baseline_of_100_is_grade_1_and_raises_no_alert() -> None:
    lab = parse_lab_value("alt", 201, "U/L")
    assert grade_lab(lab).grade == 3  # by the ULN of 40 alone: a false hold
    result = grade_lab(lab, baseline=baseline_parse("alt", 100, "U/L"))
    assert (result.grade, result.rule) == (1, "≥ 1.5 × baseline 100 U/L")
    assert evaluate_lab(DEFAULT_POLICY, lab, result) is None


def test_the_alert_names_the_uln_rule_when_the_uln_gave_the_grade() -> None:
    lab = parse_lab_value("alt", 201, "U/L")
    alert = evaluate_lab(DEFAULT_POLICY, lab, grade_lab(lab))
    assert alert is not None
    assert "grade 3 'Alanine aminotransferase increased' by > 5.0 × ULN (ULN 40 U/L, CareLoop default)" in alert.message


# ---------------------------------------------------------------------------
# Boundary tables: every baseline cut, in every unit of value and of baseline
# ---------------------------------------------------------------------------

UNITS = {
    "creatinine": [("mg/dL", Decimal(1)), ("umol/L", Decimal("88.42"))],
    "bilirubin": [("mg/dL", Decimal(1)), ("umol/L", Decimal("17.1"))],
    "alt": [("U/L", Decimal(1)), ("IU/L", Decimal(1))],
    "ast": [("U/L", Decimal(1)), ("IU/L", Decimal(1))],
    "alkaline_phosphatase": [("U/L", Decimal(1)), ("IU/L", Decimal(1))],
}
# (analyte, baseline in the canonical unit, its printed ULN or None, the ULN the value is graded
# against (canonical), [(multiple of baseline, grade just below, at, just above)]).
# Creatinine: baseline 0.7 mg/dL with a printed ULN of 4 (so that only the baseline arm can grade
# here): CTCAE grade 2 ">1.5 - 3.0 x baseline", grade 3 ">3.0 x baseline".
# Liver values: an abnormal baseline (above its ULN), so the baseline arm replaces the ULN arm.
BASELINE_TABLE = [
    ("creatinine", "0.7", "4", "4", [("1.5", 0, 0, 2), ("3.0", 2, 2, 3)]),
    ("alt", "100", None, "40", [("1.5", 0, 1, 1), ("3.0", 1, 1, 2), ("5.0", 2, 2, 3), ("20.0", 3, 3, 4)]),
    ("ast", "100", None, "40", [("1.5", 0, 1, 1), ("3.0", 1, 1, 2), ("5.0", 2, 2, 3), ("20.0", 3, 3, 4)]),
    (
        "alkaline_phosphatase",
        "200",
        None,
        "147",
        [("2.0", 0, 1, 1), ("2.5", 1, 1, 2), ("5.0", 2, 2, 3), ("20.0", 3, 3, 4)],
    ),
    ("bilirubin", "2.0", None, "1.2", [("1.0", 0, 0, 1), ("1.5", 1, 1, 2), ("3.0", 2, 2, 3), ("10.0", 3, 3, 4)]),
]
STEP = Decimal("0.01")


def _baseline_rows() -> list[Any]:
    rows = []
    for analyte, base, base_uln, uln, cuts in BASELINE_TABLE:
        for value_unit, value_factor in UNITS[analyte]:
            for base_unit, base_factor in UNITS[analyte]:
                for multiple, below, at, above in cuts:
                    at_cut = Decimal(multiple) * Decimal(base) * value_factor
                    for where, value, expected in (
                        ("below", at_cut - STEP, below),
                        ("at", at_cut, at),
                        ("above", at_cut + STEP, above),
                    ):
                        rows.append(
                            pytest.param(
                                analyte,
                                value,
                                value_unit,
                                Decimal(base) * base_factor,
                                base_unit,
                                None if base_uln is None else Decimal(base_uln) * base_factor,
                                Decimal(uln) * value_factor if analyte == "creatinine" else None,
                                expected,
                                id=f"{analyte}-{multiple}xbaseline-{value_unit}-vs-{base_unit}-{where}",
                            )
                        )
    return rows


@pytest.mark.parametrize(
    ("analyte", "value", "unit", "base", "base_unit", "base_uln", "high", "expected"), _baseline_rows()
)
def test_baseline_cut_points_in_every_unit(
    analyte: str,
    value: Decimal,
    unit: str,
    base: Decimal,
    base_unit: str,
    base_uln: Decimal | None,
    high: Decimal | None,
    expected: int,
) -> None:
    baseline = baseline_parse(analyte, base, base_unit, base_uln)
    result = grade(analyte, value, unit, baseline=baseline, high=high)
    assert result.grade == expected
    if expected:
        assert "baseline" in result.rule


@pytest.mark.parametrize("analyte", ["alt", "ast", "alkaline_phosphatase", "bilirubin"])
def test_a_normal_baseline_leaves_the_liver_values_graded_against_the_uln(analyte: str) -> None:
    uln = ANALYTES[analyte].default_high
    assert uln is not None
    normal = baseline_parse(analyte, uln, ANALYTES[analyte].canonical_unit)  # at the ULN: not above it
    value = uln * 6
    with_baseline = grade(analyte, value, ANALYTES[analyte].canonical_unit, baseline=normal)
    assert with_baseline == grade(analyte, value, ANALYTES[analyte].canonical_unit)
    assert "ULN" in with_baseline.rule and with_baseline.baseline is None


def test_a_baseline_is_abnormal_against_the_uln_printed_with_it() -> None:
    # 45 U/L is above CareLoop's ULN of 40, but not above the 56 its lab printed: normal, so 201 is
    # graded > 5 x ULN 40 (grade 3); without the printed ULN it is abnormal: > 3 x baseline 45 (grade 2).
    assert grade("alt", 201, "U/L", baseline=baseline_parse("alt", 45, "U/L", 56)).grade == 3
    abnormal = grade("alt", 201, "U/L", baseline=baseline_parse("alt", 45, "U/L"))
    assert (abnormal.grade, abnormal.rule) == (2, "> 3.0 × baseline 45 U/L")


def test_creatinine_keeps_the_worse_of_its_uln_and_baseline_grades() -> None:
    baseline = baseline_parse("creatinine", Decimal("2.5"), "mg/dL")
    # 7.0 mg/dL: > 6 x ULN 1.04 (grade 4), only 2.8 x baseline (grade 2): grade 4 by the ULN.
    result = grade("creatinine", 7, "mg/dL", baseline=baseline)
    assert (result.grade, result.rule, result.baseline) == (4, "> 6.0 × ULN", None)


def test_a_tie_between_the_uln_and_baseline_rules_names_the_uln() -> None:
    # 3.5 mg/dL: > 3 x ULN 1.04 and > 3 x baseline 1.1: grade 3 both ways.
    result = grade(
        "creatinine", Decimal("3.5"), "mg/dL", baseline=baseline_parse("creatinine", Decimal("1.1"), "mg/dL")
    )
    assert (result.grade, result.rule) == (3, "> 3.0 × ULN")


def test_counts_and_hemoglobin_have_no_baseline() -> None:
    with pytest.raises(LabValueError) as refused:
        baseline_parse("platelets", 200, "K/uL")
    assert refused.value.field == "analyte"


def test_a_baseline_of_another_analyte_cannot_grade_a_value() -> None:
    with pytest.raises(ValueError, match="baseline"):
        grade("alt", 100, "U/L", baseline=baseline_parse("ast", 100, "U/L"))


@settings(deadline=None)
@given(
    value=st.decimals(min_value=Decimal("0.05"), max_value=Decimal(40), places=2),
    base=st.decimals(min_value=Decimal("0.05"), max_value=Decimal(10), places=2),
)
def test_a_baseline_never_lowers_a_creatinine_grade(value: Decimal, base: Decimal) -> None:
    with_baseline = grade("creatinine", value, "mg/dL", baseline=baseline_parse("creatinine", base, "mg/dL"))
    assert with_baseline.grade >= grade("creatinine", value, "mg/dL").grade


# ---------------------------------------------------------------------------
# Cross-check of the baseline arms against the CTCAE v5.0 machine-readable criteria (admiral)
# ---------------------------------------------------------------------------

# `signif(AVAL, signif_dig) > signif(3*BASE, signif_dig) ~ "2"` (or >= for an inclusive grade 1)
_BASE_ARM = re.compile(
    r"signif\(AVAL, signif_dig\) (?P<op>>=?) "
    r'signif\((?:(?P<multiple>\d+(?:\.\d+)?)\*)?BASE, signif_dig\) ~ "(?P<grade>\d)"'
)


@pytest.mark.parametrize(
    "term",
    [
        "Creatinine increased",
        "Alanine aminotransferase increased",
        "Aspartate aminotransferase increased",
        "Alkaline phosphatase increased",
        "Blood bilirubin increased",
    ],
)
def test_baseline_arms_equal_the_ctcae_json(term: str) -> None:
    if not CTCAE_JSON.is_file():
        pytest.skip(f"CTCAE criteria file not found at {CTCAE_JSON}")
    entry = next(e for e in json.loads(CTCAE_JSON.read_text(encoding="utf-8")) if e["TERM"] == term)
    parsed = set()
    for key, code in entry.items():
        if re.fullmatch(r"GRADE_\d_CODE", key):
            for match in _BASE_ARM.finditer(code):
                parsed.add((int(match["grade"]), Decimal(match["multiple"] or "1"), match["op"] == ">="))
    criterion = next(c for c in CRITERIA.values() if c.term == term)
    assert {(c.grade, c.multiple, c.inclusive) for c in criterion.baseline_cuts} == parsed


def test_the_second_terms_equal_the_ctcae_json() -> None:
    if not CTCAE_JSON.is_file():
        pytest.skip(f"CTCAE criteria file not found at {CTCAE_JSON}")
    terms = {e["TERM"]: e for e in json.loads(CTCAE_JSON.read_text(encoding="utf-8"))}
    # Hemoglobin increased, in g/L: > ANRHI + 40 / + 20 / > ANRHI. Ours are in g/dL: 4, 2, 0.
    hgb = terms["Hemoglobin increased"]
    assert "ANRHI + 40" in hgb["GRADE_3_CODE"] and "ANRHI + 20" in hgb["GRADE_2_CODE"]
    assert dict(SECOND_CRITERIA["hemoglobin"].cuts) == {3: Decimal(4), 2: Decimal(2), 1: Decimal(0)}
    assert terms["Leukocytosis"]["GRADE_3_CODE"] == 'signif(AVAL, signif_dig) > 100 ~ "3"'
    assert dict(SECOND_CRITERIA["wbc"].cuts) == {3: Decimal(100)}


# ---------------------------------------------------------------------------
# Hemoglobin increased and leukocytosis (dexamethasone raises both)
# ---------------------------------------------------------------------------

# (unit, ULN for men in that unit, step): 17.5 g/dL = 175 g/L = 10.8605 mmol/L.
HGB_UNITS = [("g/dL", Decimal("17.5"), Decimal("0.01"), Decimal(1)), ("g/L", Decimal(175), Decimal("0.1"), Decimal(10))]
HGB_UNITS.append(("mmol/L", Decimal("10.8605"), Decimal("0.0001"), Decimal("0.6206")))


@pytest.mark.parametrize(("unit", "uln", "step", "per_g_dl"), HGB_UNITS)
@pytest.mark.parametrize(("above", "grade_above"), [(Decimal(0), 1), (Decimal(2), 2), (Decimal(4), 3)])
def test_hemoglobin_increased_grades_above_the_uln(
    unit: str, uln: Decimal, step: Decimal, per_g_dl: Decimal, above: Decimal, grade_above: int
) -> None:
    cut = uln + above * per_g_dl
    assert grade("hemoglobin", cut - step, unit, sex=Sex.MALE).grade == grade_above - 1
    assert grade("hemoglobin", cut, unit, sex=Sex.MALE).grade == grade_above - 1
    result = grade("hemoglobin", cut + step, unit, sex=Sex.MALE)
    assert (result.grade, result.term, result.criterion) == (
        grade_above,
        "Hemoglobin increased",
        "hemoglobin_increased",
    )


def test_hemoglobin_increased_grade_3_raises_its_own_alert_without_a_hold() -> None:
    lab = parse_lab_value("hemoglobin", Decimal("21.6"), "g/dL")
    alert = evaluate_lab(DEFAULT_POLICY, lab, grade_lab(lab, sex=Sex.MALE))
    assert alert is not None
    assert (alert.kind, alert.grade, alert.hold_drugs, alert.severity) == (
        "hemoglobin_increased",
        3,
        (),
        Severity.URGENT,
    )


@pytest.mark.parametrize(("unit", "factor"), [("K/uL", 1), ("10^9/L", 1), ("/uL", 1000), ("/mm3", 1000)])
def test_leukocytosis_is_grade_3_strictly_above_100(unit: str, factor: int) -> None:
    step = Decimal(1) if factor == 1000 else Decimal("0.01")
    cut = Decimal(100) * factor
    assert grade("wbc", cut, unit).grade == 0
    result = grade("wbc", cut + step, unit)
    assert (result.grade, result.term) == (3, "Leukocytosis")
    alert = evaluate_lab(DEFAULT_POLICY, parse_lab_value("wbc", cut + step, unit), result)
    assert alert is not None and (alert.kind, alert.hold_drugs) == ("leukocytosis", ())


def test_a_wbc_between_the_uln_and_100_is_grade_0() -> None:
    assert grade("wbc", 50, "K/uL").grade == 0


# ---------------------------------------------------------------------------
# One hemoglobin value, one grade, in every unit
# ---------------------------------------------------------------------------


@settings(deadline=None)
@given(
    hundredths=st.integers(min_value=200, max_value=2500),
    sex=st.sampled_from([None, Sex.FEMALE, Sex.MALE]),
)
def test_the_same_hemoglobin_gets_the_same_grade_in_g_per_dl_g_per_l_and_mmol_per_l(
    hundredths: int, sex: Sex | None
) -> None:
    g_per_dl = Decimal(hundredths) / 100
    grades = {
        unit: grade("hemoglobin", g_per_dl * factor, unit, sex=sex).grade
        for unit, factor in (("g/dL", 1), ("g/L", 10), ("mmol/L", Decimal("0.6206")))
    }
    assert len(set(grades.values())) == 1, grades


# ---------------------------------------------------------------------------
# Sex: which default limits apply (the lab's printed ones always win)
# ---------------------------------------------------------------------------

# (analyte, unit, sex, value just at the limit, grade just past it, which way is past)
SEX_LIMITS = [
    ("hemoglobin", "g/dL", Sex.FEMALE, "12.0", 1, "below"),
    ("hemoglobin", "g/dL", Sex.MALE, "13.5", 1, "below"),
    ("hemoglobin", "g/dL", None, "13.5", 1, "below"),
    ("hemoglobin", "g/L", Sex.FEMALE, "120", 1, "below"),
    ("hemoglobin", "mmol/L", Sex.FEMALE, "7.4472", 1, "below"),
    ("hemoglobin", "g/dL", Sex.FEMALE, "15.5", 1, "above"),
    ("hemoglobin", "g/dL", Sex.MALE, "17.5", 1, "above"),
    ("hemoglobin", "g/dL", None, "15.5", 1, "above"),
    ("creatinine", "mg/dL", Sex.FEMALE, "1.04", 1, "above"),
    ("creatinine", "mg/dL", Sex.MALE, "1.35", 1, "above"),
    ("creatinine", "mg/dL", None, "1.04", 1, "above"),
    ("creatinine", "umol/L", Sex.MALE, "119.367", 1, "above"),  # 1.35 x 88.42
    ("creatinine", "mg/dL", Sex.MALE, "4.05", 3, "above"),  # 3 x 1.35
    ("creatinine", "mg/dL", Sex.FEMALE, "3.12", 3, "above"),  # 3 x 1.04
]


@pytest.mark.parametrize(("analyte", "unit", "sex", "limit", "past", "way"), SEX_LIMITS)
def test_each_sex_gets_its_own_default_limit(
    analyte: str, unit: str, sex: Sex | None, limit: str, past: int, way: str
) -> None:
    at = Decimal(limit)
    step = Decimal("0.0001")
    beyond = at - step if way == "below" else at + step
    assert grade(analyte, at, unit, sex=sex).grade == past - 1
    assert grade(analyte, beyond, unit, sex=sex).grade == past


def test_a_male_hemoglobin_of_13_is_grade_1_and_a_female_one_is_normal() -> None:
    assert grade("hemoglobin", 13, "g/dL", sex=Sex.MALE).grade == 1
    assert grade("hemoglobin", 13, "g/dL", sex=Sex.FEMALE).grade == 0


def test_the_lab_printed_limit_wins_over_the_sex_default() -> None:
    assert grade("creatinine", Decimal("1.2"), "mg/dL", sex=Sex.FEMALE, high=Decimal("1.3")).grade == 0


def test_the_alert_says_whose_default_limit_applied() -> None:
    for sex, words in ((Sex.MALE, "CareLoop default for men"), (None, "CareLoop default; sex not recorded")):
        lab = parse_lab_value("creatinine", 5, "mg/dL")
        alert = evaluate_lab(DEFAULT_POLICY, lab, grade_lab(lab, sex=sex))
        assert alert is not None and words in alert.message


@pytest.mark.parametrize(("raw", "sex"), [("female", Sex.FEMALE), (" Male ", Sex.MALE), ("", None), (None, None)])
def test_sex_is_read_from_its_wire_spelling(raw: object, sex: Sex | None) -> None:
    assert sex_parse(raw) is sex


@pytest.mark.parametrize("raw", ["f", "other", 1, True])
def test_anything_else_is_not_a_sex(raw: object) -> None:
    with pytest.raises(ValueError):
        sex_parse(raw)


# ---------------------------------------------------------------------------
# Very low counts per µL: accepted, graded as typed, and the unit questioned
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(("analyte", "value"), [("anc", 10), ("anc", 1), ("wbc", 150), ("platelets", 1000)])
def test_a_count_that_is_grade_4_or_a_unit_slip_alerts_as_grade_4_and_asks_to_check_the_unit(
    analyte: str, value: int
) -> None:
    lab = parse_lab_value(analyte, value, "/uL")
    alert = evaluate_lab(DEFAULT_POLICY, lab, grade_lab(lab))
    assert alert is not None
    assert (alert.grade, alert.severity) == (4, Severity.CRITICAL)
    assert "Check the unit" in alert.message and "K/µL would be" in alert.message
    assert "Check the unit on your lab report" in alert.patient_advice


def test_an_anc_of_400_per_ul_is_grade_4_with_no_doubt_about_its_unit() -> None:
    lab = parse_lab_value("anc", 400, "/uL")
    alert = evaluate_lab(DEFAULT_POLICY, lab, grade_lab(lab))
    assert alert is not None and alert.grade == 4 and "Check the unit" not in alert.message


def test_platelets_under_1000_per_ul_are_still_refused_as_no_lab_prints_them() -> None:
    with pytest.raises(LabValueError) as refused:
        parse_lab_value("platelets", 999, "/uL")
    assert refused.value.suggested_unit == "K/uL"


def test_a_fraction_of_a_cell_per_ul_is_still_refused() -> None:
    with pytest.raises(LabValueError):
        parse_lab_value("anc", Decimal("10.5"), "/uL")


# ---------------------------------------------------------------------------
# The context: grading with it, and its wire form (the sync answer's `lab_context`)
# ---------------------------------------------------------------------------


def _context() -> LabContext:
    return LabContext(
        Sex.MALE,
        {
            "creatinine": baseline_parse("creatinine", 61.9, "umol/L", source="lab"),
            "alt": baseline_parse("alt", 100, "U/L", 80, source="entered"),
        },
    )


def test_the_context_grades_with_its_sex_and_the_analytes_baseline() -> None:
    context = _context()
    assert context.grade(parse_lab_value("creatinine", Decimal("1.86"), "mg/dL")).grade == 2  # 3 x 0.7 = 2.1
    assert context.grade(parse_lab_value("creatinine", Decimal("2.11"), "mg/dL")).grade == 3
    assert context.grade(parse_lab_value("hemoglobin", 13, "g/dL")).grade == 1
    assert NO_CONTEXT.grade(parse_lab_value("alt", 201, "U/L")).grade == 3


def test_a_baseline_grades_only_values_collected_on_a_later_day() -> None:
    baseline = baseline_parse("alt", 100, "U/L", on=date(2026, 10, 30), source="lab")
    context = LabContext(None, {"alt": baseline})
    lab = parse_lab_value("alt", 201, "U/L")
    assert context.grade(lab, date(2026, 10, 31)).grade == 1
    assert context.grade(lab, date(2026, 10, 30)).grade == 3  # itself, or a value of the same day
    assert context.grade(lab, date(2026, 10, 29)).grade == 3
    assert context.grade(lab).grade == 1  # no day given: the baseline applies


def test_the_wire_form_round_trips_through_json() -> None:
    context = _context()
    wire = json.loads(json.dumps(context_to_wire(context)))
    assert wire["sex"] == "male"
    assert wire["baselines"]["creatinine"] == {
        "value": 61.9,
        "unit": "umol/L",
        "reference_high": None,
        "on": None,
        "source": "lab",
    }
    assert context_from_wire(wire) == LabContext(context.sex, dict(context.baselines))
    assert context_to_wire(context_from_wire(wire)) == context_to_wire(context)


@pytest.mark.parametrize(
    "data",
    [None, [], "x", {"sex": "robot"}, {"baselines": []}, {"baselines": {"alt": "100"}}],
)
def test_an_unreadable_context_grades_as_no_context_and_never_raises(data: object) -> None:
    assert context_from_wire(data).baselines == {}
    assert context_from_wire(data).sex is None


def test_one_unreadable_baseline_is_left_out_alone() -> None:
    wire = context_to_wire(_context())
    wire["baselines"]["alt"]["unit"] = "furlongs"
    wire["baselines"]["platelets"] = {"value": 200, "unit": "K/uL"}
    context = context_from_wire(wire)
    assert set(context.baselines) == {"creatinine"}
    assert context.sex is Sex.MALE
