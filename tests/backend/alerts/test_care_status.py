"""Specification: a paused or discharged patient's readings are graded and kept but raise no alert,
reach no caregiver and no nurse; their open alerts stay open but are not escalated
(backend.patients.care_status)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from backend.accounts.models import Clinic
from backend.alerts.checks import stale_labs_check
from backend.alerts.escalation import escalations_run
from backend.alerts.models import Alert, Status
from backend.notifications.models import Notification
from backend.patients.care_status import patient_care_status_change
from backend.patients.models import CareStatus
from backend.records.models import LabResult
from tests.backend.caregivers.support import make_caregiver, raise_alert
from tests.backend.support import grade_all, sync
from tests.factories import EnrolledPatient, Person, lab_item

pytestmark = pytest.mark.django_db


def change(patient: EnrolledPatient, status: str, nurse: Person) -> None:
    reason = "" if status == CareStatus.ACTIVE else "admitted to hospital"
    patient_care_status_change(patient=patient.patient, status=status, reason=reason, changed_by=nurse.user)


@pytest.mark.parametrize("status", [CareStatus.PAUSED, CareStatus.DISCHARGED])
def test_a_reading_is_stored_and_graded_but_raises_no_alert_and_tells_nobody(
    patient: EnrolledPatient, nurse: Person, status: str
) -> None:
    caregiver = make_caregiver(patient, ["critical_alerts", "all_alerts"])
    change(patient, status, nurse)
    item = lab_item(value=18)  # grade 4 thrombocytopenia: critical, were the patient active
    response = sync(patient, lab_results=[item])
    assert response.status_code == 200 and response.data["accepted"] == [item["id"]]

    assert grade_all().to_announce == []
    stored = LabResult.objects.get(pk=item["id"])
    assert (stored.grade, stored.graded_at is not None) == (4, True)
    assert not Alert.objects.filter(patient=patient.patient).exists()
    assert not Notification.objects.filter(recipient__in=[nurse.user, caregiver.user]).exists()


def test_nothing_is_retroactive_on_resume(patient: EnrolledPatient, nurse: Person) -> None:
    change(patient, CareStatus.PAUSED, nurse)
    sync(patient, lab_results=[lab_item(value=18)])
    grade_all()
    change(patient, CareStatus.ACTIVE, nurse)
    assert grade_all().to_announce == []
    assert not Alert.objects.filter(patient=patient.patient).exists()
    raise_alert(patient)  # the next reading alerts as ever


def test_open_alerts_stay_open_and_are_not_escalated_while_paused(patient: EnrolledPatient, nurse: Person) -> None:
    critical = raise_alert(patient)
    clinic = Clinic.objects.get(pk=nurse.user.clinic_id)
    target = timedelta(minutes=clinic.escalation_critical_minutes)
    change(patient, CareStatus.PAUSED, nurse)

    with time_machine.travel(critical.created_at + 3 * target, tick=False):
        assert escalations_run().steps == []
    critical.refresh_from_db()
    assert (critical.status, critical.escalation_level) == (Status.OPEN, 0)

    change(patient, CareStatus.ACTIVE, nurse)  # still unacknowledged: the ladder goes on
    with time_machine.travel(critical.created_at + 3 * target, tick=False):
        assert escalations_run().steps == [(critical.pk, 1)]


def test_the_beat_checks_leave_a_paused_patient_out(patient: EnrolledPatient, nurse: Person) -> None:
    change(patient, CareStatus.PAUSED, nurse)
    assert stale_labs_check(now=patient.patient.created_at + timedelta(days=60)) == []
    change(patient, CareStatus.ACTIVE, nurse)
    assert len(stale_labs_check(now=patient.patient.created_at + timedelta(days=60))) == 1
