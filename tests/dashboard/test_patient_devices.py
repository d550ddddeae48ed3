"""A lost phone stops reading: the patient page lists the phones signed in as the patient, a nurse
signs one out (audited), and a new enrollment code warns that using it signs the others out."""

from __future__ import annotations

import pytest
from django.test import Client

from backend.accounts.models import DeviceToken
from backend.accounts.services import token_issue
from backend.audit.models import AuditEvent
from tests.dashboard.support import text
from tests.factories import EnrolledPatient, Person

pytestmark = pytest.mark.django_db
SYNC_URL = "/api/v1/sync/"


def signout_url(patient: EnrolledPatient, device: DeviceToken) -> str:
    return f"/patients/{patient.patient.pk}/devices/{device.pk}/sign-out/"


def test_the_patient_page_lists_the_phones_signed_in(nurse_browser: Client, patient: EnrolledPatient) -> None:
    body = text(nurse_browser.get(f"/patients/{patient.patient.pk}/"))

    assert "test phone enrolled" in body
    assert "Sign out test phone" in body
    assert "Enrolling with it signs out the phone above." in body


def test_a_nurse_signs_a_lost_phone_out(nurse: Person, nurse_browser: Client, patient: EnrolledPatient) -> None:
    device = DeviceToken.objects.get(user=patient.user)

    response = nurse_browser.post(signout_url(patient, device), follow=True)

    assert response.status_code == 200
    assert "test phone is signed out" in text(response)
    assert patient.client().post(SYNC_URL, {}, format="json").status_code == 401
    event = AuditEvent.objects.get(action="revoke", resource="device")
    assert event.actor_id == nurse.user.pk and event.object_id == str(device.pk)
    assert "Sign out test phone" not in text(nurse_browser.get(f"/patients/{patient.patient.pk}/"))


def test_another_clinics_phone_cannot_be_signed_out(
    nurse_browser: Client, patient: EnrolledPatient, other_patient: EnrolledPatient
) -> None:
    theirs = DeviceToken.objects.get(user=other_patient.user)

    assert nurse_browser.post(signout_url(other_patient, theirs)).status_code == 404
    # Nor through the nurse's own patient's address.
    nurse_browser.post(signout_url(patient, theirs))
    assert other_patient.client().post(SYNC_URL, {}, format="json").status_code == 200


def test_a_new_code_warns_which_phones_it_will_sign_out(nurse_browser: Client, patient: EnrolledPatient) -> None:
    token_issue(user=patient.user, device_name="tablet")

    body = text(nurse_browser.post(f"/patients/{patient.patient.pk}/enrollment-code/", follow=True))

    assert "When the patient enrolls with this code, the phones signed in now will be signed out:" in body
    assert "test phone" in body and "tablet" in body
