"""Specification of shared.reminders: a plan's reminders in the patient's own zone, right across
DST changes (real 2026 US and EU transition dates, both directions) and zone moves."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared import regimen
from shared.reminders import (
    DEFAULT_ANTIVIRAL_TIMES,
    FOOD_RULES,
    LabDraw,
    Occurrence,
    ReminderKind,
    ReminderPlan,
    ReminderPlanError,
    format_day,
    lab_draws,
    local_instant,
    occurrences,
    parse_wall_time,
)
from shared.response_tests import NextTest

NEW_YORK = ZoneInfo("America/New_York")
PARIS = ZoneInfo("Europe/Paris")
BERLIN = ZoneInfo("Europe/Berlin")
PLAN = ReminderPlan()


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def local_day(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The real-time window of one local calendar day."""
    return local_instant(day, time(0), zone), local_instant(day + timedelta(days=1), time(0), zone)


def on(day: date, zone: ZoneInfo, plan: ReminderPlan = PLAN, start: date | None = None) -> list[Occurrence]:
    return occurrences(plan, start or day, zone, *local_day(day, zone))


def of_kind(found: list[Occurrence], kind: ReminderKind) -> list[Occurrence]:
    return [o for o in found if o.kind is kind]


# --- The plan ------------------------------------------------------------------------------------


def test_the_default_plan_is_the_phones_and_keeps_ixazomib_away_from_food() -> None:
    assert PLAN.antiviral_times == (time(8), time(20))
    assert PLAN.ixazomib_time == time(22)  # bedtime: at least 2 hours after dinner
    assert PLAN.dexamethasone_time == time(9)  # with breakfast
    assert PLAN.lenalidomide_time == time(9)
    assert PLAN.lab_draw_time == time(8)
    assert PLAN.nadir_draw_cycles == regimen.LAB_DRAW_NADIR_CYCLES == 3


def test_it_sorts_antiviral_times() -> None:
    assert ReminderPlan(antiviral_times=(time(20), time(8))).antiviral_times == (time(8), time(20))


