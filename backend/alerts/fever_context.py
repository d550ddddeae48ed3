"""Where in the cycle a fever was reported: on days 14-21 (the nadir window, NINLARO USPI §5.1) a
fever with no recent ANC is worded as possible febrile neutropenia (shared.alert_policy, issue 13 §3)."""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

from backend.patients.calendar import calendars_for
from backend.patients.models import Patient
from backend.records.baselines import local_day
from backend.records.models import SymptomReport
from shared import regimen


def fever_nadir_days(reports: Iterable[SymptomReport]) -> dict[UUID, int]:
    """Report id -> cycle day, for the fever reports made in the nadir window (on the patient's
    local calendar, the care team's cycle delays included); two queries for their patients, none
    without a fever."""
    fevers = [r for r in reports if r.symptom == "fever"]
    if not fevers:
        return {}
    patients = {p.pk: p for p in Patient.objects.filter(pk__in={r.patient_id for r in fevers})}
    calendars = calendars_for(patients.values())
    found: dict[UUID, int] = {}
    for report in fevers:
        patient = patients[report.patient_id]
        on = local_day(patient, report.reported_at)
        cd = regimen.cycle_day(calendars[patient.pk], on)
        if cd is not None and regimen.is_in_nadir_window(calendars[patient.pk], on):
            found[report.pk] = cd.day
    return found
