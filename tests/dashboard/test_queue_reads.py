"""The queue's reads at any size: what the header counts, when the version the polling compares
moves, the triage order, and that the queries neither multiply nor lose their index as the clinic's
history grows (bench/README.md, bench 3)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from backend.alerts.models import Alert, Severity, Status
from backend.alerts.services import alert_acknowledge, alert_resolve
from backend.dashboard import counts, triage_queue
from backend.dashboard.counts import queue_counts, version_time
from backend.dashboard.triage_queue import QUEUE_PAGE_SIZE, QueueFilters, queue_read
from tests.dashboard.support import POLL, add_alerts, queue, raise_alerts, shown_version, text
from tests.factories import EnrolledPatient, Person, make_patient

pytestmark = pytest.mark.django_db


def test_the_header_counts_the_unresolved_alerts_of_the_clinic_only(
    nurse: Person, nurse_browser: Client, patient: EnrolledPatient, other_patient: EnrolledPatient
) -> None:
    # One open alert per patient and kind (contract §4, episodes): three patients, two kinds each.
    people = [patient, make_patient(nurse, name="Sam Second"), make_patient(nurse, name="Tia Third")]
    c1, c2, _c3 = (raise_alerts(p, [20])[0] for p in people)
    u1, _u2, _u3 = (raise_alerts(p, [0.7], analyte="anc")[0] for p in people)
    raise_alerts(other_patient, [20, 40])
    alert_acknowledge(user=nurse.user, alert_id=c1.pk)
    alert_resolve(user=nurse.user, alert_id=c2.pk, note="Called.")
    alert_resolve(user=nurse.user, alert_id=u1.pk, note="Called.")
    counts = queue_counts(clinic_id=patient.patient.clinic_id)
    assert (counts.open_critical, counts.open_urgent, counts.acknowledged) == (1, 2, 1)
    assert counts.version.endswith("-4")  # four unresolved: the two resolved ones are history
    page = text(queue(nurse_browser))
    assert "1 critical open" in page and "2 urgent open" in page and "1 acknowledged" in page
    assert "(3) Triage queue" in page


def test_the_version_moves_with_every_change_the_queue_shows_and_only_then(
    nurse: Person, patient: EnrolledPatient, other_patient: EnrolledPatient
) -> None:
    clinic = patient.patient.clinic_id
    (old,) = raise_alerts(patient, [40])
    with time_machine.travel(timezone.now().replace(microsecond=0), tick=False) as clock:

        def version_after() -> str:
            clock.shift(timedelta(minutes=1))
            return queue_counts(clinic_id=clinic).version

        start = version_after()
        assert version_after() == start
        raise_alerts(other_patient, [20])
        assert version_after() == start, "another clinic's alert is not this queue's change"
        (new,) = raise_alerts(patient, [0.3], analyte="anc")  # another kind: another alert
        raised = version_after()
        assert raised != start and version_time(raised) == Alert.objects.get(pk=new.pk).updated_at
        alert_acknowledge(user=nurse.user, alert_id=new.pk)
        acknowledged = version_after()
        assert acknowledged != raised
        assert version_time(acknowledged) == Alert.objects.get(pk=new.pk).acknowledged_at
        alert_resolve(user=nurse.user, alert_id=old.pk, note="Called.")
        resolved = version_after()
        assert resolved != acknowledged and version_time(resolved) == Alert.objects.get(pk=old.pk).resolved_at
        assert version_after() == resolved


def test_a_quiet_clinic_finds_its_newest_change_behind_the_busy_ones(
    monkeypatch: pytest.MonkeyPatch, patient: EnrolledPatient, other_patient: EnrolledPatient
) -> None:
    now = timezone.now().replace(microsecond=0)
    (quiet,) = add_alerts(patient.patient, status=Status.RESOLVED, severity=Severity.URGENT, at=now - timedelta(days=9))
    add_alerts(other_patient.patient, status=Status.OPEN, severity=Severity.URGENT, at=now, count=5)
    clinic = patient.patient.clinic_id
    for recent in (2, counts.RECENT_CHANGES):  # past the recent changes of all clinics, and within them
        monkeypatch.setattr(counts, "RECENT_CHANGES", recent)
        assert queue_counts(clinic_id=clinic).version == f"{quiet.updated_at.timestamp():.6f}-0"
    Alert.objects.filter(patient__clinic_id=clinic).delete()  # a clinic without any alert yet
    assert queue_counts(clinic_id=clinic).version == "0.000000-0"


def test_critical_comes_first_then_the_longest_waiting_whatever_their_status(
    nurse: Person, patient: EnrolledPatient, second_patient: EnrolledPatient
) -> None:
    now = timezone.now().replace(microsecond=0)
    urgent_oldest = add_alerts(
        patient.patient, status=Status.OPEN, severity=Severity.URGENT, at=now - timedelta(hours=5)
    )
    critical_acknowledged = add_alerts(
        second_patient.patient, status=Status.ACKNOWLEDGED, severity=Severity.CRITICAL, at=now - timedelta(hours=2)
    )
    # Raised in the same second: the id decides, the same way on every read.
    critical_twins = add_alerts(patient.patient, status=Status.OPEN, severity=Severity.CRITICAL, at=now, count=2)
    urgent_acknowledged = add_alerts(
        patient.patient, status=Status.ACKNOWLEDGED, severity=Severity.URGENT, at=now - timedelta(hours=1)
    )
    add_alerts(patient.patient, status=Status.RESOLVED, severity=Severity.CRITICAL, at=now - timedelta(hours=9))
    expected = [
        *critical_acknowledged,
        *sorted(critical_twins, key=lambda a: a.pk),
        *urgent_oldest,
        *urgent_acknowledged,
    ]
    clinic = patient.patient.clinic
    read = queue_read(user=nurse.user, clinic=clinic, filters=QueueFilters(), now=now)
    assert [row.alert.pk for row in read.rows] == [a.pk for a in expected]
    opened = queue_read(user=nurse.user, clinic=clinic, filters=QueueFilters(status="open"), now=now)
    assert [row.alert.pk for row in opened.rows] == [a.pk for a in expected if a.status == Status.OPEN]


def history(patients: list[EnrolledPatient], per_patient: int, at: datetime) -> None:
    for p in patients:
        add_alerts(p.patient, status=Status.RESOLVED, severity=Severity.URGENT, at=at, count=per_patient)
        add_alerts(p.patient, status=Status.OPEN, severity=Severity.CRITICAL, at=at, count=2, step=timedelta(hours=1))
        add_alerts(p.patient, status=Status.ACKNOWLEDGED, severity=Severity.URGENT, at=at)


def page_queries(client: Client, path: str, **headers: str) -> int:
    client.get(path, **headers)  # warm: a session renewal or first-use cache is not what is measured
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(path, **headers).status_code in (200, 204)
    return len(ctx.captured_queries)


def test_the_queue_costs_the_same_queries_with_a_long_history(nurse: Person, nurse_browser: Client) -> None:
    start = timezone.now() - timedelta(days=30)
    patients = [make_patient(nurse, name=f"Patient {i:02d}") for i in range(3)]
    history(patients, 2, start)

    def costs() -> dict[str, int]:
        version = shown_version(nurse_browser.get("/", **POLL))
        return {
            **{p: page_queries(nurse_browser, p) for p in ("/", "/?status=resolved", "/?status=open")},
            "poll": page_queries(nurse_browser, f"/?v={version}", **POLL),
        }

    small = costs()
    history([*patients, *(make_patient(nurse, name=f"Patient {i:02d}") for i in range(3, 9))], 20, start)
    assert costs() == small
    # Session, user, the counts and the version: one statement on PostgreSQL (its tally), two on SQLite.
    assert small["poll"] == (3 if connection.vendor == "postgresql" else 4), small


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL plans; SQLite has its own")
def test_each_queue_read_is_one_page_off_its_index(nurse: Person, patient: EnrolledPatient) -> None:
    """The sorts must not come back: every unresolved alert sorted per request was 21 ms at 10,000.
    With sorting and sequential scans made as dear as PostgreSQL allows, a read that its index can
    answer in order still uses it; one whose ORDER BY drifted from the index would sort."""
    history([patient], 3, timezone.now() - timedelta(days=2))
    add_alerts(patient.patient, status=Status.OPEN, severity=Severity.URGENT, at=timezone.now(), count=60)
    clinic = patient.patient.clinic
    with CaptureQueriesContext(connection) as ctx:
        for status, page in (("unresolved", 1), ("open", 1), ("resolved", 1), ("unresolved", 2)):
            filters = QueueFilters(status=status)
            queue_read(user=nurse.user, clinic=clinic, filters=filters, now=timezone.now(), page=page)
    reads = [q["sql"] for q in ctx.captured_queries if f"LIMIT {QUEUE_PAGE_SIZE + 1}" in q["sql"]]
    latest = next(q["sql"] for q in ctx.captured_queries if "COALESCE((SELECT" in q["sql"])  # the version's
    # The default page as the view reads it on PostgreSQL (prepared, its values bound apart).
    default_page = triage_queue._DEFAULT_PAGE.plan()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
        plans = []
        for sql, params in [
            *((sql, None) for sql in [*reads, latest]),
            (default_page.sql, default_page.bind(clinic.pk)),
        ]:
            cursor.execute(f"EXPLAIN {sql}", params)
            plans.append("\n".join(row[0] for row in cursor.fetchall()))
    unresolved, opened, resolved, second_page, newest, prepared = plans
    assert f"OFFSET {QUEUE_PAGE_SIZE}" in reads[3], reads[3]
    for plan, index in (
        (unresolved, "alert_queue"),
        (opened, "alert_queue"),
        (resolved, "alert_resolved"),
        (second_page, "alert_queue"),
        (prepared, "alert_queue"),
    ):
        assert f"Index Scan using {index} on alerts_alert" in plan, plan
        assert "Sort" not in plan, plan
    assert "Backward using alert_latest_change" in newest, newest
