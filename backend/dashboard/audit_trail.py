"""The audit trail page's reads: who did what with the clinic's patients, newest first."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from uuid import UUID

from django.db.models import Q, QuerySet

from backend.audit.models import AuditEvent
from backend.patients.models import Patient


@dataclass(frozen=True)
class AuditFilters:
    """What the audit page is narrowed to; empty means everyone, every action, any day."""

    person: str = ""  # a username, as the Who column shows it
    patient_id: UUID | None = None
    action: str = ""
    since: date | None = None  # whole days, UTC (the page shows UTC times)
    until: date | None = None


def audit_events_for_clinic(*, clinic_id: int, filters: AuditFilters | None = None) -> QuerySet[AuditEvent]:
    """What the clinic's people did, and what anyone did with the clinic's patients, newest first."""
    f = filters or AuditFilters()
    clinic_patients = Patient.objects.filter(clinic_id=clinic_id).values("id")
    events = AuditEvent.objects.filter(Q(actor__clinic_id=clinic_id) | Q(patient_id__in=clinic_patients))
    if f.patient_id is not None:
        events = events.filter(patient_id=f.patient_id)
    if f.person:
        events = events.filter(actor__username__iexact=f.person)
    if f.action:
        events = events.filter(action=f.action)
    if f.since is not None:
        events = events.filter(at__gte=datetime.combine(f.since, time.min, tzinfo=UTC))
    if f.until is not None:
        events = events.filter(at__lt=datetime.combine(f.until + timedelta(days=1), time.min, tzinfo=UTC))
    return events.select_related("actor").order_by("-at", "-id")


def clinic_patient_choices(*, clinic_id: int) -> list[tuple[str, str]]:
    """The clinic's patients by name, for the patient filter."""
    rows = Patient.objects.filter(clinic_id=clinic_id).order_by("display_name").values_list("id", "display_name")
    return [(str(pk), name) for pk, name in rows]


def patient_names(*, clinic_id: int, ids: Iterable[UUID | None]) -> dict[UUID, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return dict(Patient.objects.filter(clinic_id=clinic_id, pk__in=wanted).values_list("id", "display_name"))
