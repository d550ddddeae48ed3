"""Specification of the audit middleware's edges: what is, and is not, a request on the record."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

from backend.audit.models import AuditEvent
from tests.backend.audit.support import last_audit_id
from tests.factories import EnrolledPatient, Person

pytestmark = pytest.mark.django_db


def new_rows(before: int) -> list[tuple[int | None, str, str]]:
    return [(e.actor_id, e.action, e.resource) for e in AuditEvent.objects.filter(id__gt=before).order_by("id")]


def test_a_patients_own_profile_is_a_read_of_their_record(patient: EnrolledPatient) -> None:
    before = last_audit_id()
    patient.client().get("/api/v1/me/")
    (event,) = AuditEvent.objects.filter(id__gt=before)
    assert (event.action, event.resource, event.patient_id) == ("read", "me", patient.patient.pk)


def test_a_url_that_does_not_exist_reaches_no_endpoint_and_leaves_nothing(nurse: Person) -> None:
    before = last_audit_id()
    assert nurse.client().get("/api/v1/no-such-thing/").status_code == 404
    assert new_rows(before) == []


def test_nobody_signed_in_leaves_nothing(patient: EnrolledPatient) -> None:
    before = last_audit_id()
    assert APIClient().get(f"/api/v1/patients/{patient.patient.pk}/").status_code == 401
    assert Client().get(f"/patients/{patient.patient.pk}/").status_code == 302  # to the sign-in page
    assert new_rows(before) == []


def test_a_patient_refused_the_dashboard_is_on_the_record_though_signed_out_by_it(patient: EnrolledPatient) -> None:
    browser = Client()
    browser.force_login(patient.user)
    before = last_audit_id()
    assert browser.get(f"/patients/{patient.patient.pk}/").status_code == 403
    assert new_rows(before) == [(patient.user.pk, "refused", "dashboard:patient")]


def test_a_staff_only_endpoint_refuses_a_patient_on_the_record(patient: EnrolledPatient) -> None:
    before = last_audit_id()
    assert patient.client().get("/api/v1/patients/").status_code == 403
    (event,) = AuditEvent.objects.filter(id__gt=before)
    assert (event.action, event.resource, event.detail) == ("refused", "patients", "GET /api/v1/patients/ 403")


def test_health_checks_are_never_on_the_record(db: None) -> None:
    before = last_audit_id()
    Client().get("/healthz")
    assert new_rows(before) == []
