"""Counts missing before day 1 (issue 13 §3; NINLARO USPI §2.2): from 3 days before day 1, no ANC or
no platelet count for that start raises a task for the nurse (an urgent `cycle_labs_missing` alert)
and a reminder to the patient, once per cycle.

Pat (the `patient` fixture) is in New York, cycle 1 day 1 on 1 Nov 2026: cycle 2 starts on 29 Nov."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings

from backend.alerts.models import Alert
from backend.notifications.models import Notification
from backend.reminders.cycle_labs import cycle_labs_check
from tests.backend.support import sync
from tests.factories import EnrolledPatient, lab_item

NY = ZoneInfo("America/New_York")


def at(day: int, hour: int = 12) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=NY)


def drawn(patient: EnrolledPatient, day: int, *analytes: str) -> None:
    values: dict[str, Any] = {"anc": 1.8, "platelets": 140}
    items = [lab_item(a, values[a], collected_at=at(day, 8).isoformat()) for a in analytes]
    assert sync(patient, lab_results=items).json()["rejected"] == []


def reminders(patient: EnrolledPatient) -> list[Notification]:
    return list(Notification.objects.filter(recipient=patient.user, dedupe_key__startswith="cycle-labs:"))


@pytest.mark.parametrize(("day", "due"), [(25, False), (26, True), (29, True)], ids=["4-days", "3-days", "day-1"])
def test_from_3_days_before_day_1_missing_counts_raise_a_task_and_a_reminder(
    patient: EnrolledPatient, day: int, due: bool
) -> None:
    outcome = cycle_labs_check(now=at(day))

    assert (len(outcome.alerts_raised), outcome.reminders_sent) == ((1, 1) if due else (0, 0))
    if due:
        alert = Alert.objects.get(patient=patient.patient)
        assert (alert.kind, alert.severity, alert.hold_drugs) == ("cycle_labs_missing", "urgent", [])
        assert alert.title == "Labs missing for cycle 2 day 1"
        (note,) = reminders(patient)
        assert note.title == "Blood test needed before your next cycle" and "Sun 29 Nov" in note.body


def test_once_per_cycle_however_often_it_runs(patient: EnrolledPatient) -> None:
    first = cycle_labs_check(now=at(26))
    again = cycle_labs_check(now=at(27))

    assert (len(first.alerts_raised), first.reminders_sent) == (1, 1)
    assert (again.alerts_raised, again.reminders_sent) == ([], 0)
    assert len(reminders(patient)) == 1


def test_counts_from_the_rest_week_are_enough(patient: EnrolledPatient) -> None:
    drawn(patient, 22, "anc", "platelets")  # day 22, 7 days before day 1

    assert cycle_labs_check(now=at(26)).alerts_raised == []


def test_counts_from_before_the_rest_week_are_not(patient: EnrolledPatient) -> None:
    drawn(patient, 21, "anc", "platelets")  # day 21, 8 days before day 1

    assert len(cycle_labs_check(now=at(26)).alerts_raised) == 1


def test_the_task_names_the_missing_count(patient: EnrolledPatient) -> None:
    drawn(patient, 25, "platelets")

    cycle_labs_check(now=at(26))

    alert = Alert.objects.get(patient=patient.patient)
    assert "no ANC in the 7 days before it" in alert.message


def test_it_runs_on_beat() -> None:
    assert "careloop.reminders.cycle_labs" in {e["task"] for e in settings.CELERY_BEAT_SCHEDULE.values()}
