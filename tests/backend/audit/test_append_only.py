"""Specification: on PostgreSQL the audit trail is append-only. The application's own database role
can add rows but neither change nor delete one; a deleted account's rows stay as they were."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from backend.audit.models import AuditEvent
from backend.audit.services import audit_record
from tests.factories import EnrolledPatient, Person

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's (CI runs it there)"),
]


@pytest.fixture
def row(nurse: Person, patient: EnrolledPatient) -> AuditEvent:
    audit_record(actor=nurse.user, action="update", resource="patient", patient_ids=[patient.patient.pk])
    return AuditEvent.objects.get(actor=nurse.user, action="update")


def test_a_row_cannot_be_changed(row: AuditEvent) -> None:
    with pytest.raises(DatabaseError, match="append-only: UPDATE"), transaction.atomic():
        AuditEvent.objects.filter(pk=row.pk).update(action="read")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        row.detail = "nothing happened"
        row.save()
    assert AuditEvent.objects.get(pk=row.pk).action == "update"


def test_a_row_cannot_be_deleted(row: AuditEvent) -> None:
    with pytest.raises(DatabaseError, match="append-only: DELETE"), transaction.atomic():
        AuditEvent.objects.filter(pk=row.pk).delete()
    with pytest.raises(DatabaseError, match="append-only: DELETE"), transaction.atomic(), connection.cursor() as cur:
        cur.execute("DELETE FROM audit_auditevent")  # raw SQL as the application's role: the same
    assert AuditEvent.objects.filter(pk=row.pk).exists()


def test_rows_can_still_be_added(row: AuditEvent, nurse: Person) -> None:
    audit_record(actor=nurse.user, action="read", resource="patient", patient_ids=[None])
    assert AuditEvent.objects.filter(actor=nurse.user).count() == 2


def test_deleting_an_account_keeps_its_rows_as_they_were(row: AuditEvent, nurse: Person) -> None:
    user_id = nurse.user.pk
    nurse.user.device_tokens.all().delete()
    nurse.user.delete()
    kept = AuditEvent.objects.get(pk=row.pk)
    assert (kept.actor_id, kept.actor_role, kept.action) == (user_id, "nurse", "update")
