"""Specification: on PostgreSQL the queue header's tally (alerts 0012) always equals the direct count
of the clinic's unresolved alerts, whatever wrote them (ORM save, queryset update, bulk_create, raw
SQL, a delete, a patient moving clinic), before and after folding; folding changes no sum and is
idempotent; the migration seeds it from the alerts there; the header's queries do not grow."""

from __future__ import annotations

import io
import random
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.test.utils import CaptureQueriesContext

from backend.alerts.models import Alert, AlertTally, Severity, Status
from backend.alerts.tally import UnresolvedCounts, tally_counts, tally_fold
from backend.dashboard.counts import _direct_counts, queue_counts
from backend.patients.models import Patient
from tests.factories import EnrolledPatient, Person, graded_alert, make_nurse, make_patient

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the tally's triggers are PostgreSQL's; SQLite counts directly"
)

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)


def new_alert(patient: Patient, **fields: Any) -> Alert:
    return graded_alert(patient, NOW, kind=f"k-{uuid.uuid4().hex[:12]}", **fields)  # its own episode


def assert_tally_matches(clinic_ids: list[int], user_ids: list[int | None]) -> None:
    for clinic_id in clinic_ids:
        for user_id in user_ids:
            direct = _direct_counts(clinic_id, user_id)
            assert tally_counts(clinic_id=clinic_id, user_id=user_id) == direct, (clinic_id, user_id)


def tally_rows() -> list[tuple[Any, ...]]:
    return sorted(
        AlertTally.objects.values_list("clinic_id", "status", "severity", "assigned_to_id", "delta"),
        key=repr,
    )


@postgresql_only
@pytest.mark.django_db
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_tally_equals_the_direct_count_over_a_random_history(
    seed: int, nurse: Person, other_clinic_nurse: Person
) -> None:
    rng = random.Random(seed)
    second = make_nurse("nurse.nora")  # same clinic as `nurse`
    patients = [make_patient(nurse, name=f"P{i}").patient for i in range(3)]
    patients += [make_patient(other_clinic_nurse, name=f"Q{i}").patient for i in range(2)]
    clinics = sorted({p.clinic_id for p in patients})
    staff: list[int | None] = [nurse.user.pk, second.user.pk, other_clinic_nurse.user.pk, None]

    def some_alert() -> Alert | None:
        return Alert.objects.order_by("?").first()

    def raise_one() -> None:
        new_alert(rng.choice(patients), severity=rng.choice(Severity.values)).save()

    def raise_bulk() -> None:
        Alert.objects.bulk_create(
            [
                new_alert(rng.choice(patients), severity=rng.choice(Severity.values), status=rng.choice(Status.values))
                for _ in range(rng.randint(1, 6))
            ]
        )

    def save_status(status: str) -> Callable[[], None]:
        def step() -> None:
            alert = some_alert()
            if alert:
                alert.status = status
                alert.save()

        return step

    def change_severity() -> None:
        alert = some_alert()
        if alert:
            Alert.objects.filter(pk=alert.pk).update(severity=rng.choice(Severity.values))

    def supersede() -> None:
        alert = some_alert()
        if alert:  # history: no count changes, the row trigger must not fire a delta
            Alert.objects.filter(pk=alert.pk).update(superseded=True, updated_at=NOW + timedelta(minutes=1))

    def assign() -> None:
        alert = some_alert()
        if alert:
            alert.assigned_to_id = rng.choice(staff)
            alert.save(update_fields=["assigned_to"])

    def move_patient() -> None:
        Patient.objects.filter(pk=rng.choice(patients).pk).update(clinic_id=rng.choice(clinics))

    def delete_one() -> None:
        alert = some_alert()
        if alert:
            alert.delete()

    def bulk_update() -> None:
        Alert.objects.filter(patient=rng.choice(patients), status=Status.OPEN).update(status=Status.ACKNOWLEDGED)

    def bulk_delete() -> None:
        Alert.objects.filter(patient=rng.choice(patients), status=rng.choice(Status.values)).delete()

    def raw_sql() -> None:
        alert = some_alert()
        if alert:
            with connection.cursor() as cur:
                cur.execute(
                    "UPDATE alerts_alert SET status = %s, severity = %s WHERE id = %s",
                    [rng.choice(Status.values), rng.choice(Severity.values), alert.pk],
                )

    def move_alert() -> None:
        alert = some_alert()
        if alert:
            Alert.objects.filter(pk=alert.pk).update(patient=rng.choice(patients))

    def fold() -> None:
        tally_fold()

    steps = [
        raise_one,
        raise_one,
        raise_bulk,
        save_status(Status.ACKNOWLEDGED),
        save_status(Status.RESOLVED),
        save_status(Status.OPEN),
        change_severity,
        supersede,
        assign,
        move_patient,
        delete_one,
        bulk_update,
        bulk_delete,
        raw_sql,
        move_alert,
        fold,
    ]
    for i in range(120):
        step = rng.choice(steps)
        if rng.random() < 0.2:  # some steps inside a rolled-back transaction: their deltas go with them
            try:
                with transaction.atomic():
                    step()
                    raise _RolledBack
            except _RolledBack:
                pass
        else:
            step()
        if i % 10 == 0:
            assert_tally_matches(clinics, staff)
    assert_tally_matches(clinics, staff)
    assert Alert.objects.exclude(status=Status.RESOLVED).exists()  # the history left something to count

    tally_fold()
    assert_tally_matches(clinics, staff)
    folded = tally_rows()
    # One row per bucket, none summing to zero.
    assert len(folded) == len({row[:4] for row in folded}) and all(row[4] != 0 for row in folded)
    assert tally_fold() == 0 and tally_rows() == folded  # idempotent: a second run changes nothing


