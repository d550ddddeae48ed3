"""Reminders' answers to the events of the layers below (backend/patients/events.py,
backend/response/events.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction

from backend.patients.models import Patient
from backend.reminders.materialise import reminders_replan
from backend.reminders.models import ReminderPlan
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


def on_care_status_changed(*, patient: Patient, now: datetime, **_: Any) -> None:
    """Paused or discharged: the pending reminders are cancelled at once; active again: they are
    planned from now, as after any re-plan (one due within the grace period is still sent, late)."""
    if patient.user_id is not None:
        reminders_replan(patient=patient, now=now)


def on_response_test_inputs_changed(*, patient: Patient, now: datetime, **_: Any) -> None:
    """A new test on record, or a newly confirmed response, moves the next response test: its
    reminder is re-planned once the recompute has committed. Not inside it: the recompute holds the
    patient's row, and a re-plan locks the plan's, which a plan change locks in the other order.
    Should this be lost (the process dies right after the commit), the daily re-plan of every plan
    (materialise.reminders_materialise) catches up, well before a reminder two days ahead."""
    if patient.user_id is None:
        return
    patient_id = patient.pk

    def replan() -> None:
        reminders_replan(patient=Patient.objects.get(pk=patient_id), now=now)

    transaction.on_commit(replan, robust=True)


def on_test_interval_changed(*, clinic_id: int, **_: Any) -> None:
    """A clinic's new test interval moves its responders' next tests: every plan of the clinic is
    marked stale in one statement, and the reminders tick re-plans them (MATERIALISE_BATCH a run)."""
    ReminderPlan.objects.filter(patient__clinic_id=clinic_id).update(materialised_until=None)
