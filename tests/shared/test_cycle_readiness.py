"""Ready for day 1? The label's three criteria (NINLARO USPI §2.2), each with its value and date."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from shared.count_trends import Count
from shared.cycle_readiness import Toxicity, count_for_cycle_start, cycle_readiness

DAY1 = date(2026, 3, 2)
GOOD_ANC = Count(DAY1 - timedelta(days=1), Decimal("1.8"))
GOOD_PLT = Count(DAY1 - timedelta(days=1), Decimal(140))


def readiness(anc: Count | None = GOOD_ANC, platelets: Count | None = GOOD_PLT, toxicities=()):  # type: ignore[no-untyped-def]
    return cycle_readiness(cycle=3, day1=DAY1, anc=anc, platelets=platelets, toxicities=list(toxicities))


def criterion(result, key: str):  # type: ignore[no-untyped-def]
    return next(c for c in result.criteria if c.key == key)


def test_all_met_is_ready_and_says_what_and_when() -> None:
    result = readiness()
    assert result.ready and not result.counts_missing
    anc = criterion(result, "anc")
    assert (anc.met, anc.value, anc.on) == (True, "1.8 ×10⁹/L", DAY1 - timedelta(days=1))


@pytest.mark.parametrize(("value", "met"), [("0.99", False), ("1.0", True), ("1.01", True)])
def test_anc_of_1_0_is_met(value: str, met: bool) -> None:
    result = readiness(anc=Count(DAY1, Decimal(value)))
    assert criterion(result, "anc").met is met
    assert result.ready is met


@pytest.mark.parametrize(("value", "met"), [("74.9", False), ("75", True), ("75.1", True)])
def test_platelets_of_75_are_met(value: str, met: bool) -> None:
    assert criterion(readiness(platelets=Count(DAY1, Decimal(value))), "platelets").met is met


def test_a_missing_count_is_unmet_and_flagged() -> None:
    result = readiness(platelets=None)
    assert not result.ready and result.counts_missing
    assert criterion(result, "platelets").note == "blood count needed"


def test_a_count_typed_per_mm3_is_unmet_with_a_unit_question() -> None:
    result = readiness(platelets=Count(DAY1, Decimal(150000)))
    assert not criterion(result, "platelets").met
    assert "unit" in criterion(result, "platelets").note


@pytest.mark.parametrize(("grade", "met"), [(0, True), (1, True), (2, False), (3, False)])
def test_other_toxicity_must_be_back_to_grade_1(grade: int, met: bool) -> None:
    result = readiness(toxicities=[Toxicity("Diarrhea", grade, DAY1 - timedelta(days=4))])
    assert criterion(result, "non_hematologic").met is met


def test_the_worst_other_toxicity_is_named_first() -> None:
    on = DAY1 - timedelta(days=3)
    result = readiness(toxicities=[Toxicity("Nausea", 2, on), Toxicity("Rash", 3, on), Toxicity("Edema", 1, on)])
    assert criterion(result, "non_hematologic").value == "Rash grade 3; Nausea grade 2"


@pytest.mark.parametrize(("days_before", "counts"), [(8, False), (7, True), (0, True), (-1, False)])
def test_the_count_a_cycle_starts_on_is_from_the_rest_week_or_day_1(days_before: int, counts: bool) -> None:
    found = count_for_cycle_start([Count(DAY1 - timedelta(days=days_before), Decimal(100))], DAY1)
    assert (found is not None) is counts


def test_the_latest_count_wins_and_on_one_day_the_lower() -> None:
    counts = [
        Count(DAY1 - timedelta(days=5), Decimal(50)),
        Count(DAY1 - timedelta(days=1), Decimal(120)),
        Count(DAY1 - timedelta(days=1), Decimal(90)),
    ]
    assert count_for_cycle_start(counts, DAY1) == Count(DAY1 - timedelta(days=1), Decimal(90))
