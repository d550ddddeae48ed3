"""Specification of the alert list's first page (backend.alerts.first_page): the same answer as the
general path, in one round trip with its read audit on PostgreSQL, and the general path elsewhere."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from backend.accounts.models import DeviceToken, User, hash_token
from backend.accounts.services import token_revoke
from backend.alerts import apis
from backend.alerts.first_page import first_page
from backend.alerts.models import Alert
from backend.audit.models import AuditEvent
from tests.backend.audit.support import last_audit_id
from tests.backend.support import ALERTS_URL, end_this_connection_from_outside
from tests.factories import EnrolledPatient, Person, make_patient

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="one statement for page and audit: PostgreSQL's WITH (CI runs it)"
)


def alerts(patient: EnrolledPatient, count: int, *, hours_back: int = 0) -> None:
    now = datetime.now(UTC)
    Alert.objects.bulk_create(
        Alert(
            patient_id=patient.patient.pk,
            kind="thrombocytopenia",
            grade=3,
            severity="urgent",
            hold_drugs=["ixazomib"],
            status="open" if i == 0 else "resolved",
            title="Platelets 28 ×10^9/L (grade 3)",
            message="Platelets 28 ×10^9/L: grade 3 thrombocytopenia.",
            patient_advice="Call your care team today.",
            rule_source="CTCAE v5.0",
            source_type="lab_result",
            source_id=uuid.uuid4(),
            observed_at=now - timedelta(hours=hours_back + i),
            created_at=now - timedelta(hours=hours_back + i),
            updated_at=now,
        )
        for i in range(count)
    )


def general(client: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    with monkeypatch.context() as patch:
        patch.setattr(apis, "first_page", lambda *args: None)
        return client.get(ALERTS_URL).json()


@pytest.mark.parametrize("who", ["nurse", "patient"])
def test_the_first_page_answers_as_the_general_path_does(
    who: str, nurse: Person, patient: EnrolledPatient, monkeypatch: pytest.MonkeyPatch
) -> None:
    alerts(patient, 40)
    alerts(make_patient(nurse, name="Sam Second"), 20, hours_back=10)
    client = (nurse if who == "nurse" else patient).client()

    fast = client.get(ALERTS_URL).json()

    assert fast == general(client, monkeypatch)
    assert len(fast["results"]) == (50 if who == "nurse" else 40)
    assert bool(fast["next"]) == (who == "nurse")


def test_the_next_page_follows_on_from_the_first(nurse: Person, patient: EnrolledPatient) -> None:
    alerts(patient, 60)
    client = nurse.client()

    first = client.get(ALERTS_URL).json()
    second = client.get(first["next"]).json()

    ids = [row["id"] for row in first["results"] + second["results"]]
    assert ids == [str(pk) for pk in Alert.objects.order_by("-created_at", "-id").values_list("id", flat=True)]


def test_another_clinics_nurse_sees_none_of_them(other_clinic_nurse: Person, patient: EnrolledPatient) -> None:
    alerts(patient, 3)

    assert other_clinic_nurse.client().get(ALERTS_URL).json()["results"] == []


@on_postgresql
def test_a_patients_first_page_and_its_audit_are_one_round_trip(
    patient: EnrolledPatient, django_assert_num_queries: Any
) -> None:
    alerts(patient, 5)
    client = patient.client()
    client.get(ALERTS_URL)  # the token is checked in the database once, then remembered
    before = last_audit_id()

    with django_assert_num_queries(1):
        response = client.get(ALERTS_URL)

    assert len(response.json()["results"]) == 5
    assert list(
        AuditEvent.objects.filter(id__gt=before).values_list("actor_id", "action", "resource", "patient_id")
    ) == [(patient.user.pk, "read", "alert", patient.patient.pk)]


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_on_its_own_a_page_commits_its_audit_without_waiting_for_the_disk(patient: EnrolledPatient) -> None:
    """As a read's audit_record: synchronous_commit off for the page's own statement only (set in
    it, so the statement can be prepared), the connection's next transactions durable again."""
    alerts(patient, 2)
    assert not connection.in_atomic_block

    with CaptureQueriesContext(connection) as captured:
        rows = first_page(patient.user, {})

    assert rows is not None and len(rows) == 2
    assert len(captured.captured_queries) == 1
    assert "set_config('synchronous_commit', 'off', true)" in captured.captured_queries[0]["sql"]
    assert AuditEvent.objects.filter(patient_id=patient.patient.pk, action="read").count() == 1
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        assert cursor.fetchone() == ("on",)


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_page_on_a_connection_the_database_ended_is_answered_and_audited_once(patient: EnrolledPatient) -> None:
    """No health check before the page's statement (backend.core.prepared.run_prepared): a connection
    ended by a database restart is replaced as the check would have, and the read recorded once."""
    alerts(patient, 2)
    first_page(patient.user, {})
    before = last_audit_id()
    end_this_connection_from_outside()

    rows = first_page(patient.user, {})

    assert rows is not None and len(rows) == 2
    assert list(AuditEvent.objects.filter(id__gt=before).values_list("patient_id", flat=True)) == [patient.patient.pk]


