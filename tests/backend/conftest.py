"""Fixtures for the backend API specifications, beyond the personas of tests/conftest.py."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pytest
import time_machine
from django.test import override_settings
from rest_framework.test import APIClient

from backend.accounts.models import Role, User
from backend.accounts.services import token_issue
from tests.factories import PASSWORD, Person, make_nurse


@pytest.fixture(scope="session", autouse=True)
def fast_password_hashing() -> Iterator[None]:
    """PBKDF2's deliberate slowness is not under test here; a fast hasher keeps the suite quick."""
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture(autouse=True)
def enqueued(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[dict[str, Any]]]:
    """The grading hand-off a sync makes, recorded instead of sent to Redis; tests grade directly."""
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(
        "backend.sync.services.grading_enqueue_on_commit", lambda **kwargs: calls.append(kwargs), raising=True
    )
    yield calls


@pytest.fixture
def anonymous() -> APIClient:
    return APIClient()


@pytest.fixture
def clinic_admin(nurse: Person) -> Person:
    """An admin of the nurse's clinic."""
    return make_nurse("admin.ada", clinic="Riverside Oncology", role=Role.ADMIN)


@pytest.fixture
def caregiver(db: None) -> Person:
    user = User.objects.create_user(username="care.giver", password=PASSWORD, role=Role.CAREGIVER)
    return Person(user, token_issue(user=user, device_name="test"))


@pytest.fixture
def clock(time_machine: time_machine.TimeMachineFixture) -> Callable[[datetime], None]:
    """clock(moment): the time is now `moment`, standing still."""

    def move(moment: datetime) -> None:
        time_machine.move_to(moment, tick=False)

    return move
