"""Enrolling a patient from the dashboard: the code and its QR code, once; new codes later."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from rest_framework.test import APIClient

from backend.audit.models import AuditEvent
from backend.patients.models import Patient
from tests.dashboard.support import text
from tests.factories import PASSWORD, EnrolledPatient, Person

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
    response = nurse_browser.post("/patients/new/", FORM, follow=True)
    patient = Patient.objects.get(display_name="Ada Dashboard")
    assert response.redirect_chain == [(f"/patients/{patient.pk}/enrollment-code/", 302)]
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0") and "no-store" in response["Cache-Control"]
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
    first = code_on(nurse_browser.post(f"/patients/{patient.patient.pk}/enrollment-code/", follow=True))
    second = code_on(nurse_browser.post(f"/patients/{patient.patient.pk}/enrollment-code/", follow=True))
    assert first != second
    api = APIClient()
    assert api.post("/api/v1/auth/enroll/", {"code": first}, format="json").status_code == 400
    assert api.post("/api/v1/auth/enroll/", {"code": second}, format="json").status_code == 201


def test_the_enrollment_form_offers_iana_zones(nurse_browser: Client) -> None:
    body = nurse_browser.get("/patients/new/").content.decode()
    assert '<option value="America/New_York">' in body and 'list="timezones"' in body


def test_reloading_the_page_after_enrolling_enrolls_nobody_else_and_shows_the_code_no_more(
    nurse_browser: Client,
) -> None:
    posted = nurse_browser.post("/patients/new/", FORM)
    patient = Patient.objects.get(display_name="Ada Dashboard")
    assert posted.status_code == 302 and posted["Location"] == f"/patients/{patient.pk}/enrollment-code/"
    code = code_on(nurse_browser.get(posted["Location"]))

    reloaded = nurse_browser.get(posted["Location"])  # what the browser's reload sends: a GET

    assert Patient.objects.filter(display_name="Ada Dashboard").count() == 1
    assert code not in reloaded.content.decode()
    assert "The code was shown once, when it was issued, and is not shown again." in text(reloaded)
    assert "New enrollment code" in text(reloaded)
    enrolled = APIClient().post("/api/v1/auth/enroll/", {"code": code}, format="json")
    assert enrolled.status_code == 201  # the code shown once still works


def test_reloading_a_new_code_page_issues_no_other_code(nurse_browser: Client, patient: EnrolledPatient) -> None:
    url = f"/patients/{patient.patient.pk}/enrollment-code/"
    code = code_on(nurse_browser.post(url, follow=True))
    nurse_browser.get(url)
    assert APIClient().post("/api/v1/auth/enroll/", {"code": code}, format="json").status_code == 201


def test_the_code_page_of_another_clinics_patient_is_not_found(other_browser: Client, patient: EnrolledPatient) -> None:
    assert other_browser.get(f"/patients/{patient.patient.pk}/enrollment-code/").status_code == 404


def test_an_enrollment_typed_as_the_session_ended_is_filled_in_again(nurse: Person) -> None:
    from django.contrib.sessions.models import Session

    browser = Client()
    browser.force_login(nurse.user)
    Session.objects.all().delete()
    sent = browser.post("/patients/new/", FORM)
    assert sent["Location"] == "/signin/?next=%2Fpatients%2Fnew%2F&expired=1"
    browser.post("/signin/", {"username": "nurse.nina", "password": PASSWORD, "next": "/patients/new/"})
    page = browser.get("/patients/new/")
    assert 'value="Ada Dashboard"' in page.content.decode() and "Not saved yet: your session had ended." in text(page)
    assert not Patient.objects.filter(display_name="Ada Dashboard").exists()
