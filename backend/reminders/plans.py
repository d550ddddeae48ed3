"""A patient's reminder plan: which reminders at which local times (shared.reminders.ReminderPlan),
stored one row per patient and made from the clinic's default when missing."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.utils import timezone

from backend.core.errors import ApplicationError
from backend.patients.models import Patient
from backend.reminders.models import ReminderPlan
from backend.reminders.selectors import clinic_default_plan
from shared import reminders as shared_reminders

PLAN_FIELDS = (
    "antiviral_times",
    "ixazomib_time",
    "lenalidomide_time",
    "dexamethasone_time",
    "lab_draw_time",
    "nadir_draw_cycles",
    "antiviral_drug",
)
#: Clinical choices a patient's phone may not change: which antiviral, and the nadir blood draws.
CARE_TEAM_ONLY = frozenset({"antiviral_drug", "nadir_draw_cycles"})
CARE_TEAM_ONLY_MESSAGE = "Only your care team can change this."


def plan_values(plan: shared_reminders.ReminderPlan) -> dict[str, Any]:
    return {
        "antiviral_times": [shared_reminders.format_wall_time(t) for t in plan.antiviral_times],
        "ixazomib_time": plan.ixazomib_time,
        "lenalidomide_time": plan.lenalidomide_time,
        "dexamethasone_time": plan.dexamethasone_time,
        "lab_draw_time": plan.lab_draw_time,
        "nadir_draw_cycles": plan.nadir_draw_cycles,
        "antiviral_drug": plan.antiviral_drug,
    }


def reminder_plan_ensure(*, patient: Patient, now: datetime | None = None) -> ReminderPlan:
    """The patient's plan, made from the clinic's default (Clinic.antiviral_drug/_times) if missing.
    Safe to call concurrently: the plan's primary key is the patient."""
    found = ReminderPlan.objects.filter(pk=patient.pk).first()
    if found is not None:
        return found
    values = plan_values(clinic_default_plan(patient.clinic))
    ReminderPlan.objects.bulk_create(
        [ReminderPlan(patient=patient, updated_at=now or timezone.now(), **values)], ignore_conflicts=True
    )
    return ReminderPlan.objects.get(pk=patient.pk)


def plan_changes_parse(changes: Mapping[str, Any]) -> dict[str, Any]:
    """Field values as the shared plan wants them; ApplicationError names every bad field."""
    parsed: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for name, value in changes.items():
        try:
            if name == "antiviral_times":
                if not isinstance(value, list | tuple):
                    raise shared_reminders.ReminderPlanError(name, "Must be a list of times such as 08:00.")
                parsed[name] = tuple(shared_reminders.parse_wall_time(v, name) for v in value)
            elif name.endswith("_time"):
                parsed[name] = shared_reminders.parse_wall_time(value, name)
            else:
                parsed[name] = value
        except shared_reminders.ReminderPlanError as error:
            errors.setdefault(error.field, []).append(error.message)
    if errors:
        raise ApplicationError(errors)
    return parsed
