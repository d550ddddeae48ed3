"""Specification of shared.response_tests: when the next SPEP/UPEP/FLC draw is due."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from shared.regimen import cycle_start_date
from shared.response_tests import next_test

START = date(2026, 1, 5)


def c(cycle: int, day: int = 1) -> date:
    return cycle_start_date(START, cycle) + timedelta(days=day - 1)


def test_after_the_baseline_the_first_test_is_cycle_1_day_1() -> None:
    found = next_test(start=START, last_test=START - timedelta(days=2), responded=False, today=START)
    assert (found.cycle, found.due, found.overdue) == (1, START, False)


@pytest.mark.parametrize(
    ("last", "responded", "cycle"), [(3, False, 4), (5, True, 6), (6, True, 8), (7, True, 9), (7, False, 8)]
)
def test_every_cycle_early_on_and_without_a_response_then_every_second_cycle(
    last: int, responded: bool, cycle: int
) -> None:
    assert next_test(start=START, last_test=c(last), responded=responded, today=c(last)).cycle == cycle


def test_a_clinic_may_test_responders_every_cycle_or_every_third() -> None:
    assert next_test(start=START, last_test=c(8), responded=True, today=c(8), every_cycles=3).cycle == 11
    assert next_test(start=START, last_test=c(8), responded=True, today=c(8), every_cycles=1).cycle == 9
    with pytest.raises(ValueError):
        next_test(start=START, last_test=c(8), responded=True, today=c(8), every_cycles=4)


def test_a_draw_in_a_cycles_last_week_counts_for_the_next_cycle() -> None:
    assert next_test(start=START, last_test=c(3, 22), responded=False, today=c(3, 22)).cycle == 5
    assert next_test(start=START, last_test=c(3, 21), responded=False, today=c(3, 21)).cycle == 4


@pytest.mark.parametrize(("days_late", "overdue"), [(6, False), (7, False), (8, True)])
def test_a_test_is_overdue_a_week_after_its_day_1(days_late: int, overdue: bool) -> None:
    found = next_test(start=START, last_test=c(2), responded=False, today=c(3) + timedelta(days=days_late))
    assert found.overdue is overdue
