"""The sex whose default reference limits grade a patient's lab values (shared.analytes): optional
at enrollment, changed by a nurse of the clinic with PATCH /api/v1/patients/{id}/, audited; never by
the patient's own phone."""

from __future__ import annotations

import pytest

from backend.audit.models import AuditEvent
from backend.patients.models import Patient
from backend.patients.serializers import NOT_CHANGEABLE_HERE
from tests.backend.support import error_fields
from tests.factories import EnrolledPatient, Person


def detail_url(patient: EnrolledPatient) -> str:
    return f"/api/v1/patients/{patient.patient.pk}/"


def sex_of(patient: EnrolledPatient) -> str:
    return Patient.objects.get(pk=patient.patient.pk).sex


@pytest.mark.parametrize("sex", ["male", "female"])
def test_a_nurse_records_the_sex_and_it_is_audited(nurse: Person, patient: EnrolledPatient, sex: str) -> None:
    response = nurse.client().patch(detail_url(patient), {"sex": sex}, format="json")

    assert response.status_code == 200 and response.json()["sex"] == sex
    assert sex_of(patient) == sex
    assert AuditEvent.objects.filter(actor=nurse.user, detail=f"sex: not recorded -> {sex}").count() == 1


def test_a_nurse_clears_it_with_an_empty_string(nurse: Person, patient: EnrolledPatient) -> None:
    Patient.objects.filter(pk=patient.patient.pk).update(sex="male")
    assert nurse.client().patch(detail_url(patient), {"sex": ""}, format="json").status_code == 200
    assert sex_of(patient) == ""


def test_the_zone_and_the_sex_change_together(nurse: Person, patient: EnrolledPatient) -> None:
    body = {"timezone": "America/Chicago", "sex": "female"}
    response = nurse.client().patch(detail_url(patient), body, format="json")
    assert response.status_code == 200
    assert (response.json()["timezone"], response.json()["sex"]) == ("America/Chicago", "female")


@pytest.mark.parametrize("body", [{"sex": "robot"}, {"sex": None}, {}])
def test_anything_else_is_400_and_changes_nothing(
    nurse: Person, patient: EnrolledPatient, body: dict[str, object]
) -> None:
    response = nurse.client().patch(detail_url(patient), body, format="json")
    assert response.status_code == 400 and error_fields(response)
    assert sex_of(patient) == ""


def test_the_patients_phone_cannot_set_it(patient: EnrolledPatient) -> None:
    response = patient.client().patch("/api/v1/me/", {"sex": "male"}, format="json")
    assert response.status_code == 400
    assert error_fields(response) == {"sex": [NOT_CHANGEABLE_HERE]}
    assert sex_of(patient) == ""


def test_another_clinics_nurse_gets_404(other_clinic_nurse: Person, patient: EnrolledPatient) -> None:
    assert other_clinic_nurse.client().patch(detail_url(patient), {"sex": "male"}, format="json").status_code == 404
    assert sex_of(patient) == ""
