"""Specification of `code_verify`'s back-off: wrong codes in a row make the device wait 1, 2, 4 s …,
doubling no further than 2^(BACKOFF_FAILURES_CAP - 1) s, so a stranger's wrong codes can keep a
nurse out for minutes, never for days; a right code after the wait signs in and starts again."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from backend.accounts.models import RecoveryCodeDevice
from backend.accounts.second_factor import BACKOFF_FAILURES_CAP, code_verify
from tests.factories import Person
from tests.second_factor import authenticator_for, code_now, with_recovery_codes

pytestmark = pytest.mark.django_db
LONGEST_WAIT = 2 ** (BACKOFF_FAILURES_CAP - 1)  # seconds


def after_wrong_codes(device: TOTPDevice, count: int) -> None:
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_count=count, throttling_failure_timestamp=timezone.now()
    )


def test_the_wait_doubles_below_the_cap(nurse: Person) -> None:
    device = authenticator_for(nurse.user)
    after_wrong_codes(device, BACKOFF_FAILURES_CAP - 1)
    check = code_verify(user=nurse.user, code="000000")
    assert check.retry_after == LONGEST_WAIT // 2


@pytest.mark.parametrize("wrong_in_a_row", [BACKOFF_FAILURES_CAP, BACKOFF_FAILURES_CAP + 1, 30, 60])
def test_the_wait_stops_doubling_at_the_cap(nurse: Person, wrong_in_a_row: int) -> None:
    device = authenticator_for(nurse.user)
    after_wrong_codes(device, wrong_in_a_row)
    assert code_verify(user=nurse.user, code="000000").retry_after == LONGEST_WAIT


def test_after_the_longest_wait_the_right_code_signs_in(nurse: Person) -> None:
    device = authenticator_for(nurse.user)
    after_wrong_codes(device, 40)
    with time_machine.travel(timezone.now() + timedelta(seconds=LONGEST_WAIT - 1), tick=False):
        assert code_verify(user=nurse.user, code=code_now(device)).retry_after == 1
    with time_machine.travel(timezone.now() + timedelta(seconds=LONGEST_WAIT + 1), tick=False):
        assert code_verify(user=nurse.user, code=code_now(device)).kind == "authenticator"
    device.refresh_from_db()
    assert device.throttling_failure_count == 0


def test_a_wrong_code_after_the_wait_waits_the_longest_again(nurse: Person) -> None:
    device = authenticator_for(nurse.user)
    after_wrong_codes(device, 40)
    with time_machine.travel(timezone.now() + timedelta(seconds=LONGEST_WAIT + 1), tick=False):
        assert not code_verify(user=nurse.user, code="000000").ok
        device.refresh_from_db()
        assert device.throttling_failure_count == BACKOFF_FAILURES_CAP + 1
        assert code_verify(user=nurse.user, code=code_now(device)).retry_after == LONGEST_WAIT


def test_recovery_codes_wait_no_longer(nurse: Person) -> None:
    authenticator_for(nurse.user)
    codes = with_recovery_codes(nurse.user)
    RecoveryCodeDevice.objects.filter(user=nurse.user).update(
        throttling_failure_count=50, throttling_failure_timestamp=timezone.now()
    )
    assert code_verify(user=nurse.user, code="wrong-code").retry_after == LONGEST_WAIT
    with time_machine.travel(timezone.now() + timedelta(seconds=LONGEST_WAIT + 1), tick=False):
        assert code_verify(user=nurse.user, code=codes[0]).kind == "recovery code"