@on_postgresql
def test_inside_a_transaction_a_page_commits_its_audit_with_it(patient: EnrolledPatient) -> None:
    alerts(patient, 1)
    assert connection.in_atomic_block  # pytest-django's, as a view that also writes would have

    with CaptureQueriesContext(connection) as captured:
        first_page(patient.user, {})

    assert "synchronous_commit" not in captured.captured_queries[0]["sql"]


@on_postgresql
def test_only_the_patients_a_page_shows_are_audited(nurse: Person, patient: EnrolledPatient) -> None:
    """The page fetches one row more than it shows (to know there is a next page): that row's
    patient, not shown, is not on the record."""
    alerts(patient, 50)
    unseen = make_patient(nurse, name="Una Unseen")
    alerts(unseen, 1, hours_back=100)
    before = last_audit_id()

    page = nurse.client().get(ALERTS_URL).json()

    assert {row["patient"] for row in page["results"]} == {str(patient.patient.pk)}
    audited = AuditEvent.objects.filter(id__gt=before, action="read")
    assert list(audited.values_list("patient_id", flat=True)) == [patient.patient.pk]


@on_postgresql
def test_an_empty_page_writes_no_audit_row_and_no_second_one(nurse: Person) -> None:
    before = last_audit_id()

    assert nurse.client().get(ALERTS_URL).json()["results"] == []
    assert not AuditEvent.objects.filter(id__gt=before).exists()


def test_a_caregiver_or_a_query_parameter_takes_the_general_path(nurse: Person, caregiver: Person) -> None:
    assert first_page(caregiver.user, {}) is None  # their scope is read from their links each time
    assert first_page(nurse.user, {"status": "open"}) is None


def _revoke_unannounced(person: Person) -> None:
    """Revoke in the database alone: no queryset, no signal, so no new generation in Redis."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {DeviceToken._meta.db_table} SET revoked_at = %s WHERE key_hash = %s",  # noqa: S608
            [timezone.now(), hash_token(person.token)],
        )


@on_postgresql
def test_the_page_checks_a_remembered_token_in_its_own_statement(patient: EnrolledPatient) -> None:
    """Even a revocation no process was told of ends the token on the page's next read, and that
    read records nothing: the check, the page and the audit are one snapshot."""
    alerts(patient, 3)
    client = patient.client()
    assert client.get(ALERTS_URL).status_code == 200  # checked in the database, then remembered
    _revoke_unannounced(patient)
    before = last_audit_id()

    response = client.get(ALERTS_URL)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    assert not AuditEvent.objects.filter(id__gt=before, action="read").exists()


@on_postgresql
def test_a_nurse_moved_to_another_clinic_sees_the_new_clinics_page_at_once(
    nurse: Person, other_clinic_nurse: Person, patient: EnrolledPatient, other_patient: EnrolledPatient
) -> None:
    alerts(patient, 2)
    alerts(other_patient, 1)
    client = nurse.client()
    assert {row["patient"] for row in client.get(ALERTS_URL).json()["results"]} == {str(patient.patient.pk)}
    with connection.cursor() as cursor:  # unannounced, as above
        cursor.execute(
            f"UPDATE {User._meta.db_table} SET clinic_id = %s WHERE id = %s",  # noqa: S608
            [other_clinic_nurse.user.clinic_id, nurse.user.pk],
        )

    rows = client.get(ALERTS_URL).json()["results"]

    assert {row["patient"] for row in rows} == {str(other_patient.patient.pk)}


def test_a_remembered_token_revoked_is_refused_on_the_general_path_too(nurse: Person) -> None:
    client = nurse.client()
    assert client.get(ALERTS_URL).status_code == 200
    token_revoke(token=DeviceToken.objects.get(key_hash=hash_token(nurse.token)))

    assert client.get(ALERTS_URL, {"status": "open"}).status_code == 401
    assert client.get(ALERTS_URL).status_code == 401
