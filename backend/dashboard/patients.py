"""The patients a nurse may see: the patient list, the most pressing first, and one patient by id."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, OuterRef, Q, Subquery

from backend.accounts.models import User
from backend.alerts.models import Severity
from backend.dashboard.counts import UNRESOLVED
from backend.patients.models import Patient
from backend.patients.selectors import patients_visible_to
from backend.patients.services import regimen_today
from backend.response.models import ClinicResponseSettings, PatientResponse
from backend.response.selectors import next_response_test
from shared.response_tests import DEFAULT_EVERY_CYCLES, NextTest


@dataclass(frozen=True)
class PatientListRow:
    patient: Patient
    regimen: dict[str, Any]
    open_alerts: int
    critical_alerts: int
    response: PatientResponse | None = None  # the current IMWG response, as last recomputed
    next_test: NextTest | None = None  # the next SPEP/UPEP/FLC draw, for patients with markers


def patient_list(*, user: User, now: datetime, name: str = "") -> list[PatientListRow]:
    patients = patients_visible_to(user).annotate(
        open_alerts=Count("alerts", filter=Q(alerts__status__in=UNRESOLVED)),
        critical_alerts=Count("alerts", filter=Q(alerts__status__in=UNRESOLVED, alerts__severity=Severity.CRITICAL)),
    )
    if name.strip():
        patients = patients.filter(display_name__icontains=name.strip())
    found = list(patients.order_by("-critical_alerts", "-open_alerts", "display_name"))
    # One query for the whole list's response columns, whatever its length (with the clinic's
    # test interval riding on each row).
    every = ClinicResponseSettings.objects.filter(clinic_id=OuterRef("patient__clinic_id")).values("test_every_cycles")
    responses = {
        r.patient_id: r
        for r in PatientResponse.objects.filter(patient_id__in=[p.pk for p in found]).annotate(
            every_cycles=Subquery(every[:1])
        )
    }
    rows = []
    for p in found:
        response = responses.get(p.pk)
        due = None
        if response is not None and response.last_test_on is not None:
            every_cycles = response.every_cycles or DEFAULT_EVERY_CYCLES  # type: ignore[attr-defined]
            due = next_response_test(p, response.last_test_on, response.responded, every_cycles, now)
        rows.append(
            PatientListRow(p, regimen_today(p, now), p.open_alerts, p.critical_alerts, response, due)  # type: ignore[attr-defined]
        )
    return rows


def patient_for(*, user: User, patient_id: object) -> Patient | None:
    """The patient if `user` may see them (her own clinic's), else None: callers answer 404."""
    return patients_visible_to(user).select_related("clinic").filter(pk=patient_id).first()
