"""Specification of shared.regimen: the IRd schedule and its safety rules.

Reference regimen unless stated otherwise: cycle 1 day 1 is Mon 5 Jan 2026.
"""

from __future__ import annotations

import ast
import sys
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.regimen import (
    ANTIVIRAL_PROPHYLAXIS,
    CYCLE_LENGTH_DAYS,
    CYCLE_START_MIN_ANC,
    CYCLE_START_MIN_PLATELETS,
    IRD_SCHEDULE,
    IXAZOMIB_DOSE_LEVELS_MG,
    LENALIDOMIDE_DOSE_LEVELS_MG,
    NADIR_WINDOW_DAYS,
    CycleDay,
    Drug,
    GateResult,
    cycle_day,
    cycle_start_date,
    cycle_start_gate,
    drugs_due,
    is_in_nadir_window,
    ixazomib_missed_dose_advice,
    lab_draw_days,
    next_dose_date,
    next_lower_dose,
    scheduled_dates,
)

START = date(2026, 1, 5)  # a Monday
LONDON = ZoneInfo("Europe/London")  # GMT all of January: no DST in the way
NEW_YORK = ZoneInfo("America/New_York")
PARIS = ZoneInfo("Europe/Paris")
NINE_AM = time(9, 0)

IXA = Drug.IXAZOMIB
LEN = Drug.LENALIDOMIDE
DEX = Drug.DEXAMETHASONE


def on_day(day: int, start: date = START) -> date:
    """Calendar date of regimen day ``day`` (1 = start date; 29 = cycle 2 day 1)."""
    return start + timedelta(days=day - 1)


# ---------------------------------------------------------------------------
# Module hygiene
# ---------------------------------------------------------------------------


def test_module_imports_only_the_standard_library() -> None:
    source = Path(__file__).resolve().parents[2] / "shared" / "regimen.py"
    tree = ast.parse(source.read_text(encoding="utf-8"))
    imported: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            imported.add(node.module.split(".")[0])
    assert imported <= set(sys.stdlib_module_names)
    assert not imported & {"django", "rest_framework", "celery", "kivy"}


def test_every_schedule_cites_the_prescribing_information() -> None:
    for schedule in (*IRD_SCHEDULE, ANTIVIRAL_PROPHYLAXIS):
        assert "NINLARO USPI §2.1" in schedule.source


def test_irds_schedule_lists_ixazomib_lenalidomide_dexamethasone_in_that_order() -> None:
    assert [s.drug for s in IRD_SCHEDULE] == [IXA, LEN, DEX]
    assert CYCLE_LENGTH_DAYS == 28


def test_ixazomib_is_taken_on_an_empty_stomach_and_apart_from_dexamethasone() -> None:
    ixazomib = IRD_SCHEDULE[0]
    assert "at least 1 hour before or at least 2 hours after food" in ixazomib.food_rule
    assert "dexamethasone" in ixazomib.food_rule
    assert "With food" in IRD_SCHEDULE[2].food_rule


# ---------------------------------------------------------------------------
# Which drugs are due on which day
# ---------------------------------------------------------------------------


def test_day_1_is_all_three_drugs() -> None:
    assert drugs_due(START, on_day(1)) == (IXA, LEN, DEX)


def test_day_8_is_all_three_drugs() -> None:
    assert drugs_due(START, on_day(8)) == (IXA, LEN, DEX)


def test_day_15_is_all_three_drugs() -> None:
    assert drugs_due(START, on_day(15)) == (IXA, LEN, DEX)


def test_day_2_is_lenalidomide_only() -> None:
    assert drugs_due(START, on_day(2)) == (LEN,)


def test_day_21_is_the_last_lenalidomide_day() -> None:
    assert drugs_due(START, on_day(21)) == (LEN,)


def test_day_22_is_dexamethasone_only() -> None:
    assert drugs_due(START, on_day(22)) == (DEX,)


@pytest.mark.parametrize("day", [23, 24, 25, 26, 27, 28])
def test_days_23_to_28_are_drug_free(day: int) -> None:
    assert drugs_due(START, on_day(day)) == ()


