"""GET/PUT /api/v1/notification-preferences/: each person sets how they are reached."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from backend.alerts.announce import alerts_announce
from backend.audit.models import AuditEvent
from backend.notifications.models import Delivery, Preference
from tests.backend.audit.support import last_audit_id
from tests.backend.caregivers.support import PREFERENCES_URL, prefer, raise_alert
from tests.backend.support import error_fields
from tests.factories import EnrolledPatient, Person


def _put(person: Person, body: Any) -> Any:
    return person.client().put(PREFERENCES_URL, body, format="json")


def test_without_preferences_only_the_inbox_is_on_in_the_patients_own_zone(patient: EnrolledPatient) -> None:
    body = patient.client().get(PREFERENCES_URL).json()

    assert body == {
        "channels": [],
        "disabled_channels": [],
        "email": "",
        "phone": "",
        "push_token": "",
        "quiet_start": None,
        "quiet_end": None,
        "timezone": "America/New_York",
        "language": "",  # none chosen: the clinic's default (backend.notifications.texts.language_of)
    }
    assert not Preference.objects.exists()  # reading creates nothing


def test_a_nurse_sets_her_channels_quiet_hours_and_zone(nurse: Person) -> None:
    response = _put(
        nurse,
        {
            "channels": ["sms", "email"],
            "email": "nina@clinic.example",
            "phone": "+1 (555) 010-0123",
            "quiet_start": "22:00",
            "quiet_end": "07:00",
            "timezone": "Europe/Paris",
        },
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["channels"] == ["email", "sms"]
    assert body["phone"] == "+15550100123"  # E.164, as SMS providers want it
    assert (body["quiet_start"], body["quiet_end"], body["timezone"]) == ("22:00", "07:00", "Europe/Paris")
    assert nurse.client().get(PREFERENCES_URL).json() == body


def test_a_put_changes_only_what_it_names(nurse: Person) -> None:
    _put(nurse, {"channels": ["email"], "email": "nina@clinic.example", "timezone": "Asia/Tokyo"})

    body = _put(nurse, {"quiet_start": "23:00", "quiet_end": "06:00"}).json()

    assert (body["channels"], body["email"], body["timezone"]) == (["email"], "nina@clinic.example", "Asia/Tokyo")


def test_patch_works_the_same(nurse: Person) -> None:
    response = nurse.client().patch(PREFERENCES_URL, {"language": "es"}, format="json")

    assert response.status_code == 200 and response.json()["language"] == "es"
    # One language per person: the preference's is the person's own, the dashboard's too.
    nurse.user.refresh_from_db()
    assert nurse.user.language == "es"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"channels": ["sms"]}, "phone"),
        ({"channels": ["email"]}, "email"),
        ({"channels": ["push"]}, "push_token"),
        ({"channels": ["pigeon"]}, "channels"),
        ({"channels": "email"}, "channels"),
        ({"email": "not-an-email"}, "email"),
        ({"phone": "555-0100"}, "phone"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"quiet_start": "22:00"}, "quiet_end"),
        ({"quiet_start": "25:00", "quiet_end": "07:00"}, "quiet_start"),
        ({"quiet_start": "2200", "quiet_end": "07:00"}, "quiet_start"),  # Python would read it; no client means it
        ({"quiet_start": "22:00+01:00", "quiet_end": "07:00"}, "quiet_start"),  # a wall clock has no offset
        ({"quiet_start": "22:00", "quiet_end": 7}, "quiet_end"),
        ({"language": "klingon"}, "language"),
        ({"push_token": "x" * 301}, "push_token"),
    ],
)
def test_invalid_preferences_are_refused_naming_the_field(nurse: Person, body: dict[str, Any], field: str) -> None:
    response = _put(nurse, body)

    assert response.status_code == 400
    assert any(name == field or name.startswith(f"{field}.") for name in error_fields(response))
    assert not Preference.objects.exists()


def test_quiet_hours_are_hh_mm_as_the_schema_says_seconds_dropped(nurse: Person) -> None:
    body = _put(nurse, {"quiet_start": "22:00:30", "quiet_end": "07:00"}).json()

    assert (body["quiet_start"], body["quiet_end"]) == ("22:00", "07:00")


@pytest.mark.parametrize("body", [[], "x", 3])
def test_a_body_that_is_not_an_object_is_refused(nurse: Person, body: Any) -> None:
    response = _put(nurse, body)

    assert response.status_code == 400
    assert "body" in error_fields(response)
    assert not Preference.objects.exists()


def test_changing_the_address_turns_a_disabled_channel_back_on(nurse: Person) -> None:
    prefer(nurse, channels=["sms"], phone="+15550100123", disabled_channels=["sms"])

    assert _put(nurse, {"timezone": "UTC"}).json()["disabled_channels"] == ["sms"]
    assert _put(nurse, {"phone": "+15550100999"}).json()["disabled_channels"] == []


def test_signing_in_is_needed(anonymous: APIClient) -> None:
    assert anonymous.get(PREFERENCES_URL).status_code == 401
    assert anonymous.put(PREFERENCES_URL, {}, format="json").status_code == 401


def test_everyone_sets_their_own_only(nurse: Person, caregiver: Person, patient: EnrolledPatient) -> None:
    for person, address in ((nurse, "n@x.example"), (caregiver, "c@x.example"), (patient, "p@x.example")):
        assert _put(person, {"channels": ["email"], "email": address}).status_code == 200

    assert dict(Preference.objects.values_list("user__username", "email")) == {
        "nurse.nina": "n@x.example",
        "care.giver": "c@x.example",
        patient.user.username: "p@x.example",
    }


def test_a_nurses_alert_notifications_reach_her_by_her_preferred_channels(
    nurse: Person, patient: EnrolledPatient
) -> None:
    _put(nurse, {"channels": ["sms", "push"], "phone": "+15550100123", "push_token": "tok", "email": "n@x.example"})

    alerts_announce(alert_ids=[raise_alert(patient).pk])

    assert sorted(Delivery.objects.filter(notification__recipient=nurse.user).values_list("channel", flat=True)) == [
        "push",
        "sms",
    ]


def test_a_change_of_contact_details_is_on_the_record(patient: EnrolledPatient, nurse: Person) -> None:
    before = last_audit_id()
    assert _put(patient, {"phone": "+14155550100"}).status_code == 200
    assert _put(nurse, {"email": "nina@clinic.example"}).status_code == 200

    events = AuditEvent.objects.filter(id__gt=before).order_by("id")
    assert [(e.actor_id, e.action, e.resource, e.patient_id) for e in events] == [
        (patient.user.pk, "write", "notification-preferences", patient.patient.pk),
        (nurse.user.pk, "write", "notification-preferences", None),
    ]
    assert events[0].detail == "PUT /api/v1/notification-preferences/ 200"
