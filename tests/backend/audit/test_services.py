"""Specification of `audit_record`: one row per distinct patient a call touched, written in one
statement; a read's row may commit asynchronously on PostgreSQL, a write's never."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from backend.accounts.models import Role, User
from backend.audit.models import AuditEvent
from backend.audit.services import audit_record
from tests.backend.support import IS_POSTGRES

ASYNC = "synchronous_commit TO OFF"


@pytest.fixture
def actor(db: None) -> User:
    return User.objects.create_user(username="nurse.audit", password="x" * 12, role=Role.NURSE)


def test_it_writes_one_row_per_distinct_patient(actor: User) -> None:
    a, b = uuid.uuid4(), uuid.uuid4()
    before = timezone.now()

    audit_record(actor=actor, action="read", resource="alert", patient_ids=[a, b, a], object_id="7", detail="list")

    stored = list(AuditEvent.objects.order_by("id").values())
    assert [row["patient_id"] for row in stored] == [a, b]
    for row in stored:
        assert row["actor_id"] == actor.pk
        assert (row["actor_role"], row["action"], row["resource"], row["object_id"], row["detail"]) == (
            "nurse",
            "read",
            "alert",
            "7",
            "list",
        )
        assert before <= row["at"] <= timezone.now()
    assert stored[0]["at"] == stored[1]["at"]


def test_a_call_is_one_statement(actor: User, django_assert_num_queries: Any) -> None:
    with django_assert_num_queries(1):
        audit_record(actor=actor, action="read", resource="alert", patient_ids=(uuid.uuid4() for _ in range(5)))

    assert AuditEvent.objects.count() == 5


def test_no_patient_writes_nothing(actor: User, django_assert_num_queries: Any) -> None:
    with django_assert_num_queries(0):
        audit_record(actor=actor, action="read", resource="alert", patient_ids=[])


def test_a_none_patient_is_a_row_without_one(actor: User) -> None:
    audit_record(actor=actor, action="update", resource="clinic_policy", patient_ids=[None])

    assert list(AuditEvent.objects.values_list("patient_id", "action")) == [(None, "update")]


def test_without_an_actor_the_role_is_anonymous(db: None) -> None:
    pid = uuid.uuid4()

    audit_record(actor=None, action="read", resource="alert", patient_ids=[pid])

    event = AuditEvent.objects.get()
    assert (event.actor_id, event.actor_role, event.patient_id) == (None, "anonymous", pid)


def test_long_values_are_cut_to_the_columns(actor: User) -> None:
    audit_record(actor=actor, action="read", resource="alert", patient_ids=[None], object_id="o" * 99, detail="d" * 999)

    event = AuditEvent.objects.get()
    assert (event.object_id, event.detail) == ("o" * 64, "d" * 200)


def test_a_page_of_many_patients_is_written_whole(actor: User) -> None:
    """More rows than SQLite takes parameters for in one statement."""
    pids = [uuid.uuid4() for _ in range(500)]

    audit_record(actor=actor, action="read", resource="patient", patient_ids=pids)

    assert set(AuditEvent.objects.values_list("patient_id", flat=True)) == set(pids)
    assert AuditEvent.objects.filter(at__gte=timezone.now() - timedelta(minutes=1)).count() == 500


@pytest.mark.django_db(transaction=True)
def test_a_page_split_in_statements_is_all_or_nothing(actor: User, monkeypatch: pytest.MonkeyPatch) -> None:
    """More rows than the database takes parameters for (SQLite's limit; PostgreSQL given one here):
    several INSERTs, one transaction."""
    monkeypatch.setattr(connection.ops, "bulk_batch_size", lambda fields, objs: 250)
    inserts: list[str] = []

    def fail_the_second_insert(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        inserts.append(sql)
        if len(inserts) == 2:
            raise DatabaseError("disk full")
        return execute(sql, params, many, context)

    with pytest.raises(DatabaseError), connection.execute_wrapper(fail_the_second_insert):
        audit_record(actor=actor, action="read", resource="patient", patient_ids=[uuid.uuid4() for _ in range(500)])

    assert len(inserts) == 2
    assert AuditEvent.objects.count() == 0


# --- durability: a read's row may commit asynchronously, a write's never ----------------------


def statements(call: Any) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        call()
    return [q["sql"] for q in captured.captured_queries]


def test_inside_a_transaction_a_read_commits_with_it(actor: User) -> None:
    # pytest-django runs this test in a transaction, as a view that also writes would.
    sql = statements(lambda: audit_record(actor=actor, action="read", resource="alert", patient_ids=[uuid.uuid4()]))

    assert len(sql) == 1 and ASYNC not in sql[0]


@pytest.mark.skipif(not IS_POSTGRES, reason="synchronous_commit is PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_on_its_own_a_read_commits_without_waiting_for_the_disk(actor: User) -> None:
    pid = uuid.uuid4()
    assert not connection.in_atomic_block

    sql = statements(lambda: audit_record(actor=actor, action="read", resource="alert", patient_ids=[pid]))

    assert len(sql) == 1 and sql[0].startswith(f"SET LOCAL {ASYNC}; INSERT")
    assert AuditEvent.objects.filter(patient_id=pid, action="read").count() == 1
    with connection.cursor() as cursor:  # LOCAL: the connection's next transactions are durable again
        cursor.execute("SHOW synchronous_commit")
        assert cursor.fetchone() == ("on",)


@pytest.mark.skipif(not IS_POSTGRES, reason="synchronous_commit is PostgreSQL's")
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("action", ["create", "update", "sync", "enroll", "acknowledge", "resolve", "revoke"])
def test_on_its_own_a_write_commits_durably(actor: User, action: str) -> None:
    sql = statements(lambda: audit_record(actor=actor, action=action, resource="alert", patient_ids=[uuid.uuid4()]))

    assert len(sql) == 1 and ASYNC not in sql[0]


@pytest.mark.skipif(not IS_POSTGRES, reason="synchronous_commit is PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_a_read_inside_a_writing_transaction_commits_durably(actor: User) -> None:
    def read_while_writing() -> None:
        with transaction.atomic():
            User.objects.filter(pk=actor.pk).update(first_name="Ada")
            audit_record(actor=actor, action="read", resource="alert", patient_ids=[uuid.uuid4()])

    sql = statements(read_while_writing)

    assert not any(ASYNC in s for s in sql)
    assert AuditEvent.objects.count() == 1
