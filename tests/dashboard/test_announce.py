"""Specification: the endpoint every dashboard page polls to announce a new critical alert.

It answers the nurse's clinic's count of open critical alerts and when the newest arrived (raised,
or worsened by a later reading), never an id or a name; it costs the same few queries however many
alerts there are, an unchanged clinic is a 204, and as it shows no patient data it leaves no audit
row. Only the clinic's staff get it; an expired session is sent to the sign-in page. Every page
carries the (hidden) banner and an assertive live region for screen readers."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from backend.alerts.models import Alert, Severity, Status
from backend.alerts.services import alert_acknowledge
from backend.audit.models import AuditEvent
from tests.backend.caregivers.support import make_caregiver
from tests.dashboard.conftest import signed_in
from tests.dashboard.support import POLL, add_alerts, raise_alerts
from tests.factories import EnrolledPatient, Person

pytestmark = pytest.mark.django_db

URL = "/alerts/announce/"


def poll(client: Client, version: str = "") -> Any:
    return client.get(URL, {"v": version} if version else {}, **POLL)


def ms(moment: Any) -> int:
    return round(moment.timestamp() * 1000)


def test_a_quiet_clinic_has_nothing_to_announce(nurse_browser: Client) -> None:
    body = poll(nurse_browser).json()

    assert (body["critical"], body["arrived"]) == (0, 0)
    assert body["poll_seconds"] == 5 and body["version"]


def test_a_new_critical_alert_is_counted_with_the_time_it_arrived_and_nothing_that_names_anyone(
    nurse_browser: Client, patient: EnrolledPatient
) -> None:
    (alert,) = raise_alerts(patient, [18])
    assert alert.severity == Severity.CRITICAL

    response = poll(nurse_browser)

    body = response.json()
    assert (body["critical"], body["arrived"]) == (1, ms(alert.created_at))
    assert body["text"] == "1 critical alert waits for a nurse."
    assert set(body) == {"critical", "arrived", "text", "version", "poll_seconds"}
    content = response.content.decode()
    for secret in (patient.patient.display_name, str(patient.patient.pk), str(alert.pk), alert.title):
        assert secret not in content


def test_a_worse_reading_joining_an_alert_is_announced_again(nurse_browser: Client, patient: EnrolledPatient) -> None:
    (alert,) = raise_alerts(patient, [40], start=timezone.now() - timedelta(days=2))  # grade 3: urgent
    assert poll(nurse_browser).json()["critical"] == 0

    (worse,) = raise_alerts(patient, [18], start=timezone.now() - timedelta(hours=1))

    assert worse.pk == alert.pk and worse.severity == Severity.CRITICAL and worse.worsened_at is not None
    assert poll(nurse_browser).json()["arrived"] == ms(worse.worsened_at)


def test_only_open_critical_alerts_of_her_own_clinic_count(
    nurse_browser: Client, nurse: Person, patient: EnrolledPatient, other_patient: EnrolledPatient
) -> None:
    raise_alerts(other_patient, [18])
    raise_alerts(patient, [0.7], analyte="anc")  # grade 3 neutropenia: urgent
    assert poll(nurse_browser).json()["critical"] == 0

    (alert,) = raise_alerts(patient, [18])
    assert poll(nurse_browser).json()["critical"] == 1
    alert_acknowledge(user=nurse.user, alert_id=alert.pk)  # a nurse is on it
    assert poll(nurse_browser).json() | {"version": ""} == {
        "critical": 0,
        "arrived": 0,
        "text": "0 critical alerts wait for a nurse.",
        "version": "",
        "poll_seconds": 5,
    }


def test_an_unchanged_clinic_is_answered_204(nurse_browser: Client, patient: EnrolledPatient) -> None:
    raise_alerts(patient, [18])
    version = poll(nurse_browser).json()["version"]

    assert poll(nurse_browser, version).status_code == 204
    raise_alerts(patient, [0.7], analyte="anc")
    assert poll(nurse_browser, version).status_code == 200


def test_it_costs_the_same_queries_for_one_critical_alert_as_for_two_hundred(
    nurse_browser: Client, patient: EnrolledPatient
) -> None:
    raise_alerts(patient, [18])
    with CaptureQueriesContext(connection) as one:
        assert poll(nurse_browser).json()["critical"] == 1
    add_alerts(patient.patient, status=Status.OPEN, severity=Severity.CRITICAL, at=timezone.now(), count=200)
    with CaptureQueriesContext(connection) as many:
        assert poll(nurse_browser).json()["critical"] == 201

    assert len(many.captured_queries) == len(one.captured_queries)
    own = [q for q in many.captured_queries if '"alerts_alert"' in q["sql"]]
    # The queue's version and the newest arrival; the counts too on SQLite (on PostgreSQL they are
    # the tally's sum, backend.alerts.tally).
    assert len(own) == (2 if connection.vendor == "postgresql" else 3)


def test_polling_leaves_no_audit_row(nurse_browser: Client, patient: EnrolledPatient) -> None:
    raise_alerts(patient, [18])
    before = AuditEvent.objects.count()

    for _ in range(3):
        assert poll(nurse_browser).status_code == 200

    assert AuditEvent.objects.count() == before


def test_patients_and_caregivers_are_refused_and_the_refusal_recorded(patient: EnrolledPatient) -> None:
    caregiver = make_caregiver(patient, ["all_alerts"])
    for person in (patient, caregiver):
        response = poll(signed_in(person))
        assert response.status_code == 403
        assert AuditEvent.objects.filter(actor_id=person.user.pk, action="refused").exists()


def test_an_expired_session_sends_the_page_to_sign_in() -> None:
    response = Client().get(URL, HTTP_HX_REQUEST="true", HTTP_X_CARELOOP_POLL="1", HTTP_HX_CURRENT_URL="/patients/")

    assert response.status_code == 204
    assert response["HX-Redirect"].startswith("/signin/?next=%2Fpatients%2F")


@pytest.mark.parametrize("path", ["/", "/patients/", "/cycle-start/", "/clinic/metrics/"])
def test_every_page_carries_the_banner_and_an_assertive_live_region(nurse_browser: Client, path: str) -> None:
    page = nurse_browser.get(path).content.decode()

    assert '<div id="announce" class="announce" hidden' in page and 'data-url="/alerts/announce/"' in page
    assert 'data-title="New critical alert in CareLoop"' in page
    assert '<div id="announce-live" class="sr-only" aria-live="assertive" aria-atomic="true"></div>' in page
    assert "dashboard/announce.js" in page and "data-announce-sound" in page and "data-announce-notify" in page


def test_the_sign_in_page_has_no_banner() -> None:
    assert 'id="announce"' not in Client().get("/signin/").content.decode()


def test_the_patient_page_shows_the_banner_without_the_critical_alerts_of_the_queue(
    nurse_browser: Client, patient: EnrolledPatient
) -> None:
    (alert,) = raise_alerts(patient, [18])
    page = nurse_browser.get(f"/patients/{patient.patient.pk}/").content.decode()
    banner = page[page.index('<div id="announce"') : page.index('<div id="announce-live"')]

    assert Alert.objects.get(pk=alert.pk).title not in banner and patient.patient.display_name not in banner