def test_day_29_is_cycle_2_day_1_with_all_three_drugs() -> None:
    assert cycle_day(START, on_day(29)) == CycleDay(cycle=2, day=1)
    assert drugs_due(START, on_day(29)) == (IXA, LEN, DEX)


def test_nothing_is_due_before_the_start_date() -> None:
    day_before = START - timedelta(days=1)
    assert cycle_day(START, day_before) is None
    assert drugs_due(START, day_before) == ()
    assert not is_in_nadir_window(START, day_before)


def test_antiviral_prophylaxis_is_daily_but_not_part_of_drugs_due() -> None:
    assert Drug.ANTIVIRAL not in drugs_due(START, on_day(1))
    assert ANTIVIRAL_PROPHYLAXIS.days == frozenset(range(1, 29))
    days_23_to_28 = scheduled_dates(START, Drug.ANTIVIRAL, on_day(23), on_day(28))
    assert days_23_to_28 == [on_day(d) for d in range(23, 29)]


# ---------------------------------------------------------------------------
# Cycle arithmetic
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (1, CycleDay(1, 1)),
        (28, CycleDay(1, 28)),
        (29, CycleDay(2, 1)),
        (56, CycleDay(2, 28)),
        (57, CycleDay(3, 1)),
    ],
)
def test_cycle_day_counts_28_day_cycles_from_the_start(day: int, expected: CycleDay) -> None:
    assert cycle_day(START, on_day(day)) == expected


def test_cycle_start_date_is_start_plus_whole_cycles() -> None:
    assert cycle_start_date(START, 1) == START
    assert cycle_start_date(START, 2) == date(2026, 2, 2)
    assert cycle_start_date(START, 13) == START + timedelta(days=12 * 28)


def test_cycle_start_date_rejects_cycle_zero() -> None:
    with pytest.raises(ValueError, match="cycle"):
        cycle_start_date(START, 0)


def test_a_cycle_that_spans_29_february_still_lasts_28_days() -> None:
    leap_start = date(2024, 2, 1)
    assert cycle_day(leap_start, date(2024, 2, 28)) == CycleDay(1, 28)
    assert cycle_day(leap_start, date(2024, 2, 29)) == CycleDay(2, 1)
    assert cycle_day(leap_start, date(2024, 3, 1)) == CycleDay(2, 2)
    assert cycle_start_date(leap_start, 2) == date(2024, 2, 29)


def test_cycle_2_starts_on_27_march_when_cycle_1_starts_on_28_february_2024() -> None:
    assert cycle_start_date(date(2024, 2, 28), 2) == date(2024, 3, 27)
    # ... but on 28 March in a non-leap year.
    assert cycle_start_date(date(2025, 2, 28), 2) == date(2025, 3, 28)


# Day 29 and beyond exist while the next cycle is delayed (test_regimen_calendar.py).
@pytest.mark.parametrize(("cycle", "day"), [(0, 1), (1, 0), (-1, 5)])
def test_cycle_day_rejects_impossible_positions(cycle: int, day: int) -> None:
    with pytest.raises(ValueError):
        CycleDay(cycle=cycle, day=day)


@given(
    start=st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31)),
    offset=st.integers(min_value=0, max_value=3650),
)
def test_any_date_on_or_after_start_maps_back_to_itself(start: date, offset: int) -> None:
    on = start + timedelta(days=offset)
    cd = cycle_day(start, on)
    assert cd is not None
    assert 1 <= cd.day <= 28
    assert cd.cycle >= 1
    assert cycle_start_date(start, cd.cycle) + timedelta(days=cd.day - 1) == on


@given(
    start=st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31)),
    offset=st.integers(min_value=0, max_value=3650),
)
def test_the_drug_pattern_repeats_every_28_days(start: date, offset: int) -> None:
    on = start + timedelta(days=offset)
    assert drugs_due(start, on) == drugs_due(start, on + timedelta(days=28))


# ---------------------------------------------------------------------------
# Platelet nadir window (NINLARO USPI §5.1)
# ---------------------------------------------------------------------------


def test_nadir_window_is_days_14_to_21_inclusive() -> None:
    assert NADIR_WINDOW_DAYS == (14, 21)
    in_window = [d for d in range(1, 57) if is_in_nadir_window(START, on_day(d))]
    assert in_window == [*range(14, 22), *range(14 + 28, 22 + 28)]


