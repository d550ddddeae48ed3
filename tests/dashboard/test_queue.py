"""The triage queue: what each row shows, its order and filters, acting on an alert in place, live
updates, the audit trail, and that a nurse only ever sees her own clinic."""

from __future__ import annotations

import json

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from backend.accounts.models import Clinic
from backend.alerts.models import Alert, Status
from backend.audit.models import AuditEvent
from tests.backend.audit.support import last_audit_id
from tests.dashboard.support import (
    HTMX,
    POLL,
    age,
    queue,
    raise_alerts,
    raise_symptom_alert,
    row_ids,
    shown_version,
    text,
)
from tests.factories import EnrolledPatient, Person

pytestmark = pytest.mark.django_db


def test_it_shows_each_alert_with_patient_kind_grade_holds_age_and_time_to_escalation(
    nurse_browser: Client, patient: EnrolledPatient
) -> None:
    (alert,) = raise_alerts(patient, [22])
    with time_machine.travel(timezone.now(), tick=False):
        age(alert, 5)
        response = queue(nurse_browser)
    page = text(response)
    assert "Pat Doe" in page
    assert "Grade 4 thrombocytopenia" in page and "Thrombocytopenia" in page
    assert '<span class="grade grade--4"><span class="sr-only">CTCAE grade </span>' in response.content.decode()
    assert "Ixazomib" in page and "Lenalidomide" in page
    assert "5 min" in page  # age
    assert "10 min left" in page  # critical escalates after the clinic's 15 minutes
    assert "Critical" in page


def test_no_template_comment_leaks_into_the_page(nurse_browser: Client, patient: EnrolledPatient) -> None:
    raise_alerts(patient, [22])
    html = queue(nurse_browser).content.decode()
    assert "{#" not in html and "#}" not in html and "{%" not in html


def test_an_alert_past_its_escalation_target_reads_overdue(nurse_browser: Client, patient: EnrolledPatient) -> None:
    (alert,) = raise_alerts(patient, [40])  # grade 3: urgent, 2 hours
    with time_machine.travel(timezone.now(), tick=False):
        age(alert, 150)
        page = text(queue(nurse_browser))
    assert "Overdue 30 min" in page and "2 h 30 min" in page


def test_the_escalation_target_follows_the_clinic_setting(nurse_browser: Client, patient: EnrolledPatient) -> None:
    Clinic.objects.filter(pk=patient.patient.clinic_id).update(escalation_urgent_minutes=30)
    (alert,) = raise_alerts(patient, [40])
    with time_machine.travel(timezone.now(), tick=False):
        age(alert, 10)
        assert "20 min left" in text(queue(nurse_browser))


def test_critical_comes_first_then_the_longest_waiting(
    nurse_browser: Client, patient: EnrolledPatient, second_patient: EnrolledPatient
) -> None:
    # One open alert per patient and kind (contract §4, episodes): platelets and ANC.
    (urgent_old,), (critical_new,) = raise_alerts(patient, [40]), raise_alerts(patient, [0.3], analyte="anc")
    (critical_old,), (urgent_new,) = (
        raise_alerts(second_patient, [10]),
        raise_alerts(second_patient, [0.7], analyte="anc"),
    )
    age(urgent_old, 90), age(critical_new, 3), age(critical_old, 8), age(urgent_new, 1)
    assert row_ids(queue(nurse_browser)) == [str(a.pk) for a in (critical_old, critical_new, urgent_old, urgent_new)]


def test_filters_narrow_the_queue(
    nurse_browser: Client, patient: EnrolledPatient, second_patient: EnrolledPatient
) -> None:
    (urgent,), (critical,) = raise_alerts(patient, [40]), raise_alerts(patient, [0.3], analyte="anc")
    (other,) = raise_alerts(second_patient, [45])
    fever = raise_symptom_alert(second_patient, "fever", {"temperature_c": 38.6})
    assert row_ids(queue(nurse_browser, severity="critical")) == [str(critical.pk)]
    assert row_ids(queue(nurse_browser, kind="fever")) == [str(fever.pk)]
    assert set(row_ids(queue(nurse_browser, patient="second"))) == {str(other.pk), str(fever.pk)}
    Alert.objects.filter(pk=urgent.pk).update(status=Status.ACKNOWLEDGED)
    assert row_ids(queue(nurse_browser, status="acknowledged")) == [str(urgent.pk)]
    assert str(urgent.pk) not in row_ids(queue(nurse_browser, status="open"))
    # Nonsense in a filter is ignored rather than answered with an error.
    assert queue(nurse_browser, severity="bogus", status="nope").status_code == 200


def test_a_nurse_acknowledges_in_place(nurse_browser: Client, nurse: Person, patient: EnrolledPatient) -> None:
    (alert,) = raise_alerts(patient, [20])
    response = nurse_browser.post(f"/alerts/{alert.pk}/acknowledge/", **HTMX)
    assert response.status_code == 200
    assert json.loads(response["HX-Trigger"])["queue-changed"] is True
    assert "Acknowledged: Grade 4 thrombocytopenia" in text(response)
    alert.refresh_from_db()
    assert alert.status == Status.ACKNOWLEDGED and alert.acknowledged_by_id == nurse.user.pk
    assert "Acknowledged by nurse.nina" in text(queue(nurse_browser))
    assert AuditEvent.objects.filter(action="acknowledge", object_id=str(alert.pk), actor=nurse.user).count() == 1


