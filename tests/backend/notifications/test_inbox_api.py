"""Contract §2 GET /api/v1/notifications/: your own inbox, newest first, and marking it read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from rest_framework.test import APIClient

from backend.audit.models import AuditEvent
from backend.notifications.services import notify
from tests.backend.audit.support import last_audit_id
from tests.backend.caregivers.support import NOTIFICATIONS_URL
from tests.backend.support import rows
from tests.factories import EnrolledPatient, Person

T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def _tell(person: Person, key: str, minutes: int = 0) -> None:
    notify(
        recipient=person.user, kind="system", title=key, body="b", dedupe_key=key, now=T0 + timedelta(minutes=minutes)
    )


def test_the_inbox_is_your_own_newest_first_in_the_contract_shape(nurse: Person, other_clinic_nurse: Person) -> None:
    _tell(nurse, "first")
    _tell(nurse, "second", minutes=5)
    _tell(other_clinic_nurse, "not yours")

    listed = rows(nurse.client().get(NOTIFICATIONS_URL))

    assert [n["title"] for n in listed] == ["second", "first"]
    assert set(listed[0]) >= {"id", "kind", "title", "body", "created_at", "read"}
    assert listed[0]["read"] is False


def test_marking_one_read_and_all_read(nurse: Person) -> None:
    _tell(nurse, "a")
    _tell(nurse, "b", minutes=1)
    newest = rows(nurse.client().get(NOTIFICATIONS_URL))[0]

    assert nurse.client().post(f"{NOTIFICATIONS_URL}{newest['id']}/read/").json()["read"] is True
    assert nurse.client().post(f"{NOTIFICATIONS_URL}read-all/").json() == {"marked": 1}
    assert all(n["read"] for n in rows(nurse.client().get(NOTIFICATIONS_URL)))


def test_someone_elses_notification_answers_404(nurse: Person, other_clinic_nurse: Person) -> None:
    _tell(other_clinic_nurse, "theirs")
    theirs = rows(other_clinic_nurse.client().get(NOTIFICATIONS_URL))[0]

    assert nurse.client().post(f"{NOTIFICATIONS_URL}{theirs['id']}/read/").status_code == 404


def test_the_inbox_needs_a_token(anonymous: APIClient) -> None:
    assert anonymous.get(NOTIFICATIONS_URL).status_code == 401


def test_reading_the_inbox_puts_each_patient_its_items_name_on_the_record(
    nurse: Person, patient: EnrolledPatient
) -> None:
    notify(
        recipient=nurse.user,
        kind="alert",
        title="Grade 4 platelets",
        body="Pat Doe: 18",
        dedupe_key="p",
        patient_id=patient.patient.pk,
    )
    _tell(nurse, "about nobody")
    before = last_audit_id()

    assert len(rows(nurse.client().get(NOTIFICATIONS_URL))) == 2

    events = AuditEvent.objects.filter(id__gt=before, actor=nurse.user)
    assert [(e.action, e.resource, e.patient_id) for e in events] == [("read", "notification", patient.patient.pk)]


def test_an_inbox_about_nobody_leaves_no_row(nurse: Person) -> None:
    _tell(nurse, "about nobody")
    before = last_audit_id()
    nurse.client().get(NOTIFICATIONS_URL)
    assert not AuditEvent.objects.filter(id__gt=before).exists()
