"""Specification of the patient's own language on `GET/PATCH /api/v1/me/`, in the enrollment answer
and in every sync answer: the phone speaks it, and the patient's messages are written in it."""

from __future__ import annotations

import pytest

from backend.accounts.models import User
from backend.audit.models import AuditEvent
from tests.backend.patients.test_apis import create, enroll
from tests.backend.support import error_fields, sync
from tests.factories import EnrolledPatient, Person

pytestmark = pytest.mark.django_db

ME_URL = "/api/v1/me/"


def language_of(patient: EnrolledPatient) -> str:
    return User.objects.get(pk=patient.user.pk).language


def test_the_profile_says_the_language_none_chosen_at_first(patient: EnrolledPatient) -> None:
    assert patient.client().get(ME_URL).json()["language"] == ""


def test_the_patient_chooses_a_language_and_the_change_is_audited(patient: EnrolledPatient) -> None:
    response = patient.client().patch(ME_URL, {"language": "es"}, format="json")

    assert response.status_code == 200 and response.json()["language"] == "es"
    assert response.json()["timezone"] == "America/New_York"  # nothing else changed
    assert language_of(patient) == "es"
    event = AuditEvent.objects.get(action="update", resource="patient", detail="language")
    assert event.actor_id == patient.user.pk
    assert patient.client().patch(ME_URL, {"language": ""}, format="json").json()["language"] == ""


def test_the_language_and_the_zone_together(patient: EnrolledPatient) -> None:
    response = patient.client().patch(ME_URL, {"language": "es", "timezone": "Europe/Madrid"}, format="json")

    assert response.status_code == 200
    assert (response.json()["language"], response.json()["timezone"]) == ("es", "Europe/Madrid")


@pytest.mark.parametrize("body", [{"language": "klingon"}, {"language": None}, {"language": 5}, {}])
def test_a_language_we_do_not_speak_is_400_and_changes_nothing(patient: EnrolledPatient, body: object) -> None:
    response = patient.client().patch(ME_URL, body, format="json")

    assert response.status_code == 400 and error_fields(response)
    assert language_of(patient) == ""


def test_every_sync_answer_carries_it(patient: EnrolledPatient) -> None:
    assert sync(patient).json()["language"] == ""
    User.objects.filter(pk=patient.user.pk).update(language="es")
    assert sync(patient).json()["language"] == "es"


def test_the_enrollment_answer_carries_it(nurse: Person) -> None:
    code = create(nurse)["enrollment_code"]

    answer = enroll(code).json()

    assert answer["patient"]["language"] == ""  # a new person has chosen none: the phone's own
