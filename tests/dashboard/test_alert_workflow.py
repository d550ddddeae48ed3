"""The nurse's alert workflow in the dashboard: the queue's Mine / Unassigned / All tabs and the
assign controls, notes added over time, dose decisions taken from an alert, and the patient page's
bulk resolve. Queries stay constant; every form answers with a form error, never a 500."""

from __future__ import annotations

import json
import uuid

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from backend.alerts.models import Alert, AlertNote, Status
from backend.audit.models import AuditEvent
from backend.patients.models import DoseDecision, Patient
from tests.dashboard.support import HTMX, raise_alerts, raise_symptom_alert, row_ids, text
from tests.factories import EnrolledPatient, Person, make_nurse, make_patient

pytestmark = pytest.mark.django_db


def assign(client: Client, alert: Alert, assignee: str, was: str = "", **extra: object) -> object:
    return client.post(f"/alerts/{alert.pk}/assign/", {"assignee": assignee, "was": was}, **extra)  # type: ignore[arg-type]


def test_assign_to_me_shows_it_under_mine_with_the_counts_on_the_tabs(
    nurse_browser: Client, nurse: Person, patient: EnrolledPatient
) -> None:
    (platelets,) = raise_alerts(patient, [20])
    (anc,) = raise_alerts(patient, [0.3], analyte="anc")
    page = text(nurse_browser.get("/"))
    assert "Mine 0" in page and "Unassigned 2" in page and "All 2" in page
    assert "Unassigned" in page and "Assign to me" in page

    response = assign(nurse_browser, platelets, "me", **HTMX)
    assert response.status_code == 200  # type: ignore[attr-defined]
    assert json.loads(response["HX-Trigger"])["queue-changed"]  # type: ignore[index]
    assert "Assigned to you" in text(response)

    mine = nurse_browser.get("/", {"view": "mine"})
    assert row_ids(mine) == [str(platelets.pk)]
    assert "Mine 1" in text(mine) and "Unassigned 1" in text(mine)
    assert row_ids(nurse_browser.get("/", {"view": "unassigned"})) == [str(anc.pk)]
    assert set(row_ids(nurse_browser.get("/", {"view": "all"}))) == {str(platelets.pk), str(anc.pk)}
    # The tabs keep the other filters, and the filters keep the tab.
    assert row_ids(nurse_browser.get("/", {"view": "mine", "severity": "urgent"})) == []
    body = nurse_browser.get("/", {"view": "mine", "severity": "critical"}).content.decode()
    assert 'href="/?status=unresolved&amp;severity=critical&amp;view=unassigned"' in body
    assert '<input type="hidden" name="view" value="mine">' in body


def test_a_colleagues_assignment_is_shown_on_the_row_and_not_overwritten(
    nurse_browser: Client, nurse: Person, patient: EnrolledPatient
) -> None:
    colleague = make_nurse("nurse.nadia")
    colleague.user.first_name, colleague.user.last_name = "Nadia", "Okafor"
    colleague.user.save()
    (alert,) = raise_alerts(patient, [20])
    assert assign(nurse_browser, alert, str(colleague.user.pk)).status_code == 302  # type: ignore[attr-defined]
    assert "Assigned to Nadia Okafor" in text(nurse_browser.get("/"))
    # A second tab that still showed it unassigned: told, nothing changed.
    late = assign(nurse_browser, alert, "me", was="", **HTMX)
    assert "is assigned to Nadia Okafor" in text(late)
    assert Alert.objects.get(pk=alert.pk).assigned_to_id == colleague.user.pk


def test_another_clinics_nurse_is_no_choice_and_cannot_be_assigned(
    nurse_browser: Client, other_clinic_nurse: Person, patient: EnrolledPatient
) -> None:
    (alert,) = raise_alerts(patient, [20])
    assert other_clinic_nurse.user.username not in nurse_browser.get("/").content.decode()
    response = assign(nurse_browser, alert, str(other_clinic_nurse.user.pk), **HTMX)
    assert response.status_code == 200  # type: ignore[attr-defined]
    assert "Choose an active nurse or admin of your clinic" in text(response)
    assert Alert.objects.get(pk=alert.pk).assigned_to_id is None
    assert assign(nurse_browser, alert, "nonsense").status_code == 302  # type: ignore[attr-defined]