# ---------------------------------------------------------------------------
# Next dose and date ranges
# ---------------------------------------------------------------------------


def test_next_ixazomib_after_day_15_is_day_1_of_the_next_cycle() -> None:
    assert next_dose_date(START, IXA, on_day(15)) == on_day(29)


def test_next_dose_is_strictly_after_the_given_date() -> None:
    assert next_dose_date(START, IXA, on_day(1)) == on_day(8)
    assert next_dose_date(START, DEX, on_day(15)) == on_day(22)
    assert next_dose_date(START, LEN, on_day(21)) == on_day(29)


def test_next_dose_before_the_start_is_day_1() -> None:
    assert next_dose_date(START, IXA, START - timedelta(days=100)) == START
    assert next_dose_date(START, DEX, START - timedelta(days=1)) == START


def test_scheduled_dates_is_an_inclusive_range() -> None:
    assert scheduled_dates(START, IXA, on_day(1), on_day(29)) == [
        on_day(1),
        on_day(8),
        on_day(15),
        on_day(29),
    ]


def test_scheduled_dates_never_lists_dates_before_the_start() -> None:
    assert scheduled_dates(START, DEX, START - timedelta(days=30), on_day(8)) == [
        on_day(1),
        on_day(8),
    ]


def test_scheduled_dates_of_an_empty_range_is_empty() -> None:
    assert scheduled_dates(START, LEN, on_day(10), on_day(9)) == []


def test_lenalidomide_is_taken_21_days_per_cycle() -> None:
    assert len(scheduled_dates(START, LEN, on_day(1), on_day(28))) == 21


@given(
    start=st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31)),
    offset=st.integers(min_value=-60, max_value=3650),
    drug=st.sampled_from(list(Drug)),
)
def test_next_dose_date_is_the_first_scheduled_date_after(start: date, offset: int, drug: Drug) -> None:
    after = start + timedelta(days=offset)
    nxt = next_dose_date(start, drug, after)
    assert nxt > after
    assert nxt >= start
    assert scheduled_dates(start, drug, after + timedelta(days=1), nxt) == [nxt]


# ---------------------------------------------------------------------------
# Missed or vomited ixazomib dose (NINLARO USPI §2.1)
# ---------------------------------------------------------------------------


def test_missed_day_8_dose_can_be_taken_until_72_hours_before_day_15() -> None:
    advice = ixazomib_missed_dose_advice(
        start_date=START,
        missed_on=on_day(8),
        now=datetime(2026, 1, 13, 20, 0, tzinfo=LONDON),
        dose_time=NINE_AM,
        tz=LONDON,
    )
    assert advice.can_take
    assert advice.next_dose == datetime(2026, 1, 19, 9, 0, tzinfo=LONDON)
    assert advice.take_until == datetime(2026, 1, 16, 9, 0, tzinfo=LONDON)
    assert advice.reason == (
        "You can still take it until Fri 16 Jan, 09:00. Then take the next dose as usual on Mon 19 Jan, 09:00."
    )


def test_missed_dose_exactly_72_hours_before_the_next_dose_can_still_be_taken() -> None:
    # Label §2.1: "taken only if the next scheduled dose is ≥ 72 hours away": 72 hours is enough.
    advice = ixazomib_missed_dose_advice(
        start_date=START,
        missed_on=on_day(8),
        now=datetime(2026, 1, 16, 9, 0, tzinfo=LONDON),
        dose_time=NINE_AM,
        tz=LONDON,
    )
    assert advice.can_take
    assert advice.reason.startswith("You can still take it until Fri 16 Jan, 09:00.")


def test_missed_dose_one_minute_before_the_72_hour_limit_can_be_taken() -> None:
    advice = ixazomib_missed_dose_advice(
        start_date=START,
        missed_on=on_day(8),
        now=datetime(2026, 1, 16, 8, 59, tzinfo=LONDON),
        dose_time=NINE_AM,
        tz=LONDON,
    )
    assert advice.can_take


