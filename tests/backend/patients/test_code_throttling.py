"""Codes cannot be guessed at speed: POST /api/v1/auth/enroll/ and /caregiver-invites/accept/ share
a budget of failed attempts per client address and one for all clients together (counted in Redis,
across workers); past it the answer is 429 with Retry-After, the clinics' admins hear of the burst,
and a Redis outage never turns enrollment into an error. Successful attempts are not counted."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.utils import timezone
from rest_framework.test import APIClient

from backend.accounts.models import Role
from backend.notifications.models import Notification
from backend.patients.services import enrollment_code_issue
from tests.backend.support import error_fields
from tests.factories import PASSWORD, EnrolledPatient, Person, make_nurse, make_patient

ENROLL_URL = "/api/v1/auth/enroll/"
ACCEPT_URL = "/api/v1/caregiver-invites/accept/"
RATES = {"codes.address": "5/min", "codes.global": "12/min", "sign-in.address": "60/min"}


@pytest.fixture(autouse=True)
def small_budgets(settings: Any) -> None:
    settings.CARELOOP_THROTTLE_RATES = RATES


@pytest.fixture(autouse=True)
def one_window() -> Iterator[None]:
    """Budgets are fixed one-minute windows: a test that ran across a minute's turn would find its
    count reset half-way. The clock stands still in the middle of a window unless a test moves it."""
    with time_machine.travel(datetime(2026, 11, 20, 12, 0, 30, tzinfo=UTC), tick=False):
        yield


def enroll(code: str, address: str = "198.51.100.7") -> Any:
    return APIClient().post(ENROLL_URL, {"code": code, "device_name": "phone"}, format="json", REMOTE_ADDR=address)


def test_past_its_budget_an_address_gets_429_with_retry_after(nurse: Person, patient: EnrolledPatient) -> None:
    for _ in range(5):
        assert enroll("WRNG-CODE").status_code == 400

    refused = enroll("WRNG-CODE")

    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 60
    assert list(error_fields(refused)) == ["detail"]
    # The right code is refused too while the budget is spent: a guesser learns nothing.
    code = enrollment_code_issue(patient=patient.patient, issued_by=nurse.user)
    assert enroll(code).status_code == 429
    # Another address has its own budget, and this one's comes back after the window.
    assert enroll("WRNG-CODE", address="203.0.113.9").status_code == 400
    with time_machine.travel(timezone.now() + timedelta(seconds=61), tick=False):
        assert enroll(code).status_code == 201


def test_enrolling_many_phones_from_one_address_is_never_slowed(nurse: Person) -> None:
    codes = []
    for n in range(12):
        patient = make_patient(nurse, name=f"Patient {n}")
        codes.append(enrollment_code_issue(patient=patient.patient, issued_by=nurse.user))

    assert [enroll(code).status_code for code in codes] == [201] * 12


def test_enrollment_and_invitations_share_one_budget_per_address(patient: EnrolledPatient) -> None:
    for _ in range(5):
        enroll("WRNG-CODE")

    body = {"code": "WRNG-CODE", "username": "maya.helper", "password": PASSWORD}
    refused = APIClient().post(ACCEPT_URL, body, format="json", REMOTE_ADDR="198.51.100.7")

    assert refused.status_code == 429
    assert "Retry-After" in refused


def test_many_addresses_together_are_held_to_the_global_budget(db: None) -> None:
    answers = [enroll("WRNG-CODE", address=f"198.51.100.{n}").status_code for n in range(13)]

    assert answers == [400] * 12 + [429]


def test_a_burst_tells_every_clinics_admins_once(nurse: Person, other_clinic_nurse: Person) -> None:
    ada = make_nurse("admin.ada", clinic="Riverside Oncology", role=Role.ADMIN)
    otto = make_nurse("admin.otto", clinic="Hillside Hematology", role=Role.ADMIN)

    for _ in range(9):
        enroll("WRNG-CODE")

    notices = Notification.objects.filter(kind="security")
    assert sorted(n.recipient_id for n in notices) == sorted([ada.user.pk, otto.user.pk])
    assert "198.51.100.7" in notices[0].body
    assert not Notification.objects.filter(recipient=nurse.user).exists()


def test_with_redis_down_a_phone_still_enrolls(nurse: Person, patient: EnrolledPatient, settings: Any) -> None:
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    code = enrollment_code_issue(patient=patient.patient, issued_by=nurse.user)

    assert enroll("WRNG-CODE").status_code == 400
    assert enroll(code).status_code == 201
