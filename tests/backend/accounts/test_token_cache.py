"""Specification of the token cache (backend.accounts.token_cache): a token checked once is checked
again without the database, and whatever ends it or changes its user is seen on the very next
request, in this process and (test_token_cache_processes.py) in any other."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from backend.accounts import token_cache
from backend.accounts.authentication import TOKEN_TOUCH_SECONDS, BearerTokenAuthentication
from backend.accounts.models import DeviceToken, Role, User, hash_token
from backend.accounts.services import session_revoke, token_revoke, tokens_revoke_all, user_deactivate
from backend.patients.services import patient_device_revoke
from tests.factories import EnrolledPatient, Person


def authenticate(token: str) -> Any:
    request = Request(APIRequestFactory().get("/", HTTP_AUTHORIZATION=f"Bearer {token}"))
    return BearerTokenAuthentication().authenticate(request)


def refused(token: str) -> bool:
    try:
        authenticate(token)
    except exceptions.AuthenticationFailed:
        return True
    return False


def remembered(person: Person) -> DeviceToken:
    """Sign the person's token in once (the database), so the next check may use the cache."""
    authenticate(person.token)
    return DeviceToken.objects.get(key_hash=hash_token(person.token))


def test_a_token_checked_once_is_checked_again_without_the_database(
    nurse: Person, django_assert_num_queries: Any
) -> None:
    remembered(nurse)

    with django_assert_num_queries(0):
        user, token = authenticate(nurse.token)

    assert (user.pk, user.role, user.clinic_id, user.is_active, token.user_id) == (
        nurse.user.pk,
        "nurse",
        nurse.user.clinic_id,
        True,
        nurse.user.pk,
    )


def test_each_request_gets_its_own_user_and_token(nurse: Person) -> None:
    """A view may cache related objects on request.user: never shared with the next request."""
    first, _ = authenticate(nurse.token)
    first.first_name = "changed by a view"
    second, _ = authenticate(nurse.token)

    assert second is not first and second.first_name != "changed by a view"


def _logout(person: Person, token: DeviceToken) -> None:
    token_revoke(token=token)


def _session_revoke(person: Person, token: DeviceToken) -> None:
    session_revoke(user=person.user, session_id=token.pk)


def _all_devices(person: Person, token: DeviceToken) -> None:
    tokens_revoke_all(user=person.user)


def _deactivated(person: Person, token: DeviceToken) -> None:
    user_deactivate(user=person.user)


def _clinic_requires_second_factor(person: Person, token: DeviceToken) -> None:
    # What backend.dashboard.services.clinic_settings_update does to its staff's tokens.
    DeviceToken.objects.filter(user__clinic=person.user.clinic, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


def _deactivated_by_an_admin_form(person: Person, token: DeviceToken) -> None:
    user = User.objects.get(pk=person.user.pk)
    user.is_active = False
    user.save()


def _user_deleted(person: Person, token: DeviceToken) -> None:
    User.objects.get(pk=person.user.pk).delete()


def _token_deleted(person: Person, token: DeviceToken) -> None:
    DeviceToken.objects.filter(pk=token.pk).delete()


@pytest.mark.parametrize(
    "ended",
    [
        _logout,
        _session_revoke,
        _all_devices,
        _deactivated,
        _clinic_requires_second_factor,
        _deactivated_by_an_admin_form,
        _user_deleted,
        _token_deleted,
    ],
)
def test_a_remembered_token_is_refused_on_the_next_request_once_ended(
    nurse: Person, ended: Callable[[Person, DeviceToken], None]
) -> None:
    token = remembered(nurse)

    ended(nurse, token)

    assert refused(nurse.token)


def test_a_patients_phone_signed_out_by_the_nurse_is_refused_on_the_next_request(
    nurse: Person, patient: EnrolledPatient
) -> None:
    token = remembered(patient)

    assert patient_device_revoke(patient=patient.patient, device_id=token.pk, revoked_by=nurse.user)
    assert refused(patient.token)


def test_a_changed_role_or_clinic_is_read_again(nurse: Person, other_clinic_nurse: Person) -> None:
    remembered(nurse)

    User.objects.filter(pk=nurse.user.pk).update(clinic=other_clinic_nurse.user.clinic, role=Role.ADMIN)
    user, _ = authenticate(nurse.token)

    assert (user.clinic_id, user.role) == (other_clinic_nurse.user.clinic_id, Role.ADMIN)


def test_recording_a_use_or_a_sign_in_keeps_every_entry(nurse: Person, django_assert_num_queries: Any) -> None:
    token = remembered(nurse)

    DeviceToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    User.objects.get(pk=nurse.user.pk).save(update_fields=["last_login"])

    with django_assert_num_queries(0):
        authenticate(nurse.token)


def test_a_token_due_for_its_use_to_be_recorded_takes_the_database_path(
    nurse: Person, time_machine: Any, django_assert_num_queries: Any
) -> None:
    remembered(nurse)
    time_machine.move_to(timezone.now() + timedelta(seconds=TOKEN_TOUCH_SECONDS + 1), tick=False)

    with django_assert_num_queries(2):  # the lookup, and the use recorded
        authenticate(nurse.token)
    with django_assert_num_queries(0):  # remembered with its new last use
        authenticate(nurse.token)


def test_without_redis_the_database_answers_and_no_entry_is_used(
    nurse: Person, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = remembered(nurse)

    def unreachable() -> Any:
        raise ConnectionError("Redis is down")

    monkeypatch.setattr(token_cache, "_redis", unreachable)
    monkeypatch.setattr(token_cache, "_circuit", token_cache.Circuit(pause_seconds=0))
    # A revocation nobody could announce (raw SQL: no queryset, no signal, no Redis).
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {DeviceToken._meta.db_table} SET revoked_at = %s WHERE id = %s",  # noqa: S608
            [timezone.now(), token.pk],
        )

    assert refused(nurse.token)
    assert token_cache.lookup(hash_token(nurse.token), b"any") is None


def test_a_lost_generation_is_replaced_by_one_no_entry_carries(nurse: Person) -> None:
    """Redis restarted without the key: every entry is read again."""
    remembered(nurse)
    before = token_cache.generation()
    client, key = token_cache._redis()

    client.delete(key)

    after = token_cache.generation()
    assert before is not None and after is not None and after != before
    assert token_cache.lookup(hash_token(nurse.token), after) is None
