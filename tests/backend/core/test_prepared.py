"""Specification of a query compiled once (backend.core.prepared): with any values bound, the same
instances (annotations and `select_related` included) and the same rows as the ORM's own run of
the queryset, one statement each; the ORM itself where the placeholders cannot be found (SQLite)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.db.models import Count, Q
from django.test.utils import CaptureQueriesContext

from backend.alerts.models import Alert
from backend.core.prepared import PreparedQuery
from backend.patients.models import Patient
from tests.backend.support import grade_all, sync
from tests.factories import EnrolledPatient, lab_item

NO_PATIENT = uuid.UUID("00000000-0000-4000-8000-7e5700000001")
NO_TIME = datetime(1901, 1, 1, 0, 0, 1, 9, tzinfo=UTC)


def low_counts(patient: EnrolledPatient, *values: int) -> None:
    """Grade 3–4 platelet counts an hour apart, graded (they raise or join an alert)."""
    now = datetime.now(UTC)
    items = [
        lab_item("platelets", v, collected_at=(now - timedelta(hours=i + 1)).isoformat()) for i, v in enumerate(values)
    ]
    assert sync(patient, lab_results=items).status_code == 200
    grade_all()


def alerts_since(patient_id: Any, since: datetime) -> Any:
    return (
        Alert.objects.filter(patient_id=patient_id, created_at__gte=since)
        .filter(~Q(status="resolved") | ~Q(holds_in_force=[]))
        .select_related("patient__clinic")
        .annotate(seen=Count("patient__alerts"))
        .order_by("-created_at", "pk")[:50]
    )


def as_compared(alerts: list[Alert]) -> list[tuple[Any, ...]]:
    return [(a.pk, a.grade, a.hold_drugs, a.created_at, a.patient.clinic.name, a.seen) for a in alerts]  # type: ignore[attr-defined]


def test_a_query_of_two_values_gives_what_the_orm_gives_for_any_values(
    patient: EnrolledPatient, other_patient: EnrolledPatient
) -> None:
    low_counts(patient, 20, 30, 40)
    low_counts(other_patient, 15)
    query = PreparedQuery(alerts_since, NO_PATIENT, NO_TIME)
    hour_ago = datetime.now(UTC) - timedelta(minutes=30)
    for who in (patient, other_patient):
        for since in (datetime(2000, 1, 1, tzinfo=UTC), hour_ago, datetime.now(UTC) + timedelta(days=1)):
            expected = as_compared(list(alerts_since(who.patient.pk, since)))
            with CaptureQueriesContext(connection) as captured:
                found = as_compared(query.run(who.patient.pk, since))
            assert found == expected
            assert len(captured.captured_queries) == 1
    assert as_compared(query.run(patient.patient.pk, datetime(2000, 1, 1, tzinfo=UTC)))  # not vacuous


def test_rows_are_the_orms_values_list_converted(patient: EnrolledPatient) -> None:
    low_counts(patient, 20, 30)

    def build(patient_id: Any) -> Any:
        return (
            Alert.objects.filter(patient_id=patient_id)
            .order_by("created_at")
            .values_list("patient_id", "grade", "hold_drugs", "created_at")
        )

    found = PreparedQuery(build, NO_PATIENT).rows(patient.patient.pk)
    assert found == [tuple(row) for row in build(patient.patient.pk)]
    assert found and isinstance(found[0][0], uuid.UUID) and isinstance(found[0][3], datetime)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="compiled on PostgreSQL only")
def test_the_sql_is_compiled_once_per_connection(patient: EnrolledPatient) -> None:
    query = PreparedQuery(lambda pk: Patient.objects.filter(pk=pk), NO_PATIENT)
    first = query.plan()
    assert [p.pk for p in query.run(patient.patient.pk)] == [patient.patient.pk]
    assert query.plan() is first
    assert query.run(uuid.uuid4()) == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="compiled on PostgreSQL only")
def test_a_placeholder_the_sql_does_not_take_is_refused(db: None) -> None:
    query = PreparedQuery(lambda pk, _unused: Patient.objects.filter(pk=pk), NO_PATIENT, NO_TIME)
    with pytest.raises(ValueError, match="does not reach"):
        query.plan()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="compiled on PostgreSQL only")
def test_two_equal_placeholders_are_refused(db: None) -> None:
    query = PreparedQuery(lambda a, b: Patient.objects.filter(Q(pk=a) | Q(pk=b)), NO_PATIENT, NO_PATIENT)
    with pytest.raises(ValueError, match="equal"):
        query.plan()
