"""Specification of moving a patient to another time zone (patients.services.patient_timezone_change):
their reminders keep their local wall-clock times in the new zone at once, nothing already sent is
touched or sent again, and the change is audited."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from backend.audit.models import AuditEvent
from backend.core.errors import ApplicationError
from backend.notifications.models import Preference
from backend.patients.models import Patient
from backend.patients.services import patient_timezone_change
from backend.reminders.dispatch import reminders_dispatch_due
from backend.reminders.materialise import reminders_materialise
from backend.reminders.models import ReminderPlan
from tests.backend.reminders.support import OccurrenceStatus, at, enroll_at, reminders_in_inbox, rows
from tests.factories import EnrolledPatient, Person

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
# Sat 31 Oct 2026, 11:00 UTC: 12:00 in Berlin (CET since 25 Oct), 07:00 in New York (still EDT;
# New York falls back to EST on Sun 1 Nov, inside the 48 hours planned ahead).
MOVE = datetime(2026, 10, 31, 11, tzinfo=UTC)
SAT = date(2026, 10, 31)
SUN = date(2026, 11, 1)


@pytest.fixture
def berta(nurse: Person, clock: Callable[[datetime], None]) -> EnrolledPatient:
    """Berta, in Berlin, cycle 1 day 1 on Mon 26 Oct 2026 (lenalidomide daily on days 1-21)."""
    return enroll_at(nurse, clock, "Europe/Berlin", date(2026, 10, 26), name="Berta")


def wall_time(patient: EnrolledPatient, kind: str, key: str) -> time:
    """The local time a reminder of this key is planned for."""
    if kind == "antiviral":
        return time.fromisoformat(key.rsplit(":", 2)[-2] + ":" + key.rsplit(":", 1)[-1])
    return getattr(ReminderPlan.objects.get(pk=patient.patient.pk), f"{kind}_time")  # type: ignore[no-any-return]


def test_pending_reminders_keep_their_wall_clock_time_in_the_new_zone_across_dst(
    berta: EnrolledPatient, clock: Callable[[datetime], None]
) -> None:
    clock(MOVE)
    reminders_materialise()

    patient_timezone_change(patient=berta.patient, timezone_name="America/New_York", changed_by=berta.user)

    pending = rows(berta, status=OccurrenceStatus.PENDING)
    assert pending
    for row in pending:
        local = row.due_at.astimezone(NEW_YORK)
        assert (local.date(), local.time()) == (row.local_date, wall_time(berta, row.kind, row.key)), row.key
    due = {r.key: r.due_at for r in pending}
    assert due["antiviral:2026-10-31:08:00"] == datetime(2026, 10, 31, 12, tzinfo=UTC)  # EDT, UTC-4
    assert due["antiviral:2026-11-01:08:00"] == datetime(2026, 11, 1, 13, tzinfo=UTC)  # EST, UTC-5
    assert due["lenalidomide:2026-11-01"] == at(NEW_YORK, SUN, 9)


def test_the_reminders_move_at_once_without_waiting_for_the_beat_tick(
    berta: EnrolledPatient, clock: Callable[[datetime], None]
) -> None:
    clock(MOVE)
    reminders_materialise()
    before = {r.key: r.due_at for r in rows(berta, status=OccurrenceStatus.PENDING)}
    assert before["antiviral:2026-10-31:20:00"] == at(BERLIN, SAT, 20)

    patient_timezone_change(patient=berta.patient, timezone_name="America/New_York", changed_by=berta.user)

    assert rows(berta, key="antiviral:2026-10-31:20:00")[0].due_at == at(NEW_YORK, SAT, 20)
    assert reminders_materialise() == 0  # the tick finds nothing left to do
    plan = ReminderPlan.objects.get(pk=berta.patient.pk)
    assert plan.materialised_zone == "America/New_York"


def test_sent_reminders_are_left_as_they_were(berta: EnrolledPatient, clock: Callable[[datetime], None]) -> None:
    clock(at(BERLIN, SAT, 9, 5))
    reminders_materialise()
    assert reminders_dispatch_due().sent == 2  # antiviral 08:00 and lenalidomide 09:00, Berlin time
    sent_before = [(r.key, r.status, r.due_at, r.sent_at) for r in rows(berta, status=OccurrenceStatus.SENT)]

    clock(MOVE)
    patient_timezone_change(patient=berta.patient, timezone_name="America/New_York", changed_by=berta.user)

    assert [(r.key, r.status, r.due_at, r.sent_at) for r in rows(berta, status=OccurrenceStatus.SENT)] == sent_before


def test_a_dose_already_reminded_in_the_old_zone_is_not_reminded_again_that_local_day(
    berta: EnrolledPatient, clock: Callable[[datetime], None]
) -> None:
    """Berlin's Saturday morning reminders went out; flying west, Saturday morning comes again."""
    clock(at(BERLIN, SAT, 9, 5))
    reminders_materialise()
    assert reminders_dispatch_due().sent == 2
    clock(MOVE)

    patient_timezone_change(patient=berta.patient, timezone_name="America/New_York", changed_by=berta.user)

    keys = [r.key for r in rows(berta)]
    assert len(keys) == len(set(keys))
    clock(at(NEW_YORK, SAT, 9, 5))
    reminders_materialise()
    assert reminders_dispatch_due().sent == 0  # 08:00 and 09:00 of Saturday were sent in Berlin
    assert len(reminders_in_inbox(berta)) == 2
    clock(at(NEW_YORK, SAT, 20))
    assert reminders_dispatch_due().sent == 1  # Saturday 20:00, New York time


