"""Reminders computed on the phone with the server's own `shared.reminders`, so they fire with no
signal and carry the same keys as the server's."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest

from mobile import strings as S
from mobile.reminders import (
    Reminder,
    ReminderPlan,
    ReminderPlanError,
    due_now,
    merged,
    next_due,
    phone_reminders,
    plan_from_json,
    plan_to_json,
    server_reminders,
    shifted,
)
from tests.mobile.conftest import NY, START


def _day(day: date, plan: ReminderPlan | None = None, **kwargs: object) -> list[tuple[str, str]]:
    start = datetime.combine(day, time(0), tzinfo=NY)
    found = phone_reminders(
        plan=plan or ReminderPlan(antiviral_times=()),
        start_date=START,
        tz=NY,
        window_start=start,
        window_end=start + timedelta(days=1),
        **kwargs,  # type: ignore[arg-type]
    )
    return [(r.at.strftime("%H:%M"), r.key) for r in found]


def test_day_1_reminds_all_three_drugs_at_their_times_with_the_servers_keys() -> None:
    assert _day(START) == [
        ("09:00", "lenalidomide:2026-11-01"),
        ("09:00", "dexamethasone:2026-11-01"),
        ("22:00", "ixazomib:2026-11-01"),
    ]


def test_a_drug_the_care_team_stopped_0_mg_is_not_reminded() -> None:
    doses = {"ixazomib": "4", "lenalidomide": "0", "dexamethasone": "40"}
    assert _day(START, doses_mg=doses) == [("09:00", "dexamethasone:2026-11-01"), ("22:00", "ixazomib:2026-11-01")]


def test_blood_draws_come_the_day_before_each_cycle_and_weekly_in_the_first_cycles() -> None:
    assert ("08:00", "lab_draw:2026-10-31") in _day(START - timedelta(days=1))
    assert ("08:00", "lab_draw:2026-11-15") in _day(START + timedelta(days=14))  # Revlimid: weekly, cycles 1-2
    cycle_4_day_14 = START + timedelta(days=3 * 28 + 13)
    assert [k for _, k in _day(cycle_4_day_14)] == [f"lenalidomide:{cycle_4_day_14.isoformat()}"]


def test_antiviral_doses_are_reminded_every_day_at_each_time() -> None:
    rest_day = START + timedelta(days=23)
    assert _day(rest_day, ReminderPlan()) == [
        ("08:00", f"antiviral:{rest_day.isoformat()}:08:00"),
        ("20:00", f"antiviral:{rest_day.isoformat()}:20:00"),
    ]


def test_a_held_drug_is_still_reminded_but_says_not_to_take_it() -> None:
    start = datetime.combine(START, time(0), tzinfo=NY)
    found = phone_reminders(
        plan=ReminderPlan(antiviral_times=()),
        start_date=START,
        tz=NY,
        window_start=start,
        window_end=start + timedelta(days=1),
        doses_mg={"ixazomib": "4"},
        held=["ixazomib"],
    )
    by_key = {r.key: r for r in found}
    assert by_key["ixazomib:2026-11-01"].title == "Time for Ixazomib (Ninlaro) 4 mg"
    assert by_key["ixazomib:2026-11-01"].body == S.REMINDER_HELD
    assert by_key["lenalidomide:2026-11-01"].body == "With or without food, at about the same time each day."


def test_a_time_in_the_spring_forward_gap_lands_on_a_real_instant() -> None:
    gap_day = date(2027, 3, 14)  # 02:00-03:00 does not exist in New York
    start = datetime.combine(gap_day, time(0), tzinfo=NY)
    [found] = [
        r
        for r in phone_reminders(
            plan=ReminderPlan(lenalidomide_time=time(2, 30), antiviral_times=()),
            start_date=gap_day,
            tz=NY,
            window_start=start,
            window_end=start + timedelta(days=1),
        )
        if r.kind == "lenalidomide"
    ]
    assert found.at.strftime("%H:%M") == "03:30"


def test_times_move_in_steps_wrap_round_midnight_and_keep_the_labels_rule() -> None:
    plan = shifted(ReminderPlan(), "ixazomib_time", 150)
    assert plan.ixazomib_time == time(0, 30)
    assert shifted(plan, "antiviral_times:1", 30).antiviral_times == (time(8, 0), time(20, 30))
    with pytest.raises(ReminderPlanError) as refused:
        shifted(ReminderPlan(ixazomib_time=time(11, 0)), "ixazomib_time", -60)  # 10:00, an hour after dex
    assert refused.value.field == "ixazomib_time"


def test_the_plan_round_trips_and_bad_fields_fall_back_to_the_defaults() -> None:
    plan = shifted(ReminderPlan(), "lab_draw_time", 60)
    assert plan_from_json(plan_to_json(plan)) == plan
    assert plan_from_json({"ixazomib_time": "25:99", "lenalidomide_time": "07:30"}).lenalidomide_time == time(7, 30)
    # Ixazomib at breakfast with dexamethasone breaks the label's rule: reminders keep going on defaults.
    assert plan_from_json({"ixazomib_time": "09:00"}) == ReminderPlan()
    assert plan_from_json("junk") == ReminderPlan()


def test_the_phones_reminder_wins_over_the_servers_for_the_same_key() -> None:
    at = datetime(2026, 11, 15, 22, 0, tzinfo=NY)
    phone = [Reminder("ixazomib:2026-11-15", at, "ixazomib", "phone", "")]
    server = server_reminders(
        [
            {"key": "ixazomib:2026-11-15", "due_at": "2026-11-15T21:00:00-05:00", "title": "server", "text": ""},
            {"key": "visit:1", "kind": "visit", "due_at": "2026-11-16T10:00:00+00:00", "title": "Visit", "text": "x"},
            {"key": "held", "due_at": "2026-11-16T11:00:00+00:00", "title": "Dose", "on_hold": True},
            {"title": "no time"},
            "junk",
        ],
        NY,
    )
    assert [(r.key, r.title, r.at.strftime("%d %H:%M")) for r in merged(phone, server)] == [
        ("ixazomib:2026-11-15", "phone", "15 22:00"),
        ("visit:1", "Visit", "16 05:00"),
        ("held", "Dose", "16 06:00"),
    ]
    assert server[2].body == S.REMINDER_HELD


def test_next_due_skips_fired_reminders_and_due_now_has_a_grace_period() -> None:
    start = datetime.combine(START, time(0), tzinfo=NY)
    found = phone_reminders(
        plan=ReminderPlan(antiviral_times=()),
        start_date=START,
        tz=NY,
        window_start=start,
        window_end=start + timedelta(days=1),
    )
    nine = datetime(2026, 11, 1, 9, 0, tzinfo=NY)
    first = next_due(found, nine, set())
    assert first is not None and first.key == "dexamethasone:2026-11-01"  # two at 09:00: by key
    later = next_due(found, nine + timedelta(minutes=1), set())
    assert later is not None and later.kind == "ixazomib"
    late = sorted(r.key for r in due_now(found, nine + timedelta(minutes=20), set(), timedelta(minutes=30)))
    assert late == ["dexamethasone:2026-11-01", "lenalidomide:2026-11-01"]
    assert due_now(found, nine + timedelta(hours=2), set(), timedelta(minutes=30)) == []
    assert due_now(found, nine, set(late), timedelta(minutes=30)) == []