def test_the_queue_costs_the_same_queries_whoever_is_assigned(
    nurse_browser: Client, nurse: Person, patient: EnrolledPatient
) -> None:
    def cost(url: str) -> int:
        nurse_browser.get(url)
        with CaptureQueriesContext(connection) as ctx:
            assert nurse_browser.get(url).status_code == 200
        return len(ctx.captured_queries)

    for i in range(2):
        raise_alerts(make_patient(nurse, name=f"Patient {i}"), [20])
    small = {url: cost(url) for url in ("/", "/?view=mine", "/?view=unassigned")}
    others = [make_nurse(f"nurse.{i}") for i in range(3)]
    for i in range(6):
        (alert,) = raise_alerts(make_patient(nurse, name=f"More {i}"), [20])
        Alert.objects.filter(pk=alert.pk).update(assigned_to=others[i % 3].user)
    assert {url: cost(url) for url in small} == small


def test_notes_added_from_the_dialog_show_newest_last_with_author_and_keep_the_status(
    nurse_browser: Client, patient: EnrolledPatient
) -> None:
    (alert,) = raise_alerts(patient, [20])
    for note in ("Called: no answer.", "Reached her at 15:10."):
        response = nurse_browser.post(
            f"/alerts/{alert.pk}/notes/",
            {"thread-note": note, "thread-client_id": str(uuid.uuid4()), "in_dialog": "1"},
            **HTMX,
        )
        assert response.status_code == 200
    page = text(response)
    assert page.index("Called: no answer.") < page.index("Reached her at 15:10.")
    assert "nurse.nina" in page and "Note added" in page
    assert Alert.objects.get(pk=alert.pk).status == Status.OPEN
    empty = nurse_browser.post(f"/alerts/{alert.pk}/notes/", {"thread-note": ""}, **HTMX)
    assert empty.status_code == 200 and "Write the note." in text(empty)
    assert AlertNote.objects.filter(alert=alert).count() == 2


def test_a_note_from_the_patient_page_comes_back_to_it_on_a_resolved_alert_too(
    nurse_browser: Client, nurse: Person, patient: EnrolledPatient
) -> None:
    (alert,) = raise_alerts(patient, [20])
    back = f"/patients/{patient.patient.pk}/#patient-alerts"
    response = nurse_browser.post(f"/alerts/{alert.pk}/notes/", {"thread-note": "First.", "next": back})
    assert response.status_code == 302 and response["Location"] == back
    assert "First." in text(nurse_browser.get(f"/patients/{patient.patient.pk}/"))
    Alert.objects.filter(pk=alert.pk).update(status=Status.RESOLVED)
    nurse_browser.post(f"/alerts/{alert.pk}/notes/", {"thread-note": "After.", "next": back})
    assert [n.text for n in AlertNote.objects.filter(alert=alert)] == ["First.", "After."]


def test_hold_lenalidomide_from_an_alert_shows_on_the_alert_and_the_patient_page(
    nurse_browser: Client, patient: EnrolledPatient
) -> None:
    (alert,) = raise_alerts(patient, [20])
    dialog = nurse_browser.get(f"/alerts/{alert.pk}/resolve/", **HTMX)
    assert "Record a dose decision" in text(dialog)
    response = nurse_browser.post(
        f"/alerts/{alert.pk}/decision/",
        {
            "decision-action": "hold",
            "decision-drug": "lenalidomide",
            "decision-reason": "Platelets 20",
            "decision-seen": "0",
            "in_dialog": "1",
        },
        **HTMX,
    )
    assert response.status_code == 200
    shown = text(response)
    assert "Decision recorded: Hold · Lenalidomide" in shown and "Platelets 20" in shown
    assert json.loads(response["HX-Trigger"])["queue-changed"]
    [decision] = DoseDecision.objects.all()
    assert decision.subject == f"alert:{alert.pk}"
    page = text(nurse_browser.get(f"/patients/{patient.patient.pk}/"))
    assert "Hold Lenalidomide care team decision" in page
    assert f"Decision: Hold · Lenalidomide by nurse.nina — on the alert {alert.title} — Platelets 20" in page
    assert Patient.objects.get(pk=patient.patient.pk).held_drugs == ["lenalidomide"]


