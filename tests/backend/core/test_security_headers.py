"""Specification: every dynamic answer carries the Content-Security-Policy and `Cache-Control:
no-store`; patient data is never kept by a browser, a proxy or a shared PC."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.factories import EnrolledPatient, Person

pytestmark = pytest.mark.django_db

STRICT = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:"


def test_an_api_answer_with_patient_data_is_not_stored(patient: EnrolledPatient) -> None:
    response = patient.client().get("/api/v1/me/")
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    assert response["Content-Security-Policy"].startswith(STRICT)


def test_errors_are_not_stored_either(nurse: Person) -> None:
    response = nurse.client().get("/api/v1/patients/00000000-0000-0000-0000-000000000000/")
    assert response.status_code == 404
    assert "no-store" in response["Cache-Control"]


def test_dashboard_pages_carry_the_strict_policy_and_no_store(nurse: Person) -> None:
    client = Client()
    client.force_login(nurse.user)
    response = client.get("/")
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    assert policy.startswith(STRICT)
    assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy
    assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
    assert "no-store" in response["Cache-Control"]


def test_the_sign_in_page_too() -> None:
    response = Client().get("/signin/")
    assert response["Content-Security-Policy"].startswith(STRICT)


def test_swagger_ui_loads_its_script_from_this_origin_not_inline() -> None:
    page = Client().get("/api/docs/")
    assert page.status_code == 200
    assert b"<script>" not in page.content  # only <script src=...>
    assert "script-src 'self';" in page["Content-Security-Policy"]
    script = Client().get("/api/docs/?script")
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
