"""Fixtures for the dashboard specifications: signed-in browsers (Django's test client) per role."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client, override_settings

from backend.accounts.models import Role
from tests.factories import EnrolledPatient, Person, make_nurse, make_patient


@pytest.fixture(scope="session", autouse=True)
def fast_password_hashing() -> Iterator[None]:
    """PBKDF2's deliberate slowness is not under test here."""
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture(autouse=True)
def enqueued(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """The grading hand-off a sync makes, recorded instead of sent to Redis; tests grade directly."""
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr("backend.sync.services.grading_enqueue_on_commit", lambda **kw: calls.append(kw))
    return calls


def signed_in(person: Person) -> Client:
    client = Client()
    client.force_login(person.user)
    return client


@pytest.fixture
def nurse_browser(nurse: Person) -> Client:
    return signed_in(nurse)


@pytest.fixture
def clinic_admin(nurse: Person) -> Person:
    return make_nurse("admin.ada", clinic="Riverside Oncology", role=Role.ADMIN)


@pytest.fixture
def admin_browser(clinic_admin: Person) -> Client:
    return signed_in(clinic_admin)


@pytest.fixture
def other_browser(other_clinic_nurse: Person) -> Client:
    return signed_in(other_clinic_nurse)


@pytest.fixture
def second_patient(nurse: Person) -> EnrolledPatient:
    return make_patient(nurse, name="Sam Second", tz="Europe/London")