def test_missed_dose_less_than_72_hours_before_the_next_dose_must_be_skipped() -> None:
    advice = ixazomib_missed_dose_advice(
        start_date=START,
        missed_on=on_day(8),
        now=datetime(2026, 1, 16, 9, 0, 1, tzinfo=LONDON),
        dose_time=NINE_AM,
        tz=LONDON,
    )
    assert not advice.can_take
    assert advice.reason.startswith("Skip it: your next dose is on Mon 19 Jan, 09:00.")


def test_the_72_hour_limit_is_compared_in_real_time_whatever_zone_now_is_in() -> None:
    limit_utc = datetime(2026, 1, 16, 9, 0, tzinfo=UTC)  # London is on GMT
    for now, expected in [(limit_utc, True), (limit_utc + timedelta(minutes=1), False)]:
        advice = ixazomib_missed_dose_advice(
            start_date=START,
            missed_on=on_day(8),
            now=now.astimezone(ZoneInfo("Asia/Tokyo")),
            dose_time=NINE_AM,
            tz=LONDON,
        )
        assert advice.can_take is expected


def test_missed_day_15_dose_is_measured_against_day_1_of_the_next_cycle() -> None:
    advice = ixazomib_missed_dose_advice(
        start_date=START,
        missed_on=on_day(15),
        now=datetime(2026, 1, 25, 12, 0, tzinfo=LONDON),
        dose_time=NINE_AM,
        tz=LONDON,
    )
    assert advice.next_dose == datetime(2026, 2, 2, 9, 0, tzinfo=LONDON)
    assert advice.can_take


def test_missed_dose_noticed_after_the_next_dose_time_is_skipped() -> None:
    advice = ixazomib_missed_dose_advice(
        start_date=START,
        missed_on=on_day(1),
        now=datetime(2026, 1, 12, 10, 0, tzinfo=LONDON),
        dose_time=NINE_AM,
        tz=LONDON,
    )
    assert not advice.can_take
    assert "Do not take two doses" in advice.reason


def test_fall_back_in_new_york_makes_the_limit_10am_not_9am() -> None:
    # Cycle 1 day 15 is Mon 2 Nov 2026, the day after clocks fall back (EDT -> EST).
    start = date(2026, 10, 19)
    advice = ixazomib_missed_dose_advice(
        start_date=start,
        missed_on=on_day(8, start),
        now=datetime(2026, 10, 29, 12, 0, tzinfo=NEW_YORK),
        dose_time=NINE_AM,
        tz=NEW_YORK,
    )
    assert advice.next_dose == datetime(2026, 11, 2, 9, 0, tzinfo=NEW_YORK)
    assert advice.next_dose.utcoffset() == timedelta(hours=-5)
    assert advice.take_until == datetime(2026, 10, 30, 10, 0, tzinfo=NEW_YORK)
    assert advice.take_until is not None
    assert advice.take_until.utcoffset() == timedelta(hours=-4)
    real_gap = advice.next_dose.astimezone(UTC) - advice.take_until.astimezone(UTC)
    assert real_gap == timedelta(hours=72)
    wall_gap = advice.next_dose.replace(tzinfo=None) - advice.take_until.replace(tzinfo=None)
    assert wall_gap == timedelta(hours=71)
    assert "until Fri 30 Oct, 10:00" in advice.reason


def test_fall_back_boundary_is_exact_in_real_hours() -> None:
    start = date(2026, 10, 19)

    def can_take(now: datetime) -> bool:
        return ixazomib_missed_dose_advice(
            start_date=start,
            missed_on=on_day(8, start),
            now=now,
            dose_time=NINE_AM,
            tz=NEW_YORK,
        ).can_take

    assert can_take(datetime(2026, 10, 30, 10, 0, tzinfo=NEW_YORK))
    assert not can_take(datetime(2026, 10, 30, 10, 1, tzinfo=NEW_YORK))


