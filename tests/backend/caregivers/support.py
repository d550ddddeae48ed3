"""Helpers for caregiver, notification and escalation specifications: caregivers linked through
the real invite flow, and alerts raised through a real sync and grading."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from backend.alerts.models import Alert
from backend.caregivers.services import invite_accept, invite_create
from backend.notifications.models import Preference
from tests.backend.support import grade_all, sync
from tests.factories import PASSWORD, EnrolledPatient, Person, lab_item

INVITES_URL = "/api/v1/caregiver-invites/"
ACCEPT_URL = "/api/v1/caregiver-invites/accept/"
CAREGIVERS_URL = "/api/v1/caregivers/"
NOTIFICATIONS_URL = "/api/v1/notifications/"
PREFERENCES_URL = "/api/v1/notification-preferences/"


def make_caregiver(patient: EnrolledPatient, scopes: Sequence[str], username: str = "carla.care") -> Person:
    """A caregiver who accepted the patient's invite for `scopes`."""
    _, code = invite_create(patient=patient.patient, scopes=list(scopes))
    accepted = invite_accept(code=code, username=username, password=PASSWORD, display_name=username.title())
    return Person(accepted.link.caregiver, accepted.token)


def raise_alert(patient: EnrolledPatient, *, critical: bool = True) -> Alert:
    """Platelets 18 ×10^9/L (grade 4 thrombocytopenia, critical), or ANC 0.7 ×10^9/L (grade 3
    neutropenia, urgent: another kind, so another alert beside a critical one, contract §4), synced
    and graded."""
    item = lab_item(value=18) if critical else lab_item("anc", 0.7)
    response = sync(patient, lab_results=[item])
    assert response.status_code == 200, response.content
    grade_all()
    alert = Alert.objects.select_related("patient__clinic").get(source_id=item["id"])
    assert alert.severity == ("critical" if critical else "urgent")
    return alert


def prefer(person: Person, **fields: Any) -> Preference:
    """Set someone's notification preferences directly."""
    preference, _ = Preference.objects.update_or_create(user=person.user, defaults=fields)
    return preference
