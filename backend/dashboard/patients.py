"""The patients a nurse may see: the patient list, the most pressing first, and one patient by id."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, Q

from backend.accounts.models import User
from backend.alerts.models import Severity
from backend.dashboard.counts import UNRESOLVED
from backend.patients.models import Patient
from backend.patients.selectors import patients_visible_to
from backend.patients.services import regimen_today
from backend.response.models import PatientResponse


@dataclass(frozen=True)
class PatientListRow:
    patient: Patient
    regimen: dict[str, Any]
    open_alerts: int
    critical_alerts: int
    response: PatientResponse | None = None  # the current IMWG response, as last recomputed


def patient_list(*, user: User, now: datetime, name: str = "") -> list[PatientListRow]:
    patients = patients_visible_to(user).annotate(
        open_alerts=Count("alerts", filter=Q(alerts__status__in=UNRESOLVED)),
        critical_alerts=Count("alerts", filter=Q(alerts__status__in=UNRESOLVED, alerts__severity=Severity.CRITICAL)),
    )
    if name.strip():
        patients = patients.filter(display_name__icontains=name.strip())
    found = list(patients.order_by("-critical_alerts", "-open_alerts", "display_name"))
    # One query for the whole list's response column, whatever its length.
    responses = {r.patient_id: r for r in PatientResponse.objects.filter(patient_id__in=[p.pk for p in found])}
    return [
        PatientListRow(p, regimen_today(p, now), p.open_alerts, p.critical_alerts, responses.get(p.pk))  # type: ignore[attr-defined]
        for p in found
    ]


def patient_for(*, user: User, patient_id: object) -> Patient | None:
    """The patient if `user` may see them (her own clinic's), else None: callers answer 404."""
    return patients_visible_to(user).select_related("clinic").filter(pk=patient_id).first()
