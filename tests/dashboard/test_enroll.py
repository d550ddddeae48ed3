"""Enrolling a patient from the dashboard: the code and its QR code, once; new codes later."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from rest_framework.test import APIClient

from backend.audit.models import AuditEvent
from backend.patients.models import Patient
from tests.dashboard.support import text
from tests.factories import EnrolledPatient, Person

pytestmark = pytest.mark.django_db

FORM = {
    "display_name": "Ada Dashboard",
    "timezone": "America/Chicago",
    "phone": "+1 555 0199",
    "start_date": "2026-11-02",
    "ixazomib_mg": "3",
    "lenalidomide_mg": "15",
    "dexamethasone_mg": "20",
}


def code_on(response: object) -> str:
    found = re.search(r'<p class="code"[^>]*>([A-Z0-9]{4}-[A-Z0-9]{4})</p>', response.content.decode())  # type: ignore[attr-defined]
    assert found, "no enrollment code on the page"
    return found.group(1)


def test_a_nurse_enrolls_a_patient_and_gets_a_working_code_with_its_qr_code(
    nurse_browser: Client, nurse: Person
) -> None:
    response = nurse_browser.post("/patients/new/", FORM)
    assert response.status_code == 201
    assert response["Cache-Control"].startswith("max-age=0") and "no-store" in response["Cache-Control"]
    patient = Patient.objects.get(display_name="Ada Dashboard")
    assert (patient.clinic_id, patient.timezone, patient.phone) == (
        nurse.user.clinic_id,
        "America/Chicago",
        "+1 555 0199",
    )
    assert (str(patient.ixazomib_mg), str(patient.lenalidomide_mg), str(patient.dexamethasone_mg)) == (
        "3.0",
        "15.0",
        "20.0",
    )
    code = code_on(response)
    assert f'aria-label="QR code of the enrollment code {code}"' in response.content.decode()
    assert AuditEvent.objects.filter(action="create", resource="patient", patient_id=patient.pk).exists()
    enrolled = APIClient().post("/api/v1/auth/enroll/", {"code": code, "device_name": "phone"}, format="json")
    assert enrolled.status_code == 201 and enrolled.json()["patient"]["id"] == str(patient.pk)


def test_the_form_explains_what_is_wrong(nurse_browser: Client) -> None:
    response = nurse_browser.post("/patients/new/", FORM | {"timezone": "Mars/Olympus", "ixazomib_mg": "5"})
    assert response.status_code == 200
    body = text(response)
    assert "Must be an IANA time zone name" in body
    assert "Select a valid choice" in body
    assert not Patient.objects.filter(display_name="Ada Dashboard").exists()


def test_a_new_code_replaces_the_old_one(nurse_browser: Client, patient: EnrolledPatient) -> None:
    first = code_on(nurse_browser.post(f"/patients/{patient.patient.pk}/enrollment-code/"))
    second = code_on(nurse_browser.post(f"/patients/{patient.patient.pk}/enrollment-code/"))
    assert first != second
    api = APIClient()
    assert api.post("/api/v1/auth/enroll/", {"code": first}, format="json").status_code == 400
    assert api.post("/api/v1/auth/enroll/", {"code": second}, format="json").status_code == 201


def test_the_enrollment_form_offers_iana_zones(nurse_browser: Client) -> None:
    body = nurse_browser.get("/patients/new/").content.decode()
    assert '<option value="America/New_York">' in body and 'list="timezones"' in body
