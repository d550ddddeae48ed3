"""Fixtures every test may use: the named personas of tests/factories.py."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import override_settings

from tests.factories import EnrolledPatient, Person, make_nurse, make_patient


@pytest.fixture(autouse=True)
def own_cache_keys(settings: Any) -> None:
    """The request throttles count in the real Redis; each test counts under keys of its own (never a
    flush: that Redis is shared), which expire with the throttle's window."""
    caches = copy.deepcopy(settings.CACHES)
    caches["default"]["KEY_PREFIX"] = f"test-{uuid.uuid4().hex}"
    settings.CACHES = caches


@pytest.fixture(scope="session", autouse=True)
def plain_http() -> Iterator[None]:
    """The test client and the browser tests' live server speak plain HTTP on 127.0.0.1, as `make run`
    does (CARELOOP_HTTPS=0); tests/backend/config/test_production.py checks the production defaults.
    Session-wide, so that module-scoped fixtures see it too."""
    with override_settings(
        SECURE_SSL_REDIRECT=False, SESSION_COOKIE_SECURE=False, CSRF_COOKIE_SECURE=False, SECURE_HSTS_SECONDS=0
    ):
        yield


@pytest.fixture
def nurse(db: None) -> Person:
    return make_nurse()


@pytest.fixture
def other_clinic_nurse(db: None) -> Person:
    return make_nurse("nurse.olga", clinic="Hillside Hematology")


@pytest.fixture
def patient(nurse: Person) -> EnrolledPatient:
    return make_patient(nurse)


@pytest.fixture
def other_patient(other_clinic_nurse: Person) -> EnrolledPatient:
    return make_patient(other_clinic_nurse, name="Otto Other", tz="Europe/Berlin")
