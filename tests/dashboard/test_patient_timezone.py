"""Changing a patient's time zone from their page: the pending reminders follow at once; a name that
is not a zone is explained next to the field and changes nothing; own clinic only; CSRF-protected."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time
from typing import Any

import pytest
import time_machine
from django.test import Client

from backend.audit.models import AuditEvent
from backend.patients.models import Patient
from backend.reminders.materialise import reminders_materialise
from backend.reminders.models import OccurrenceStatus, ReminderOccurrence, ReminderPlan
from tests.dashboard.support import text
from tests.factories import EnrolledPatient, Person

pytestmark = pytest.mark.django_db

# Tue 3 Nov 2026, 12:00 UTC: Pat (New York, cycle 1 from Sun 1 Nov) has lenalidomide reminders ahead.
NOW = datetime(2026, 11, 3, 12, tzinfo=UTC)


def change(client: Client, patient: EnrolledPatient, zone: str) -> Any:
    return client.post(f"/patients/{patient.patient.pk}/timezone/", {"timezone": zone})


def pending(patient: EnrolledPatient) -> dict[str, datetime]:
    rows = ReminderOccurrence.objects.filter(patient=patient.patient, status=OccurrenceStatus.PENDING)
    return {r.key: r.due_at for r in rows}


@pytest.fixture
def planned(time_machine: time_machine.TimeMachineFixture, patient: EnrolledPatient) -> dict[str, datetime]:
    """Pat's reminders for the days ahead, made by the beat tick, in New York."""
    time_machine.move_to(NOW, tick=False)
    reminders_materialise()
    before = pending(patient)
    assert before
    return before


def test_the_patient_page_shows_the_zone_and_the_change_form(nurse_browser: Client, patient: EnrolledPatient) -> None:
    response = nurse_browser.get(f"/patients/{patient.patient.pk}/")
    html = response.content.decode()
    assert "Time zone America/New_York Change time zone" in text(response)
    assert f'<form method="post" action="/patients/{patient.patient.pk}/timezone/" novalidate>' in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert '<details class="tz-change">' in html  # closed until the nurse opens it
    assert 'list="timezones"' in html and '<option value="Europe/Berlin">' in html


def test_a_nurse_moves_the_patient_and_the_pending_reminders_follow(
    nurse_browser: Client, nurse: Person, patient: EnrolledPatient, planned: dict[str, datetime]
) -> None:
    response = change(nurse_browser, patient, " Europe/Berlin ")

    assert response.status_code == 302 and response["Location"] == f"/patients/{patient.patient.pk}/"
    assert Patient.objects.get(pk=patient.patient.pk).timezone == "Europe/Berlin"
    after = pending(patient)
    assert planned.keys() <= after.keys()  # the same doses, re-timed (and Berlin's days ahead added)
    assert ReminderPlan.objects.get(pk=patient.patient.pk).lenalidomide_time == time(9)
    # Wednesday's 09:00 lenalidomide reminder: 09:00 EST before, 09:00 CET now.
    assert planned["lenalidomide:2026-11-04"] == datetime(2026, 11, 4, 14, tzinfo=UTC)
    assert after["lenalidomide:2026-11-04"] == datetime(2026, 11, 4, 8, tzinfo=UTC)
    event = AuditEvent.objects.get(actor=nurse.user, action="update", resource="patient")
    assert event.detail == "timezone: America/New_York -> Europe/Berlin"
    page = nurse_browser.get(response["Location"])
    assert "Time zone changed to Europe/Berlin. Reminders now follow it." in text(page)
    assert "Time zone Europe/Berlin Change" in text(page)


def test_the_same_zone_again_changes_nothing_and_says_so(
    nurse_browser: Client, patient: EnrolledPatient, planned: dict[str, datetime]
) -> None:
    response = change(nurse_browser, patient, "America/New_York")
    assert response.status_code == 302
    assert pending(patient) == planned
    assert not AuditEvent.objects.filter(action="update", resource="patient").exists()
    page = nurse_browser.get(f"/patients/{patient.patient.pk}/")
    assert "The time zone is already America/New_York: nothing changed." in text(page)


@pytest.mark.parametrize(
    ("zone", "reason"),
    [
        ("Mars/Olympus", "Must be an IANA time zone name, e.g. America/New_York."),
        ("", "This field is required."),
    ],
)
def test_a_name_that_is_not_a_zone_is_explained_next_to_the_field_and_changes_nothing(
    nurse_browser: Client, patient: EnrolledPatient, planned: dict[str, datetime], zone: str, reason: str
) -> None:
    response = change(nurse_browser, patient, zone)

    assert response.status_code == 200
    html = response.content.decode()
    assert '<details class="tz-change" open>' in html
    field = re.search(r'<input type="text" name="timezone"[^>]*>', html)
    assert field, "no time zone field"
    assert 'aria-invalid="true"' in field.group(0)
    assert 'aria-describedby="id_timezone_helptext id_timezone_error"' in field.group(0)
    assert f'<p class="field-error" id="id_timezone_error">{reason}</p>' in html
    assert "Time zone America/New_York" in text(response)
    assert Patient.objects.get(pk=patient.patient.pk).timezone == "America/New_York"
    assert pending(patient) == planned
    assert not AuditEvent.objects.filter(action="update", resource="patient").exists()


def test_another_clinics_nurse_gets_not_found_and_nothing_changes(
    other_browser: Client, patient: EnrolledPatient
) -> None:
    response = change(other_browser, patient, "Europe/Berlin")
    assert response.status_code == 404
    assert "Pat Doe" not in text(response)
    assert Patient.objects.get(pk=patient.patient.pk).timezone == "America/New_York"
    assert not AuditEvent.objects.filter(patient_id=patient.patient.pk, action="update").exists()


def test_only_a_post_changes_the_zone(nurse_browser: Client, patient: EnrolledPatient) -> None:
    response = nurse_browser.get(f"/patients/{patient.patient.pk}/timezone/", {"timezone": "Europe/Berlin"})
    assert response.status_code == 405
    assert Patient.objects.get(pk=patient.patient.pk).timezone == "America/New_York"


def test_the_change_is_csrf_protected(nurse: Person, patient: EnrolledPatient) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(nurse.user)
    assert change(client, patient, "Europe/Berlin").status_code == 403
    assert Patient.objects.get(pk=patient.patient.pk).timezone == "America/New_York"


def test_a_signed_out_browser_is_sent_to_sign_in(patient: EnrolledPatient) -> None:
    response = change(Client(), patient, "Europe/Berlin")
    assert response.status_code == 302 and response["Location"].startswith("/signin/")
    assert Patient.objects.get(pk=patient.patient.pk).timezone == "America/New_York"
