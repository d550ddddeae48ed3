"""Announcing new alerts: each nurse of the clinic, the patient and each caregiver whose consent
covers it gets one inbox item and their outside deliveries, and a burst of thousands is announced
in batches of a constant number of statements, however many alerts and people."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext

from backend.alerts import announce
from backend.alerts.announce import alerts_announce
from backend.alerts.models import Alert, Severity
from backend.notifications.models import Delivery, Notification
from tests.backend.caregivers.support import make_caregiver, prefer
from tests.factories import EnrolledPatient, Person, graded_alert

NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)


def _alerts(patient: EnrolledPatient, count: int, *, critical: bool = True) -> list[Alert]:
    """Graded alerts as grading leaves them, not yet announced: each of its own kind, since one
    patient has one open alert per kind (alerts are episodes)."""
    return Alert.objects.bulk_create(
        graded_alert(
            patient.patient,
            NOW,
            kind=f"burst-{uuid.uuid4().hex[:8]}",
            grade=4 if critical else 3,
            severity=Severity.CRITICAL if critical else Severity.URGENT,
            title="Platelets very low",
            message="Platelets 18",
            patient_advice="Call the clinic now.",
            observed_at=NOW,
        )
        for _ in range(count)
    )


def _everyone_reachable(patient: EnrolledPatient, nurse: Person, clinic_admin: Person) -> Person:
    carer = make_caregiver(patient, ["critical_alerts"], "carla.care")
    for person, address in ((nurse, "nina@clinic.example"), (clinic_admin, "ada@clinic.example")):
        prefer(person, channels=["email"], email=address)
    prefer(patient, channels=["push"], push_token="tok-123")
    prefer(carer, channels=["sms"], phone="+15550100123")
    return carer


def test_each_alert_tells_the_nurses_the_patient_and_the_caregivers_once(
    patient: EnrolledPatient, nurse: Person, clinic_admin: Person
) -> None:
    carer = _everyone_reachable(patient, nurse, clinic_admin)
    alerts = _alerts(patient, 3)

    assert alerts_announce(alert_ids=[a.pk for a in alerts]) == 3
    assert alerts_announce(alert_ids=[a.pk for a in alerts]) == 0  # already announced

    for person in (nurse, clinic_admin, patient, carer):
        assert Notification.objects.filter(recipient=person.user).count() == 3
        assert Delivery.objects.filter(notification__recipient=person.user, critical=True).count() == 3
    assert not Alert.objects.filter(announced_at__isnull=True).exists()


def test_a_burst_is_announced_in_the_same_few_statements_as_one_alert(
    patient: EnrolledPatient, nurse: Person, clinic_admin: Person
) -> None:
    """Twelve alerts to four people each (SQLite splits an INSERT of deliveries every 58 rows, so
    the burst stays under that; PostgreSQL takes any number in one)."""
    _everyone_reachable(patient, nurse, clinic_admin)
    one, burst = _alerts(patient, 1), _alerts(patient, 12)

    counts = []
    for alerts in (one, burst):
        with CaptureQueriesContext(connection) as queries:
            alerts_announce(alert_ids=[a.pk for a in alerts])
        counts.append(len(queries))

    assert counts[0] == counts[1]
    assert Delivery.objects.count() == 13 * 4


def test_a_burst_larger_than_a_batch_is_announced_whole(
    patient: EnrolledPatient, nurse: Person, clinic_admin: Person, monkeypatch: Any
) -> None:
    monkeypatch.setattr(announce, "ANNOUNCE_BATCH", 4)
    _everyone_reachable(patient, nurse, clinic_admin)
    alerts = _alerts(patient, 10)

    assert alerts_announce(alert_ids=[a.pk for a in alerts]) == 10

    assert Notification.objects.filter(recipient=nurse.user).count() == 10
    assert not Alert.objects.filter(announced_at__isnull=True).exists()
