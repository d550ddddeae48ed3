"""The audit trail page's reads: who did what with the clinic's patients, newest first."""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

from django.db.models import Q, QuerySet

from backend.audit.models import AuditEvent
from backend.patients.models import Patient


def audit_events_for_clinic(*, clinic_id: int, patient_id: UUID | None = None) -> QuerySet[AuditEvent]:
    """What the clinic's people did, and what anyone did with the clinic's patients, newest first."""
    clinic_patients = Patient.objects.filter(clinic_id=clinic_id).values("id")
    events = AuditEvent.objects.filter(Q(actor__clinic_id=clinic_id) | Q(patient_id__in=clinic_patients))
    if patient_id is not None:
        events = events.filter(patient_id=patient_id)
    return events.select_related("actor").order_by("-at", "-id")


def patient_names(*, clinic_id: int, ids: Iterable[UUID | None]) -> dict[UUID, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return dict(Patient.objects.filter(clinic_id=clinic_id, pk__in=wanted).values_list("id", "display_name"))
