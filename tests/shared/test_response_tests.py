"""Specification of shared.response_tests: when the next SPEP/UPEP/FLC draw is due."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from shared.regimen import cycle_start_date
from shared.reminders import GATE_DRAW_DAYS_BEFORE
from shared.response import Category, Reading, ResponseSummary, Track, assessments_by_day, evaluate
from shared.response_tests import NextTest, may_space_tests, next_test, reminder_day

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


def _summary(*days: dict[str, float]) -> ResponseSummary:
    """Assessment n on cycle n day 1 (the baseline the day before cycle 1), values in canonical units."""
    readings = [
        Reading(
            marker,
            datetime.combine(START - timedelta(days=1) if n == 0 else c(n + 1), time(9), tzinfo=UTC),
            Decimal(str(v)),
        )
        for n, values in enumerate(days)
        for marker, v in values.items()
    ]
    return evaluate(assessments_by_day(readings, ZoneInfo("UTC")), START)


def test_a_confirmed_response_that_holds_may_be_tested_less_often() -> None:
    assert may_space_tests(_summary({"serum_m_protein": 3.0}, {"serum_m_protein": 1.4}, {"serum_m_protein": 1.3}))


def test_an_unconfirmed_response_is_tested_every_cycle() -> None:
    assert not may_space_tests(_summary({"serum_m_protein": 3.0}, {"serum_m_protein": 2.9}, {"serum_m_protein": 1.4}))


def test_after_a_progression_even_unconfirmed_the_next_test_comes_every_cycle() -> None:
    # PR, PR confirmed, then +0.55 g/dL and +69% from the nadir of 0.8: PD, to confirm at the next test.
    course = (3.0, 0.8, 1.1, 1.35)
    summary = _summary(*({"serum_m_protein": v} for v in course))
    assert summary.first_response is not None and summary.current is not None
    assert summary.current.category is Category.PD
    assert not may_space_tests(summary)


def test_free_light_chains_alone_are_tested_every_cycle_even_in_a_response() -> None:
    """Issue 14's FLC-only example: κ 620 / λ 12 mg/L with serum 0.4 g/dL and urine 100 mg/24 h,
    then dFLC 270 and 260: PR, PR confirmed."""
    flc = [{"kappa_flc": 620, "lambda_flc": 12, "serum_m_protein": 0.4, "urine_m_protein": 100}]
    flc += [{"kappa_flc": 282, "lambda_flc": 12}, {"kappa_flc": 272, "lambda_flc": 12}]
    summary = _summary(*flc)
    assert summary.measurable.by is Track.FLC and summary.current is not None and summary.current.confirmed
    assert not may_space_tests(summary)
