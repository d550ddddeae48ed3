"""Specification: a paused or discharged patient is reminded of nothing (backend.patients.care_status);
resumed, their reminders are planned again from then."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest

from backend.patients.care_status import patient_care_status_change
from backend.patients.models import CareStatus
from backend.reminders.dispatch import reminders_dispatch_due
from backend.reminders.materialise import grace, reminders_materialise
from backend.reminders.models import OccurrenceStatus
from backend.reminders.selectors import upcoming_reminders
from tests.backend.reminders.support import at, keys, reminders_in_inbox, rows
from tests.factories import EnrolledPatient, Person

pytestmark = pytest.mark.django_db

DAY_8 = date(2026, 11, 8)
NOON_UTC = datetime(2026, 11, 8, 12, tzinfo=UTC)


def ny(hour: int, minute: int = 0, day: date = DAY_8) -> datetime:
    return at("America/New_York", day, hour, minute)


def change(patient: EnrolledPatient, status: str, nurse: Person, reason: str = "inpatient stay") -> None:
    patient_care_status_change(patient=patient.patient, status=status, reason=reason, changed_by=nurse.user)


@pytest.mark.parametrize("status", [CareStatus.PAUSED, CareStatus.DISCHARGED])
def test_pausing_or_discharging_cancels_every_pending_reminder_at_once(
    pat: EnrolledPatient, nurse: Person, clock: Callable[[datetime], None], status: str
) -> None:
    clock(NOON_UTC)
    reminders_materialise()
    pending = keys(pat, OccurrenceStatus.PENDING)
    assert pending

    change(pat, status, nurse)

    assert keys(pat, OccurrenceStatus.PENDING) == []
    assert set(keys(pat, OccurrenceStatus.CANCELLED)) == set(pending)
    assert upcoming_reminders(patient=pat.patient, now=NOON_UTC) == []  # the phone's list is empty too


def test_nothing_is_planned_or_sent_while_paused(
    pat: EnrolledPatient, nurse: Person, clock: Callable[[datetime], None]
) -> None:
    clock(NOON_UTC)
    change(pat, CareStatus.PAUSED, nurse)
    for hour in (13, 20, 22, 23):
        clock(ny(hour))
        assert reminders_materialise() == 0
        assert reminders_dispatch_due().sent == 0
    assert keys(pat, OccurrenceStatus.PENDING) == []
    assert reminders_in_inbox(pat) == []


def test_a_reminder_claimed_after_the_pause_is_cancelled_not_sent(
    pat: EnrolledPatient, nurse: Person, clock: Callable[[datetime], None]
) -> None:
    """The status is read when the dispatcher claims a reminder: a pause that did not reach the
    planner (a row made by a tick racing with it) still stops the send."""
    clock(NOON_UTC)
    reminders_materialise()
    type(pat.patient).objects.filter(pk=pat.patient.pk).update(care_status=CareStatus.PAUSED)  # no re-plan
    clock(ny(22))
    outcome = reminders_dispatch_due()
    assert (outcome.sent, outcome.cancelled) == (0, 2)  # the 20:00 antiviral (in its grace) and 22:00 ixazomib
    assert reminders_in_inbox(pat) == []


def test_resuming_plans_the_coming_reminders_from_then(
    pat: EnrolledPatient, nurse: Person, clock: Callable[[datetime], None]
) -> None:
    clock(NOON_UTC)
    reminders_materialise()
    change(pat, CareStatus.PAUSED, nurse)
    clock(ny(21))
    change(pat, CareStatus.ACTIVE, nurse, reason="")

    pending = {r.key: r.due_at for r in rows(pat, status=OccurrenceStatus.PENDING)}
    assert pending["ixazomib:2026-11-08"] == ny(22)  # tonight's dose (day 8)
    # As after any re-plan, one due within the grace period (2 h) is still sent, late; the morning's
    # doses, due while paused, are not.
    assert all(due >= ny(21) - grace() for due in pending.values())
    assert "lenalidomide:2026-11-08" not in pending and "dexamethasone:2026-11-08" not in pending
    clock(ny(22))
    assert reminders_dispatch_due().sent == 2  # the 20:00 antiviral, late, and the 22:00 ixazomib
