"""Specification of `Authorization: Bearer <token>`: which tokens sign a request in, as whom, and at
what cost (one query, whatever the endpoint)."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.test import APIClient, APIRequestFactory

from backend.accounts.authentication import BearerTokenAuthentication
from backend.accounts.models import Clinic, DeviceToken, User, hash_token
from tests.backend.support import ALERTS_URL, PATIENTS_URL
from tests.factories import EnrolledPatient, Person


def authenticate(header: str) -> Any:
    request = Request(APIRequestFactory().get("/", HTTP_AUTHORIZATION=header))
    return BearerTokenAuthentication().authenticate(request)


def refused(header: str) -> str:
    with pytest.raises(exceptions.AuthenticationFailed) as failed:
        authenticate(header)
    return str(failed.value.detail)


def test_it_signs_in_the_tokens_user_with_what_a_request_needs(nurse: Person) -> None:
    user, token = authenticate(f"Bearer {nurse.token}")

    assert isinstance(user, User) and isinstance(token, DeviceToken)
    assert (user.pk, user.username, user.role, user.clinic_id, user.is_active) == (
        nurse.user.pk,
        "nurse.nina",
        "nurse",
        nurse.user.clinic_id,
        True,
    )
    assert user.is_authenticated
    assert token.pk == DeviceToken.objects.get(key_hash=hash_token(nurse.token)).pk
    assert token.user is user


def test_it_takes_one_query(nurse: Person, django_assert_num_queries: Any) -> None:
    with django_assert_num_queries(1):
        user, token = authenticate(f"Bearer {nurse.token}")
        assert (user.role, user.clinic_id, token.user_id) == (nurse.user.role, nurse.user.clinic_id, nurse.user.pk)


def test_the_fields_it_did_not_read_load_when_touched(nurse: Person, django_assert_num_queries: Any) -> None:
    user, token = authenticate(f"Bearer {nurse.token}")

    with django_assert_num_queries(3):  # one per deferred field, then the clinic
        assert user.date_joined == nurse.user.date_joined
        assert token.device_name == "test"
        assert isinstance(user.clinic, Clinic) and user.clinic.name == "Riverside Oncology"


def test_a_user_it_read_saves_only_what_changed(nurse: Person) -> None:
    user, _ = authenticate(f"Bearer {nurse.token}")

    user.first_name = "Nina"
    user.save(update_fields=["first_name"])

    stored = User.objects.get(pk=nurse.user.pk)
    assert (stored.first_name, stored.email, stored.password) == ("Nina", nurse.user.email, nurse.user.password)


def test_an_unknown_token_is_refused(nurse: Person) -> None:
    assert refused("Bearer not-a-real-token") == "Invalid or revoked token."
    assert refused(f"Bearer {hash_token(nurse.token)}") == "Invalid or revoked token."  # the digest is no token


def test_a_revoked_token_is_refused(nurse: Person) -> None:
    DeviceToken.objects.filter(key_hash=hash_token(nurse.token)).update(revoked_at=timezone.now())

    assert refused(f"Bearer {nurse.token}") == "Invalid or revoked token."
    assert nurse.client().get(PATIENTS_URL).status_code == 401


def test_a_deactivated_users_token_is_refused(patient: EnrolledPatient) -> None:
    User.objects.filter(pk=patient.user.pk).update(is_active=False)

    assert refused(f"Bearer {patient.token}") == "Invalid or revoked token."
    assert patient.client().get(ALERTS_URL).status_code == 401


def test_revoking_one_device_leaves_the_others_signed_in(nurse: Person) -> None:
    from backend.accounts.services import token_issue

    other = token_issue(user=nurse.user, device_name="ward pc")
    DeviceToken.objects.filter(key_hash=hash_token(nurse.token)).update(revoked_at=timezone.now())

    assert authenticate(f"Bearer {other}")[0].pk == nurse.user.pk


def test_another_scheme_is_left_to_other_authenticators(db: None) -> None:
    assert authenticate("Basic bnVyc2UubmluYTpjb3JyZWN0LWhvcnNlLWJhdHRlcnk=") is None


@pytest.mark.parametrize("header", ["Bearer", "Bearer two tokens"])
def test_a_malformed_bearer_header_is_refused(db: None, header: str) -> None:
    assert refused(header) == "Invalid Authorization header: expected 'Bearer <token>'."


def test_a_token_with_sql_in_it_is_just_an_unknown_token(nurse: Person) -> None:
    assert refused("Bearer x'OR'1'='1") == "Invalid or revoked token."
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer x'OR'1'='1")
    assert client.get(PATIENTS_URL).status_code == 401
