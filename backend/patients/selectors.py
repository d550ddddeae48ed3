from __future__ import annotations

from django.db.models import QuerySet

from backend.accounts.models import DeviceToken, Role, User
from backend.patients.models import Patient


def patients_visible_to(user: User) -> QuerySet[Patient]:
    """A nurse or clinic admin sees her clinic's patients; nobody else sees a list."""
    if user.role in (Role.NURSE, Role.ADMIN) and user.clinic_id is not None:
        return Patient.objects.filter(clinic_id=user.clinic_id)
    return Patient.objects.none()


def patient_devices(patient: Patient) -> list[DeviceToken]:
    """The phones signed in as the patient (unrevoked tokens), most recently used first."""
    if patient.user_id is None:
        return []
    return list(
        DeviceToken.objects.filter(user_id=patient.user_id, revoked_at__isnull=True).order_by(
            "-last_used_at", "-created_at"
        )
    )