class _RolledBack(Exception):
    pass


@postgresql_only
@pytest.mark.django_db
def test_folding_keeps_every_sum_and_clears_buckets_back_to_zero(nurse: Person, patient: EnrolledPatient) -> None:
    alerts = [new_alert(patient.patient, severity=Severity.CRITICAL) for _ in range(3)]
    for alert in alerts:
        alert.save()  # three statements: three delta rows of one bucket
    Alert.objects.filter(pk=alerts[0].pk).update(status=Status.RESOLVED)
    clinic = patient.patient.clinic_id
    assert AlertTally.objects.filter(clinic_id=clinic).count() == 4
    assert tally_counts(clinic_id=clinic).open_critical == 2

    assert tally_fold() == 1
    assert tally_rows() == [(clinic, "open", "critical", None, 2)]
    assert tally_counts(clinic_id=clinic).open_critical == 2

    Alert.objects.filter(pk__in=[a.pk for a in alerts]).update(status=Status.RESOLVED)
    tally_fold()
    assert tally_rows() == []  # a bucket back to zero leaves no row behind
    assert tally_counts(clinic_id=clinic) == UnresolvedCounts(0, 0, 0, 0, 0, 0)


@postgresql_only
@pytest.mark.django_db
def test_the_headers_queries_do_not_grow_with_the_alerts(nurse: Person, patient: EnrolledPatient) -> None:
    clinic = patient.patient.clinic_id

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            queue_counts(clinic_id=clinic, user_id=nurse.user.pk)
        return len(captured.captured_queries)

    new_alert(patient.patient).save()
    few = queries()
    Alert.objects.bulk_create([new_alert(patient.patient, severity=Severity.CRITICAL) for _ in range(200)])
    for alert in Alert.objects.all()[:50]:
        alert.status = Status.ACKNOWLEDGED
        alert.save()
    assert queries() == few == 1  # the counts and the version: one statement (backend.dashboard.counts)
    counts = queue_counts(clinic_id=clinic, user_id=nurse.user.pk)
    assert (counts.open_critical + counts.open_urgent, counts.acknowledged, counts.unassigned) == (151, 50, 201)


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_fold_beside_an_uncommitted_writer_loses_nothing(nurse: Person, patient: EnrolledPatient) -> None:
    """A writer's deltas not yet committed stay out of a concurrent fold and count once it commits."""
    import threading

    clinic = patient.patient.clinic_id
    new_alert(patient.patient).save()
    new_alert(patient.patient).save()
    written, fold_done = threading.Event(), threading.Event()

    def writer() -> None:
        try:
            with transaction.atomic():
                new_alert(patient.patient, severity=Severity.CRITICAL).save()
                written.set()
                fold_done.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=writer)
    thread.start()
    assert written.wait(10)
    tally_fold()
    tally_fold()  # twice: the second finds nothing to fold
    fold_done.set()
    thread.join(10)
    counts = tally_counts(clinic_id=clinic)
    assert (counts.open_urgent, counts.open_critical) == (2, 1)
    assert counts == _direct_counts(clinic, None)


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_the_migration_seeds_the_tally_from_the_alerts_there(nurse: Person, other_patient: EnrolledPatient) -> None:
    patient = make_patient(nurse)
    Alert.objects.bulk_create(
        [
            new_alert(patient.patient, severity=Severity.CRITICAL),
            new_alert(patient.patient, status=Status.ACKNOWLEDGED, assigned_to=nurse.user),
            new_alert(patient.patient, status=Status.RESOLVED),
            new_alert(other_patient.patient),
        ]
    )
    executor = MigrationExecutor(connection)
    leaves = executor.loader.graph.leaf_nodes()
    try:
        executor.migrate([("alerts", "0011_alert_assignment")])  # no tally, no triggers
        with connection.cursor() as cur:  # written while nothing counted it
            cur.execute("UPDATE alerts_alert SET status = 'open' WHERE status = 'resolved'")
        executor = MigrationExecutor(connection)
        executor.migrate([("alerts", "0012_tally")])
    finally:
        MigrationExecutor(connection).migrate(leaves)
    clinics = [patient.patient.clinic_id, other_patient.patient.clinic_id]
    assert_tally_matches(clinics, [None, nurse.user.pk])
    assert tally_counts(clinic_id=clinics[0], user_id=nurse.user.pk) == UnresolvedCounts(3, 1, 1, 1, 2, 1)


