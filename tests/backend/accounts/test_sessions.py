"""Tokens do not last forever: staff and caregiver tokens end after an idle time, and everyone sees
the devices they are signed in on and signs any of them out (GET/DELETE /api/v1/auth/sessions/)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import time_machine
from django.conf import settings
from django.utils import timezone
from rest_framework.test import APIClient

from backend.accounts.models import DeviceToken
from backend.accounts.services import token_issue
from tests.backend.support import ALERTS_URL, PATIENTS_URL, SYNC_URL
from tests.factories import EnrolledPatient, Person

SESSIONS_URL = "/api/v1/auth/sessions/"


def bearer(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def later(**delta: Any) -> Any:
    return time_machine.travel(timezone.now() + timedelta(**delta), tick=False)


# --- idle expiry --------------------------------------------------------------------------------


def test_a_nurses_token_ends_after_the_idle_time(nurse: Person) -> None:
    idle = settings.CARELOOP_TOKEN_IDLE_MINUTES["nurse"]

    with later(minutes=idle + 1):
        response = nurse.client().get(PATIENTS_URL)

    assert response.status_code == 401
    assert "without use" in response.json()["errors"]["detail"][0]
    assert DeviceToken.objects.get(user=nurse.user).revoked_at is not None
    assert nurse.client().get(PATIENTS_URL).status_code == 401  # ended for good, not only late


def test_using_a_token_keeps_it_alive(nurse: Person) -> None:
    idle = settings.CARELOOP_TOKEN_IDLE_MINUTES["nurse"]

    for step in range(1, 4):
        with later(minutes=step * (idle - 10)):
            assert nurse.client().get(PATIENTS_URL).status_code == 200


def test_a_caregivers_token_ends_after_its_idle_time(caregiver: Person) -> None:
    idle = settings.CARELOOP_TOKEN_IDLE_MINUTES["caregiver"]

    with later(minutes=idle - 5):
        assert caregiver.client().get(ALERTS_URL).status_code == 200
    with later(minutes=2 * idle):
        assert caregiver.client().get(ALERTS_URL).status_code == 401


def test_a_patients_phone_keeps_its_token_while_offline(patient: EnrolledPatient) -> None:
    with later(days=120):
        assert patient.client().post(SYNC_URL, {}, format="json").status_code == 200


# --- GET /api/v1/auth/sessions/ -----------------------------------------------------------------


def test_a_person_lists_the_devices_they_are_signed_in_on(nurse: Person, other_clinic_nurse: Person) -> None:
    ward_pc = token_issue(user=nurse.user, device_name="ward pc")
    old = DeviceToken.objects.create(key_hash="x" * 64, user=nurse.user, device_name="gone", revoked_at=timezone.now())

    response = nurse.client().get(SESSIONS_URL)

    assert response.status_code == 200
    sessions = response.json()
    assert {s["device_name"] for s in sessions} == {"test", "ward pc"}
    assert old.pk not in {s["id"] for s in sessions}
    assert [s["current"] for s in sessions if s["device_name"] == "test"] == [True]
    assert set(sessions[0]) == {"id", "device_name", "created_at", "last_used_at", "current"}
    assert all(ward_pc not in str(s.values()) for s in sessions)


def test_listing_sessions_needs_a_token(db: None) -> None:
    assert APIClient().get(SESSIONS_URL).status_code == 401


# --- DELETE /api/v1/auth/sessions/{id}/ ---------------------------------------------------------


def test_a_person_signs_out_another_of_their_devices(nurse: Person) -> None:
    lost_phone = token_issue(user=nurse.user, device_name="lost phone")
    lost_id = DeviceToken.objects.get(user=nurse.user, device_name="lost phone").pk

    response = nurse.client().delete(f"{SESSIONS_URL}{lost_id}/")

    assert response.status_code == 204
    assert bearer(lost_phone).get(PATIENTS_URL).status_code == 401
    assert nurse.client().get(PATIENTS_URL).status_code == 200


def test_another_persons_session_is_404_and_keeps_working(nurse: Person, other_clinic_nurse: Person) -> None:
    theirs = DeviceToken.objects.get(user=other_clinic_nurse.user).pk

    assert nurse.client().delete(f"{SESSIONS_URL}{theirs}/").status_code == 404
    assert other_clinic_nurse.client().get(PATIENTS_URL).status_code == 200


def test_a_patient_signs_out_their_own_phone(patient: EnrolledPatient) -> None:
    own = DeviceToken.objects.get(user=patient.user).pk

    assert patient.client().delete(f"{SESSIONS_URL}{own}/").status_code == 204
    assert patient.client().post(SYNC_URL, {}, format="json").status_code == 401


def test_an_id_beyond_any_session_is_404_not_500(nurse: Person) -> None:
    client = nurse.client()
    client.raise_request_exception = False

    assert client.delete(f"{SESSIONS_URL}{10**30}/").status_code == 404
