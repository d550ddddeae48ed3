"""Staff sign-in: who may, lockout after repeated failures, sessions that expire when idle."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from backend.accounts.models import User
from backend.dashboard.access import NOT_STAFF
from backend.dashboard.lockout import LOCKED_OUT
from tests.dashboard.support import HTMX, POLL, text
from tests.factories import PASSWORD, EnrolledPatient, Person

pytestmark = pytest.mark.django_db


def sign_in(client: Client, username: str, password: str = PASSWORD, **extra: str) -> object:
    return client.post("/signin/", {"username": username, "password": password}, REMOTE_ADDR="10.0.0.7", **extra)


def test_it_signs_a_nurse_in_and_opens_the_queue(nurse: Person) -> None:
    client = Client()
    response = sign_in(client, "nurse.nina")
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/").status_code == 200


def test_it_sends_a_stranger_to_sign_in_and_back_where_they_were_going(nurse: Person) -> None:
    client = Client()
    response = client.get("/patients/")
    assert response.status_code == 302
    assert response["Location"] == "/signin/?next=/patients/"
    response = client.post(
        "/signin/?next=/patients/", {"username": "nurse.nina", "password": PASSWORD, "next": "/patients/"}
    )
    assert response["Location"] == "/patients/"


def test_it_never_redirects_to_another_site_after_sign_in(nurse: Person) -> None:
    response = Client().post(
        "/signin/", {"username": "nurse.nina", "password": PASSWORD, "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"


@pytest.mark.parametrize("role", ["patient", "caregiver"])
def test_it_refuses_patients_and_caregivers_with_a_clear_reason(patient: EnrolledPatient, role: str) -> None:
    user = patient.user if role == "patient" else User.objects.create_user("cg.carla", password=PASSWORD, role=role)
    user.set_password(PASSWORD)
    user.save()
    client = Client()
    response = sign_in(client, user.username)
    assert response.status_code == 400
    assert str(NOT_STAFF) in text(response)
    assert client.get("/").status_code == 302  # not signed in


def test_a_wrong_password_says_so_without_saying_which_part_was_wrong(nurse: Person) -> None:
    response = sign_in(Client(), "nurse.nina", "wrong-password")
    assert response.status_code == 400
    assert "Wrong username or password." in text(response)


def test_five_failures_lock_the_username_on_that_computer_for_a_while(nurse: Person) -> None:
    client = Client()
    for _ in range(4):
        assert sign_in(client, "nurse.nina", "wrong-password").status_code == 400
    locked = sign_in(client, "nurse.nina", "wrong-password")
    assert locked.status_code == 429
    assert str(LOCKED_OUT) in text(locked)
    # Even the right password is refused while locked, and nobody is signed in.
    assert sign_in(client, "nurse.nina").status_code == 429
    assert client.get("/").status_code == 302
    # Another computer is not locked out of the same account.
    assert (
        Client().post("/signin/", {"username": "nurse.nina", "password": PASSWORD}, REMOTE_ADDR="10.0.0.8").status_code
        == 302
    )
    # The lock lifts after the cool-off.
    with time_machine.travel(timezone.now() + timedelta(minutes=16), tick=False):
        assert sign_in(Client(), "nurse.nina").status_code == 302


def test_the_api_token_sign_in_still_works_beside_the_lockout(nurse: Person) -> None:
    from rest_framework.test import APIClient

    response = APIClient().post("/api/v1/auth/token/", {"username": "nurse.nina", "password": PASSWORD}, format="json")
    assert response.status_code == 200 and response.json()["role"] == "nurse"


def test_a_session_ends_after_30_minutes_without_activity(nurse: Person) -> None:
    client = Client()
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        sign_in(client, "nurse.nina")
    with time_machine.travel(start + timedelta(minutes=31), tick=False):
        response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/signin/")


def test_activity_keeps_a_session_going(nurse: Person) -> None:
    client = Client()
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        sign_in(client, "nurse.nina")
    with time_machine.travel(start + timedelta(minutes=20), tick=False):
        assert client.get("/patients/").status_code == 200
    with time_machine.travel(start + timedelta(minutes=45), tick=False):
        assert client.get("/").status_code == 200


def test_the_queue_polling_itself_does_not_keep_a_session_going(nurse: Person) -> None:
    client = Client()
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        sign_in(client, "nurse.nina")
    for minutes in (10, 20, 29):
        with time_machine.travel(start + timedelta(minutes=minutes), tick=False):
            assert client.get("/", **POLL).status_code == 200
    with time_machine.travel(start + timedelta(minutes=31), tick=False):
        response = client.get("/", **POLL)
    # An unattended screen goes back to the sign-in page, and says why.
    assert response.status_code == 204
    assert response["HX-Redirect"].startswith("/signin/?next=")
    assert "expired=1" in response["HX-Redirect"]
    assert "30 minutes without activity" in text(Client().get(response["HX-Redirect"]))


def test_an_expired_fragment_request_redirects_the_page_not_the_fragment(nurse: Person) -> None:
    response = Client().get("/", **HTMX)
    assert response.status_code == 204 and "HX-Redirect" in response


def test_signing_out_needs_a_post_and_ends_the_session(nurse: Person) -> None:
    client = Client()
    sign_in(client, "nurse.nina")
    assert client.get("/signout/").status_code == 405
    assert client.post("/signout/").status_code == 302
    assert client.get("/").status_code == 302


def test_the_sign_in_form_is_csrf_protected(nurse: Person) -> None:
    client = Client(enforce_csrf_checks=True)
    assert client.post("/signin/", {"username": "nurse.nina", "password": PASSWORD}).status_code == 403


@pytest.mark.parametrize("target", ["queue", "%2Fpatients%2F", "javascript:alert(1)"])
def test_a_next_that_is_not_a_path_on_this_site_goes_to_the_queue(nurse: Person, target: str) -> None:
    response = Client().post("/signin/", {"username": "nurse.nina", "password": PASSWORD, "next": target})
    assert (response.status_code, response["Location"]) == (302, "/")
