"""Specification: a clinic's delivery log (backend.notifications.delivery_log) holds the clinic's
deliveries and no other clinic's, and a clinic admin can send failed ones again."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from backend.core.errors import NotFound
from backend.notifications import delivery_log
from backend.notifications.models import Delivery, DeliveryStatus, Preference
from backend.notifications.services import contact_notify, deliveries_send_due, notify
from backend.notifications.transports.base import TransportError
from tests.backend.caregivers.support import make_caregiver
from tests.backend.notifications.fakes import ScriptedTransport
from tests.factories import EnrolledPatient, Person, make_patient

pytestmark = pytest.mark.django_db


def reachable(person: Person, phone: str = "+15550100111") -> None:
    Preference.objects.create(user=person.user, channels=["sms"], phone=phone)


def message(person: Person, key: str, patient: EnrolledPatient | None = None) -> Delivery:
    notify(
        recipient=person.user,
        kind="alert",
        title="Grade 4 platelets",
        body="Maria Lopez: platelets 18",
        dedupe_key=key,
        patient_id=patient.patient.pk if patient else None,
    )
    return Delivery.objects.get(notification__dedupe_key=key)


def on_call(person: Person, key: str) -> Delivery:
    clinic = person.user.clinic
    assert clinic is not None
    contact_notify(clinic=clinic, contact_key=key, kind="escalation", addresses={"sms": "+15550100199"})
    return Delivery.objects.get(contact_key=key)


def test_the_clinic_log_holds_its_peoples_its_patients_and_its_on_call_deliveries(
    nurse: Person, patient: EnrolledPatient, other_clinic_nurse: Person
) -> None:
    for person in (nurse, patient, other_clinic_nurse):
        reachable(person)
    carer = make_caregiver(patient, ["critical_alerts"])
    reachable(carer)
    ours = {
        message(nurse, "n1", patient).pk,  # about our patient
        message(nurse, "n2").pk,  # a notice about no patient
        message(patient, "p1", patient).pk,  # to our patient
        message(carer, "c1", patient).pk,  # to a caregiver, about our patient
        on_call(nurse, "oc1").pk,
    }
    theirs = {message(other_clinic_nurse, "o1").pk, on_call(other_clinic_nurse, "oc2").pk}
    clinic = nurse.user.clinic
    assert clinic is not None
    assert set(delivery_log.clinic_deliveries(clinic).values_list("pk", flat=True)) == ours
    assert not theirs & ours


def test_a_caregivers_message_about_another_clinics_patient_stays_with_that_clinic(
    nurse: Person, patient: EnrolledPatient, other_clinic_nurse: Person
) -> None:
    carer = make_caregiver(patient, ["critical_alerts"])  # her account belongs to our clinic
    otto = make_patient(other_clinic_nurse, name="Otto Other")
    reachable(carer)
    about_otto = message(carer, "c-otto", otto)
    ours, theirs = nurse.user.clinic, other_clinic_nurse.user.clinic
    assert ours is not None and theirs is not None
    assert about_otto not in delivery_log.clinic_deliveries(ours)
    assert about_otto in delivery_log.clinic_deliveries(theirs)


def test_rows_name_the_recipient_and_mask_the_address(nurse: Person, patient: EnrolledPatient) -> None:
    reachable(nurse, phone="+15550100101")
    reachable(patient)
    message(nurse, "n1", patient)
    message(patient, "p1", patient)
    on_call(nurse, "oc1")
    clinic = nurse.user.clinic
    assert clinic is not None
    rows = delivery_log.delivery_rows(list(delivery_log.with_recipients(delivery_log.clinic_deliveries(clinic))))
    shown = {(r.recipient, r.recipient_role, r.address, r.patient_id) for r in rows}
    assert shown == {
        ("nurse.nina", "Nurse", "+15…01", None),
        ("Pat Doe", "Patient", "+15…11", patient.patient.pk),
        (delivery_log.ON_CALL, "", "+15…99", None),
    }


def test_what_the_development_transport_recorded_is_on_the_row(nurse: Person, dev_transports: None) -> None:
    reachable(nurse)
    message(nurse, "n1")
    deliveries_send_due()
    clinic = nurse.user.clinic
    assert clinic is not None
    (row,) = delivery_log.delivery_rows(list(delivery_log.clinic_deliveries(clinic)))
    assert row.recorded is not None
    assert (row.recorded.subject, row.recorded.body) == (
        "CareLoop: alert",
        "A patient alert needs your attention. Open the CareLoop dashboard.",
    )


def fail(delivery: Delivery, status: str = DeliveryStatus.FAILED, attempts: int = 5) -> None:
    Delivery.objects.filter(pk=delivery.pk).update(
        status=status, attempts=attempts, last_error="provider down", not_before=timezone.now() + timedelta(hours=1)
    )


def test_a_failed_delivery_sent_again_goes_out_on_the_next_run(nurse: Person, scripted: Any) -> None:
    reachable(nurse)
    delivery = message(nurse, "n1")
    fail(delivery)
    clinic = nurse.user.clinic
    assert clinic is not None
    assert delivery_log.delivery_retry(clinic=clinic, delivery_id=delivery.pk)
    assert deliveries_send_due() == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == (DeliveryStatus.SENT, 6, "")


def test_a_retry_is_one_more_attempt_for_a_delivery_whose_attempts_are_spent(nurse: Person, scripted: Any) -> None:
    reachable(nurse)
    delivery = message(nurse, "n1")
    fail(delivery)
    clinic = nurse.user.clinic
    assert clinic is not None
    delivery_log.delivery_retry(clinic=clinic, delivery_id=delivery.pk)
    ScriptedTransport.outcomes.append(TransportError("still down"))
    deliveries_send_due()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == (DeliveryStatus.FAILED, 6, "still down")


@pytest.mark.parametrize("status", [DeliveryStatus.SENT, DeliveryStatus.PENDING, DeliveryStatus.CANCELLED])
def test_only_failed_or_unconfirmed_deliveries_are_sent_again(nurse: Person, status: str) -> None:
    reachable(nurse)
    delivery = message(nurse, "n1")
    Delivery.objects.filter(pk=delivery.pk).update(status=status)
    clinic = nurse.user.clinic
    assert clinic is not None
    assert not delivery_log.delivery_retry(clinic=clinic, delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == status


def test_an_unconfirmed_delivery_is_sent_again_only_one_at_a_time(nurse: Person, patient: EnrolledPatient) -> None:
    reachable(nurse)
    reachable(patient)
    unconfirmed, failed = message(nurse, "n1"), message(patient, "p1", patient)
    fail(unconfirmed, DeliveryStatus.UNCONFIRMED, attempts=1)
    fail(failed)
    clinic = nurse.user.clinic
    assert clinic is not None
    assert delivery_log.deliveries_retry_failed(clinic=clinic) == 1
    assert Delivery.objects.get(pk=unconfirmed.pk).status == DeliveryStatus.UNCONFIRMED
    assert delivery_log.delivery_retry(clinic=clinic, delivery_id=unconfirmed.pk)
    assert Delivery.objects.get(pk=unconfirmed.pk).status == DeliveryStatus.PENDING


def test_another_clinics_delivery_is_not_found_and_not_sent_again(nurse: Person, other_clinic_nurse: Person) -> None:
    reachable(other_clinic_nurse)
    theirs = message(other_clinic_nurse, "o1")
    fail(theirs)
    clinic = nurse.user.clinic
    assert clinic is not None
    with pytest.raises(NotFound):
        delivery_log.delivery_retry(clinic=clinic, delivery_id=theirs.pk)
    assert delivery_log.deliveries_retry_failed(clinic=clinic) == 0
    assert Delivery.objects.get(pk=theirs.pk).status == DeliveryStatus.FAILED


def test_sending_again_twice_queues_once(nurse: Person) -> None:
    reachable(nurse)
    delivery = message(nurse, "n1")
    fail(delivery)
    clinic = nurse.user.clinic
    assert clinic is not None
    assert delivery_log.delivery_retry(clinic=clinic, delivery_id=delivery.pk)
    assert not delivery_log.delivery_retry(clinic=clinic, delivery_id=delivery.pk)
    assert delivery_log.deliveries_retry_failed(clinic=clinic) == 0
