"""Lenalidomide REMS reminders on the server (shared.rems through shared.reminders): pregnancy tests
and birth-control checks for a patient the care team recorded as able to become pregnant; the
no-donation reminder and the program survey for everyone on lenalidomide; 4 weeks on after
lenalidomide stops, then none. Their wording carries no patient data (push and SMS)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from backend.patients.dose_decisions import DecisionInput, dose_decision_record
from backend.patients.models import Patient
from backend.reminders.selectors import upcoming_reminders
from tests.factories import EnrolledPatient, Person

pytestmark = pytest.mark.django_db

DAY_1 = datetime(2026, 11, 1, 4, tzinfo=UTC)  # midnight in New York, Pat's cycle 1 day 1


def rems_keys(patient: Patient, now: datetime, days: int = 36) -> list[str]:
    return [
        u.occurrence.key for u in upcoming_reminders(patient=patient, now=now, days=days) if u.occurrence.kind == "rems"
    ]


def test_everyone_on_lenalidomide_is_reminded_not_to_donate_and_of_the_survey(pat: EnrolledPatient) -> None:
    assert rems_keys(pat.patient, DAY_1) == [
        "rems:no_donation:2026-11-01",
        "rems:rems_survey:2026-11-01",
        "rems:no_donation:2026-11-29",
        "rems:rems_survey:2026-11-29",
    ]


def test_a_patient_who_can_become_pregnant_is_reminded_of_weekly_tests_then_every_4_weeks(
    pat: EnrolledPatient,
) -> None:
    Patient.objects.filter(pk=pat.patient.pk).update(can_become_pregnant=True)
    patient = Patient.objects.get(pk=pat.patient.pk)
    tests = [k for k in rems_keys(patient, DAY_1, days=60) if k.startswith("rems:pregnancy_test")]
    assert [k.rsplit(":", 1)[1] for k in tests] == [
        "2026-11-01",
        "2026-11-08",
        "2026-11-15",
        "2026-11-22",
        "2026-11-29",
        "2026-12-27",
    ]
    [first] = [u for u in upcoming_reminders(patient=patient, now=DAY_1, days=1) if "pregnancy" in u.occurrence.key]
    assert (first.message.title, first.message.text) == (
        "Pregnancy test due",
        "Your treatment program asks for a pregnancy test now. Your care team will tell you where.",
    )


def test_they_go_on_4_weeks_after_lenalidomide_stops_then_end(
    pat: EnrolledPatient, nurse: Person, clock: Callable[[datetime], None]
) -> None:
    clock(datetime(2026, 11, 10, 15, tzinfo=UTC))
    dose_decision_record(
        patient=pat.patient, data=DecisionInput(action="stop", drug="lenalidomide"), decided_by=nurse.user
    )
    patient = Patient.objects.get(pk=pat.patient.pk)
    keys = rems_keys(patient, datetime(2026, 11, 10, 16, tzinfo=UTC), days=90)
    assert keys == ["rems:no_donation:2026-11-29", "rems:rems_survey:2026-11-29"]  # 10 Nov + 4 weeks = 8 Dec
