"""Caregivers holding `daily_summary` get one summary a day from 19:00 in the patient's zone: counts only."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from backend.caregivers.models import CaregiverLink
from backend.caregivers.services import caregiver_revoke
from backend.notifications.models import Notification
from backend.patients.care_status import patient_care_status_change
from backend.reminders.caregiver_summary import daily_summaries_send
from tests.backend.caregivers.support import make_caregiver, raise_alert
from tests.backend.support import sync
from tests.factories import EnrolledPatient, Person, dose_item, symptom_item

# The patient lives in America/New_York (UTC-5 in November).
BEFORE_SEVEN_PM = datetime(2026, 11, 20, 23, 59, 59, tzinfo=UTC)  # 18:59:59 EST
AT_SEVEN_PM = datetime(2026, 11, 21, 0, 0, tzinfo=UTC)  # 19:00 EST, still 20 November there
NEXT_EVENING = datetime(2026, 11, 22, 0, 30, tzinfo=UTC)


@pytest.fixture
def summary_caregiver(patient: EnrolledPatient) -> Person:
    return make_caregiver(patient, ["daily_summary", "missed_doses"], "sam.summary")


@pytest.fixture
def all_alerts_caregiver(patient: EnrolledPatient) -> Person:
    return make_caregiver(patient, ["all_alerts"], "ana.all")


@pytest.fixture
def logged_day(patient: EnrolledPatient) -> None:
    """On 20 November (local): two symptom reports, three doses, one open alert; one dose the day before."""
    response = sync(
        patient,
        symptom_reports=[symptom_item(), symptom_item("nausea", {"severity": "mild"})],
        dose_logs=[
            dose_item(),
            dose_item("lenalidomide"),
            dose_item("dexamethasone", status="skipped"),
            dose_item(taken_at="2026-11-19T07:00:00-05:00"),
        ],
    )
    assert response.status_code == 200
    raise_alert(patient)


def _summaries() -> list[tuple[str, str, str]]:
    return [
        (n.recipient.username, n.title, n.body)
        for n in Notification.objects.filter(kind="daily_summary").select_related("recipient").order_by("created_at")
    ]


def test_nothing_is_sent_before_seven_pm_in_the_patients_zone(logged_day: None, summary_caregiver: Person) -> None:
    assert daily_summaries_send(now=BEFORE_SEVEN_PM) == 0
    assert _summaries() == []


def test_at_seven_pm_holders_get_the_days_counts_and_nothing_else(
    logged_day: None, summary_caregiver: Person, all_alerts_caregiver: Person
) -> None:
    assert daily_summaries_send(now=AT_SEVEN_PM) == 1

    assert _summaries() == [
        (
            "sam.summary",
            "Daily summary for Pat",
            "Daily summary for Pat: 2 symptom reports, 3 doses logged, 1 open alert",
        )
    ]


def test_it_is_sent_once_a_day(logged_day: None, summary_caregiver: Person) -> None:
    daily_summaries_send(now=AT_SEVEN_PM)

    assert daily_summaries_send(now=AT_SEVEN_PM.replace(hour=3)) == 0
    assert daily_summaries_send(now=NEXT_EVENING) == 1
    assert _summaries()[-1][2] == "Daily summary for Pat: 0 symptom reports, 0 doses logged, 1 open alert"


def test_a_revoked_caregiver_gets_no_summary(patient: EnrolledPatient, logged_day: None) -> None:
    carer = make_caregiver(patient, ["daily_summary"], "gone.soon")
    caregiver_revoke(patient=patient.patient, link_id=CaregiverLink.objects.get(caregiver=carer.user).pk)

    assert daily_summaries_send(now=AT_SEVEN_PM) == 0


def test_a_paused_or_discharged_patients_caregivers_get_no_summary(
    patient: EnrolledPatient, logged_day: None, summary_caregiver: Person, nurse: Person
) -> None:
    patient_care_status_change(patient=patient.patient, status="paused", reason="inpatient", changed_by=nurse.user)
    assert daily_summaries_send(now=AT_SEVEN_PM) == 0
    patient_care_status_change(patient=patient.patient, status="active", reason="", changed_by=nurse.user)
    assert daily_summaries_send(now=NEXT_EVENING) == 1
