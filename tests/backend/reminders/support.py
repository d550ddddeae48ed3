"""Helpers for the reminder specifications."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from backend.notifications.models import Notification, Preference
from backend.records.services import sync_ingest
from backend.reminders.models import OccurrenceStatus, ReminderOccurrence
from tests.factories import EnrolledPatient, Person, make_patient

NEW_YORK = ZoneInfo("America/New_York")


def at(zone: ZoneInfo | str, day: date, hour: int, minute: int = 0, second: int = 0) -> datetime:
    """A local wall time as an aware UTC instant."""
    tz = zone if isinstance(zone, ZoneInfo) else ZoneInfo(zone)
    return datetime.combine(day, time(hour, minute, second), tzinfo=tz).astimezone(UTC)


def enroll_at(
    nurse: Person,
    clock: Callable[[datetime], None],
    tz: str,
    start: date,
    *,
    name: str = "Pat Doe",
    enrolled: datetime | None = None,
) -> EnrolledPatient:
    """A patient whose phone enrolled at `enrolled` (default: noon UTC the day before the start)."""
    clock(enrolled or datetime.combine(start - timedelta(days=1), time(12), tzinfo=UTC))
    return make_patient(nurse, name=name, tz=tz, start=start)


def log_dose(patient: EnrolledPatient, drug: str, taken_at: datetime, status: str = "taken") -> None:
    result = sync_ingest(
        patient=patient.patient,
        sections={
            "dose_logs": [{"id": str(uuid.uuid4()), "drug": drug, "status": status, "taken_at": taken_at.isoformat()}]
        },
        now=taken_at,
    )
    assert not result.rejected, result.rejected


def push_on(person: Person, tz: str = "America/New_York") -> Preference:
    return Preference.objects.create(user=person.user, channels=["push"], push_token="push-token-1", timezone=tz)


def rows(patient: EnrolledPatient, **filters: object) -> list[ReminderOccurrence]:
    return list(ReminderOccurrence.objects.filter(patient=patient.patient, **filters).order_by("due_at", "key"))


def keys(patient: EnrolledPatient, status: str | None = None) -> list[str]:
    found = rows(patient) if status is None else rows(patient, status=status)
    return [r.key for r in found]


def reminders_in_inbox(person: Person) -> list[Notification]:
    return list(Notification.objects.filter(recipient=person.user, kind="reminder").order_by("created_at", "title"))


__all__ = [
    "NEW_YORK",
    "OccurrenceStatus",
    "at",
    "enroll_at",
    "keys",
    "log_dose",
    "push_on",
    "reminders_in_inbox",
    "rows",
]
