"""Cockcroft-Gault CrCl and the labels' renal/hepatic starting doses (shared.organ_function)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from shared.organ_function import (
    cockcroft_gault,
    ixazomib_starting_dose,
    lenalidomide_renal_dose,
    renal_dose_warnings,
)

D = Decimal


def test_cockcroft_gault_for_a_man_and_the_0_85_factor_for_a_woman() -> None:
    # (140 - 70) * 72 / (72 * 1.0) = 70 mL/min
    assert cockcroft_gault(age_years=70, weight_kg=D(72), creatinine_mg_dl=D("1.0"), sex="male") == D("70.0")
    assert cockcroft_gault(age_years=70, weight_kg=D(72), creatinine_mg_dl=D("1.0"), sex="female") == D("59.5")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"age_years": 70, "weight_kg": D(72), "creatinine_mg_dl": D(1), "sex": ""},
        {"age_years": 17, "weight_kg": D(72), "creatinine_mg_dl": D(1), "sex": "male"},
        {"age_years": 70, "weight_kg": D(20), "creatinine_mg_dl": D(1), "sex": "male"},
        {"age_years": 70, "weight_kg": D(72), "creatinine_mg_dl": D(0), "sex": "male"},
    ],
)
def test_cockcroft_gault_refuses_what_it_cannot_compute(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        cockcroft_gault(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("crcl", "dialysis", "bilirubin", "mg"),
    [
        (D(30), False, None, D(4)),  # CrCl 30: not severe
        (D("29.9"), False, None, D(3)),
        (None, True, None, D(3)),
        (None, False, D("1.5"), D(4)),  # mild hepatic: no change
        (None, False, D("1.6"), D(3)),  # moderate
        (None, False, None, D(4)),
    ],
)
def test_ixazomib_starting_dose(crcl: Decimal | None, dialysis: bool, bilirubin: Decimal | None, mg: Decimal) -> None:
    assert ixazomib_starting_dose(crcl=crcl, dialysis=dialysis, bilirubin_x_uln=bilirubin).mg == mg


@pytest.mark.parametrize(
    ("crcl", "dialysis", "mg", "every"),
    [
        (D(60), False, D(25), 1),
        (D("59.9"), False, D(10), 1),
        (D(30), False, D(10), 1),
        (D("29.9"), False, D(15), 2),
        (D(10), True, D(5), 1),
    ],
)
def test_lenalidomide_renal_table(crcl: Decimal, dialysis: bool, mg: Decimal, every: int) -> None:
    dose = lenalidomide_renal_dose(crcl=crcl, dialysis=dialysis)
    assert (dose.mg, dose.every_days) == (mg, every)


def test_the_nurse_is_warned_when_the_regimen_is_above_the_label_for_this_kidney_function() -> None:
    assert renal_dose_warnings(crcl=None, ixazomib_mg=D(4), lenalidomide_mg=D(25)) == []
    assert renal_dose_warnings(crcl=D(60), ixazomib_mg=D(4), lenalidomide_mg=D(25)) == []
    moderate = renal_dose_warnings(crcl=D(45), ixazomib_mg=D(4), lenalidomide_mg=D(25))
    assert [w.drug for w in moderate] == ["lenalidomide"]
    assert renal_dose_warnings(crcl=D(45), ixazomib_mg=D(4), lenalidomide_mg=D(10)) == []
    severe = renal_dose_warnings(crcl=D(25), ixazomib_mg=D(4), lenalidomide_mg=D(10))
    assert [w.drug for w in severe] == ["ixazomib", "lenalidomide"]  # 10 mg/day > 15 mg every 48 h
    assert renal_dose_warnings(crcl=D(25), ixazomib_mg=D(3), lenalidomide_mg=D(5)) == []
