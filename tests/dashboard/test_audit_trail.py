"""The audit trail page: the admin reads who saw which patient, newest first, page by page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from backend.audit.models import AuditEvent
from backend.dashboard.views import AUDIT_PAGE_SIZE
from tests.dashboard.support import text
from tests.factories import EnrolledPatient, Person

pytestmark = pytest.mark.django_db


def test_the_admin_reads_who_opened_which_patient(
    nurse_browser: Client, admin_browser: Client, patient: EnrolledPatient
) -> None:
    nurse_browser.get(f"/patients/{patient.patient.pk}/")
    body = text(admin_browser.get("/clinic/audit/"))
    assert "nurse.nina nurse read patient Pat Doe dashboard patient page" in body


def test_it_is_newest_first_and_paginated(
    admin_browser: Client, clinic_admin: Person, patient: EnrolledPatient
) -> None:
    start = timezone.now() - timedelta(hours=1)
    AuditEvent.objects.bulk_create(
        AuditEvent(
            at=start + timedelta(minutes=i),
            actor=clinic_admin.user,
            actor_role="admin",
            action="read",
            resource="patient",
            patient_id=patient.patient.pk,
            detail=f"event {i}",
        )
        for i in range(AUDIT_PAGE_SIZE + 5)
    )
    first = admin_browser.get("/clinic/audit/")
    assert "Page 1 of 2" in text(first)
    ats = [e.at for e in first.context["page"]]
    assert ats == sorted(ats, reverse=True)
    assert first.context["page"][0].detail == f"event {AUDIT_PAGE_SIZE + 4}"
    assert "event 0" in text(admin_browser.get("/clinic/audit/?page=2"))


def test_it_filters_to_one_patient(
    admin_browser: Client, nurse_browser: Client, patient: EnrolledPatient, second_patient: EnrolledPatient
) -> None:
    nurse_browser.get(f"/patients/{patient.patient.pk}/")
    nurse_browser.get(f"/patients/{second_patient.patient.pk}/")
    page = admin_browser.get(f"/clinic/audit/?patient={second_patient.patient.pk}").context["page"]
    assert {e.patient_id for e in page} == {second_patient.patient.pk}


def test_nurses_cannot_read_it_and_admins_see_only_their_clinic(
    nurse_browser: Client, admin_browser: Client, other_browser: Client, other_patient: EnrolledPatient
) -> None:
    assert nurse_browser.get("/clinic/audit/").status_code == 403
    other_browser.get(f"/patients/{other_patient.patient.pk}/")
    assert AuditEvent.objects.filter(patient_id=other_patient.patient.pk).exists()
    page = admin_browser.get("/clinic/audit/").context["page"]
    assert other_patient.patient.pk not in {e.patient_id for e in page}
    assert "Otto Other" not in text(admin_browser.get("/clinic/audit/"))
