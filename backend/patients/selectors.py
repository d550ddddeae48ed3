from __future__ import annotations

from django.db.models import QuerySet

from backend.accounts.models import Role, User
from backend.patients.models import Patient


def patients_visible_to(user: User) -> QuerySet[Patient]:
    """A nurse or clinic admin sees her clinic's patients; nobody else sees a list."""
    if user.role in (Role.NURSE, Role.ADMIN) and user.clinic_id is not None:
        return Patient.objects.filter(clinic_id=user.clinic_id)
    return Patient.objects.none()