def test_spring_forward_in_paris_makes_the_limit_8am_not_9am() -> None:
    # Cycle 1 day 15 is Mon 30 Mar 2026, the day after clocks spring forward
    # (CET -> CEST).
    start = date(2026, 3, 16)
    advice = ixazomib_missed_dose_advice(
        start_date=start,
        missed_on=on_day(8, start),
        now=datetime(2026, 3, 25, 12, 0, tzinfo=PARIS),
        dose_time=NINE_AM,
        tz=PARIS,
    )
    assert advice.next_dose == datetime(2026, 3, 30, 9, 0, tzinfo=PARIS)
    assert advice.next_dose.utcoffset() == timedelta(hours=2)
    assert advice.take_until == datetime(2026, 3, 27, 8, 0, tzinfo=PARIS)
    assert advice.take_until is not None
    assert advice.take_until.utcoffset() == timedelta(hours=1)
    real_gap = advice.next_dose.astimezone(UTC) - advice.take_until.astimezone(UTC)
    assert real_gap == timedelta(hours=72)
    wall_gap = advice.next_dose.replace(tzinfo=None) - advice.take_until.replace(tzinfo=None)
    assert wall_gap == timedelta(hours=73)


def test_spring_forward_boundary_is_exact_in_real_hours() -> None:
    start = date(2026, 3, 16)

    def can_take(now: datetime) -> bool:
        return ixazomib_missed_dose_advice(
            start_date=start,
            missed_on=on_day(8, start),
            now=now,
            dose_time=NINE_AM,
            tz=PARIS,
        ).can_take

    assert can_take(datetime(2026, 3, 27, 8, 0, tzinfo=PARIS))
    assert not can_take(datetime(2026, 3, 27, 8, 1, tzinfo=PARIS))


def test_a_dose_time_inside_the_spring_forward_gap_moves_forward_by_an_hour() -> None:
    # 02:30 does not exist in Paris on Sun 29 Mar 2026 (cycle 1 day 15 here).
    start = date(2026, 3, 15)
    advice = ixazomib_missed_dose_advice(
        start_date=start,
        missed_on=on_day(8, start),
        now=datetime(2026, 3, 23, 12, 0, tzinfo=PARIS),
        dose_time=time(2, 30),
        tz=PARIS,
    )
    assert advice.next_dose.astimezone(UTC) == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    assert (advice.next_dose.hour, advice.next_dose.minute) == (3, 30)
    assert advice.take_until == datetime(2026, 3, 26, 2, 30, tzinfo=PARIS)


def test_an_ambiguous_fall_back_dose_time_means_its_first_occurrence() -> None:
    # 01:30 happens twice in New York on Sun 1 Nov 2026 (cycle 1 day 15 here).
    start = date(2026, 10, 18)
    advice = ixazomib_missed_dose_advice(
        start_date=start,
        missed_on=on_day(8, start),
        now=datetime(2026, 10, 26, 12, 0, tzinfo=NEW_YORK),
        dose_time=time(1, 30),
        tz=NEW_YORK,
    )
    assert advice.next_dose.astimezone(UTC) == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)
    assert advice.take_until is not None
    assert advice.take_until.astimezone(UTC) == datetime(2026, 10, 29, 5, 30, tzinfo=UTC)


def test_a_vomited_dose_is_not_repeated_even_with_days_to_spare() -> None:
    advice = ixazomib_missed_dose_advice(
        start_date=START,
        missed_on=on_day(1),
        now=datetime(2026, 1, 5, 10, 0, tzinfo=LONDON),
        dose_time=NINE_AM,
        tz=LONDON,
        vomited=True,
    )
    assert not advice.can_take
    assert advice.take_until is None
    assert advice.next_dose == datetime(2026, 1, 12, 9, 0, tzinfo=LONDON)
    assert advice.reason == ("Do not take another capsule after vomiting; take the next dose on Mon 12 Jan, 09:00.")


def test_a_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        ixazomib_missed_dose_advice(
            start_date=START,
            missed_on=on_day(8),
            now=datetime(2026, 1, 13, 9, 0),
            dose_time=NINE_AM,
            tz=LONDON,
        )


def test_an_aware_dose_time_is_refused() -> None:
    with pytest.raises(ValueError, match="dose_time"):
        ixazomib_missed_dose_advice(
            start_date=START,
            missed_on=on_day(8),
            now=datetime(2026, 1, 13, 9, 0, tzinfo=LONDON),
            dose_time=time(9, 0, tzinfo=UTC),
            tz=LONDON,
        )


