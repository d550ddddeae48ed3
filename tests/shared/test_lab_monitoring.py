"""The blood-count schedule (Revlimid USPI §5.3, MM) and when a count is overdue."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from shared.lab_monitoring import STALE_GRACE_DAYS, blood_count_interval_days, blood_count_overdue

START = date(2026, 1, 5)  # cycle 1 day 1


def day(cycle: int, n: int) -> date:
    return START + timedelta(days=(cycle - 1) * 28 + n - 1)


@pytest.mark.parametrize(("cycle", "days"), [(1, 7), (2, 7), (3, 14), (4, 28), (12, 28)])
def test_weekly_in_cycles_1_and_2_fortnightly_in_cycle_3_then_every_28_days(cycle: int, days: int) -> None:
    assert blood_count_interval_days(cycle) == days


def test_cycle_0_is_refused() -> None:
    with pytest.raises(ValueError):
        blood_count_interval_days(0)


@pytest.mark.parametrize(
    ("late", "overdue"),
    [(STALE_GRACE_DAYS - 1, False), (STALE_GRACE_DAYS, False), (STALE_GRACE_DAYS + 1, True)],
)
def test_a_weekly_count_is_overdue_only_past_the_grace_days(late: int, overdue: bool) -> None:
    last = day(1, 8)
    result = blood_count_overdue(start_date=START, last_on=last, since=START, today=last + timedelta(days=7 + late))
    assert (result is not None) is overdue
    if result is not None:
        assert result.due_on == day(1, 15)
        assert result.last_on == last
        assert result.days_overdue == late
        assert result.interval_days == 7


def test_a_cycle_3_day_15_count_is_next_due_on_cycle_4_day_1() -> None:
    last = day(3, 15)
    on_time = blood_count_overdue(start_date=START, last_on=last, since=START, today=day(4, 1 + STALE_GRACE_DAYS))
    late = blood_count_overdue(start_date=START, last_on=last, since=START, today=day(4, 2 + STALE_GRACE_DAYS))
    assert on_time is None
    assert late is not None and late.due_on == day(4, 1)


def test_from_cycle_4_a_count_every_28_days_is_enough() -> None:
    last = day(5, 1)
    assert blood_count_overdue(start_date=START, last_on=last, since=START, today=day(6, 1 + STALE_GRACE_DAYS)) is None
    overdue = blood_count_overdue(start_date=START, last_on=last, since=START, today=day(6, 2 + STALE_GRACE_DAYS))
    assert overdue is not None and overdue.interval_days == 28


def test_no_count_at_all_is_due_from_the_day_followed() -> None:
    since = day(2, 3)  # enrolled mid-therapy
    assert blood_count_overdue(start_date=START, last_on=None, since=since, today=since + timedelta(days=2)) is None
    overdue = blood_count_overdue(start_date=START, last_on=None, since=since, today=since + timedelta(days=3))
    assert overdue is not None and overdue.last_on is None and overdue.due_on == since


def test_nothing_is_due_before_the_regimen_starts() -> None:
    assert (
        blood_count_overdue(
            start_date=START, last_on=None, since=START - timedelta(days=30), today=START - timedelta(days=1)
        )
        is None
    )


def test_a_baseline_before_day_1_is_followed_weekly() -> None:
    last = START - timedelta(days=2)
    overdue = blood_count_overdue(start_date=START, last_on=last, since=last, today=last + timedelta(days=10))
    assert overdue is not None and overdue.due_on == last + timedelta(days=7)
