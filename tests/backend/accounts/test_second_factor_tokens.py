"""`POST /api/v1/auth/token/` (contract §2) beside the staff second factor: `{username, password}`
still answers 200 for staff without a factor in a clinic that does not require one (the contract
call); staff with a factor add `otp` (an authenticator code or a recovery code), and a wrong one
counts toward the lockout; where the clinic requires a factor, staff without one get no token."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.utils import timezone
from rest_framework.test import APIClient

from backend.accounts.models import Clinic, DeviceToken
from backend.accounts.second_factor import WAIT
from backend.accounts.services import LOCKED_OUT, OTP_NEEDED, OTP_SET_UP_FIRST, OTP_WRONG
from backend.dashboard.lockout import API_FAILURE_LIMIT
from tests.backend.support import error_fields
from tests.factories import PASSWORD, Person
from tests.second_factor import authenticator_for, code_now, with_recovery_codes

pytestmark = pytest.mark.django_db
TOKEN_URL = "/api/v1/auth/token/"


def token_attempt(username: str = "nurse.nina", password: str = PASSWORD, **extra: Any) -> Any:
    return APIClient().post(
        TOKEN_URL, {"username": username, "password": password, **extra}, format="json", REMOTE_ADDR="10.0.0.9"
    )


def test_the_contract_call_is_unchanged_for_staff_without_a_factor(nurse: Person) -> None:
    response = token_attempt()
    assert response.status_code == 200 and set(response.json()) >= {"token", "role"}


def test_staff_with_an_authenticator_app_send_its_code(nurse: Person) -> None:
    device = authenticator_for(nurse.user)
    missing = token_attempt()
    assert missing.status_code == 400 and error_fields(missing) == {"otp": [OTP_NEEDED]}
    response = token_attempt(otp=code_now(device))
    assert response.status_code == 200 and response.json()["role"] == "nurse"


def test_a_recovery_code_gets_a_token_once(nurse: Person) -> None:
    authenticator_for(nurse.user)
    codes = with_recovery_codes(nurse.user)
    assert token_attempt(otp=codes[0]).status_code == 200
    with time_machine.travel(timezone.now() + timedelta(seconds=5), tick=False):
        again = token_attempt(otp=codes[0])
    assert again.status_code == 400 and error_fields(again) == {"otp": [OTP_WRONG]}


def test_wrong_codes_count_toward_the_lockout_like_wrong_passwords(nurse: Person) -> None:
    device = authenticator_for(nurse.user)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        first = token_attempt(otp="000000")
        assert first.status_code == 400 and error_fields(first) == {"otp": [OTP_WRONG]}
        # Then the app's codes wait (django-otp's back-off: 1, 2, 4 s ...); each hurried try counts too.
        for _ in range(API_FAILURE_LIMIT - 2):
            hurried = token_attempt(otp="000000")
            assert hurried.status_code == 429 and error_fields(hurried) == {"otp": [WAIT]}
            assert hurried["Retry-After"] == "1"
        locked = token_attempt(otp="000000")
        assert locked.status_code == 429 and error_fields(locked) == {"non_field_errors": [LOCKED_OUT]}
    tokens = DeviceToken.objects.filter(user=nurse.user).count()
    with time_machine.travel(start + timedelta(minutes=5), tick=False):
        assert token_attempt(otp=code_now(device)).status_code == 429
    assert DeviceToken.objects.filter(user=nurse.user).count() == tokens


def test_where_the_clinic_requires_a_factor_staff_without_one_get_no_token(nurse: Person) -> None:
    Clinic.objects.filter(pk=nurse.user.clinic_id).update(require_second_factor=True)
    refused = token_attempt()
    assert refused.status_code == 403 and error_fields(refused) == {"otp": [OTP_SET_UP_FIRST]}
    device = authenticator_for(nurse.user)
    assert token_attempt(otp=code_now(device)).status_code == 200


def test_caregivers_are_not_asked_for_a_second_factor(caregiver: Person) -> None:
    assert token_attempt("care.giver").status_code == 200


def test_an_engineer_resets_a_lost_second_factor_and_the_tokens_with_it(nurse: Person) -> None:
    from io import StringIO

    from django.core.management import call_command

    authenticator_for(nurse.user)
    with_recovery_codes(nurse.user)
    out = StringIO()
    call_command("reset_second_factor", "--username", "nurse.nina", stdout=out)
    assert out.getvalue().strip() == "nurse.nina: 2 second-factor records removed, 1 tokens signed out"
    assert nurse.client().get("/api/v1/patients/").status_code == 401
    assert token_attempt().status_code == 200  # the password alone again: her clinic does not require one