@postgresql_only
@pytest.mark.django_db
def test_a_recount_repairs_writes_that_bypassed_the_triggers(nurse: Person, patient: EnrolledPatient) -> None:
    new_alert(patient.patient, severity=Severity.CRITICAL).save()
    with connection.cursor() as cur:  # as a data-only restore with --disable-triggers would
        cur.execute("SET LOCAL session_replication_role = replica")
        cur.execute("UPDATE alerts_alert SET status = 'acknowledged'")
        cur.execute("SET LOCAL session_replication_role = origin")
    clinic = patient.patient.clinic_id
    assert tally_counts(clinic_id=clinic) != _direct_counts(clinic, None)
    call_command("tally_recount", stdout=io.StringIO())
    assert tally_counts(clinic_id=clinic) == _direct_counts(clinic, None)
    assert tally_counts(clinic_id=clinic).acknowledged == 1


def test_beat_folds_the_tally_every_minute() -> None:
    entries = [e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == "careloop.alerts.fold_tally"]
    assert [e["schedule"] for e in entries] == [settings.CARELOOP_TALLY_FOLD_EVERY_SECONDS] == [60.0]


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's path: no triggers, the direct count")
def test_on_sqlite_the_header_counts_the_alerts_and_the_fold_does_nothing(patient: EnrolledPatient) -> None:
    new_alert(patient.patient, severity=Severity.CRITICAL).save()
    assert not AlertTally.objects.exists() and tally_fold() == 0
    assert queue_counts(clinic_id=patient.patient.clinic_id).open_critical == 1
