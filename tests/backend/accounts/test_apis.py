"""Specification of signing in and out (contract §2) and of `create_staff` (contract §1)."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
import time_machine
from django.core.management import ManagementUtility, call_command
from django.core.management.base import CommandError
from django.test import Client, override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from backend.accounts.models import Clinic, DeviceToken, Role, User
from backend.accounts.services import LOCKED_OUT
from backend.dashboard.lockout import API_FAILURE_LIMIT, DASHBOARD_FAILURE_LIMIT
from tests.backend.support import PATIENTS_URL, error_fields, post_json, post_raw
from tests.factories import PASSWORD, EnrolledPatient, Person

TOKEN_URL = "/api/v1/auth/token/"
LOGOUT_URL = "/api/v1/auth/logout/"


def bearer(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


# --- POST /api/v1/auth/token/ ---------------------------------------------------------------


def test_it_gives_a_nurse_a_token_and_her_role(nurse: Person, anonymous: APIClient) -> None:
    response = anonymous.post(TOKEN_URL, {"username": "nurse.nina", "password": PASSWORD}, format="json")

    assert response.status_code == 200
    body = response.json()
    assert set(body) >= {"token", "role"}
    assert body["role"] == "nurse"
    assert isinstance(body["token"], str) and len(body["token"]) >= 32
    assert bearer(body["token"]).get(PATIENTS_URL).status_code == 200


def test_it_gives_an_admin_the_admin_role(clinic_admin: Person, anonymous: APIClient) -> None:
    response = anonymous.post(TOKEN_URL, {"username": "admin.ada", "password": PASSWORD}, format="json")

    assert response.status_code == 200
    assert response.json()["role"] == "admin"


def test_it_gives_a_caregiver_a_token(caregiver: Person, anonymous: APIClient) -> None:
    response = anonymous.post(TOKEN_URL, {"username": "care.giver", "password": PASSWORD}, format="json")

    assert response.status_code == 200
    assert response.json()["role"] == "caregiver"


def test_it_issues_a_new_token_per_sign_in(nurse: Person, anonymous: APIClient) -> None:
    first = anonymous.post(TOKEN_URL, {"username": "nurse.nina", "password": PASSWORD}, format="json")
    second = anonymous.post(TOKEN_URL, {"username": "nurse.nina", "password": PASSWORD}, format="json")

    assert first.json()["token"] != second.json()["token"]
    assert DeviceToken.objects.filter(user=nurse.user).count() == 3  # the fixture's own + two


def test_it_stores_only_a_digest_of_the_token(nurse: Person, anonymous: APIClient) -> None:
    token = anonymous.post(TOKEN_URL, {"username": "nurse.nina", "password": PASSWORD}, format="json").json()["token"]

    assert not DeviceToken.objects.filter(key_hash=token).exists()
    assert all(token not in row.key_hash for row in DeviceToken.objects.all())


def test_a_wrong_password_is_400_with_errors(nurse: Person, anonymous: APIClient) -> None:
    response = anonymous.post(TOKEN_URL, {"username": "nurse.nina", "password": "wrong-password"}, format="json")

    assert response.status_code == 400
    assert error_fields(response) == {"non_field_errors": ["Wrong username or password."]}


def token_attempt(password: str, address: str = "127.0.0.1", username: str = "nurse.nina") -> Any:
    return APIClient().post(TOKEN_URL, {"username": username, "password": password}, format="json", REMOTE_ADDR=address)


def test_twenty_wrong_passwords_lock_the_username_from_that_address(nurse: Person) -> None:
    for _ in range(API_FAILURE_LIMIT - 1):
        assert token_attempt("wrong-password").status_code == 400

    locked = token_attempt("wrong-password")

    assert locked.status_code == 429
    assert error_fields(locked) == {"non_field_errors": [LOCKED_OUT]}
    assert locked["Retry-After"] == "900"
    # Even the right password is refused while locked, and no token is issued.
    tokens = DeviceToken.objects.filter(user=nurse.user).count()
    assert token_attempt(PASSWORD).status_code == 429
    assert DeviceToken.objects.filter(user=nurse.user).count() == tokens
    # Another address, and another username from this one, are not locked out.
    assert token_attempt(PASSWORD, address="10.0.0.8").status_code == 200
    assert token_attempt("wrong-password", username="someone.else").status_code == 400
    # The lock lifts after the cool-off.
    with time_machine.travel(timezone.now() + timedelta(minutes=16), tick=False):
        assert token_attempt(PASSWORD).status_code == 200


PROXY = "10.0.0.2"


def via_proxy(password: str, client: str, username: str = "nurse.nina") -> Any:
    """A sign-in through the TLS proxy: the connection comes from the proxy, which names the client."""
    body = {"username": username, "password": password}
    return APIClient().post(TOKEN_URL, body, format="json", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=client)


@override_settings(CARELOOP_TRUSTED_PROXIES=[PROXY])
def test_behind_a_trusted_proxy_one_clients_failures_do_not_lock_out_the_others(nurse: Person) -> None:
    for _ in range(API_FAILURE_LIMIT):
        via_proxy("wrong-password", client="203.0.113.5")

    assert via_proxy(PASSWORD, client="203.0.113.5").status_code == 429
    assert via_proxy(PASSWORD, client="203.0.113.9").status_code == 200


@override_settings(CARELOOP_TRUSTED_PROXIES=["10.0.0.0/24"])
def test_an_address_the_client_wrote_into_the_header_is_not_believed(nurse: Person) -> None:
    # The proxy appends the address it saw; whatever the client sent before it is the client's word.
    for n in range(API_FAILURE_LIMIT):
        via_proxy("wrong-password", client=f"198.51.100.{n}, 203.0.113.5")

    assert via_proxy(PASSWORD, client="203.0.113.5").status_code == 429


def test_without_trusted_proxies_the_header_is_ignored(nurse: Person) -> None:
    for n in range(API_FAILURE_LIMIT):
        via_proxy("wrong-password", client=f"198.51.100.{n}")

    assert via_proxy(PASSWORD, client="203.0.113.9").status_code == 429


def test_a_successful_sign_in_clears_the_earlier_failures(nurse: Person) -> None:
    for _ in range(API_FAILURE_LIMIT - 1):
        token_attempt("wrong-password")
    assert token_attempt(PASSWORD).status_code == 200

    for _ in range(API_FAILURE_LIMIT - 1):
        assert token_attempt("wrong-password").status_code == 400
    assert token_attempt(PASSWORD).status_code == 200


def test_failures_on_the_api_count_towards_the_dashboards_lock_too(nurse: Person) -> None:
    for _ in range(DASHBOARD_FAILURE_LIMIT):
        assert token_attempt("wrong-password").status_code == 400

    signin = Client().post("/signin/", {"username": "nurse.nina", "password": PASSWORD})

    assert signin.status_code == 429


def test_an_unknown_username_gets_the_same_answer_as_a_wrong_password(db: None, anonymous: APIClient) -> None:
    response = anonymous.post(TOKEN_URL, {"username": "nobody", "password": PASSWORD}, format="json")

    assert response.status_code == 400
    assert error_fields(response) == {"non_field_errors": ["Wrong username or password."]}


def test_missing_credentials_are_named(db: None, anonymous: APIClient) -> None:
    response = anonymous.post(TOKEN_URL, {}, format="json")

    assert response.status_code == 400
    assert error_fields(response) == {
        "username": ["This field is required."],
        "password": ["This field is required."],
    }


@pytest.mark.parametrize("body", [[], "text", 42, None, {"username": 1, "password": ["x"]}])
def test_a_body_of_the_wrong_shape_is_400(db: None, anonymous: APIClient, body: object) -> None:
    response = post_json(anonymous, TOKEN_URL, body)

    assert response.status_code == 400
    assert "errors" in response.json()


def test_malformed_json_is_400_naming_the_body(db: None, anonymous: APIClient) -> None:
    response = post_raw(anonymous, TOKEN_URL, '{"username": ')

    assert response.status_code == 400
    assert list(error_fields(response)) == ["body"]


def test_a_patient_cannot_get_a_password_token(patient: EnrolledPatient, anonymous: APIClient) -> None:
    patient.user.set_password(PASSWORD)
    patient.user.save()

    response = anonymous.post(TOKEN_URL, {"username": patient.user.username, "password": PASSWORD}, format="json")

    assert response.status_code == 400
    assert error_fields(response) == {"non_field_errors": ["Wrong username or password."]}


def test_a_deactivated_nurse_cannot_sign_in(nurse: Person, anonymous: APIClient) -> None:
    User.objects.filter(pk=nurse.user.pk).update(is_active=False)

    response = anonymous.post(TOKEN_URL, {"username": "nurse.nina", "password": PASSWORD}, format="json")

    assert response.status_code == 400


def test_a_deactivated_nurses_existing_token_stops_working(nurse: Person) -> None:
    User.objects.filter(pk=nurse.user.pk).update(is_active=False)

    assert nurse.client().get(PATIENTS_URL).status_code == 401


# --- no 500 for any client input (contract §2) -----------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        pytest.param('{"username": "nurse.nina", "password": "\\ud800"}', id="lone-surrogate-password"),
        pytest.param('{"username": "\\ud800", "password": "x"}', id="lone-surrogate-username"),
        pytest.param(
            '{"username": "nurse.nina", "password": "correct-horse-battery", "device_name": "\\ud800"}',
            id="lone-surrogate-device-name",
        ),
    ],
)
def test_a_lone_surrogate_in_the_credentials_is_not_a_500(nurse: Person, body: str) -> None:
    response = post_raw(APIClient(raise_request_exception=False), TOKEN_URL, body)

    assert response.status_code in (200, 400)


def test_a_nul_character_in_the_username_is_400_not_500(nurse: Person) -> None:
    client = APIClient(raise_request_exception=False)
    response = client.post(TOKEN_URL, {"username": "nurse\x00nina", "password": PASSWORD}, format="json")

    assert response.status_code == 400


def test_a_nul_character_in_the_device_name_is_not_a_500(nurse: Person) -> None:
    client = APIClient(raise_request_exception=False)
    body = {"username": "nurse.nina", "password": PASSWORD, "device_name": "ward\x00pc"}

    response = client.post(TOKEN_URL, body, format="json")

    assert response.status_code in (200, 400)


# --- Authorization: Bearer <token> -----------------------------------------------------------


def test_no_authorization_header_is_401(db: None, anonymous: APIClient) -> None:
    response = anonymous.get(PATIENTS_URL)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    assert "errors" in response.json()


@pytest.mark.parametrize(
    "header",
    [
        "Bearer not-a-real-token",
        "Bearer",
        "Bearer two tokens",
        "Token abc",
        "Basic bnVyc2UubmluYTpjb3JyZWN0LWhvcnNlLWJhdHRlcnk=",
        "garbage",
        "Bearer \xe9\xe9",
    ],
)
def test_a_garbage_authorization_header_is_401(nurse: Person, header: str) -> None:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)

    assert client.get(PATIENTS_URL).status_code == 401


def test_the_bearer_keyword_is_case_insensitive(nurse: Person) -> None:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"bearer {nurse.token}")

    assert client.get(PATIENTS_URL).status_code == 200


# --- POST /api/v1/auth/logout/ ---------------------------------------------------------------


def test_logout_revokes_this_token(nurse: Person) -> None:
    client = nurse.client()

    response = client.post(LOGOUT_URL)

    assert response.status_code == 204
    assert response.content == b""
    assert client.get(PATIENTS_URL).status_code == 401
    assert client.post(LOGOUT_URL).status_code == 401


def test_logout_leaves_the_other_devices_signed_in(nurse: Person, anonymous: APIClient) -> None:
    other_device = anonymous.post(
        TOKEN_URL, {"username": "nurse.nina", "password": PASSWORD, "device_name": "ward pc"}, format="json"
    ).json()["token"]

    assert nurse.client().post(LOGOUT_URL).status_code == 204

    assert bearer(other_device).get(PATIENTS_URL).status_code == 200
    assert nurse.client().get(PATIENTS_URL).status_code == 401


def test_a_patients_phone_can_log_out(patient: EnrolledPatient) -> None:
    assert patient.client().post(LOGOUT_URL).status_code == 204

    assert patient.client().post("/api/v1/sync/", {}, format="json").status_code == 401


def test_logout_without_a_token_is_401(db: None, anonymous: APIClient) -> None:
    assert anonymous.post(LOGOUT_URL).status_code == 401


# --- manage.py create_staff (contract §1) ----------------------------------------------------


def create_staff(*args: str) -> str:
    out = StringIO()
    call_command("create_staff", *args, stdout=out)
    return out.getvalue()


def test_create_staff_creates_a_nurse_in_a_new_clinic(db: None, anonymous: APIClient) -> None:
    create_staff("--username", "nurse.new", "--password", "s3cret-pass-26", "--role", "nurse", "--clinic", "Lakeside")

    user = User.objects.get(username="nurse.new")
    assert user.role == Role.NURSE
    assert user.clinic is not None and user.clinic.name == "Lakeside"
    response = anonymous.post(TOKEN_URL, {"username": "nurse.new", "password": "s3cret-pass-26"}, format="json")
    assert response.status_code == 200
    assert response.json()["role"] == "nurse"


def test_create_staff_is_idempotent_for_the_same_username(db: None) -> None:
    args = ("--username", "nurse.new", "--password", "s3cret-pass-26", "--role", "nurse", "--clinic", "Lakeside")

    create_staff(*args)
    create_staff(*args)
    create_staff(*args)

    assert User.objects.filter(username="nurse.new").count() == 1
    assert Clinic.objects.filter(name="Lakeside").count() == 1


def test_create_staff_exits_0_every_time_it_runs(db: None, monkeypatch: pytest.MonkeyPatch) -> None:
    # run_from_argv closes every connection when it ends, which would close the test's transaction.
    monkeypatch.setattr("django.core.management.base.connections.close_all", lambda: None)
    argv = ["manage.py", "create_staff", "--username", "nurse.new", "--password", "s3cret-pass-26", "--role", "nurse"]

    for _ in range(2):
        # run_from_argv calls sys.exit(non-zero) on any error; returning is exit status 0.
        ManagementUtility(argv).execute()

    assert User.objects.filter(username="nurse.new").count() == 1


def test_create_staff_says_whether_it_created_the_account(db: None) -> None:
    args = ("--username", "nurse.new", "--password", "s3cret-pass-26", "--role", "nurse", "--clinic", "Lakeside")

    assert create_staff(*args).startswith("Created nurse nurse.new in Lakeside")
    assert create_staff(*args).startswith("Already existed: nurse nurse.new in Lakeside")


def test_create_staff_makes_an_admin_with_role_admin(db: None, anonymous: APIClient) -> None:
    create_staff("--username", "boss", "--password", "s3cret-pass-26", "--role", "admin", "--clinic", "Lakeside")

    user = User.objects.get(username="boss")
    assert user.role == Role.ADMIN
    response = anonymous.post(TOKEN_URL, {"username": "boss", "password": "s3cret-pass-26"}, format="json")
    assert response.json()["role"] == "admin"


def test_create_staff_puts_a_second_nurse_in_the_existing_clinic(db: None) -> None:
    create_staff("--username", "a", "--password", "s3cret-pass-26", "--role", "nurse", "--clinic", "Lakeside")
    create_staff("--username", "b", "--password", "s3cret-pass-26", "--role", "nurse", "--clinic", "Lakeside")

    assert User.objects.get(username="a").clinic_id == User.objects.get(username="b").clinic_id


def test_create_staff_refuses_other_roles(db: None) -> None:
    with pytest.raises(CommandError):
        create_staff("--username", "p", "--password", "s3cret-pass-26", "--role", "patient")

    assert not User.objects.filter(username="p").exists()


# --- create_staff refuses what the API refuses ------------------------------------------------


@pytest.mark.parametrize(
    ("username", "password", "reason"),
    [
        ("nurse.new", "s3cret-pass", "at least 12 characters"),
        ("margaret.hamilton", "margaret.hamilton1", "too similar to the username"),
        ("nurse.new", "123456789012", "entirely numeric"),
        ("nurse.new", "password1234", "too common"),
    ],
)
def test_create_staff_refuses_a_weak_password_and_stores_nothing(
    db: None, username: str, password: str, reason: str
) -> None:
    with pytest.raises(CommandError, match=reason):
        create_staff("--username", username, "--password", password, "--role", "nurse", "--clinic", "Lakeside")

    assert not User.objects.filter(username=username).exists()
    assert not Clinic.objects.filter(name="Lakeside").exists()


def test_create_staff_refuses_to_change_a_password_to_a_weak_one(db: None) -> None:
    create_staff("--username", "nurse.new", "--password", "s3cret-pass-26", "--role", "nurse")

    with pytest.raises(CommandError, match="at least 12 characters"):
        create_staff("--username", "nurse.new", "--password", "short-pass", "--role", "nurse")

    assert User.objects.get(username="nurse.new").check_password("s3cret-pass-26")


def test_create_staff_run_again_with_a_password_from_before_the_rules_still_exits_0(db: None) -> None:
    user = User.objects.create(username="old.hand", role=Role.NURSE, clinic=Clinic.objects.create(name="Lakeside"))
    user.set_password("old-pass")
    user.save()

    assert create_staff("--username", "old.hand", "--password", "old-pass", "--role", "nurse").startswith(
        "Already existed"
    )
