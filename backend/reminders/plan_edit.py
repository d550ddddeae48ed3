"""The care team changes a patient's reminder plan from the dashboard: the API's plan update
(materialise.reminder_plan_update: the same parsing and checks, pending reminders re-timed at once
in the patient's zone), audited with the names of the fields that changed."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.db import transaction

from backend.accounts.models import User
from backend.audit.services import audit_record
from backend.patients.models import Patient
from backend.reminders.materialise import reminder_plan_update
from backend.reminders.plans import plan_values, reminder_plan_ensure


@transaction.atomic
def reminder_plan_change(
    *, patient: Patient, actor: User, changes: Mapping[str, Any], now: datetime | None = None
) -> list[str]:
    """The names of the plan's fields that changed (none: nothing audited)."""
    before = plan_values(reminder_plan_ensure(patient=patient, now=now).to_shared())
    after = plan_values(reminder_plan_update(patient=patient, actor=actor, changes=changes, now=now).to_shared())
    changed = sorted(name for name, value in after.items() if before[name] != value)
    if changed:
        audit_record(
            actor=actor,
            action="update",
            resource="reminder_plan",
            patient_ids=[patient.pk],
            object_id=str(patient.pk),
            detail=", ".join(changed),
        )
    return changed
