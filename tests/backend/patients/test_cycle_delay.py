"""A "delay the next cycle" decision moves the calendar everywhere (issue 13): the phone's regimen, the dose and
blood-draw reminders, the missed-dose nudge, the fever's nadir window and the cycle-start labs task.

Pat is in New York, cycle 1 day 1 on Sun 27 Sep 2026: cycle 2 would start on Sun 25 Oct. On cycle 1
day 28 (24 Oct) the nurse delays it 7 days: cycle 2 day 1 is Sun 1 Nov, the day New York falls back
from EDT to EST, and 25-31 Oct are days 29-35 of cycle 1."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from backend.alerts.models import Alert
from backend.notifications.models import Notification
from backend.reminders.cycle_labs import cycle_labs_check
from backend.reminders.materialise import reminders_materialise
from backend.reminders.missed_doses import missed_doses_notify
from backend.reminders.models import OccurrenceStatus, ReminderOccurrence
from backend.reminders.selectors import upcoming_reminders
from tests.backend.reminders.support import enroll_at
from tests.backend.support import grade_all, sync
from tests.factories import EnrolledPatient, Person, symptom_item

NY = ZoneInfo("America/New_York")
START = date(2026, 9, 27)
PLANNED = date(2026, 10, 25)
DAY1 = date(2026, 11, 1)


def noon(day: date) -> datetime:
    return datetime.combine(day, time(12), tzinfo=NY)


@pytest.fixture
def pat(nurse: Person, clock: Any) -> EnrolledPatient:
    pat = enroll_at(nurse, clock, "America/New_York", START)
    clock(noon(date(2026, 10, 24)))
    reminders_materialise()  # the next 48 hours' reminders, planned day 1 included, are stored
    body = {"action": "delay_cycle", "delay_days": 7, "reason": "ANC 0.8 on day 28"}
    response = nurse.client().post(f"/api/v1/patients/{pat.patient.pk}/dose-decisions/", body, format="json")
    assert response.status_code == 201, response.content
    return pat


@pytest.mark.parametrize(
    ("day", "cycle", "cycle_day", "due"),
    [
        (PLANNED - timedelta(days=1), 1, 28, []),
        (PLANNED, 1, 29, []),
        (DAY1 - timedelta(days=1), 1, 35, []),
        (DAY1, 2, 1, ["ixazomib", "lenalidomide", "dexamethasone"]),
        (DAY1 + timedelta(days=1), 2, 2, ["lenalidomide"]),
    ],
    ids=["planned-day-before", "planned-day-1", "delayed-day-before", "delayed-day-1", "delayed-day-after"],
)
def test_the_phone_sees_the_delayed_cycle_from_its_next_sync(
    pat: EnrolledPatient, clock: Any, day: date, cycle: int, cycle_day: int, due: list[str]
) -> None:
    clock(noon(day))
    regimen = sync(pat).json()["regimen"]

    assert (regimen["cycle"], regimen["day"], regimen["drugs_due"]) == (cycle, cycle_day, due)
    assert regimen["in_nadir_window"] is False
    assert regimen["cycle_delays"] == [{"cycle": 2, "delay_days": 7}]
    assert regimen["start_date"] == START.isoformat()  # the contract's field keeps the planned start
    if day <= DAY1:
        assert regimen["next_ixazomib"] == (DAY1 if day < DAY1 else date(2026, 11, 8)).isoformat()
        assert regimen["next_cycle_start"] == DAY1.isoformat()


def test_the_dose_and_draw_reminders_move_with_the_cycle(pat: EnrolledPatient) -> None:
    now = noon(date(2026, 10, 24))
    keys = {r.occurrence.key: r.occurrence for r in upcoming_reminders(patient=pat.patient, now=now, days=10)}

    assert "ixazomib:2026-10-25" not in keys and "lab_draw:2026-10-24" not in keys
    assert not any(k.startswith(("lenalidomide:2026-10-2", "dexamethasone:2026-10-2")) for k in keys)
    # Day 1 is the day the clocks go back: 22:00 EST is 03:00 UTC the next day (it was 02:00 in EDT).
    assert keys["ixazomib:2026-11-01"].due_at == datetime(2026, 11, 2, 3, 0, tzinfo=UTC)
    assert keys["lab_draw:2026-10-31"].due_at == datetime(2026, 10, 31, 12, 0, tzinfo=UTC)  # 08:00 EDT
    assert "antiviral:2026-10-27:" in " ".join(keys)  # prophylaxis goes on through the delay


def test_the_stored_reminder_of_the_planned_day_1_is_cancelled(pat: EnrolledPatient) -> None:
    row = ReminderOccurrence.objects.get(patient=pat.patient, key="ixazomib:2026-10-25")

    assert row.status == OccurrenceStatus.CANCELLED


def test_no_missed_dose_nudge_for_the_planned_day_1(pat: EnrolledPatient, clock: Any) -> None:
    clock(datetime(2026, 10, 26, 8, 0, tzinfo=NY))

    assert missed_doses_notify() == 0
    assert not Notification.objects.filter(dedupe_key__startswith="missed-dose:").exists()


@pytest.mark.parametrize(
    ("day", "message_says"),
    [
        (date(2026, 11, 7), None),  # the planned day 14: day 7 of the delayed cycle
        (date(2026, 11, 13), None),  # delayed day 13
        (date(2026, 11, 14), "cycle day 14"),
        (date(2026, 11, 21), "cycle day 21"),
        (date(2026, 11, 22), None),
    ],
)
def test_the_fevers_nadir_window_is_days_14_to_21_of_the_delayed_cycle(
    pat: EnrolledPatient, clock: Any, day: date, message_says: str | None
) -> None:
    clock(noon(date(2026, 11, 23)))
    item = symptom_item("fever", {"temperature_c": 38.4}, reported_at=datetime.combine(day, time(9), NY).isoformat())
    assert sync(pat, symptom_reports=[item]).json()["rejected"] == []
    grade_all()

    alert = Alert.objects.get(source_id=item["id"])
    assert ("cannot be ruled out" in alert.message) == (message_says is not None)
    if message_says:
        assert message_says in alert.message


@pytest.mark.parametrize(
    ("now", "due"),
    [(noon(date(2026, 10, 24)), False), (noon(date(2026, 10, 28)), False), (noon(date(2026, 10, 29)), True)],
    ids=["planned-day-1-minus-1", "delayed-minus-4", "delayed-minus-3"],
)
def test_the_cycle_start_labs_task_counts_down_to_the_delayed_day_1(
    pat: EnrolledPatient, now: datetime, due: bool
) -> None:
    outcome = cycle_labs_check(now=now)

    assert len(outcome.alerts_raised) == int(due)
    if due:
        note = Notification.objects.get(recipient=pat.user, dedupe_key__startswith="cycle-labs:")
        assert "Cycle 2 starts on Sun 1 Nov" in note.body
