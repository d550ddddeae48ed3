"""Specification of a patient's own profile (GET/PATCH /api/v1/me/) and of a nurse moving one of her
patients to another time zone (PATCH /api/v1/patients/{id}/). Only the time zone changes here."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from backend.audit.models import AuditEvent
from backend.patients.models import Patient
from backend.patients.serializers import NOT_CHANGEABLE_BY_STAFF, NOT_CHANGEABLE_HERE
from backend.reminders.materialise import reminders_materialise
from backend.reminders.models import OccurrenceStatus, ReminderOccurrence
from tests.backend.support import PATIENTS_URL, error_fields, post_json
from tests.factories import EnrolledPatient, Person, make_patient

ME_URL = "/api/v1/me/"

pytestmark = pytest.mark.django_db


def detail_url(patient: EnrolledPatient) -> str:
    return f"{PATIENTS_URL}{patient.patient.pk}/"


def zone_of(patient: EnrolledPatient) -> str:
    return Patient.objects.get(pk=patient.patient.pk).timezone


# --- GET /api/v1/me/ -------------------------------------------------------------------------


def test_a_patient_reads_their_own_profile(patient: EnrolledPatient) -> None:
    response = patient.client().get(ME_URL)

    assert response.status_code == 200
    body = response.json()
    assert {"id", "display_name", "timezone", "regimen"} <= set(body)
    assert (body["id"], body["display_name"], body["timezone"]) == (
        str(patient.patient.pk),
        "Pat Doe",
        "America/New_York",
    )
    assert body["regimen"]["timezone"] == "America/New_York"


@pytest.mark.parametrize("who", ["nurse", "caregiver"])
def test_only_a_patient_has_a_profile_here(request: pytest.FixtureRequest, who: str) -> None:
    person: Person = request.getfixturevalue(who)

    assert person.client().get(ME_URL).status_code == 403
    assert person.client().patch(ME_URL, {"timezone": "Europe/Berlin"}, format="json").status_code == 403


def test_the_profile_needs_a_token(anonymous: Any) -> None:
    assert anonymous.get(ME_URL).status_code == 401


# --- PATCH /api/v1/me/ -----------------------------------------------------------------------


def test_a_patient_moves_to_another_zone_and_their_reminders_follow(patient: EnrolledPatient) -> None:
    reminders_materialise()
    pending = ReminderOccurrence.objects.filter(patient=patient.patient, status=OccurrenceStatus.PENDING)
    before = {r.key: r.due_at for r in pending}

    response = patient.client().patch(ME_URL, {"timezone": "Europe/Berlin"}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["timezone"] == "Europe/Berlin"
    assert response.json()["regimen"]["timezone"] == "Europe/Berlin"
    assert zone_of(patient) == "Europe/Berlin"
    after = {r.key: r.due_at for r in pending.all()}
    assert before and all(after[key] != due for key, due in before.items() if key in after)
    event = AuditEvent.objects.get(action="update", resource="patient")
    assert (event.actor_id, event.patient_id) == (patient.user.pk, patient.patient.pk)


def test_the_new_zone_reaches_the_phone_with_the_next_sync(patient: EnrolledPatient) -> None:
    patient.client().patch(ME_URL, {"timezone": "Europe/Berlin"}, format="json")

    answer = post_json(patient.client(), "/api/v1/sync/", {"cursor": None})

    assert answer.json()["regimen"]["timezone"] == "Europe/Berlin"


@pytest.mark.parametrize("name", ["", "Mars/Olympus_Mons", "america/new_york", "EST-5"])
def test_a_name_that_is_not_an_iana_zone_is_400_naming_timezone(patient: EnrolledPatient, name: str) -> None:
    response = patient.client().patch(ME_URL, {"timezone": name}, format="json")

    assert response.status_code == 400
    errors = error_fields(response)
    assert list(errors) == ["timezone"]
    assert "IANA" in errors["timezone"][0]
    assert zone_of(patient) == "America/New_York"


@pytest.mark.parametrize("body", [{}, {"timezone": None}, {"timezone": 5}, [], "Europe/Berlin"])
def test_a_missing_or_mistyped_zone_is_400_not_500(patient: EnrolledPatient, body: object) -> None:
    response = patient.client().patch(ME_URL, data=json.dumps(body), content_type="application/json")

    assert response.status_code == 400
    assert error_fields(response)
    assert zone_of(patient) == "America/New_York"


def test_any_other_field_is_400_naming_it_and_nothing_changes(patient: EnrolledPatient) -> None:
    response = patient.client().patch(
        ME_URL, {"timezone": "Europe/Berlin", "display_name": "Someone", "phone": "555"}, format="json"
    )

    assert response.status_code == 400
    assert error_fields(response) == {"display_name": [NOT_CHANGEABLE_HERE], "phone": [NOT_CHANGEABLE_HERE]}
    assert (zone_of(patient), Patient.objects.get(pk=patient.patient.pk).display_name) == (
        "America/New_York",
        "Pat Doe",
    )


def test_the_same_zone_again_is_200_and_changes_nothing(patient: EnrolledPatient) -> None:
    response = patient.client().patch(ME_URL, {"timezone": "America/New_York"}, format="json")

    assert response.status_code == 200
    assert not AuditEvent.objects.filter(action="update", resource="patient").exists()


def test_reading_the_profile_costs_the_same_queries_however_much_history(nurse: Person) -> None:
    first = make_patient(nurse, name="First")
    second = make_patient(nurse, name="Second", tz="Europe/Berlin")
    reminders_materialise()

    def queries(person: EnrolledPatient) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert person.client().get(ME_URL).status_code == 200
        return len(captured)

    queries(first)  # the first request checks the token in the database; later ones use the cache
    baseline = queries(first)
    for _ in range(3):
        second.client().patch(ME_URL, {"timezone": "Asia/Tokyo"}, format="json")
        second.client().patch(ME_URL, {"timezone": "Europe/Berlin"}, format="json")
    assert queries(second) == baseline
    # the token, its user, the patient, its cycle delays (and a last-used touch at most)
    assert baseline <= 5


def test_moving_costs_the_same_queries_however_long_the_history(nurse: Person) -> None:
    """The re-plan reads and writes the reminders of the coming 48 hours, never the past ones."""
    first = make_patient(nurse, name="First")
    second = make_patient(nurse, name="Second")
    reminders_materialise()
    ReminderOccurrence.objects.bulk_create(
        ReminderOccurrence(
            patient=second.patient,
            kind="antiviral",
            key=f"antiviral:2026-10-{day:02}:08:00",
            local_date=date(2026, 10, day),
            due_at=datetime(2026, 10, day, 12, tzinfo=UTC),
            title="Antiviral",
            text="Take it.",
            status=OccurrenceStatus.SENT,
            created_at=datetime(2026, 10, day, tzinfo=UTC),
        )
        for day in range(1, 31)
    )

    def queries(person: EnrolledPatient) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert person.client().patch(ME_URL, {"timezone": "Europe/Paris"}, format="json").status_code == 200
        return len(captured)

    assert queries(second) == queries(first)


# --- PATCH /api/v1/patients/{id}/ ------------------------------------------------------------


def test_a_nurse_moves_her_patient_to_another_zone(nurse: Person, patient: EnrolledPatient) -> None:
    response = nurse.client().patch(detail_url(patient), {"timezone": "America/Chicago"}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["timezone"] == "America/Chicago"
    assert zone_of(patient) == "America/Chicago"
    assert AuditEvent.objects.filter(action="update", resource="patient", actor=nurse.user).count() == 1


def test_a_nurse_cannot_change_other_fields_here(nurse: Person, patient: EnrolledPatient) -> None:
    response = nurse.client().patch(detail_url(patient), {"start_date": "2026-12-01"}, format="json")

    assert response.status_code == 400
    assert error_fields(response) == {"start_date": [NOT_CHANGEABLE_BY_STAFF]}


def test_a_bad_zone_from_a_nurse_is_400_naming_timezone(nurse: Person, patient: EnrolledPatient) -> None:
    response = nurse.client().patch(detail_url(patient), {"timezone": "Mars/Base"}, format="json")

    assert response.status_code == 400
    assert list(error_fields(response)) == ["timezone"]


def test_another_clinics_patient_is_404_and_unchanged(nurse: Person, other_patient: EnrolledPatient) -> None:
    response = nurse.client().patch(detail_url(other_patient), {"timezone": "Asia/Tokyo"}, format="json")

    assert response.status_code == 404
    assert "Otto" not in response.content.decode()
    assert zone_of(other_patient) == "Europe/Berlin"


@pytest.mark.parametrize("who", ["patient", "other_patient", "caregiver"])
def test_only_clinic_staff_change_a_patient_here(
    request: pytest.FixtureRequest, who: str, patient: EnrolledPatient
) -> None:
    person: Person = request.getfixturevalue(who)

    response = person.client().patch(detail_url(patient), {"timezone": "Asia/Tokyo"}, format="json")

    assert response.status_code in (403, 404)
    assert zone_of(patient) == "America/New_York"
