"""Notifications' answers to the events of the layers below (backend/patients/events.py,
backend/caregivers/events.py)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from backend.notifications.models import Preference
from backend.notifications.services import deliveries_cancel_about
from backend.patients.models import Patient


def on_timezone_changed(*, patient: Patient, old_zone: str, new_zone: str, **_: Any) -> None:
    """Quiet hours that followed the patient's zone (it is their default) move with it; a zone the
    patient chose for them on purpose stays."""
    Preference.objects.filter(user_id=patient.user_id, timezone=old_zone).update(timezone=new_zone)


def on_link_revoked(*, caregiver_id: int, patient_id: UUID, **_: Any) -> None:
    """Whatever still waits to tell the caregiver about this patient is cancelled with the link."""
    deliveries_cancel_about(recipient_id=caregiver_id, patient_id=patient_id)
