"""The patient lists the people they invited and revokes them; a revoked caregiver loses access at once."""

from __future__ import annotations

from backend.alerts.announce import alerts_announce
from backend.caregivers.models import CaregiverLink
from backend.caregivers.selectors import caregivers_with_scope
from backend.notifications.models import Delivery, DeliveryStatus
from tests.backend.caregivers.support import CAREGIVERS_URL, NOTIFICATIONS_URL, make_caregiver, prefer, raise_alert
from tests.backend.support import ALERTS_URL, rows
from tests.factories import EnrolledPatient, Person


def test_the_patient_lists_their_caregivers_with_scopes(
    patient: EnrolledPatient, all_alerts_caregiver: Person, summary_caregiver: Person, other_patient: EnrolledPatient
) -> None:
    make_caregiver(other_patient, ["all_alerts"], "not.mine")

    listed = rows(patient.client().get(CAREGIVERS_URL))

    assert [(r["username"], r["scopes"], r["active"]) for r in listed] == [
        ("sam.summary", ["missed_doses", "daily_summary"], True),
        ("ana.all", ["all_alerts"], True),
    ]
    assert listed[0]["display_name"] == "Sam.Summary"
    assert set(listed[0]) >= {"id", "caregiver_id", "created_at", "revoked_at"}


def test_only_the_patient_lists_caregivers(nurse: Person, all_alerts_caregiver: Person) -> None:
    assert nurse.client().get(CAREGIVERS_URL).status_code == 403
    assert all_alerts_caregiver.client().get(CAREGIVERS_URL).status_code == 403


def test_revoking_answers_the_link_and_keeps_it_listed(patient: EnrolledPatient, all_alerts_caregiver: Person) -> None:
    link = CaregiverLink.objects.get(caregiver=all_alerts_caregiver.user)

    response = patient.client().post(f"{CAREGIVERS_URL}{link.pk}/revoke/")

    assert response.status_code == 200
    assert response.json()["active"] is False and response.json()["revoked_at"]
    assert [r["active"] for r in rows(patient.client().get(CAREGIVERS_URL))] == [False]
    again = patient.client().post(f"{CAREGIVERS_URL}{link.pk}/revoke/")
    assert again.status_code == 200 and again.json()["revoked_at"] == response.json()["revoked_at"]


def test_a_patient_cannot_revoke_someone_elses_caregiver(
    patient: EnrolledPatient, other_patient: EnrolledPatient
) -> None:
    theirs = make_caregiver(other_patient, ["all_alerts"], "not.mine")
    link = CaregiverLink.objects.get(caregiver=theirs.user)

    assert patient.client().post(f"{CAREGIVERS_URL}{link.pk}/revoke/").status_code == 404
    assert CaregiverLink.objects.get(pk=link.pk).revoked_at is None


def test_a_revoked_caregiver_sees_nothing_at_once_with_the_same_token(
    patient: EnrolledPatient, all_alerts_caregiver: Person
) -> None:
    alerts_announce(alert_ids=[raise_alert(patient).pk])
    assert len(rows(all_alerts_caregiver.client().get(ALERTS_URL))) == 1
    assert len(rows(all_alerts_caregiver.client().get(NOTIFICATIONS_URL))) == 1
    link = CaregiverLink.objects.get(caregiver=all_alerts_caregiver.user)

    assert patient.client().post(f"{CAREGIVERS_URL}{link.pk}/revoke/").status_code == 200

    assert rows(all_alerts_caregiver.client().get(ALERTS_URL)) == []
    assert rows(all_alerts_caregiver.client().get(NOTIFICATIONS_URL)) == []
    assert caregivers_with_scope(patient.patient, "all_alerts") == []


def test_revoking_cancels_what_still_waits_to_be_sent_to_that_caregiver(
    patient: EnrolledPatient, all_alerts_caregiver: Person
) -> None:
    prefer(all_alerts_caregiver, channels=["email"], email="ana@example.org")
    alert = raise_alert(patient, critical=False)
    alerts_announce(alert_ids=[alert.pk])
    waiting = Delivery.objects.get(notification__recipient=all_alerts_caregiver.user)
    assert waiting.status == DeliveryStatus.PENDING
    link = CaregiverLink.objects.get(caregiver=all_alerts_caregiver.user)

    patient.client().post(f"{CAREGIVERS_URL}{link.pk}/revoke/")

    waiting.refresh_from_db()
    assert (waiting.status, waiting.last_error) == (DeliveryStatus.CANCELLED, "access revoked")


def test_caregivers_with_scope_is_what_other_parts_ask(
    patient: EnrolledPatient, all_alerts_caregiver: Person, summary_caregiver: Person, other_patient: EnrolledPatient
) -> None:
    make_caregiver(other_patient, ["missed_doses"], "not.mine")

    assert caregivers_with_scope(patient.patient, "missed_doses") == [summary_caregiver.user]
    assert caregivers_with_scope(patient.patient.pk, "all_alerts") == [all_alerts_caregiver.user]
    assert caregivers_with_scope(patient.patient, "critical_alerts") == []
