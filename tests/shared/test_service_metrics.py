"""Specification: the arithmetic of the service figures (shared.service_metrics)."""

from __future__ import annotations

from datetime import date

import pytest

from shared import service_metrics as sm
from shared.regimen import Drug


def test_percentile_of_nothing_is_none_and_of_one_value_is_that_value() -> None:
    assert sm.percentile([], 0.5) is None
    assert sm.percentile([7.0], 0.5) == sm.percentile([7.0], 0.9) == 7.0


def test_median_of_ties_is_the_tied_value_and_of_an_even_count_the_mean_of_the_middle_two() -> None:
    assert sm.percentile([5.0, 5.0, 5.0], 0.5) == 5.0
    assert sm.percentile([20.0, 5.0, 10.0, 5.0], 0.5) == 7.5  # unsorted input
    assert sm.percentile([1.0, 2.0], 0.5) == 1.5


def test_the_90th_percentile_interpolates_between_neighbours() -> None:
    assert sm.percentile([float(v) for v in range(1, 11)], 0.9) == pytest.approx(9.1)  # 0.9 × 9 = 8.1: 9 + 0.1
    assert sm.percentile([0.0, 100.0], 0.9) == pytest.approx(90.0)
    assert sm.percentile([3.0, 1.0, 2.0], 1.0) == 3.0 and sm.percentile([3.0, 1.0, 2.0], 0.0) == 1.0


@pytest.mark.parametrize("q", [-0.01, 1.01])
def test_a_quantile_outside_0_to_1_is_refused(q: float) -> None:
    with pytest.raises(ValueError):
        sm.percentile([1.0], q)


def test_spread_counts_and_summarises() -> None:
    assert sm.spread([]) == sm.Spread(0, None, None)
    assert sm.spread([60.0, 120.0, 180.0]) == sm.Spread(3, 120.0, pytest.approx(168.0))


def test_rates_have_no_value_when_there_is_nothing_to_divide() -> None:
    assert sm.rate(0, 0) is None and sm.rate(0, 4) == 0.0 and sm.rate(3, 4) == 0.75
    assert sm.per_patient_week(3, 0) is None and sm.per_patient_week(3, 70) == pytest.approx(0.3)


def test_enrolled_days_start_on_the_enrollment_day_and_never_go_negative() -> None:
    first, last = date(2026, 11, 1), date(2026, 11, 28)
    assert sm.enrolled_days(date(2026, 10, 1), first, last) == 28
    assert sm.enrolled_days(date(2026, 11, 28), first, last) == 1
    assert sm.enrolled_days(date(2026, 11, 29), first, last) == 0


def test_doses_due_follow_the_ird_calendar_and_match_counting_day_by_day() -> None:
    start = date(2026, 11, 1)
    # cycle 1: ixazomib days 1, 8, 15; lenalidomide 1-21; dexamethasone 1, 8, 15, 22
    assert sm.doses_due(start, Drug.IXAZOMIB, start, date(2026, 11, 28)) == 3
    assert sm.doses_due(start, Drug.LENALIDOMIDE, date(2026, 11, 21), date(2026, 11, 29)) == 2  # day 21, cycle 2 day 1
    assert sm.doses_due(start, Drug.DEXAMETHASONE, date(2026, 10, 1), date(2026, 11, 7)) == 1  # before start: none
    assert sm.doses_due(start, Drug.ANTIVIRAL, date(2026, 11, 3), date(2026, 11, 5), per_day=2) == 6
    assert sm.doses_due(start, Drug.ANTIVIRAL, date(2026, 11, 5), date(2026, 11, 4), per_day=2) == 0


def test_a_response_test_is_due_every_cycle_to_6_then_every_n_cycles_for_a_responder() -> None:
    assert [c for c in range(0, 13) if sm.response_test_cycle(c, responded=True, every_cycles=2)] == [
        1,
        2,
        3,
        4,
        5,
        6,
        8,
        10,
        12,
    ]
    assert [c for c in range(7, 13) if sm.response_test_cycle(c, responded=True, every_cycles=3)] == [9, 12]
    assert all(sm.response_test_cycle(c, responded=False, every_cycles=3) for c in range(1, 13))


def test_cycle_starts_lists_each_day_1_in_the_range() -> None:
    start = date(2026, 11, 1)
    assert sm.cycle_starts(start, date(2026, 11, 1), date(2026, 12, 29)) == [
        (1, date(2026, 11, 1)),
        (2, date(2026, 11, 29)),
        (3, date(2026, 12, 27)),
    ]
    assert sm.cycle_starts(start, date(2026, 11, 2), date(2026, 11, 28)) == []
    assert sm.cycle_starts(start, date(2026, 10, 1), date(2026, 10, 31)) == []
