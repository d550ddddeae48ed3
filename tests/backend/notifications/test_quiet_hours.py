"""Quiet hours hold non-critical messages until they end, in the person's own zone, across DST;
critical messages never wait."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from backend.alerts.escalation import escalations_run
from backend.notifications.models import Delivery
from backend.notifications.services import notify
from tests.backend.caregivers.support import prefer, raise_alert
from tests.factories import EnrolledPatient, Person


def _not_before(person: Person, now: datetime, *, critical: bool = False) -> datetime:
    notify(recipient=person.user, kind="alert", title="t", body="b", dedupe_key=str(now), critical=critical, now=now)
    return Delivery.objects.filter(notification__recipient=person.user).latest("created_at").not_before


@pytest.mark.parametrize(
    ("zone", "start", "end", "now", "expected"),
    [
        # America/New_York, night of the fall-back (1 Nov 2026, 02:00 EDT → 01:00 EST).
        ("America/New_York", "22:00", "07:00", "2026-11-01T05:30:00Z", "2026-11-01T12:00:00Z"),  # 01:30 EDT
        ("America/New_York", "22:00", "07:00", "2026-11-01T06:30:00Z", "2026-11-01T12:00:00Z"),  # 01:30 EST
        ("America/New_York", "22:00", "07:00", "2026-11-01T02:00:00Z", "2026-11-01T12:00:00Z"),  # 22:00 EDT: quiet
        ("America/New_York", "22:00", "07:00", "2026-11-01T11:59:59Z", "2026-11-01T12:00:00Z"),  # 06:59:59 EST
        # Europe/Paris, night of the spring-forward (29 Mar 2026, 02:00 CET → 03:00 CEST).
        ("Europe/Paris", "22:00", "07:00", "2026-03-28T23:30:00Z", "2026-03-29T05:00:00Z"),  # 00:30 CET → 07:00 CEST
        ("Europe/Paris", "01:00", "02:30", "2026-03-29T00:15:00Z", "2026-03-29T01:30:00Z"),  # 02:30 does not exist
    ],
)
def test_a_non_critical_message_waits_until_quiet_hours_end(
    nurse: Person, zone: str, start: str, end: str, now: str, expected: str
) -> None:
    prefer(nurse, channels=["email"], email="nina@clinic.example", quiet_start=start, quiet_end=end, timezone=zone)

    assert _not_before(nurse, datetime.fromisoformat(now)) == datetime.fromisoformat(expected)


@pytest.mark.parametrize(
    ("zone", "now"),
    [
        ("America/New_York", "2026-11-01T12:00:00Z"),  # 07:00 EST: quiet hours just ended
        ("America/New_York", "2026-11-01T01:59:59Z"),  # 21:59:59 EDT: not yet quiet
        ("Europe/Paris", "2026-03-29T05:00:00Z"),  # 07:00 CEST
    ],
)
def test_outside_quiet_hours_a_message_goes_at_once(nurse: Person, zone: str, now: str) -> None:
    prefer(nurse, channels=["email"], email="n@x.example", quiet_start="22:00", quiet_end="07:00", timezone=zone)
    at = datetime.fromisoformat(now)

    assert _not_before(nurse, at) == at


@pytest.mark.parametrize(
    ("zone", "now"), [("America/New_York", "2026-11-01T05:30:00Z"), ("Europe/Paris", "2026-03-29T00:30:00Z")]
)
def test_a_critical_message_never_waits(nurse: Person, zone: str, now: str) -> None:
    prefer(nurse, channels=["sms"], phone="+15550100123", quiet_start="22:00", quiet_end="07:00", timezone=zone)
    at = datetime.fromisoformat(now)

    assert _not_before(nurse, at, critical=True) == at


def test_a_critical_escalation_reaches_a_nurse_in_her_quiet_hours_at_once(
    patient: EnrolledPatient, nurse: Person
) -> None:
    prefer(nurse, channels=["sms"], phone="+15550100123", quiet_start="00:00", quiet_end="23:59", timezone="UTC")
    alert = raise_alert(patient)
    at = alert.created_at + timedelta(minutes=15)

    escalations_run(now=at)

    delivery = Delivery.objects.get(notification__recipient=nurse.user, notification__kind="escalation")
    assert delivery.not_before == at


def test_a_zone_that_is_always_utc_needs_no_zone(nurse: Person) -> None:
    prefer(nurse, channels=["email"], email="n@x.example", quiet_start="22:00", quiet_end="07:00")
    now = datetime(2026, 6, 1, 23, 0, tzinfo=UTC)

    assert _not_before(nurse, now) == datetime(2026, 6, 2, 7, 0, tzinfo=UTC)


def test_a_message_the_person_scheduled_goes_at_its_time_even_in_quiet_hours(nurse: Person) -> None:
    # A 22:00 dose reminder held until 07:00 would remind the patient at the wrong time.
    prefer(
        nurse,
        channels=["email"],
        email="nina@clinic.example",
        quiet_start="21:00",
        quiet_end="07:00",
        timezone="America/New_York",
    )
    now = datetime.fromisoformat("2026-11-20T03:00:00Z")  # 22:00 EST

    notify(recipient=nurse.user, kind="reminder", title="t", body="b", dedupe_key="r", now=now, at_its_time=True)
    notify(recipient=nurse.user, kind="system", title="t", body="b", dedupe_key="s", now=now)

    deliveries = {d.notification.kind: d.not_before for d in Delivery.objects.select_related("notification")}
    assert deliveries == {"reminder": now, "system": datetime.fromisoformat("2026-11-20T12:00:00Z")}