def test_a_refused_decision_shows_the_form_with_the_reason(nurse_browser: Client, patient: EnrolledPatient) -> None:
    (alert,) = raise_alerts(patient, [20])
    response = nurse_browser.post(
        f"/alerts/{alert.pk}/decision/",
        {"decision-action": "reduce", "decision-drug": "", "decision-reason": "x", "in_dialog": "1"},
        **HTMX,
    )
    assert response.status_code == 200 and "Must be one of: ixazomib, lenalidomide" in text(response)
    missing = nurse_browser.post(f"/alerts/{alert.pk}/decision/", {"decision-action": "hold"})
    assert missing.status_code == 200 and "Say why." in text(missing)
    assert not DoseDecision.objects.exists()


def test_bulk_resolve_on_the_patient_page_reports_a_colleagues_resolution_by_name(
    nurse_browser: Client, nurse: Person, patient: EnrolledPatient
) -> None:
    (platelets,) = raise_alerts(patient, [20])
    (anc,) = raise_alerts(patient, [0.3], analyte="anc")
    diarrhea = raise_symptom_alert(patient, "diarrhea", {"stools_above_usual": 8})
    url = f"/patients/{patient.patient.pk}/"
    page = nurse_browser.get(url).content.decode()
    assert 'form="bulk-resolve"' in page and "Resolve the ticked alerts together" in page
    colleague = make_nurse("nurse.nadia")
    Client().force_login(colleague.user)
    from backend.alerts.services import alert_resolve

    alert_resolve(user=colleague.user, alert_id=anc.pk, note="Nadia's.", outcome="no_action_needed")
    response = nurse_browser.post(
        f"{url}alerts/resolve/",
        {
            "bulk-alerts": [str(platelets.pk), str(anc.pk)],
            "bulk-outcome": "called_patient",
            "bulk-note": "Reviewed both.",
            "bulk-client_id": str(uuid.uuid4()),
        },
        follow=True,
    )
    shown = text(response)
    assert "Resolved 1 alerts" in shown and "Already resolved by nurse.nadia (No action needed)" in shown
    assert "Your note is kept in the alert's notes." in shown
    assert Alert.objects.get(pk=diarrhea.pk).status == Status.OPEN  # not ticked
    assert [n.text for n in AlertNote.objects.filter(alert=anc)] == ["Nadia's.", "Reviewed both."]
    assert AuditEvent.objects.filter(resource="alert", action="resolve", actor=nurse.user).count() == 1


def test_bulk_resolve_without_a_note_or_another_patients_alert_is_a_form_error(
    nurse_browser: Client, nurse: Person, patient: EnrolledPatient
) -> None:
    (platelets,) = raise_alerts(patient, [20])
    raise_alerts(patient, [0.3], analyte="anc")
    (other,) = raise_alerts(make_patient(nurse, name="Other Person"), [20])
    url = f"/patients/{patient.patient.pk}/alerts/resolve/"
    no_note = nurse_browser.post(url, {"bulk-alerts": [str(platelets.pk)], "bulk-outcome": "other"})
    assert no_note.status_code == 200 and "Write what you did" in text(no_note)
    theirs = nurse_browser.post(
        url, {"bulk-alerts": [str(platelets.pk), str(other.pk)], "bulk-outcome": "other", "bulk-note": "x"}
    )
    assert theirs.status_code == 200 and "Only this patient's alerts" in text(theirs)
    assert not Alert.objects.filter(status=Status.RESOLVED).exists()
