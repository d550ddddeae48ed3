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
    assert "nurse.nina Nurse read patient Pat Doe dashboard patient page" in body


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


# --- filters: person, patient, action, date ----------------------------------------------------


def test_it_filters_by_person_and_action(
    admin_browser: Client, nurse_browser: Client, patient: EnrolledPatient, other_patient: EnrolledPatient
) -> None:
    nurse_browser.get(f"/patients/{patient.patient.pk}/")
    admin_browser.get(f"/patients/{patient.patient.pk}/")
    nurse_browser.get(f"/patients/{other_patient.patient.pk}/")  # another clinic's: refused, on the record

    page = admin_browser.get("/clinic/audit/", {"person": "NURSE.nina"}).context["page"]
    assert {e.actor.username for e in page} == {"nurse.nina"}
    refused = admin_browser.get("/clinic/audit/", {"person": "nurse.nina", "action": "refused"}).context["page"]
    assert [(e.action, e.patient_id) for e in refused] == [("refused", other_patient.patient.pk)]


def test_it_filters_by_day_and_the_pager_keeps_the_filters(
    admin_browser: Client, clinic_admin: Person, patient: EnrolledPatient
) -> None:
    day = timezone.now().replace(hour=12, minute=0, second=0, microsecond=0) - timedelta(days=10)
    AuditEvent.objects.bulk_create(
        AuditEvent(
            at=day + timedelta(days=d, minutes=i),
            actor=clinic_admin.user,
            actor_role="admin",
            action="update",
            resource="patient",
            patient_id=patient.patient.pk,
            detail=f"day {d} event {i}",
        )
        for d in range(3)
        for i in range(AUDIT_PAGE_SIZE + 1 if d == 1 else 2)
    )
    middle = (day + timedelta(days=1)).date().isoformat()
    query = {"since": middle, "until": middle, "action": "update", "patient": str(patient.patient.pk)}
    first = admin_browser.get("/clinic/audit/", query)
    assert {e.detail.split(" event")[0] for e in first.context["page"]} == {"day 1"}
    assert "Page 1 of 2" in text(first)
    next_link = first.content.decode().split('rel="next"')[0].rsplit('href="', 1)[1].split('"')[0]
    second = admin_browser.get("/clinic/audit/" + next_link.replace("&amp;", "&"))
    assert [e.detail for e in second.context["page"]] == ["day 1 event 0"]


def test_a_filter_that_does_not_parse_is_left_out(admin_browser: Client, patient: EnrolledPatient) -> None:
    response = admin_browser.get("/clinic/audit/", {"since": "yesterday", "patient": "nobody", "action": "x"})
    assert response.status_code == 200
