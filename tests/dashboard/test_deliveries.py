"""Specification: a clinic admin reads the clinic's delivery log in the dashboard (status,
attempts, last error, channel; filtered by status), sees what the development transport recorded,
and sends failed messages again. Never the inbox text (names, values), never another clinic's;
nurses cannot open it; reading it and sending again are on the audit trail."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from backend.audit.models import AuditEvent
from backend.notifications.models import Delivery, DeliveryStatus, Preference
from backend.notifications.services import deliveries_send_due, notify
from backend.notifications.transports.registry import transport_for
from tests.factories import EnrolledPatient, Person, make_nurse, make_patient

pytestmark = pytest.mark.django_db


@pytest.fixture
def dev_transports(settings: Any) -> Any:
    settings.CARELOOP_TRANSPORTS = {"email": "dev", "sms": "dev", "push": "dev"}
    transport_for.cache_clear()
    yield
    transport_for.cache_clear()


def delivery(person: Person, key: str, patient: EnrolledPatient | None = None, status: str = "") -> Delivery:
    Preference.objects.get_or_create(user=person.user, defaults={"channels": ["sms"], "phone": "+15550100123"})
    notify(
        recipient=person.user,
        kind="alert",
        title="Grade 4 platelets",
        body="Pat Doe: platelets 18 x10^9/L",
        dedupe_key=key,
        patient_id=patient.patient.pk if patient else None,
    )
    found = Delivery.objects.get(notification__dedupe_key=key)
    if status:
        Delivery.objects.filter(pk=found.pk).update(status=status, attempts=5, last_error="Twilio 503")
    return found


def test_it_is_for_clinic_admins_only(nurse_browser: Client, admin_browser: Client) -> None:
    assert admin_browser.get("/clinic/deliveries/").status_code == 200
    assert nurse_browser.get("/clinic/deliveries/").status_code == 403
    assert Client().get("/clinic/deliveries/").status_code == 302


def test_it_shows_status_attempts_error_and_channel_but_no_inbox_text(
    admin_browser: Client, nurse: Person, patient: EnrolledPatient
) -> None:
    delivery(nurse, "n1", patient, status=DeliveryStatus.FAILED)
    page = admin_browser.get("/clinic/deliveries/").content.decode()
    for shown in ("nurse.nina", '<td class="small">SMS</td>', "Failed", "Twilio 503", "+15…23", ">5<"):
        assert shown in page, shown
    assert "platelets" not in page and "+15550100123" not in page


def test_it_shows_what_the_development_transport_recorded(
    admin_browser: Client, nurse: Person, dev_transports: None
) -> None:
    delivery(nurse, "n1")
    deliveries_send_due()
    page = admin_browser.get("/clinic/deliveries/").content.decode()
    assert "A patient alert needs your attention. Open the CareLoop dashboard." in page
    assert "Sent" in page


def test_another_clinics_deliveries_are_not_shown(admin_browser: Client, other_clinic_nurse: Person) -> None:
    delivery(other_clinic_nurse, "o1", status=DeliveryStatus.FAILED)
    page = admin_browser.get("/clinic/deliveries/").content.decode()
    assert "nurse.olga" not in page and "No deliveries" in page
    assert "Retry" not in page


def test_it_filters_by_status(admin_browser: Client, nurse: Person, patient: EnrolledPatient) -> None:
    delivery(nurse, "n1", status=DeliveryStatus.FAILED)
    delivery(patient, "p1", patient)
    failed = admin_browser.get("/clinic/deliveries/?status=failed").content.decode()
    assert "nurse.nina" in failed and "Pat Doe" not in failed
    pending = admin_browser.get("/clinic/deliveries/?status=pending").content.decode()
    assert "Pat Doe" in pending and "nurse.nina" not in pending


def test_reading_it_is_audited_with_the_patients_it_names(
    admin_browser: Client, clinic_admin: Person, nurse: Person, patient: EnrolledPatient
) -> None:
    delivery(patient, "p1", patient)
    admin_browser.get("/clinic/deliveries/")
    (event,) = AuditEvent.objects.filter(resource="delivery", action="read")
    assert (event.actor_id, event.patient_id) == (clinic_admin.user.pk, patient.patient.pk)


def test_send_again_queues_a_failed_one_and_returns_to_the_same_view(
    admin_browser: Client, clinic_admin: Person, nurse: Person
) -> None:
    failed = delivery(nurse, "n1", status=DeliveryStatus.FAILED)
    response = admin_browser.post(
        f"/clinic/deliveries/{failed.pk}/retry/", {"next": "/clinic/deliveries/?status=failed"}
    )
    assert response.status_code == 302 and response["Location"] == "/clinic/deliveries/?status=failed"
    failed.refresh_from_db()
    assert failed.status == DeliveryStatus.PENDING and failed.not_before <= timezone.now()
    event = AuditEvent.objects.get(resource="delivery", action="update")
    assert (event.actor_id, event.object_id) == (clinic_admin.user.pk, str(failed.pk))


def test_send_again_never_redirects_off_the_log(admin_browser: Client, nurse: Person) -> None:
    failed = delivery(nurse, "n1", status=DeliveryStatus.FAILED)
    for target in ("https://evil.example/", "/patients/"):
        response = admin_browser.post(f"/clinic/deliveries/{failed.pk}/retry/", {"next": target})
        assert response["Location"] == "/clinic/deliveries/"


def test_retry_failed_queues_every_failed_one_of_the_clinic_only(
    admin_browser: Client, nurse: Person, patient: EnrolledPatient, other_clinic_nurse: Person
) -> None:
    ours = [delivery(nurse, "n1", status=DeliveryStatus.FAILED), delivery(patient, "p1", patient, "failed")]
    theirs = delivery(other_clinic_nurse, "o1", status=DeliveryStatus.FAILED)
    assert "Retry 2 failed" in admin_browser.get("/clinic/deliveries/").content.decode()
    response = admin_browser.post("/clinic/deliveries/retry-failed/", follow=True)
    assert "2 failed deliveries queued again" in response.content.decode()
    assert {d.status for d in Delivery.objects.filter(pk__in=[d.pk for d in ours])} == {DeliveryStatus.PENDING}
    assert Delivery.objects.get(pk=theirs.pk).status == DeliveryStatus.FAILED


def test_another_clinics_delivery_is_not_found(admin_browser: Client, other_clinic_nurse: Person) -> None:
    theirs = delivery(other_clinic_nurse, "o1", status=DeliveryStatus.FAILED)
    assert admin_browser.post(f"/clinic/deliveries/{theirs.pk}/retry/").status_code == 404
    assert Delivery.objects.get(pk=theirs.pk).status == DeliveryStatus.FAILED
    assert AuditEvent.objects.filter(action="refused", resource="dashboard:delivery-retry").count() == 1


def test_a_nurse_cannot_send_again(nurse_browser: Client, nurse: Person) -> None:
    failed = delivery(nurse, "n1", status=DeliveryStatus.FAILED)
    assert nurse_browser.post(f"/clinic/deliveries/{failed.pk}/retry/").status_code == 403
    assert nurse_browser.post("/clinic/deliveries/retry-failed/").status_code == 403
    assert Delivery.objects.get(pk=failed.pk).status == DeliveryStatus.FAILED


def test_sending_again_needs_the_csrf_token(clinic_admin: Person, nurse: Person) -> None:
    failed = delivery(nurse, "n1", status=DeliveryStatus.FAILED)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(clinic_admin.user)
    assert browser.post("/clinic/deliveries/retry-failed/").status_code == 403
    assert Delivery.objects.get(pk=failed.pk).status == DeliveryStatus.FAILED


# --- Channels stopped by a permanent error -----------------------------------------------------


def stop(person: Person, channel: str = "sms") -> None:
    Preference.objects.update_or_create(
        user=person.user, defaults={"channels": [channel], "phone": "+15550100123", "disabled_channels": [channel]}
    )


def test_a_stopped_channel_of_the_clinic_is_listed_and_turned_back_on(
    admin_browser: Client, clinic_admin: Person, patient: EnrolledPatient
) -> None:
    stop(patient)
    page = admin_browser.get("/clinic/deliveries/").content.decode()
    assert "Channels stopped by a permanent error" in page and "Pat Doe" in page
    response = admin_browser.post(f"/clinic/channels/{patient.user.pk}/sms/resume/", follow=True)
    assert "Pat Doe&#x27;s SMS is in use again" in response.content.decode()
    assert Preference.objects.get(user=patient.user).disabled_channels == []
    event = AuditEvent.objects.get(resource="notification_preference")
    assert (event.action, event.actor_id, event.patient_id) == ("update", clinic_admin.user.pk, patient.patient.pk)


def test_turning_on_a_channel_that_was_not_stopped_changes_and_records_nothing(
    admin_browser: Client, nurse: Person
) -> None:
    stop(nurse, "sms")
    response = admin_browser.post(f"/clinic/channels/{nurse.user.pk}/email/resume/", follow=True)
    assert "nothing changed" in response.content.decode()
    assert Preference.objects.get(user=nurse.user).disabled_channels == ["sms"]
    assert not AuditEvent.objects.filter(resource="notification_preference").exists()


def test_another_clinics_stopped_channel_is_neither_listed_nor_turned_on(
    admin_browser: Client, other_clinic_nurse: Person
) -> None:
    stop(other_clinic_nurse)
    assert "nurse.olga" not in admin_browser.get("/clinic/deliveries/").content.decode()
    assert admin_browser.post(f"/clinic/channels/{other_clinic_nurse.user.pk}/sms/resume/").status_code == 404
    assert Preference.objects.get(user=other_clinic_nurse.user).disabled_channels == ["sms"]


def test_a_nurse_cannot_turn_a_channel_back_on(nurse_browser: Client, patient: EnrolledPatient) -> None:
    stop(patient)
    assert nurse_browser.post(f"/clinic/channels/{patient.user.pk}/sms/resume/").status_code == 403
    assert Preference.objects.get(user=patient.user).disabled_channels == ["sms"]


def test_the_log_and_the_staff_page_cost_the_same_for_n_and_5n_rows(
    admin_browser: Client, nurse: Person, dev_transports: None
) -> None:
    def queries(url: str) -> int:
        admin_browser.get(url)  # warm: a session renewal is not what is measured
        with CaptureQueriesContext(connection) as ctx:
            assert admin_browser.get(url).status_code == 200
        return len(ctx.captured_queries)

    def grow(n: int, offset: int) -> None:
        for i in range(offset, offset + n):
            someone = make_patient(nurse, name=f"Patient {i:03d}")
            delivery(someone, f"p{i}", someone, status=DeliveryStatus.FAILED if i % 2 else "")
            make_nurse(f"nurse.{i:03d}")
            Preference.objects.filter(user=someone.user).update(disabled_channels=["sms"])
        deliveries_send_due()

    grow(2, 0)
    small = {url: queries(url) for url in ("/clinic/deliveries/", "/clinic/staff/")}
    grow(8, 2)
    assert {url: queries(url) for url in small} == small