@pytest.mark.parametrize("missed", [on_day(2), on_day(22), START - timedelta(days=7)])
def test_advice_is_refused_for_a_day_without_a_scheduled_ixazomib_dose(
    missed: date,
) -> None:
    with pytest.raises(ValueError, match="not a scheduled ixazomib day"):
        ixazomib_missed_dose_advice(
            start_date=START,
            missed_on=missed,
            now=datetime(2026, 1, 13, 9, 0, tzinfo=LONDON),
            dose_time=NINE_AM,
            tz=LONDON,
        )


ZONES = [
    "UTC",
    "Europe/London",
    "Europe/Paris",
    "America/New_York",
    "America/Santiago",
    "Australia/Lord_Howe",  # 30-minute DST shift
    "Pacific/Chatham",
    "Asia/Kolkata",
]


@given(
    start=st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31)),
    cycle=st.integers(min_value=1, max_value=20),
    ixazomib_day=st.sampled_from([1, 8, 15]),
    dose_time=st.times(),
    zone=st.sampled_from(ZONES),
    minutes_from_limit=st.integers(min_value=-10_000, max_value=10_000),
)
def test_take_until_is_always_exactly_72_real_hours_before_the_next_dose(
    start: date,
    cycle: int,
    ixazomib_day: int,
    dose_time: time,
    zone: str,
    minutes_from_limit: int,
) -> None:
    tz = ZoneInfo(zone)
    missed = cycle_start_date(start, cycle) + timedelta(days=ixazomib_day - 1)
    first = ixazomib_missed_dose_advice(
        start_date=start,
        missed_on=missed,
        now=datetime(2000, 1, 1, tzinfo=UTC),
        dose_time=dose_time,
        tz=tz,
    )
    assert first.take_until is not None
    assert first.next_dose.astimezone(UTC) - first.take_until.astimezone(UTC) == timedelta(hours=72)
    assert first.next_dose.date() == next_dose_date(start, Drug.IXAZOMIB, missed)

    # Offset in real time (UTC); wall-clock arithmetic would be wrong across DST.
    now = first.take_until.astimezone(UTC) + timedelta(minutes=minutes_from_limit)
    advice = ixazomib_missed_dose_advice(start_date=start, missed_on=missed, now=now, dose_time=dose_time, tz=tz)
    assert advice.can_take is (minutes_from_limit <= 0)


# ---------------------------------------------------------------------------
# Dose ladders (NINLARO USPI §2.4; lenalidomide [U] Revlimid USPI)
# ---------------------------------------------------------------------------


def test_ixazomib_steps_down_4_then_3_then_2_3_mg() -> None:
    assert IXAZOMIB_DOSE_LEVELS_MG == (Decimal(4), Decimal(3), Decimal("2.3"))
    assert next_lower_dose(IXA, Decimal(4)) == Decimal(3)
    assert next_lower_dose(IXA, Decimal(3)) == Decimal("2.3")


def test_ixazomib_below_2_3_mg_means_discontinue() -> None:
    assert next_lower_dose(IXA, Decimal("2.3")) is None


def test_lenalidomide_steps_down_from_25_to_2_5_mg_then_discontinue() -> None:
    assert LENALIDOMIDE_DOSE_LEVELS_MG == tuple(Decimal(x) for x in ("25", "20", "15", "10", "5", "2.5"))
    steps = [Decimal(25)]
    while (lower := next_lower_dose(LEN, steps[-1])) is not None:
        steps.append(lower)
    assert steps == list(LENALIDOMIDE_DOSE_LEVELS_MG)


def test_a_dose_written_with_trailing_zeros_is_still_on_the_ladder() -> None:
    assert next_lower_dose(IXA, Decimal("4.0")) == Decimal(3)
    assert next_lower_dose(LEN, Decimal("2.50")) is None


@pytest.mark.parametrize(
    ("drug", "dose"),
    [
        (IXA, Decimal(2)),
        (IXA, Decimal(5)),
        (LEN, Decimal("12.5")),
        (IXA, Decimal("NaN")),
    ],
)
def test_a_dose_that_is_not_on_the_ladder_is_refused(drug: Drug, dose: Decimal) -> None:
    with pytest.raises(ValueError):
        next_lower_dose(drug, dose)


