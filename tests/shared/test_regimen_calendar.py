"""Specification of shared.regimen.Calendar: "delay the next cycle" moves the calendar.

Cycle 1 day 1 is Mon 5 Jan 2026, so cycle 2 day 1 would be 2 Feb and cycle 3 day 1 2 Mar. The
care team delays cycle 3 by 7 days: its day 1 is 9 Mar, and 2-8 Mar are days 29-35 of cycle 2.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.count_trends import Count, early_warning
from shared.dose_intensity import CycleIntensity, cycle_intensity
from shared.lab_monitoring import blood_count_overdue
from shared.regimen import (
    Calendar,
    CycleDay,
    Drug,
    calendar_from_delays,
    cycle_day,
    cycle_start_date,
    drugs_due,
    is_in_nadir_window,
    ixazomib_missed_dose_advice,
    next_cycle_start,
    next_dose_date,
    scheduled_dates,
)
from shared.reminders import lab_draws

START = date(2026, 1, 5)
DELAYED = Calendar(START, ((3, 7),))
C3_PLANNED = date(2026, 3, 2)
C3_DAY1 = date(2026, 3, 9)


def test_the_day_before_the_delayed_day_1_is_the_last_day_of_the_delay() -> None:
    assert cycle_day(DELAYED, C3_DAY1 - timedelta(days=1)) == CycleDay(2, 35)
    assert drugs_due(DELAYED, C3_DAY1 - timedelta(days=1)) == ()


def test_the_delayed_day_1_is_cycle_3_day_1_with_its_drugs() -> None:
    assert cycle_start_date(DELAYED, 3) == C3_DAY1
    assert cycle_day(DELAYED, C3_DAY1) == CycleDay(3, 1)
    assert drugs_due(DELAYED, C3_DAY1) == (Drug.IXAZOMIB, Drug.LENALIDOMIDE, Drug.DEXAMETHASONE)


def test_the_day_after_the_delayed_day_1_is_day_2() -> None:
    assert cycle_day(DELAYED, C3_DAY1 + timedelta(days=1)) == CycleDay(3, 2)


def test_the_planned_day_1_is_now_day_29_of_the_previous_cycle() -> None:
    assert cycle_day(DELAYED, C3_PLANNED) == CycleDay(2, 29)
    assert cycle_day(DELAYED, C3_PLANNED - timedelta(days=1)) == CycleDay(2, 28)
    assert drugs_due(DELAYED, C3_PLANNED) == ()


def test_earlier_cycles_do_not_move_and_later_ones_move_by_the_delay() -> None:
    assert cycle_start_date(DELAYED, 1) == START
    assert cycle_start_date(DELAYED, 2) == date(2026, 2, 2)
    assert cycle_start_date(DELAYED, 4) == date(2026, 4, 6)  # 30 Mar + 7
    assert cycle_day(DELAYED, date(2026, 4, 5)) == CycleDay(3, 28)
    assert cycle_day(DELAYED, date(2026, 4, 6)) == CycleDay(4, 1)


def test_the_nadir_window_follows_the_delayed_cycle() -> None:
    # Cycle 3 days 14-21 are 22-29 Mar (planned: 15-22 Mar).
    assert not is_in_nadir_window(DELAYED, date(2026, 3, 21))
    assert is_in_nadir_window(DELAYED, date(2026, 3, 22))
    assert is_in_nadir_window(DELAYED, date(2026, 3, 29))
    assert not is_in_nadir_window(DELAYED, date(2026, 3, 30))
    # No delay day is in the window.
    assert not any(is_in_nadir_window(DELAYED, C3_PLANNED + timedelta(days=i)) for i in range(7))


def test_next_cycle_start_in_a_delay_is_the_delayed_cycle() -> None:
    assert next_cycle_start(DELAYED, C3_PLANNED) == CycleDay(3, 1)
    assert next_cycle_start(DELAYED, C3_DAY1) == CycleDay(3, 1)
    assert next_cycle_start(DELAYED, C3_DAY1 + timedelta(days=1)) == CycleDay(4, 1)


def test_the_next_ixazomib_dose_skips_the_delay() -> None:
    assert next_dose_date(DELAYED, Drug.IXAZOMIB, date(2026, 2, 16)) == C3_DAY1  # cycle 2 day 15
    assert scheduled_dates(DELAYED, Drug.IXAZOMIB, C3_PLANNED, date(2026, 3, 16)) == [C3_DAY1, date(2026, 3, 16)]


def test_a_long_delay_still_finds_the_next_dose() -> None:
    calendar = Calendar(START, ((2, 28),))
    assert next_dose_date(calendar, Drug.IXAZOMIB, date(2026, 1, 19)) == date(2026, 3, 2)


def test_a_decision_delays_the_cycle_whose_day_1_is_on_or_after_it() -> None:
    assert calendar_from_delays(START, [(date(2026, 2, 23), 7)]) == DELAYED  # cycle 2 day 22
    assert calendar_from_delays(START, [(C3_PLANNED, 7)]) == DELAYED  # on the planned day 1 itself
    assert calendar_from_delays(START, [(C3_PLANNED + timedelta(days=1), 7)]) == Calendar(START, ((4, 7),))


def test_a_second_delay_in_the_gap_adds_to_the_same_cycle() -> None:
    calendar = calendar_from_delays(START, [(C3_PLANNED, 7), (date(2026, 3, 8), 3)])
    assert calendar == Calendar(START, ((3, 10),))
    assert cycle_start_date(calendar, 3) == date(2026, 3, 12)


def test_delays_of_two_cycles_add_up() -> None:
    calendar = calendar_from_delays(START, [(date(2026, 1, 30), 2), (C3_PLANNED, 7)])
    assert calendar == Calendar(START, ((2, 2), (3, 7)))
    assert cycle_start_date(calendar, 2) == date(2026, 2, 4)
    assert cycle_start_date(calendar, 3) == date(2026, 3, 11)
    assert cycle_day(calendar, date(2026, 2, 3)) == CycleDay(1, 30)
    assert cycle_day(calendar, date(2026, 3, 10)) == CycleDay(2, 35)


def test_delaying_cycle_1_moves_the_first_day() -> None:
    calendar = calendar_from_delays(START, [(date(2026, 1, 2), 4)])
    assert calendar.first_day == date(2026, 1, 9)
    assert cycle_day(calendar, date(2026, 1, 8)) is None
    assert cycle_day(calendar, date(2026, 1, 9)) == CycleDay(1, 1)
    assert scheduled_dates(calendar, Drug.IXAZOMIB, START, date(2026, 1, 9)) == [date(2026, 1, 9)]


def test_a_plain_date_and_a_calendar_without_delays_agree() -> None:
    plain = Calendar(START)
    for offset in range(0, 120):
        on = START + timedelta(days=offset)
        assert cycle_day(plain, on) == cycle_day(START, on)


@pytest.mark.parametrize("delays", [((0, 3),), ((2, 0),), ((3, 2), (2, 1)), ((2, 1), (2, 1))])
def test_malformed_delays_are_refused(delays: tuple[tuple[int, int], ...]) -> None:
    with pytest.raises(ValueError):
        Calendar(START, delays)


def test_the_missed_dose_rule_counts_72_hours_to_the_delayed_dose_across_dst() -> None:
    # A New York patient's cycle 3, delayed 7 days, starts Mon 9 Mar 2026, the day after the
    # spring-forward change. Cycle 2 day 15 (16 Feb) was missed: the next dose is 9 Mar 09:00 EDT
    # (13:00 UTC), so the missed one may be taken until 72 real hours before, 6 Mar 08:00 EST.
    tz = ZoneInfo("America/New_York")
    advice = ixazomib_missed_dose_advice(
        start_date=DELAYED,
        missed_on=date(2026, 2, 16),
        now=datetime(2026, 3, 6, 13, 0, tzinfo=UTC),  # exactly 72 h before: still "take it"
        dose_time=time(9, 0),
        tz=tz,
    )
    assert advice.next_dose == datetime(2026, 3, 9, 9, 0, tzinfo=tz)
    assert advice.can_take
    assert advice.take_until == datetime(2026, 3, 6, 8, 0, tzinfo=tz)


@given(
    delay=st.integers(min_value=1, max_value=28),
    cycle=st.integers(min_value=1, max_value=8),
    offset=st.integers(min_value=0, max_value=400),
)
def test_every_day_from_cycle_1_day_1_has_one_position_and_day_1s_are_the_cycle_starts(
    delay: int, cycle: int, offset: int
) -> None:
    calendar = Calendar(START, ((cycle, delay),))
    on = calendar.first_day + timedelta(days=offset)
    position = cycle_day(calendar, on)
    assert position is not None
    assert cycle_start_date(calendar, position.cycle) + timedelta(days=position.day - 1) == on
    in_delay = cycle > 1 and cycle_start_date(calendar, cycle) - timedelta(days=delay) <= on < cycle_start_date(
        calendar, cycle
    )
    assert (position.day > 28) == in_delay


# --- The rules that read the calendar ------------------------------------------------------------


def test_a_delayed_cycle_is_not_missed_doses_and_its_intensity_starts_on_the_delayed_day_1() -> None:
    common: dict[str, Any] = {"drug": Drug.IXAZOMIB, "start_date": DELAYED, "planned_mg": Decimal(4)}
    every_dose = {C3_DAY1 + timedelta(days=d) for d in (0, 7, 14)} | {date(2026, 2, 2 + d) for d in (0, 7, 14)}

    def rdi(cycle: int, until: date) -> CycleIntensity:
        return cycle_intensity(**common, cycle=cycle, dose_on=lambda _: Decimal(4), taken_days=every_dose, until=until)

    assert rdi(3, C3_DAY1 - timedelta(days=1)).days_scheduled == 0  # nothing planned in the delay
    assert rdi(3, C3_DAY1).days_scheduled == 1
    assert rdi(2, C3_DAY1 - timedelta(days=1)).rdi == Decimal("1.00")  # cycle 2: 3 of 3, the delay adds none


def test_blood_draws_come_the_day_before_the_delayed_day_1() -> None:
    draws = lab_draws(DELAYED, date(2026, 2, 27), date(2026, 3, 10), nadir_draw_cycles=3)

    assert [(d.on, d.cycle, d.reason) for d in draws] == [(date(2026, 3, 8), 3, "cycle_start")]


def test_cycle_3s_day_15_draw_follows_the_delay() -> None:
    draws = lab_draws(DELAYED, date(2026, 3, 10), date(2026, 3, 31), nadir_draw_cycles=3)

    assert [(d.on, d.reason) for d in draws] == [(date(2026, 3, 23), "monitoring")]  # day 15: 9 Mar + 14


def test_no_count_is_overdue_before_a_delayed_cycle_1_starts() -> None:
    calendar = Calendar(START, ((1, 10),))  # cycle 1 day 1 on 15 Jan
    first = date(2026, 1, 15)

    # With no count, one is due on cycle 1 day 1 and overdue 2 days (STALE_GRACE_DAYS) after it.
    for today in (first - timedelta(days=1), first, first + timedelta(days=2)):
        assert blood_count_overdue(start_date=calendar, last_on=None, since=START, today=today) is None
    assert blood_count_overdue(start_date=calendar, last_on=None, since=START, today=first + timedelta(days=3))
    # Counted from the planned start, it would already be overdue.
    assert blood_count_overdue(start_date=START, last_on=None, since=START, today=first + timedelta(days=2))


def test_the_early_warning_measures_the_fall_from_the_delayed_cycles_first_count() -> None:
    # Planned cycle 3 day 1 (2 Mar) is a delay day; the count of 8 Mar is the delayed cycle's first.
    counts = [
        Count(date(2026, 3, 1), Decimal(400)),
        Count(date(2026, 3, 8), Decimal(160)),
        Count(date(2026, 3, 20), Decimal(80)),
    ]

    warning = early_warning(
        analyte="platelets", start_date=DELAYED, counts=counts, hold_below=Decimal(30), today=date(2026, 3, 20)
    )

    assert warning is not None and warning.cycle == 3 and warning.first.on == date(2026, 3, 8)
    assert warning.fell_by == Decimal("0.5")
    assert (warning.recheck_before, warning.recheck_day) == (date(2026, 3, 23), CycleDay(3, 15))
