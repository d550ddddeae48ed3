"""The audit row of a change the care team (or the patient) made to a patient's record: one shape for
every field-level change (time zone, sex, details, clinical profile, care status)."""

from __future__ import annotations

from typing import Any

from backend.audit.services import audit_record
from backend.patients.models import Patient


def patient_change_audited(*, actor: Any, patient: Patient, detail: str) -> None:
    """`detail` names what changed (field names, or old -> new where that carries no clinical value)."""
    audit_record(
        actor=actor,
        action="update",
        resource="patient",
        patient_ids=[patient.pk],
        object_id=str(patient.pk),
        detail=detail,
    )