def test_a_later_tick_fills_the_days_ahead_at_the_new_zones_times(
    berta: EnrolledPatient, clock: Callable[[datetime], None]
) -> None:
    clock(MOVE)
    reminders_materialise()
    patient_timezone_change(patient=berta.patient, timezone_name="America/New_York", changed_by=berta.user)

    clock(MOVE + timedelta(days=1, hours=1))  # past half the horizon: the tick plans ahead again
    reminders_materialise()

    monday = rows(berta, key="antiviral:2026-11-02:08:00")[0]
    assert (monday.status, monday.due_at) == (OccurrenceStatus.PENDING, at(NEW_YORK, date(2026, 11, 2), 8))


def test_the_same_zone_changes_nothing_and_audits_nothing(
    berta: EnrolledPatient, clock: Callable[[datetime], None]
) -> None:
    clock(MOVE)
    reminders_materialise()
    before = [(r.key, r.status, r.due_at) for r in rows(berta)]

    patient_timezone_change(patient=berta.patient, timezone_name="Europe/Berlin", changed_by=berta.user)

    assert [(r.key, r.status, r.due_at) for r in rows(berta)] == before
    assert not AuditEvent.objects.filter(action="update", resource="patient").exists()


def test_the_change_is_audited_with_both_zones(
    nurse: Person, berta: EnrolledPatient, clock: Callable[[datetime], None]
) -> None:
    clock(MOVE)

    patient_timezone_change(patient=berta.patient, timezone_name="America/New_York", changed_by=nurse.user)

    event = AuditEvent.objects.get(action="update", resource="patient")
    assert (event.actor_id, event.patient_id, event.object_id) == (
        nurse.user.pk,
        berta.patient.pk,
        str(berta.patient.pk),
    )
    assert "Europe/Berlin" in event.detail and "America/New_York" in event.detail
    assert Patient.objects.get(pk=berta.patient.pk).timezone == "America/New_York"


def test_quiet_hours_kept_in_the_old_zone_move_with_the_patient(
    berta: EnrolledPatient, clock: Callable[[datetime], None]
) -> None:
    clock(MOVE)
    Preference.objects.create(user=berta.user, quiet_start=time(22), quiet_end=time(7), timezone="Europe/Berlin")

    patient_timezone_change(patient=berta.patient, timezone_name="America/New_York", changed_by=berta.user)

    assert Preference.objects.get(user=berta.user).timezone == "America/New_York"


def test_quiet_hours_set_in_another_zone_on_purpose_stay(
    berta: EnrolledPatient, clock: Callable[[datetime], None]
) -> None:
    clock(MOVE)
    Preference.objects.create(user=berta.user, quiet_start=time(22), quiet_end=time(7), timezone="Asia/Tokyo")

    patient_timezone_change(patient=berta.patient, timezone_name="America/New_York", changed_by=berta.user)

    assert Preference.objects.get(user=berta.user).timezone == "Asia/Tokyo"


@pytest.mark.parametrize("name", ["", "Mars/Olympus_Mons", "america/new_york", "+05:00"])
def test_a_name_that_is_not_an_iana_zone_is_refused_naming_timezone(
    berta: EnrolledPatient, clock: Callable[[datetime], None], name: str
) -> None:
    clock(MOVE)
    reminders_materialise()
    before = [(r.key, r.status, r.due_at) for r in rows(berta)]

    with pytest.raises(ApplicationError) as refused:
        patient_timezone_change(patient=berta.patient, timezone_name=name, changed_by=berta.user)

    assert list(refused.value.errors) == ["timezone"]
    assert refused.value.errors["timezone"]
    assert Patient.objects.get(pk=berta.patient.pk).timezone == "Europe/Berlin"
    assert [(r.key, r.status, r.due_at) for r in rows(berta)] == before
    assert not AuditEvent.objects.filter(action="update", resource="patient").exists()
