"""The optional values the organ-function and REMS rules use (PUT/GET
/api/v1/patients/{id}/clinical-profile/): birth year, weight, dialysis, can become pregnant. Audited
by field name only; impossible values are 400 and change nothing; own clinic only."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from backend.audit.models import AuditEvent
from backend.patients.models import Patient
from tests.backend.support import error_fields
from tests.factories import EnrolledPatient, Person


def url(patient: EnrolledPatient) -> str:
    return f"/api/v1/patients/{patient.patient.pk}/clinical-profile/"


FULL = {"birth_year": 1955, "weight_kg": "72.5", "on_dialysis": False, "can_become_pregnant": None}


def test_a_nurse_records_the_profile_and_the_audit_names_only_the_fields(
    nurse: Person, patient: EnrolledPatient
) -> None:
    response = nurse.client().put(url(patient), FULL, format="json")
    assert response.status_code == 200, response.content
    assert response.json() == FULL
    stored = Patient.objects.get(pk=patient.patient.pk)
    assert (stored.birth_year, str(stored.weight_kg)) == (1955, "72.5")
    [event] = AuditEvent.objects.filter(action="update", detail__startswith="clinical profile")
    assert event.detail == "clinical profile: birth_year, weight_kg"


@pytest.mark.parametrize(
    "change",
    [
        {"birth_year": timezone.localdate().year - 17},  # not an adult
        {"birth_year": timezone.localdate().year - 121},
        {"weight_kg": "24.9"},
        {"weight_kg": "300.1"},
        {"on_dialysis": None},
        {"can_become_pregnant": "maybe"},
        {"birth_year": "x"},
    ],
)
def test_impossible_values_are_400_and_change_nothing(
    nurse: Person, patient: EnrolledPatient, change: dict[str, Any]
) -> None:
    response = nurse.client().put(url(patient), FULL | change, format="json")
    assert response.status_code == 400 and error_fields(response)
    assert Patient.objects.get(pk=patient.patient.pk).birth_year is None


def test_another_clinic_and_the_patient_cannot_read_or_write_it(
    other_clinic_nurse: Person, patient: EnrolledPatient
) -> None:
    assert other_clinic_nurse.client().put(url(patient), FULL, format="json").status_code == 404
    assert other_clinic_nurse.client().get(url(patient)).status_code == 404
    assert patient.client().get(url(patient)).status_code == 403


@pytest.mark.parametrize(("sent", "stored"), [(True, True), (False, False), (None, None)])
def test_whether_the_patient_can_become_pregnant_is_recorded_at_enrollment(
    nurse: Person, sent: bool | None, stored: bool | None
) -> None:
    body = {
        "display_name": "Ana",
        "timezone": "America/Chicago",
        "can_become_pregnant": sent,
        "regimen": {"start_date": "2026-11-02", "ixazomib_mg": 4, "lenalidomide_mg": 25, "dexamethasone_mg": 40},
    }
    response = nurse.client().post("/api/v1/patients/", body, format="json")
    assert response.status_code == 201, response.content
    assert Patient.objects.get(pk=response.json()["id"]).can_become_pregnant is stored