def test_dexamethasone_has_no_ladder_here() -> None:
    with pytest.raises(ValueError, match="no dose reduction ladder"):
        next_lower_dose(DEX, Decimal(40))


# ---------------------------------------------------------------------------
# Cycle-start gate (NINLARO USPI §2.2)
# ---------------------------------------------------------------------------


def test_gate_thresholds_are_anc_1_0_and_platelets_75() -> None:
    assert CYCLE_START_MIN_ANC == Decimal("1.0")
    assert CYCLE_START_MIN_PLATELETS == Decimal(75)


def test_anc_exactly_1_0_and_platelets_exactly_75_may_start() -> None:
    assert cycle_start_gate(anc=Decimal("1.0"), platelets=Decimal(75)) == GateResult(
        True, (), anc_met=True, platelets_met=True
    )


def test_anc_0_99_may_not_start() -> None:
    result = cycle_start_gate(anc=Decimal("0.99"), platelets=Decimal(200))
    assert not result.may_start
    assert result.reasons == ("ANC 0.99 x10^9/L is below 1.0 x10^9/L",)


def test_platelets_74_9_may_not_start() -> None:
    result = cycle_start_gate(anc=Decimal("2.5"), platelets=Decimal("74.9"))
    assert not result.may_start
    assert result.reasons == ("platelets 74.9 x10^9/L are below 75 x10^9/L",)


def test_missing_anc_may_not_start() -> None:
    result = cycle_start_gate(anc=None, platelets=Decimal(150))
    assert not result.may_start
    assert result.reasons == ("no recent ANC",)


def test_missing_platelets_may_not_start() -> None:
    result = cycle_start_gate(anc=Decimal("2.0"), platelets=None)
    assert not result.may_start
    assert result.reasons == ("no recent platelet count",)


def test_every_failing_reason_is_reported() -> None:
    result = cycle_start_gate(anc=None, platelets=Decimal(30))
    assert result.reasons == (
        "no recent ANC",
        "platelets 30 x10^9/L are below 75 x10^9/L",
    )


@pytest.mark.parametrize(
    ("anc", "platelets"),
    [
        (Decimal(800), Decimal(150)),  # ANC typed in cells/mm3
        (Decimal("2.0"), Decimal(60000)),  # platelets typed in cells/mm3
        (Decimal(-1), Decimal(150)),
        (Decimal("2.0"), Decimal("NaN")),
    ],
)
def test_impossible_lab_values_are_refused_rather_than_waved_through(anc: Decimal, platelets: Decimal) -> None:
    with pytest.raises(ValueError):
        cycle_start_gate(anc=anc, platelets=platelets)


# ---------------------------------------------------------------------------
# Lab draw reminders
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("cycle", [1, 2])
def test_cycles_1_and_2_draw_weekly_as_the_revlimid_label_asks(cycle: int) -> None:
    assert lab_draw_days(cycle) == (1, 8, 15, 22)


def test_cycle_3_draws_on_days_1_and_15() -> None:
    assert lab_draw_days(3) == (1, 15)
    assert is_in_nadir_window(START, START + timedelta(days=28 * 2 + 14))


@pytest.mark.parametrize("cycle", [4, 5, 12, 40])
def test_from_cycle_4_only_the_day_1_gate_draw_remains(cycle: int) -> None:
    assert lab_draw_days(cycle) == (1,)


def test_lab_draw_days_rejects_cycle_zero() -> None:
    with pytest.raises(ValueError):
        lab_draw_days(0)


# ---------------------------------------------------------------------------
# Stopped drugs (a care-team dose decision set the dose to 0 mg)
# ---------------------------------------------------------------------------


def test_a_drug_at_0_mg_is_stopped_and_anything_unreadable_is_still_given() -> None:
    from shared.regimen import stopped_drugs

    assert stopped_drugs({"ixazomib": "0", "lenalidomide": Decimal("0.0"), "dexamethasone": 40}) == {
        Drug.IXAZOMIB,
        Drug.LENALIDOMIDE,
    }
    assert stopped_drugs({"ixazomib": "x", "lenalidomide": None, "dexamethasone": True}) == frozenset()
    assert stopped_drugs({"ixazomib": "NaN", "lenalidomide": "4"}) == frozenset()
