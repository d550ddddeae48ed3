"""Specification of a patient's care status (backend.patients.care_status): who set it, when and
why; audited; the phone is told."""

from __future__ import annotations

import pytest
from django.utils import timezone

from backend.audit.models import AuditEvent
from backend.core.errors import ApplicationError
from backend.patients.care_status import patient_care_status_change
from backend.patients.models import CareStatus, Patient
from tests.backend.support import sync
from tests.factories import EnrolledPatient, Person

pytestmark = pytest.mark.django_db


def test_a_pause_records_since_when_by_whom_and_why_and_is_audited_without_the_reason(
    patient: EnrolledPatient, nurse: Person
) -> None:
    before = timezone.now()
    patient_care_status_change(
        patient=patient.patient, status="paused", reason="Admitted for pneumonia", changed_by=nurse.user
    )
    stored = Patient.objects.get(pk=patient.patient.pk)
    assert (stored.care_status, stored.care_status_by, stored.care_status_reason) == (
        CareStatus.PAUSED,
        nurse.user,
        "Admitted for pneumonia",
    )
    assert stored.care_status_since is not None and stored.care_status_since >= before
    event = AuditEvent.objects.filter(resource="patient", action="update").latest("pk")
    assert event.detail == "care status: active -> paused"
    assert event.patient_id == patient.patient.pk


@pytest.mark.parametrize(
    ("status", "reason", "field"),
    [
        ("paused", "  ", "reason"),
        ("discharged", "", "reason"),
        ("asleep", "x", "status"),
        ("paused", "x" * 301, "reason"),
    ],
)
def test_a_pause_or_discharge_needs_a_reason_and_a_known_status(
    patient: EnrolledPatient, nurse: Person, status: str, reason: str, field: str
) -> None:
    with pytest.raises(ApplicationError) as refused:
        patient_care_status_change(patient=patient.patient, status=status, reason=reason, changed_by=nurse.user)
    assert field in refused.value.errors
    assert Patient.objects.get(pk=patient.patient.pk).care_status == CareStatus.ACTIVE


def test_the_same_status_again_changes_and_audits_nothing(patient: EnrolledPatient, nurse: Person) -> None:
    count = AuditEvent.objects.count()
    patient_care_status_change(patient=patient.patient, status="active", reason="", changed_by=nurse.user)
    assert AuditEvent.objects.count() == count
    assert Patient.objects.get(pk=patient.patient.pk).care_status_since is None


def test_the_phone_is_told_to_call_the_clinic_while_paused_and_gets_no_reminders(
    patient: EnrolledPatient, nurse: Person
) -> None:
    assert sync(patient).data["care_status"] == {
        "status": "active",
        "since": None,
        "alerts_paused": False,
        "message": "",
    }
    patient_care_status_change(patient=patient.patient, status="paused", reason="travel", changed_by=nurse.user)
    answer = sync(patient).data
    assert answer["care_status"]["status"] == "paused" and answer["care_status"]["alerts_paused"] is True
    assert "call your clinic now" in answer["care_status"]["message"]
    assert "travel" not in answer["care_status"]["message"]  # the nurse's reason stays with the clinic
    assert answer["reminders"] == []