def test_a_nurse_resolves_in_place_with_an_outcome_and_a_note(
    nurse_browser: Client, nurse: Person, patient: EnrolledPatient
) -> None:
    (alert,) = raise_alerts(patient, [20])
    form = nurse_browser.get(f"/alerts/{alert.pk}/resolve/", **HTMX)
    assert form.status_code == 200
    assert "Called patient" in text(form) and "Sent to ED" in text(form) and "Dose held" in text(form)
    incomplete = nurse_browser.post(f"/alerts/{alert.pk}/resolve/", {"outcome": "dose_held"}, **HTMX)
    assert incomplete.status_code == 200 and "Write what you did" in text(incomplete)
    assert Alert.objects.get(pk=alert.pk).status == Status.OPEN
    done = nurse_browser.post(
        f"/alerts/{alert.pk}/resolve/", {"outcome": "dose_held", "note": "Told her to hold both."}, **HTMX
    )
    assert done.status_code == 200
    assert json.loads(done["HX-Trigger"]) == {"queue-changed": True, "dialog-close": True}
    alert.refresh_from_db()
    assert (alert.status, alert.outcome, alert.resolution_note) == (
        Status.RESOLVED,
        "dose_held",
        "Told her to hold both.",
    )
    assert str(alert.pk) not in row_ids(queue(nurse_browser))
    assert str(alert.pk) in row_ids(queue(nurse_browser, status="resolved"))
    assert AuditEvent.objects.filter(action="resolve", object_id=str(alert.pk)).count() == 1


def test_resolving_works_without_javascript_too(nurse_browser: Client, patient: EnrolledPatient) -> None:
    (alert,) = raise_alerts(patient, [20])
    page = nurse_browser.get(f"/alerts/{alert.pk}/resolve/?next=/")
    assert page.status_code == 200 and "<html" in page.content.decode()
    done = nurse_browser.post(f"/alerts/{alert.pk}/resolve/", {"outcome": "sent_to_ed", "note": "ED.", "next": "/"})
    assert done.status_code == 302 and done["Location"] == "/"
    assert "Resolved: Grade 4 thrombocytopenia" in text(nurse_browser.get("/"))


def test_the_polling_answers_204_and_audits_nothing_while_nothing_changed(
    nurse_browser: Client, patient: EnrolledPatient
) -> None:
    raise_alerts(patient, [20])
    version = shown_version(nurse_browser.get("/", **POLL))
    audited = AuditEvent.objects.count()
    with CaptureQueriesContext(connection) as ctx:
        again = nurse_browser.get("/", {"v": version}, **POLL)
    assert again.status_code == 204 and again.content == b""
    # Session, user, then the unresolved counts and the clinic's newest change: one statement on
    # PostgreSQL (its tally), two on SQLite.
    assert len(ctx.captured_queries) == (3 if connection.vendor == "postgresql" else 4)
    assert AuditEvent.objects.count() == audited


def test_a_new_alert_comes_with_the_next_poll_marked_new(nurse_browser: Client, patient: EnrolledPatient) -> None:
    (old,) = raise_alerts(patient, [40])
    version = shown_version(nurse_browser.get("/", **POLL))
    (new,) = raise_alerts(patient, [0.3], analyte="anc")  # another kind: a new alert (contract §4)
    update = nurse_browser.get("/", {"v": version}, **POLL)
    assert update.status_code == 200
    body = update.content.decode()
    assert row_ids(update) == [str(new.pk), str(old.pk)]
    assert f'id="alert-{new.pk}" class="row row--critical row--open is-new"' in body
    assert f'id="alert-{old.pk}" class="row row--urgent row--open"' in body
    assert "1 new alert: critical, Grade 4 neutropenia, Pat Doe." in text(update)
    assert "<title>(2) Triage queue · CareLoop</title>" in body


def test_the_queue_writes_who_saw_which_patient(
    nurse_browser: Client, nurse: Person, patient: EnrolledPatient, second_patient: EnrolledPatient
) -> None:
    raise_alerts(patient, [20, 30])
    raise_alerts(second_patient, [40])
    before = last_audit_id()  # the trail is append-only: count from here
    queue(nurse_browser)
    events = AuditEvent.objects.filter(id__gt=before, actor=nurse.user, action="read", resource="alert")
    assert {e.patient_id for e in events} == {patient.patient.pk, second_patient.patient.pk}
    assert all(e.detail == "triage queue" and e.at for e in events)


def test_a_nurse_never_sees_or_touches_another_clinics_alerts(
    other_browser: Client, nurse_browser: Client, patient: EnrolledPatient, other_patient: EnrolledPatient
) -> None:
    (mine,) = raise_alerts(patient, [20])
    (theirs,) = raise_alerts(other_patient, [20])
    assert row_ids(queue(nurse_browser)) == [str(mine.pk)]
    assert "Otto Other" not in text(queue(nurse_browser))
    assert nurse_browser.post(f"/alerts/{theirs.pk}/acknowledge/").status_code == 404
    assert nurse_browser.get(f"/alerts/{theirs.pk}/resolve/").status_code == 404
    assert nurse_browser.post(f"/alerts/{theirs.pk}/resolve/", {"outcome": "other", "note": "x"}).status_code == 404
    assert Alert.objects.get(pk=theirs.pk).status == Status.OPEN
    assert row_ids(queue(other_browser)) == [str(theirs.pk)]
