"""Two nurses (or two tabs, or two clicks) on one alert: nobody's note is lost, nobody is told an
action happened that did not, and the audit trail has only what happened."""

from __future__ import annotations

import json
import uuid

import pytest
from django.test import Client

from backend.alerts.models import AlertNote, Status
from backend.audit.models import AuditEvent
from tests.dashboard.support import HTMX, raise_alerts, text
from tests.factories import EnrolledPatient, Person

pytestmark = pytest.mark.django_db


def resolve(client: Client, alert_id: object, note: str, outcome: str = "called_patient", **extra: object) -> object:
    body = {"outcome": outcome, "note": note, "client_id": str(extra.pop("client_id", uuid.uuid4()))}
    return client.post(f"/alerts/{alert_id}/resolve/", body, **HTMX, **extra)  # type: ignore[arg-type]


def trail(alert_id: object, person: Person) -> list[tuple[str, str]]:
    rows = AuditEvent.objects.filter(object_id=str(alert_id), actor=person.user).order_by("id")
    return list(rows.values_list("resource", "action"))


def test_a_second_nurse_resolving_after_the_first_keeps_her_note_and_is_told_who_resolved_it(
    nurse_browser: Client, admin_browser: Client, nurse: Person, clinic_admin: Person, patient: EnrolledPatient
) -> None:
    (alert,) = raise_alerts(patient, [20])
    admin_browser.get(f"/alerts/{alert.pk}/resolve/", **HTMX)  # both tabs show the form
    nurse_browser.get(f"/alerts/{alert.pk}/resolve/", **HTMX)
    resolve(nurse_browser, alert.pk, "Called her: counts rechecked tomorrow.", "called_patient")

    late = resolve(admin_browser, alert.pk, "Also held lenalidomide.", "dose_held")

    assert late.status_code == 200  # type: ignore[attr-defined]
    said = text(late)
    assert "Already resolved by nurse.nina at" in said and "(Called patient)" in said
    assert "Your note is kept in the alert's notes" in said
    assert json.loads(late["HX-Trigger"]) == {"queue-changed": True, "dialog-close": True}  # type: ignore[index]
    alert.refresh_from_db()
    assert (alert.status, alert.resolved_by_id, alert.outcome) == (Status.RESOLVED, nurse.user.pk, "called_patient")
    notes = list(AlertNote.objects.filter(alert=alert).values_list("author__username", "text", "resolves"))
    assert notes == [
        ("nurse.nina", "Called her: counts rechecked tomorrow.", True),
        ("admin.ada", "Also held lenalidomide.", False),
    ]
    assert trail(alert.pk, clinic_admin) == [("alert", "read"), ("alert", "read"), ("alert_note", "create")]


def test_the_notes_are_on_the_resolve_dialog_and_the_patients_timeline_with_author_and_time(
    nurse_browser: Client, admin_browser: Client, patient: EnrolledPatient
) -> None:
    (alert,) = raise_alerts(patient, [20])
    resolve(nurse_browser, alert.pk, "Called her.")
    resolve(admin_browser, alert.pk, "Spoke to her daughter too.")

    dialog = text(nurse_browser.get(f"/alerts/{alert.pk}/resolve/", **HTMX))
    assert "Already resolved by nurse.nina" in dialog
    assert dialog.index("Called her.") < dialog.index("Spoke to her daughter too.")
    assert "admin.ada ·" in dialog and "with the resolution" in dialog
    timeline = text(nurse_browser.get(f"/patients/{patient.patient.pk}/"))
    assert "Note: Grade 4 thrombocytopenia" in timeline and "by admin.ada — Spoke to her daughter too." in timeline


def test_the_same_form_sent_twice_resolves_once_and_adds_its_note_once(
    nurse_browser: Client, nurse: Person, patient: EnrolledPatient
) -> None:
    (alert,) = raise_alerts(patient, [20])
    form_id = uuid.uuid4()
    first = resolve(nurse_browser, alert.pk, "Called her.", client_id=form_id)
    second = resolve(nurse_browser, alert.pk, "Called her.", client_id=form_id)

    assert "Resolved: Grade 4 thrombocytopenia" in text(first)
    assert "Already resolved by you at" in text(second) and "note is kept" not in text(second)
    assert AlertNote.objects.filter(alert=alert).count() == 1
    assert trail(alert.pk, nurse) == [("alert", "resolve"), ("alert", "read")]


def test_acknowledging_a_resolved_alert_says_so_and_writes_no_acknowledgement(
    nurse_browser: Client, admin_browser: Client, nurse: Person, clinic_admin: Person, patient: EnrolledPatient
) -> None:
    (alert,) = raise_alerts(patient, [20])
    resolve(nurse_browser, alert.pk, "Called her.")

    response = admin_browser.post(f"/alerts/{alert.pk}/acknowledge/", **HTMX)

    said = text(response)
    assert "Already resolved by nurse.nina at" in said and "Nothing to acknowledge." in said
    assert "Acknowledged:" not in said
    assert 'class="flash flash--info"' in response.content.decode()  # type: ignore[attr-defined]
    alert.refresh_from_db()
    assert (alert.status, alert.acknowledged_by_id) == (Status.RESOLVED, nurse.user.pk)
    assert trail(alert.pk, clinic_admin) == [("alert", "read")]
    assert not AuditEvent.objects.filter(object_id=str(alert.pk), action="acknowledge").exists()


def test_acknowledging_an_acknowledged_alert_says_who_did_and_writes_no_second_acknowledgement(
    nurse_browser: Client, admin_browser: Client, clinic_admin: Person, patient: EnrolledPatient
) -> None:
    (alert,) = raise_alerts(patient, [20])
    nurse_browser.post(f"/alerts/{alert.pk}/acknowledge/", **HTMX)

    response = admin_browser.post(f"/alerts/{alert.pk}/acknowledge/", **HTMX)

    assert "Already acknowledged by nurse.nina at" in text(response)
    assert trail(alert.pk, clinic_admin) == [("alert", "read")]
    assert AuditEvent.objects.filter(object_id=str(alert.pk), action="acknowledge").count() == 1


def test_without_javascript_the_second_nurse_is_told_on_the_page_she_returns_to(
    nurse_browser: Client, admin_browser: Client, patient: EnrolledPatient
) -> None:
    (alert,) = raise_alerts(patient, [20])
    resolve(nurse_browser, alert.pk, "Called her.")
    done = admin_browser.post(
        f"/alerts/{alert.pk}/resolve/", {"outcome": "other", "note": "Late note.", "next": "/"}, follow=True
    )
    assert "Already resolved by nurse.nina" in text(done) and "Your note is kept" in text(done)


def test_every_resolve_form_carries_its_own_id(nurse_browser: Client, patient: EnrolledPatient) -> None:
    (alert,) = raise_alerts(patient, [20])
    ids = {
        text_id
        for _ in range(2)
        for text_id in [
            nurse_browser.get(f"/alerts/{alert.pk}/resolve/", **HTMX)
            .content.decode()
            .split('name="client_id" value="')[1]
            .split('"')[0]
        ]
    }
    assert len(ids) == 2 and all(uuid.UUID(i) for i in ids)