@pytest.mark.parametrize(
    ("ixazomib", "dexamethasone", "ok"),
    [
        (time(9), time(9), False),  # together: refused
        (time(8, 1), time(9), False),  # 59 min before food
        (time(8), time(9), True),  # exactly 1 h before food
        (time(10, 59), time(9), False),  # 1 h 59 min after food
        (time(11), time(9), True),  # exactly 2 h after food
        (time(22), time(9), True),
        (time(0, 30), time(23, 30), True),  # 23 h before, same day
    ],
)
def test_ixazomib_and_dexamethasone_keep_the_label_gap(ixazomib: time, dexamethasone: time, ok: bool) -> None:
    if ok:
        ReminderPlan(ixazomib_time=ixazomib, dexamethasone_time=dexamethasone)
        return
    with pytest.raises(ReminderPlanError) as caught:
        ReminderPlan(ixazomib_time=ixazomib, dexamethasone_time=dexamethasone)
    assert caught.value.field == "ixazomib_time"
    assert "at least 1 hour before or 2 hours after dexamethasone" in caught.value.message


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"antiviral_times": (time(8), time(8))}, "antiviral_times"),
        ({"antiviral_times": tuple(time(h) for h in range(5))}, "antiviral_times"),
        ({"lab_draw_time": time(8, 0, 30)}, "lab_draw_time"),
        ({"lenalidomide_time": time(9, tzinfo=UTC)}, "lenalidomide_time"),
        ({"nadir_draw_cycles": -1}, "nadir_draw_cycles"),
        ({"nadir_draw_cycles": 25}, "nadir_draw_cycles"),
        ({"nadir_draw_cycles": True}, "nadir_draw_cycles"),
    ],
)
def test_it_refuses_plans_that_cannot_work(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(ReminderPlanError) as caught:
        ReminderPlan(**kwargs)  # type: ignore[arg-type]
    assert caught.value.field == field


@pytest.mark.parametrize("text", ["8:00", "08:00:00", "24:00", "noon", "", "08h00", "1:2:3"])
def test_parse_wall_time_refuses_anything_but_hh_mm(text: str) -> None:
    with pytest.raises(ReminderPlanError, match="24-hour time such as 08:00"):
        parse_wall_time(text, "ixazomib_time")


def test_parse_wall_time_reads_hh_mm() -> None:
    assert parse_wall_time("07:45") == time(7, 45)


# --- One ordinary day ----------------------------------------------------------------------------


def test_day_1_reminds_every_drug_at_its_own_time_with_its_food_rule() -> None:
    start = date(2026, 1, 5)
    found = on(start, PARIS)
    assert [(o.kind.value, f"{o.local_due:%H:%M}") for o in found] == [
        ("antiviral", "08:00"),
        ("lenalidomide", "09:00"),
        ("dexamethasone", "09:00"),
        ("antiviral", "20:00"),
        ("ixazomib", "22:00"),
    ]
    texts = {o.kind: o.text for o in found}
    assert texts[ReminderKind.IXAZOMIB] == (
        "Take on an empty stomach: at least 1 hour before or 2 hours after food. Not at the same time as dexamethasone."
    )
    assert texts[ReminderKind.DEXAMETHASONE] == "Take with food, not at the same time as ixazomib."
    assert texts[ReminderKind.LENALIDOMIDE] == FOOD_RULES[ReminderKind.LENALIDOMIDE]
    assert all(o.cycle == 1 and o.day == 1 for o in found)
    assert [o.key for o in of_kind(found, ReminderKind.IXAZOMIB)] == ["ixazomib:2026-01-05"]
    assert [o.key for o in of_kind(found, ReminderKind.ANTIVIRAL)] == [
        "antiviral:2026-01-05:08:00",
        "antiviral:2026-01-05:20:00",
    ]


def test_day_22_has_dexamethasone_alone_with_the_plain_food_rule() -> None:
    start = date(2026, 1, 5)
    found = on(start + timedelta(days=21), PARIS, start=start)
    drugs = [o.kind for o in found if o.kind is not ReminderKind.LAB_DRAW]  # cycle 1 day 22: a weekly count
    assert drugs == [ReminderKind.ANTIVIRAL, ReminderKind.DEXAMETHASONE, ReminderKind.ANTIVIRAL]
    assert of_kind(found, ReminderKind.DEXAMETHASONE)[0].text == "Take with food."


def test_days_23_to_28_have_only_the_antiviral() -> None:
    start = date(2026, 1, 5)
    for offset in range(22, 27):  # day 28 is also the gate draw before cycle 2
        found = on(start + timedelta(days=offset), PARIS, start=start)
        assert {o.kind for o in found} == {ReminderKind.ANTIVIRAL}, offset + 1


def test_nothing_before_the_start_but_the_baseline_blood_draw() -> None:
    start = date(2026, 1, 5)
    found = occurrences(PLAN, start, PARIS, utc(2025, 12, 1), local_instant(start, time(0), PARIS))
    assert [(o.kind, o.local_date) for o in found] == [(ReminderKind.LAB_DRAW, date(2026, 1, 4))]
    assert found[0].cycle is None
    assert found[0].text.startswith("Blood count before cycle 1")


def test_an_empty_antiviral_plan_reminds_no_antiviral() -> None:
    found = on(date(2026, 1, 5), PARIS, ReminderPlan(antiviral_times=()))
    assert of_kind(found, ReminderKind.ANTIVIRAL) == []


def test_the_antiviral_text_names_the_clinics_drug() -> None:
    plan = ReminderPlan(antiviral_times=(time(8),), antiviral_drug="valacyclovir 500 mg")
    (antiviral,) = of_kind(on(date(2026, 1, 5), PARIS, plan), ReminderKind.ANTIVIRAL)
    assert antiviral.text == "Take your valacyclovir 500 mg as prescribed, every day, also between cycles."
    assert DEFAULT_ANTIVIRAL_TIMES == (time(8), time(20))


def test_the_window_is_half_open_on_real_time() -> None:
    start = date(2026, 1, 5)
    nine = local_instant(start, time(9), PARIS)
    at_nine = occurrences(PLAN, start, PARIS, nine, nine + timedelta(minutes=1))
    assert {o.kind for o in at_nine} == {ReminderKind.LENALIDOMIDE, ReminderKind.DEXAMETHASONE}
    assert occurrences(PLAN, start, PARIS, nine - timedelta(minutes=1), nine) == []
    assert occurrences(PLAN, start, PARIS, nine, nine) == []


def test_it_refuses_naive_windows() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        occurrences(PLAN, date(2026, 1, 5), PARIS, datetime(2026, 1, 5), utc(2026, 1, 6))


# --- Blood draws ---------------------------------------------------------------------------------


def test_blood_draws_follow_revlimids_schedule_weekly_in_cycles_1_2_and_day_15_of_cycle_3() -> None:
    """Revlimid USPI §5.3: weekly for the first 2 cycles, days 1 and 15 of cycle 3, every 28 days
    after; day 1's count is drawn the day before."""
    start = date(2026, 1, 5)
    draws = lab_draws(start, start - timedelta(days=5), start + timedelta(days=28 * 5), 3)
    assert [(d.on - start).days + 1 for d in draws] == [0, 8, 15, 22, 28, 36, 43, 50, 56, 71, 84, 112, 140]
    assert [(d.cycle, d.reason) for d in draws] == [
        (1, "cycle_start"),
        (1, "monitoring"),
        (1, "monitoring"),
        (1, "monitoring"),
        (2, "cycle_start"),
        (2, "monitoring"),
        (2, "monitoring"),
        (2, "monitoring"),
        (3, "cycle_start"),
        (3, "monitoring"),
        (4, "cycle_start"),
        (5, "cycle_start"),
        (6, "cycle_start"),
    ]


def test_the_draws_are_the_regimens_draw_days() -> None:
    start = date(2026, 1, 5)
    for cycle in range(1, 7):
        first = regimen.cycle_start_date(start, cycle)
        inside = [d for d in lab_draws(start, first, first + timedelta(days=27), 3) if d.reason != "cycle_start"]
        expected = [d for d in regimen.lab_draw_days(cycle) if d != 1]
        assert [(d.on - first).days + 1 for d in inside] == expected


@pytest.mark.parametrize(
    ("cycles", "monitoring", "nadir"),
    [(0, [], []), (1, [1, 1, 1], []), (3, [1, 1, 1, 2, 2, 2, 3], []), (6, [1, 1, 1, 2, 2, 2, 3], [4, 5, 6])],
)
def test_the_clinic_chooses_how_many_cycles_get_draws_within_the_cycle(
    cycles: int, monitoring: list[int], nadir: list[int]
) -> None:
    start = date(2026, 1, 5)
    draws = lab_draws(start, start, start + timedelta(days=28 * 8), cycles)
    assert [d.cycle for d in draws if d.reason == "monitoring"] == monitoring
    assert [d.cycle for d in draws if d.reason == "nadir"] == nadir
    assert all(regimen.is_in_nadir_window(start, d.on) for d in draws if d.reason == "nadir")


def test_lab_draw_reminders_come_at_the_plans_time() -> None:
    start = date(2026, 1, 5)
    found = on(start + timedelta(days=14), PARIS, ReminderPlan(lab_draw_time=time(7, 30)), start=start)
    (draw,) = of_kind(found, ReminderKind.LAB_DRAW)
    assert (draw.key, f"{draw.local_due:%H:%M}", draw.cycle, draw.day) == ("lab_draw:2026-01-19", "07:30", 1, 15)
    assert draw.text == (
        "Blood count in cycle 1: in the first cycles your care team checks your counts often, "
        "as the lenalidomide label asks."
    )
    assert LabDraw(date(2026, 1, 19), 1, "monitoring") in lab_draws(start, start, start + timedelta(days=20), 3)


# --- Myeloma response tests (shared.response_tests) ----------------------------------------------


def test_a_due_response_test_is_reminded_once_two_days_before_its_day_1_at_the_draw_time() -> None:
    start = date(2026, 1, 5)
    test = NextTest(cycle=4, due=regimen.cycle_start_date(start, 4), overdue=False)  # Mon 30 Mar
    plan = ReminderPlan(lab_draw_time=time(7, 30))
    found = occurrences(plan, start, PARIS, utc(2026, 3, 20), utc(2026, 4, 10), response_test=test)
    (reminder,) = of_kind(found, ReminderKind.RESPONSE_TEST)
    assert (reminder.key, reminder.local_date, f"{reminder.local_due:%H:%M}") == (
        "response_test:2026-03-28",
        date(2026, 3, 28),
        "07:30",
    )
    assert (reminder.cycle, reminder.day) == (3, 27)
    assert reminder.title == "Myeloma tests due"
    assert reminder.text == (
        "Your myeloma tests (M-protein and free light chains) are due with tomorrow's blood test, before "
        "cycle 4 starts on Mon 30 Mar. If your care team asked for a 24-hour urine sample, start collecting "
        "it today."
    )
    # The next day is the cycle-start blood draw the text calls tomorrow's.
    (draw,) = [o for o in of_kind(found, ReminderKind.LAB_DRAW) if o.local_date == date(2026, 3, 29)]
    assert draw.text.startswith("Blood count before cycle 4")


def test_without_a_response_test_there_is_no_such_reminder() -> None:
    start = date(2026, 1, 5)
    assert not of_kind(occurrences(PLAN, start, PARIS, utc(2026, 3, 20), utc(2026, 4, 10)), ReminderKind.RESPONSE_TEST)


def test_a_response_test_reminder_in_the_spring_forward_gap_fires_once_past_it() -> None:
    """NY_SPRING (8 Mar 2026) is two days before day 1 of a cycle started on 13 Jan (cycle 3 on 10 Mar)."""
    start = date(2026, 1, 13)
    test = NextTest(cycle=3, due=date(2026, 3, 10), overdue=False)
    plan = ReminderPlan(lab_draw_time=time(2, 30))
    found = occurrences(plan, start, NEW_YORK, utc(2026, 3, 6), utc(2026, 3, 12), response_test=test)
    (reminder,) = of_kind(found, ReminderKind.RESPONSE_TEST)
    assert reminder.due_at == utc(2026, 3, 8, 7, 30)  # 03:30 EDT: past the gap, once
    assert reminder.key == "response_test:2026-03-08"


# --- DST: America/New_York -----------------------------------------------------------------------

NY_SPRING = date(2026, 3, 8)  # 02:00 EST -> 03:00 EDT
NY_FALL = date(2026, 11, 1)  # 02:00 EDT -> 01:00 EST


def test_ny_spring_forward_keeps_the_wall_clock_and_moves_the_instant() -> None:
    start = NY_SPRING - timedelta(days=1)
    before = of_kind(on(NY_SPRING - timedelta(days=1), NEW_YORK, start=start), ReminderKind.LENALIDOMIDE)
    after = of_kind(on(NY_SPRING, NEW_YORK, start=start), ReminderKind.LENALIDOMIDE)
    assert [o.due_at for o in before] == [utc(2026, 3, 7, 14)]  # 09:00 EST
    assert [o.due_at for o in after] == [utc(2026, 3, 8, 13)]  # 09:00 EDT
    assert [f"{o.local_due:%H:%M}" for o in before + after] == ["09:00", "09:00"]


def test_ny_spring_forward_a_time_in_the_gap_fires_once_past_the_gap() -> None:
    plan = ReminderPlan(antiviral_times=(time(2, 30),))
    (gap,) = of_kind(on(NY_SPRING, NEW_YORK, plan), ReminderKind.ANTIVIRAL)
    assert gap.due_at == utc(2026, 3, 8, 7, 30)
    assert (gap.local_due.hour, gap.local_due.minute, gap.local_due.utcoffset()) == (3, 30, timedelta(hours=-4))
    assert gap.wall_time == time(2, 30)
    assert gap.key == "antiviral:2026-03-08:02:30"
    # The next day it is 02:30 again.
    (next_day,) = of_kind(on(NY_SPRING + timedelta(days=1), NEW_YORK, plan, start=NY_SPRING), ReminderKind.ANTIVIRAL)
    assert f"{next_day.local_due:%H:%M}" == "02:30"


def test_ny_fall_back_an_ambiguous_time_fires_once_at_its_first_occurrence() -> None:
    plan = ReminderPlan(antiviral_times=(time(1, 30),))
    (first,) = of_kind(on(NY_FALL, NEW_YORK, plan), ReminderKind.ANTIVIRAL)
    assert first.due_at == utc(2026, 11, 1, 5, 30)  # 01:30 EDT, not 01:30 EST (06:30Z)
    assert first.local_due.utcoffset() == timedelta(hours=-4)
    # Just before the fall-back hour's two passes, and right across both: one reminder.
    assert len(occurrences(plan, NY_FALL, NEW_YORK, utc(2026, 11, 1, 5), utc(2026, 11, 1, 7))) == 1


def test_ny_fall_back_keeps_the_wall_clock_and_moves_the_instant() -> None:
    start = NY_FALL - timedelta(days=1)
    found = occurrences(PLAN, start, NEW_YORK, utc(2026, 10, 31), utc(2026, 11, 3))
    assert [o.due_at for o in of_kind(found, ReminderKind.LENALIDOMIDE)] == [
        utc(2026, 10, 31, 13),  # 09:00 EDT
        utc(2026, 11, 1, 14),  # 09:00 EST
        utc(2026, 11, 2, 14),
    ]


# --- DST: Europe/Paris ---------------------------------------------------------------------------

PARIS_SPRING = date(2026, 3, 29)  # 02:00 CET -> 03:00 CEST
PARIS_FALL = date(2026, 10, 25)  # 03:00 CEST -> 02:00 CET


def test_paris_spring_forward() -> None:
    plan = ReminderPlan(antiviral_times=(time(2, 30), time(20)))
    start = PARIS_SPRING - timedelta(days=1)
    found = occurrences(plan, start, PARIS, utc(2026, 3, 28), utc(2026, 3, 30))
    assert [(o.key, o.due_at) for o in of_kind(found, ReminderKind.ANTIVIRAL)] == [
        ("antiviral:2026-03-28:02:30", utc(2026, 3, 28, 1, 30)),
        ("antiviral:2026-03-28:20:00", utc(2026, 3, 28, 19)),
        ("antiviral:2026-03-29:02:30", utc(2026, 3, 29, 1, 30)),  # in the gap: 03:30 CEST
        ("antiviral:2026-03-29:20:00", utc(2026, 3, 29, 18)),
    ]
    assert f"{of_kind(found, ReminderKind.ANTIVIRAL)[2].local_due:%H:%M%z}" == "03:30+0200"
    assert [o.due_at for o in of_kind(found, ReminderKind.LENALIDOMIDE)] == [utc(2026, 3, 28, 8), utc(2026, 3, 29, 7)]


def test_paris_fall_back() -> None:
    plan = ReminderPlan(antiviral_times=(time(2, 30), time(20)))
    start = PARIS_FALL - timedelta(days=1)
    found = occurrences(plan, start, PARIS, utc(2026, 10, 24), utc(2026, 10, 26))
    assert [(o.key, o.due_at) for o in of_kind(found, ReminderKind.ANTIVIRAL)] == [
        ("antiviral:2026-10-24:02:30", utc(2026, 10, 24, 0, 30)),
        ("antiviral:2026-10-24:20:00", utc(2026, 10, 24, 18)),
        ("antiviral:2026-10-25:02:30", utc(2026, 10, 25, 0, 30)),  # ambiguous: the first, CEST
        ("antiviral:2026-10-25:20:00", utc(2026, 10, 25, 19)),
    ]
    assert [o.due_at for o in of_kind(found, ReminderKind.LENALIDOMIDE)] == [utc(2026, 10, 24, 7), utc(2026, 10, 25, 8)]


@pytest.mark.parametrize(
    ("zone", "transition"),
    [(NEW_YORK, NY_SPRING), (NEW_YORK, NY_FALL), (PARIS, PARIS_SPRING), (PARIS, PARIS_FALL)],
    ids=["ny-spring", "ny-fall", "paris-spring", "paris-fall"],
)
@pytest.mark.parametrize("clock", [time(0, 0), time(1, 30), time(2, 0), time(2, 30), time(3, 0), time(23, 59)])
def test_around_each_transition_every_day_gets_exactly_one_reminder_per_time(
    zone: ZoneInfo, transition: date, clock: time
) -> None:
    plan = ReminderPlan(antiviral_times=(clock,))
    start = transition - timedelta(days=3)
    first, last = transition - timedelta(days=2), transition + timedelta(days=2)
    found = occurrences(plan, start, zone, local_day(first, zone)[0], local_day(last, zone)[1])
    antiviral = of_kind(found, ReminderKind.ANTIVIRAL)
    assert Counter(o.local_date for o in antiviral) == {first + timedelta(days=i): 1 for i in range(5)}
    assert len({o.key for o in found}) == len(found)
    assert [o.due_at for o in antiviral] == sorted(o.due_at for o in antiviral)
    for o in antiviral:  # each lands on its own local day, at its wall time unless in the gap
        assert o.local_due.date() == o.local_date
        assert o.local_due.time() >= clock


# --- Moving to another zone ----------------------------------------------------------------------


def moved(
    plan: ReminderPlan, start: date, old: ZoneInfo, new: ZoneInfo, first: datetime, move: datetime, last: datetime
) -> list[Occurrence]:
    """What the server keeps: the old zone's reminders until the move, then the new zone's from the
    start of the new local day, minus the keys already kept (one reminder per key)."""
    before = occurrences(plan, start, old, first, move)
    kept = {o.key for o in before}
    today = move.astimezone(new).date()
    after = occurrences(plan, start, new, local_instant(today, time(0), new), last)
    return before + [o for o in after if o.key not in kept]


@pytest.mark.parametrize(
    ("old", "new", "move"),
    [
        (NEW_YORK, BERLIN, utc(2026, 11, 10, 12)),  # 07:00 in NY, 13:00 in Berlin: flying east
        (BERLIN, NEW_YORK, utc(2026, 11, 10, 12)),  # 13:00 in Berlin, 07:00 in NY: flying west
        (NEW_YORK, BERLIN, utc(2026, 11, 10, 3)),  # 22:00 in NY, 04:00 next day in Berlin
        (BERLIN, NEW_YORK, utc(2026, 11, 10, 22)),  # 23:00 in Berlin, 17:00 in NY
    ],
)
def test_a_zone_move_keeps_wall_times_with_no_duplicate_and_no_missed_day(
    old: ZoneInfo, new: ZoneInfo, move: datetime
) -> None:
    start = date(2026, 11, 1)  # cycle 1: lenalidomide every day to day 21
    first, last = local_instant(date(2026, 11, 6), time(0), old), local_instant(date(2026, 11, 15), time(0), new)
    found = moved(PLAN, start, old, new, first, move, last)
    assert len({o.key for o in found}) == len(found)
    lenalidomide = of_kind(found, ReminderKind.LENALIDOMIDE)
    assert Counter(o.local_date for o in lenalidomide) == {date(2026, 11, 6) + timedelta(days=i): 1 for i in range(9)}
    antiviral = of_kind(found, ReminderKind.ANTIVIRAL)
    assert Counter(o.local_date for o in antiviral) == {date(2026, 11, 6) + timedelta(days=i): 2 for i in range(9)}
    assert {f"{o.local_due:%H:%M}" for o in lenalidomide} == {"09:00"}
    assert {f"{o.local_due:%H:%M}" for o in antiviral} == {"08:00", "20:00"}
    after = [o for o in found if o.due_at >= move + timedelta(days=1)]
    assert after and all(o.local_due.tzinfo is new for o in after)


def test_keys_do_not_depend_on_the_zone() -> None:
    start = date(2026, 11, 1)
    keys = {zone: [o.key for o in on(date(2026, 11, 8), zone, start=start)] for zone in (NEW_YORK, BERLIN, PARIS)}
    assert keys[NEW_YORK] == keys[BERLIN] == keys[PARIS]


@given(
    offset=st.integers(min_value=0, max_value=200),
    hour=st.integers(min_value=0, max_value=23),
    minute=st.sampled_from([0, 15, 30, 45]),
    zone=st.sampled_from(["America/New_York", "Europe/Paris", "Australia/Lord_Howe", "Asia/Kolkata", "UTC"]),
)
def test_every_occurrence_is_in_its_window_and_on_its_own_local_day(
    offset: int, hour: int, minute: int, zone: str
) -> None:
    tz = ZoneInfo(zone)
    plan = ReminderPlan(antiviral_times=(time(hour, minute),), lenalidomide_time=time(hour, minute))
    start = date(2026, 1, 1)
    window_start = utc(2026, 1, 1) + timedelta(days=offset, hours=hour)
    window_end = window_start + timedelta(days=3)
    found = occurrences(plan, start, tz, window_start, window_end)
    assert all(window_start <= o.due_at < window_end for o in found)
    assert all(o.local_due.date() == o.local_date for o in found)
    assert len({o.key for o in found}) == len(found)
    assert Counter(o.local_date for o in found if o.kind is ReminderKind.ANTIVIRAL).most_common(1)[0][1] == 1


def test_format_day_is_locale_free() -> None:
    assert format_day(date(2026, 3, 8)) == "Sun 8 Mar"
