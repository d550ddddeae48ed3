"""The delivery log: each message on each channel is claimed, attempted and logged; transient errors
are retried with backoff a bounded number of times; a permanent one disables that channel and tells
the clinic."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from backend.accounts.models import Clinic
from backend.alerts.announce import alerts_announce
from backend.notifications.models import Delivery, DeliveryStatus, Notification, Preference
from backend.notifications.services import (
    MAX_ATTEMPTS,
    contact_notify,
    deliveries_send_due,
    notify,
)
from backend.notifications.transports.base import TransportError
from tests.backend.caregivers.support import make_caregiver, prefer, raise_alert
from tests.backend.notifications.fakes import ScriptedTransport
from tests.backend.support import ALERTS_URL
from tests.factories import EnrolledPatient, Person

NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)


def _tell(person: Person, *, critical: bool = False, key: str = "event-1") -> Notification:
    found = notify(recipient=person.user, kind="alert", title="t", body="b", dedupe_key=key, critical=critical, now=NOW)
    assert found is not None
    return found


def test_each_chosen_channel_with_an_address_gets_one_delivery(
    nurse: Person, scripted: type[ScriptedTransport]
) -> None:
    prefer(nurse, channels=["email", "sms", "push"], email="nina@clinic.example", phone="+15550100123")

    _tell(nurse)

    assert sorted(Delivery.objects.values_list("channel", "address")) == [
        ("email", "nina@clinic.example"),
        ("sms", "+15550100123"),
    ]  # no push token: no push
    assert deliveries_send_due(now=NOW) == 2
    assert [d["subject"] for d in scripted.sent] == ["CareLoop: alert", "CareLoop: alert"]
    assert set(Delivery.objects.values_list("status", "attempts")) == {(DeliveryStatus.SENT, 1)}


def test_the_same_event_never_notifies_the_same_person_twice(nurse: Person) -> None:
    prefer(nurse, channels=["email"], email="nina@clinic.example")
    _tell(nurse)

    assert notify(recipient=nurse.user, kind="alert", title="t", body="b", dedupe_key="event-1") is None
    assert (Notification.objects.count(), Delivery.objects.count()) == (1, 1)


def test_a_permanent_error_disables_the_channel_and_tells_the_clinic_admins(
    nurse: Person, clinic_admin: Person, other_clinic_nurse: Person, scripted: type[ScriptedTransport]
) -> None:
    prefer(nurse, channels=["sms"], phone="+15550100123")
    _tell(nurse)
    scripted.outcomes.append(TransportError("Twilio 21211: invalid 'To' phone number", permanent=True))

    assert deliveries_send_due(now=NOW) == 0

    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, 1)
    assert delivery.last_error == "Twilio 21211: invalid 'To' phone number"
    assert Preference.objects.get(user=nurse.user).disabled_channels == ["sms"]
    [told] = Notification.objects.filter(recipient=clinic_admin.user, kind="system")
    assert told.title == "SMS disabled for a user" and "invalid 'To' phone number" in told.body
    assert not Notification.objects.filter(recipient=other_clinic_nurse.user).exists()
    _tell(nurse, key="event-2")
    assert Delivery.objects.count() == 1  # the disabled channel is not used again
    assert deliveries_send_due(now=NOW + timedelta(hours=1)) == 0
    assert scripted.calls == 1


def test_transient_errors_are_retried_with_growing_backoff_then_given_up(
    nurse: Person, scripted: type[ScriptedTransport]
) -> None:
    prefer(nurse, channels=["email"], email="nina@clinic.example")
    _tell(nurse)
    scripted.outcomes.extend(TransportError("timeout") for _ in range(MAX_ATTEMPTS + 3))
    waits = []
    at = NOW

    for _ in range(MAX_ATTEMPTS):
        assert deliveries_send_due(now=at) == 0
        delivery = Delivery.objects.get()
        waits.append(delivery.not_before - at)
        assert deliveries_send_due(now=delivery.not_before - timedelta(seconds=1)) == 0  # not before its time
        at = delivery.not_before

    assert [int(w.total_seconds()) for w in waits[:4]] == [30, 60, 120, 240]
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_error) == (DeliveryStatus.FAILED, MAX_ATTEMPTS, "timeout")
    assert deliveries_send_due(now=at + timedelta(days=1)) == 0
    assert scripted.calls == MAX_ATTEMPTS
    assert Preference.objects.get(user=nurse.user).disabled_channels == []  # transient: nothing disabled


def test_a_transient_error_then_success_is_sent_once(nurse: Person, scripted: type[ScriptedTransport]) -> None:
    prefer(nurse, channels=["email"], email="nina@clinic.example")
    _tell(nurse)
    scripted.outcomes.append(TransportError("503"))

    deliveries_send_due(now=NOW)
    assert deliveries_send_due(now=NOW + timedelta(seconds=30)) == 1

    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_error) == (DeliveryStatus.SENT, 2, "")
    assert len(scripted.sent) == 1


def test_an_adapter_bug_is_retried_like_a_transient_error(nurse: Person, scripted: type[ScriptedTransport]) -> None:
    prefer(nurse, channels=["email"], email="nina@clinic.example")
    _tell(nurse)
    scripted.outcomes.append(KeyError("surprise"))

    deliveries_send_due(now=NOW)

    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.last_error) == (DeliveryStatus.PENDING, "KeyError")


def test_an_on_call_contact_who_is_no_user_goes_through_the_same_log(
    nurse: Person, scripted: type[ScriptedTransport]
) -> None:
    clinic = Clinic.objects.get(pk=nurse.user.clinic_id)

    planned = contact_notify(
        clinic=clinic, contact_key="k1", kind="escalation", addresses={"email": "oc@x.example", "sms": ""}, now=NOW
    )

    assert planned == ["email"]
    assert contact_notify(clinic=clinic, contact_key="k1", kind="escalation", addresses={"email": "oc@x.example"}) == []
    assert deliveries_send_due(now=NOW) == 1
    assert scripted.sent[0]["body"] == "An alert has not been acknowledged in time. Open the CareLoop dashboard now."
    assert scripted.sent[0]["dedupe_key"] == "careloop-k1-email"


def test_a_permanent_error_for_the_on_call_contact_tells_the_admins(
    nurse: Person, clinic_admin: Person, scripted: type[ScriptedTransport]
) -> None:
    clinic = Clinic.objects.get(pk=nurse.user.clinic_id)
    contact_notify(clinic=clinic, contact_key="k1", kind="escalation", addresses={"sms": "+15550100"}, now=NOW)
    scripted.outcomes.append(TransportError("Twilio 21614: not a mobile number", permanent=True))

    deliveries_send_due(now=NOW)

    assert Delivery.objects.get().status == DeliveryStatus.FAILED
    [told] = Notification.objects.filter(recipient=clinic_admin.user)
    assert told.title == "On-call SMS failed" and "on-call contact in the clinic's settings" in told.body


def test_acknowledging_cancels_the_clinics_waiting_messages_but_not_the_patients_or_caregivers(
    patient: EnrolledPatient, nurse: Person, clinic_admin: Person
) -> None:
    carer = make_caregiver(patient, ["all_alerts"], "ana.all")
    quiet_all_day = {"quiet_start": "00:00", "quiet_end": "23:59", "timezone": "UTC"}
    for person, address in ((clinic_admin, "ada@clinic.example"), (carer, "ana@example.org")):
        prefer(person, channels=["email"], email=address, **quiet_all_day)
    prefer(patient, channels=["push"], push_token="tok-123", **quiet_all_day)
    alert = raise_alert(patient, critical=False)
    alerts_announce(alert_ids=[alert.pk])
    assert Delivery.objects.filter(status=DeliveryStatus.PENDING).count() == 3

    nurse.client().post(f"{ALERTS_URL}{alert.pk}/acknowledge/")

    assert dict(Delivery.objects.values_list("notification__recipient__username", "status")) == {
        "admin.ada": DeliveryStatus.CANCELLED,
        "ana.all": DeliveryStatus.PENDING,
        patient.user.username: DeliveryStatus.PENDING,
    }
