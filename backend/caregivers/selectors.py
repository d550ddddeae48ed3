"""Who cares for whom, read fresh on every call (no caching: a revoked link stops working at once)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from uuid import UUID

from django.db.models import QuerySet
from django.utils import timezone

from backend.accounts.models import Role, User
from backend.caregivers.models import CaregiverInvite, CaregiverLink, Scope
from backend.patients.models import Patient


def _active_links() -> QuerySet[CaregiverLink]:
    return CaregiverLink.objects.filter(revoked_at__isnull=True, caregiver__is_active=True)


def caregiver_scopes(*, caregiver: User) -> dict[UUID, frozenset[str]]:
    """{patient id: scopes} over the caregiver's active links."""
    if caregiver.role != Role.CAREGIVER:
        return {}
    return {
        patient_id: frozenset(scopes)
        for patient_id, scopes in _active_links().filter(caregiver=caregiver).values_list("patient_id", "scopes")
    }


def linked_patient_ids(*, caregiver: User) -> list[UUID]:
    return list(caregiver_scopes(caregiver=caregiver))


def scope_covers_alert(scopes: Iterable[str], *, critical: bool) -> bool:
    """`all_alerts` covers every alert; `critical_alerts` only critical ones."""
    held = set(scopes)
    return Scope.ALL_ALERTS in held or (critical and Scope.CRITICAL_ALERTS in held)


def caregivers_with_scope(patient: Patient | UUID, scope: str) -> list[User]:
    """The active caregivers of a patient who hold `scope` (e.g. "missed_doses"): the one function
    other parts of CareLoop call before telling caregivers anything."""
    patient_id = patient.pk if isinstance(patient, Patient) else patient
    links = _active_links().filter(patient_id=patient_id).select_related("caregiver").order_by("created_at")
    return [link.caregiver for link in links if scope in link.scopes]


def active_links_by_patient(*, patient_ids: Iterable[UUID]) -> dict[UUID, list[CaregiverLink]]:
    """Active links of many patients in one query, caregivers included."""
    found: dict[UUID, list[CaregiverLink]] = defaultdict(list)
    for link in _active_links().filter(patient_id__in=list(patient_ids)).select_related("caregiver"):
        found[link.patient_id].append(link)
    return found


def links_of_patient(*, patient: Patient) -> QuerySet[CaregiverLink]:
    """Everyone the patient ever linked, revoked ones included, newest first."""
    return CaregiverLink.objects.filter(patient=patient).select_related("caregiver").order_by("-created_at", "-id")


def invites_pending(*, patient: Patient, now: datetime | None = None) -> QuerySet[CaregiverInvite]:
    now = now or timezone.now()
    return CaregiverInvite.objects.filter(patient=patient, used_at__isnull=True, expires_at__gt=now).order_by(
        "-created_at", "-id"
    )
