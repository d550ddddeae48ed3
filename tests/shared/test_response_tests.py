"""Specification of shared.response_tests: when the next SPEP/UPEP/FLC draw is due."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from shared.regimen import cycle_start_date
from shared.reminders import GATE_DRAW_DAYS_BEFORE
from shared.response_tests import NextTest, next_test, reminder_day

START = date(2026, 1, 5)


def c(cycle: int, day: int = 1) -> date:
    return cycle_start_date(START, cycle) + timedelta(days=day - 1)


@pytest.mark.parametrize(("days_before", "cycle"), [(1, 2), (7, 2), (8, 1), (40, 1)])
def test_a_baseline_in_the_week_before_cycle_1_is_cycle_1s_draw_an_older_one_asks_for_it(
    days_before: int, cycle: int
) -> None:
    found = next_test(start=START, last_test=START - timedelta(days=days_before), responded=False, today=START)
    assert (found.cycle, found.due, found.overdue) == (cycle, c(cycle), False)


def test_a_draw_on_cycle_1_day_1_is_cycle_1s() -> None:
    assert next_test(start=START, last_test=START, responded=False, today=START).cycle == 2


@pytest.mark.parametrize(
    ("last", "responded", "cycle"), [(3, False, 4), (5, True, 6), (6, True, 8), (7, True, 9), (7, False, 8)]
)
def test_every_cycle_early_on_and_without_a_response_then_every_second_cycle(
    last: int, responded: bool, cycle: int
) -> None:
    assert next_test(start=START, last_test=c(last), responded=responded, today=c(last)).cycle == cycle


@pytest.mark.parametrize("every", [1, 2, 3])
@pytest.mark.parametrize(("last", "responded", "expected"), [(5, True, 6), (6, False, 7), (7, False, 8)])
def test_the_clinic_interval_applies_only_after_cycle_6_and_to_confirmed_responders(
    every: int, last: int, responded: bool, expected: int
) -> None:
    found = next_test(start=START, last_test=c(last), responded=responded, today=c(last), every_cycles=every)
    assert found.cycle == expected


@pytest.mark.parametrize(("every", "expected"), [(1, 7), (2, 8), (3, 9)])
def test_a_responder_tested_on_cycle_6_is_next_tested_n_cycles_later(every: int, expected: int) -> None:
    found = next_test(start=START, last_test=c(6), responded=True, today=c(6), every_cycles=every)
    assert (found.cycle, found.due) == (expected, c(expected))


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


def test_the_patient_is_reminded_the_day_before_the_cycle_start_draw() -> None:
    """Two days before day 1: the blood count is drawn the day before day 1 (shared.reminders), and
    the 24-hour urine collection starts the morning before that draw."""
    assert reminder_day(NextTest(4, c(4), False)) == c(4) - timedelta(days=2)
    assert reminder_day(NextTest(4, c(4), False)) == c(4) - timedelta(days=GATE_DRAW_DAYS_BEFORE + 1)
