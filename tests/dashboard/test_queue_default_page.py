"""Specification of the queue's default page on PostgreSQL (backend.dashboard.triage_queue,
`_default_page_audited`): the same page and the same audit rows as the general path, its read audit
written by the page's own statement for the rows shown only, and any other view on the general path."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from backend.alerts.models import Alert, Severity, Status
from backend.audit.models import AuditEvent
from backend.dashboard import triage_queue
from backend.dashboard.triage_queue import QUEUE_PAGE_SIZE
from tests.backend.audit.support import last_audit_id
from tests.dashboard.support import POLL, add_alerts, queue, row_ids, shown_version
from tests.factories import EnrolledPatient, Person, make_patient

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="one statement for page and audit: PostgreSQL's WITH (CI runs it)"
    ),
]

AUDITED = ("at", "actor_id", "actor_role", "action", "resource", "object_id", "detail", "patient_id")


def busy_clinic(nurse: Person, patient: EnrolledPatient, other_patient: EnrolledPatient) -> None:
    """More unresolved alerts than a page, of every rank (critical, urgent, superseded) and status,
    some assigned, created in the same second as others (the id decides), and another clinic's."""
    now = timezone.now().replace(microsecond=0)
    add_alerts(patient.patient, status=Status.OPEN, severity=Severity.URGENT, at=now - timedelta(hours=3), count=30)
    add_alerts(patient.patient, status=Status.ACKNOWLEDGED, severity=Severity.CRITICAL, at=now, count=12)
    add_alerts(patient.patient, status=Status.OPEN, severity=Severity.CRITICAL, at=now - timedelta(hours=1), count=10)
    superseded = add_alerts(patient.patient, status=Status.OPEN, severity=Severity.CRITICAL, at=now, count=5)
    Alert.objects.filter(pk__in=[a.pk for a in superseded]).update(superseded=True)
    add_alerts(patient.patient, status=Status.RESOLVED, severity=Severity.CRITICAL, at=now, count=5)
    Alert.objects.filter(pk__in=Alert.objects.filter(severity=Severity.URGENT).values("pk")[:4]).update(
        assigned_to=nurse.user
    )
    add_alerts(other_patient.patient, status=Status.OPEN, severity=Severity.CRITICAL, at=now, count=3)


def general_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(triage_queue, "_default_page_audited", lambda **kwargs: None)


def page_and_audit(client: Client, **headers: str) -> tuple[str, list[tuple[Any, ...]]]:
    before = last_audit_id()
    response = client.get("/", **headers)  # type: ignore[arg-type]
    assert response.status_code == 200
    body = re.sub(r'(csrfmiddlewaretoken" value="|X-CSRFToken": ")[^"]+"', r"\1", response.content.decode())
    body = re.sub(r'nonce="[^"]+"', "nonce", body)
    audited = AuditEvent.objects.filter(id__gt=before).values_list(*AUDITED)
    return body, sorted(audited, key=lambda row: str(row[-1]))


