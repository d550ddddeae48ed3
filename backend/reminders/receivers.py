"""Reminders' answers to the events of the layers below (backend/patients/events.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from backend.patients.models import Patient
from backend.reminders.materialise import reminders_replan
from backend.reminders.plans import reminder_plan_ensure


def on_patient_created(*, patient: Patient, **_: Any) -> None:
    reminder_plan_ensure(patient=patient)  # from the clinic's antiviral default; editable later


def on_timezone_changed(*, patient: Patient, now: datetime, **_: Any) -> None:
    """Pending reminders keep their local wall-clock time in the new zone (reminders_replan)."""
    if patient.user_id is not None:  # no phone, no reminders (the tick does not make any either)
        reminders_replan(patient=patient, now=now)


def on_regimen_changed(*, patient: Patient, now: datetime, **_: Any) -> None:
    """A stopped drug's pending reminders are cancelled at once (reminders_replan)."""
    if patient.user_id is not None:
        reminders_replan(patient=patient, now=now)
