"""Relative dose intensity per drug and cycle (shared.dose_intensity)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from shared.dose_intensity import cycle_intensity
from shared.regimen import Drug

START = date(2026, 1, 5)
D = Decimal


def _day(n: int) -> date:
    return START + timedelta(days=n - 1)


def test_every_dose_taken_at_the_planned_dose_is_1() -> None:
    taken = {_day(1), _day(8), _day(15)}
    ci = cycle_intensity(
        drug=Drug.IXAZOMIB,
        cycle=1,
        start_date=START,
        planned_mg=D(4),
        dose_on=lambda _: D(4),
        taken_days=taken,
        until=_day(28),
    )
    assert (ci.planned_mg, ci.delivered_mg, ci.rdi) == (D(12), D(12), D("1.00"))


def test_a_reduction_and_a_missed_dose_lower_it() -> None:
    # Day 1 at 4 mg, day 8 missed, day 15 at 3 mg: 7 / 12.
    ci = cycle_intensity(
        drug=Drug.IXAZOMIB,
        cycle=1,
        start_date=START,
        planned_mg=D(4),
        dose_on=lambda d: D(4) if d < _day(10) else D(3),
        taken_days={_day(1), _day(15)},
        until=_day(28),
    )
    assert ci.rdi == D("0.58")


def test_only_days_already_past_count_and_none_before_the_first() -> None:
    ci = cycle_intensity(
        drug=Drug.LENALIDOMIDE,
        cycle=1,
        start_date=START,
        planned_mg=D(25),
        dose_on=lambda _: D(25),
        taken_days={_day(1), _day(2)},
        until=_day(3),
    )
    assert (ci.days_scheduled, ci.rdi) == (3, D("0.67"))
    none = cycle_intensity(
        drug=Drug.LENALIDOMIDE,
        cycle=2,
        start_date=START,
        planned_mg=D(25),
        dose_on=lambda _: D(25),
        taken_days=set(),
        until=_day(3),
    )
    assert none.rdi is None


def test_cycle_zero_is_refused() -> None:
    with pytest.raises(ValueError):
        cycle_intensity(
            drug=Drug.IXAZOMIB,
            cycle=0,
            start_date=START,
            planned_mg=D(4),
            dose_on=lambda _: D(4),
            taken_days=(),
            until=START,
        )
