"""Named people and records for tests: a clinic with a nurse, enrolled patients, another clinic."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from rest_framework.test import APIClient

from backend.accounts.models import Clinic, Role, User
from backend.accounts.services import staff_create, token_issue
from backend.alerts.models import Alert, Severity, SourceType
from backend.patients.models import Patient
from backend.patients.services import RegimenInput, patient_create, patient_enroll

PASSWORD = "correct-horse-battery"


@dataclass
class Person:
    user: User
    token: str

    def client(self) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {self.token}")
        return client


@dataclass
class EnrolledPatient(Person):
    patient: Patient


def make_nurse(username: str = "nurse.nina", clinic: str = "Riverside Oncology", role: str = Role.NURSE) -> Person:
    user, _ = staff_create(username=username, password=PASSWORD, role=role, clinic_name=clinic)
    return Person(user, token_issue(user=user, device_name="test"))


def make_patient(
    nurse: Person,
    *,
    name: str = "Pat Doe",
    tz: str = "America/New_York",
    start: date = date(2026, 11, 1),
) -> EnrolledPatient:
    patient, code = patient_create(
        nurse=nurse.user,
        display_name=name,
        timezone_name=tz,
        regimen_input=RegimenInput(start, Decimal(4), Decimal(25), Decimal(40)),
    )
    token, patient = patient_enroll(code=code, device_name="test phone")
    assert patient.user is not None
    return EnrolledPatient(patient.user, token, patient)


def lab_item(analyte: str = "platelets", value: Any = 42, unit: str = "10^9/L", **extra: Any) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "analyte": analyte,
        "value": value,
        "unit": unit,
        "collected_at": "2026-11-20T08:30:00-05:00",
        **extra,
    }


def symptom_item(symptom: str = "diarrhea", answers: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "symptom": symptom,
        "answers": answers if answers is not None else {"stools_above_usual": 5},
        "reported_at": "2026-11-20T20:00:00-05:00",
        **extra,
    }


def dose_item(drug: str = "ixazomib", status: str = "taken", **extra: Any) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "drug": drug,
        "status": status,
        "taken_at": "2026-11-20T07:00:00-05:00",
        **extra,
    }


__all__ = ["Clinic", "EnrolledPatient", "Person", "dose_item", "lab_item", "make_nurse", "make_patient", "symptom_item"]


def graded_alert(patient: Patient, at: datetime, **fields: Any) -> Alert:
    """An unsaved grade 3 platelet alert as grading leaves it, raised at `at` from a count drawn two
    hours before; `fields` override any of it (a unique `kind` gives the alert its own episode)."""
    values: dict[str, Any] = {
        "patient": patient,
        "kind": "thrombocytopenia",
        "grade": 3,
        "severity": Severity.URGENT,
        "title": "Platelets 28 ×10^9/L (grade 3)",
        "message": "Platelets 28 ×10^9/L: grade 3 thrombocytopenia.",
        "patient_advice": "Call your care team today.",
        "rule_source": "CTCAE v5.0",
        "source_type": SourceType.LAB_RESULT,
        "source_id": uuid.uuid4(),
        "observed_at": at - timedelta(hours=2),
        "created_at": at,
        "updated_at": at,
    }
    values.update(fields)
    return Alert(**values)