@pytest.mark.parametrize("fragment", [False, True], ids=["page", "polled fragment"])
def test_the_default_page_shows_and_audits_what_the_general_path_does(
    fragment: bool,
    nurse: Person,
    nurse_browser: Client,
    patient: EnrolledPatient,
    other_patient: EnrolledPatient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    busy_clinic(nurse, patient, other_patient)
    headers = {"HTTP_HX_REQUEST": "true"} if fragment else {}
    with time_machine.travel(timezone.now(), tick=False):
        fast_page, fast_audit = page_and_audit(nurse_browser, **headers)
        general_path(monkeypatch)
        general_page, general_audit = page_and_audit(nurse_browser, **headers)

    assert fast_page == general_page
    assert fast_audit == general_audit
    assert len(fast_audit) == QUEUE_PAGE_SIZE  # one row per patient shown (add_alerts: one each)
    clinic_patients = set(Alert.objects.filter(patient__clinic_id=nurse.user.clinic_id).values_list("patient_id"))
    assert {(row[-1],) for row in fast_audit} <= clinic_patients


def test_the_row_read_to_know_a_next_page_follows_is_not_audited(
    nurse: Person, nurse_browser: Client, patient: EnrolledPatient
) -> None:
    """The page reads QUEUE_PAGE_SIZE + 1 rows: the last one's patient is not shown, nor recorded."""
    now = timezone.now().replace(microsecond=0)
    shown = add_alerts(patient.patient, status=Status.OPEN, severity=Severity.CRITICAL, at=now, count=QUEUE_PAGE_SIZE)
    unseen = make_patient(nurse, name="Una Unseen")
    (last,) = add_alerts(unseen.patient, status=Status.OPEN, severity=Severity.URGENT, at=now - timedelta(days=1))
    before = last_audit_id()

    response = queue(nurse_browser)

    assert row_ids(response) == [str(a.pk) for a in sorted(shown, key=lambda a: a.pk)]
    assert 'rel="next"' in response.content.decode()  # a next page follows
    audited = set(AuditEvent.objects.filter(id__gt=before).values_list("patient_id", flat=True))
    assert audited == {a.patient_id for a in shown}
    assert last.patient_id not in audited


def test_the_default_page_is_read_and_audited_in_one_statement(
    nurse_browser: Client, patient: EnrolledPatient, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_alerts(patient.patient, status=Status.OPEN, severity=Severity.URGENT, at=timezone.now(), count=3)
    queue(nurse_browser)  # the page's SQL compiled on this connection

    with CaptureQueriesContext(connection) as fast:
        queue(nurse_browser)
    general_path(monkeypatch)
    with CaptureQueriesContext(connection) as general:
        queue(nurse_browser)

    assert len(fast.captured_queries) == len(general.captured_queries) - 1
    (page,) = [q["sql"] for q in fast.captured_queries if "audit_auditevent" in q["sql"]]
    assert page.startswith("WITH ok AS") and "alerts_alert" in page


def test_an_empty_default_page_writes_no_audit_row(nurse_browser: Client) -> None:
    before = last_audit_id()

    assert row_ids(queue(nurse_browser)) == []
    assert not AuditEvent.objects.filter(id__gt=before).exists()


@pytest.mark.parametrize(
    "params", [{"page": "2"}, {"severity": "critical"}, {"status": "open"}, {"view": "mine"}, {"patient": "Pat"}]
)
def test_any_other_view_takes_the_general_path_and_is_audited_as_before(
    params: dict[str, str], nurse: Person, nurse_browser: Client, patient: EnrolledPatient
) -> None:
    now = timezone.now().replace(microsecond=0)
    alerts = add_alerts(patient.patient, status=Status.OPEN, severity=Severity.CRITICAL, at=now, count=60)
    Alert.objects.filter(pk__in=[a.pk for a in alerts]).update(assigned_to=nurse.user)
    before = last_audit_id()

    with CaptureQueriesContext(connection) as captured:
        shown = row_ids(queue(nurse_browser, **params))

    assert shown
    assert not any(q["sql"].startswith("WITH ok AS") for q in captured.captured_queries)
    audited = set(AuditEvent.objects.filter(id__gt=before, detail="triage queue").values_list("patient_id", flat=True))
    assert audited == set(Alert.objects.filter(pk__in=shown).values_list("patient_id", flat=True))


def test_an_unchanged_queue_polled_reads_no_page_and_audits_nothing(
    nurse_browser: Client, patient: EnrolledPatient
) -> None:
    add_alerts(patient.patient, status=Status.OPEN, severity=Severity.URGENT, at=timezone.now(), count=2)
    version = shown_version(queue(nurse_browser))
    before = last_audit_id()

    assert nurse_browser.get("/", {"v": version}, **POLL).status_code == 204  # type: ignore[arg-type]
    assert not AuditEvent.objects.filter(id__gt=before).exists()
