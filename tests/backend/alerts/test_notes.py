"""An alert's notes thread, and what acknowledge and resolve report: whether this call did it, and
the note it added. The resolve note opens the thread; a note sent after someone else resolved the
alert joins it; the same form sent twice adds nothing."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from backend.alerts.models import AlertNote, Status
from backend.alerts.services import alert_acknowledge, alert_notes, alert_resolve
from tests.backend.caregivers.support import raise_alert
from tests.factories import EnrolledPatient, Person, make_nurse

pytestmark = pytest.mark.django_db


@pytest.fixture
def colleague(nurse: Person) -> Person:
    return make_nurse("nurse.olga", clinic="Riverside Oncology")


def test_resolving_opens_the_thread_with_the_resolve_note(nurse: Person, patient: EnrolledPatient) -> None:
    alert = raise_alert(patient)
    action = alert_resolve(user=nurse.user, alert_id=alert.pk, note="Called her.", outcome="called_patient")
    assert action.done and action.note is not None
    assert [(n.author_id, n.text, n.resolves) for n in alert_notes(action.alert)] == [
        (nurse.user.pk, "Called her.", True)
    ]
    assert action.alert.resolution_note == "Called her."  # contract §4's field is unchanged


def test_a_resolve_without_a_note_adds_none(nurse: Person, patient: EnrolledPatient) -> None:
    alert = raise_alert(patient)
    action = alert_resolve(user=nurse.user, alert_id=alert.pk, note="  ")
    assert action.done and action.note is None and not AlertNote.objects.exists()


def test_a_late_resolve_keeps_the_first_and_adds_its_note_to_the_thread(
    nurse: Person, colleague: Person, patient: EnrolledPatient
) -> None:
    alert = raise_alert(patient)
    alert_resolve(user=nurse.user, alert_id=alert.pk, note="Called her.", outcome="called_patient")

    late = alert_resolve(user=colleague.user, alert_id=alert.pk, note="Held both.", outcome="dose_held")

    assert not late.done and late.note is not None
    assert (late.alert.resolved_by_id, late.alert.outcome, late.alert.resolution_note) == (
        nurse.user.pk,
        "called_patient",
        "Called her.",
    )
    assert [(n.author_id, n.text, n.resolves) for n in alert_notes(late.alert)] == [
        (nurse.user.pk, "Called her.", True),
        (colleague.user.pk, "Held both.", False),
    ]


def test_the_same_form_sent_twice_adds_its_note_once(nurse: Person, patient: EnrolledPatient) -> None:
    alert = raise_alert(patient)
    form = uuid.uuid4()
    first = alert_resolve(user=nurse.user, alert_id=alert.pk, note="Called her.", client_id=form)
    again = alert_resolve(user=nurse.user, alert_id=alert.pk, note="Called her.", client_id=form)
    assert (first.done, again.done, again.note) == (True, False, None)
    assert AlertNote.objects.count() == 1


def test_acknowledge_reports_whether_it_acknowledged(
    nurse: Person, colleague: Person, patient: EnrolledPatient
) -> None:
    alert = raise_alert(patient)
    first = alert_acknowledge(user=nurse.user, alert_id=alert.pk)
    second = alert_acknowledge(user=colleague.user, alert_id=alert.pk)
    alert_resolve(user=colleague.user, alert_id=alert.pk, note="")
    third = alert_acknowledge(user=nurse.user, alert_id=alert.pk)
    assert (first.done, second.done, third.done) == (True, False, False)
    assert (second.alert.acknowledged_by_id, third.alert.status) == (nurse.user.pk, Status.RESOLVED)
    assert first.alert.next_escalation_at is None


def test_a_note_that_is_not_text_is_refused_and_nothing_changes(nurse: Person, patient: EnrolledPatient) -> None:
    from backend.core.errors import ApplicationError

    alert = raise_alert(patient)
    with pytest.raises(ApplicationError):
        alert_resolve(user=nurse.user, alert_id=alert.pk, note=["a", "list"])
    alert.refresh_from_db()
    assert alert.status == Status.OPEN and not AlertNote.objects.exists()


# --- the migration -----------------------------------------------------------------------------

BEFORE = [("alerts", "0009_source_type_check")]
AFTER = [("alerts", "0010_alert_notes")]


@pytest.fixture
def migrator() -> Iterator[MigrationExecutor]:
    executor = MigrationExecutor(connection)
    yield executor
    MigrationExecutor(connection).migrate(executor.loader.graph.leaf_nodes())  # leave the schema whole


def _apps_at(executor: MigrationExecutor, alerts_at: list[tuple[str, str]]) -> Any:
    target = [node for node in executor.loader.graph.leaf_nodes() if node[0] != "alerts"] + alerts_at
    executor.migrate(target)
    executor.loader.build_graph()
    return executor.loader.project_state(target).apps


@pytest.mark.django_db(transaction=True)
def test_the_migration_makes_each_resolve_note_the_first_of_its_alerts_thread(
    migrator: MigrationExecutor, nurse: Person, patient: EnrolledPatient
) -> None:
    old = _apps_at(migrator, BEFORE)
    Alert = old.get_model("alerts", "Alert")
    now = timezone.now()

    def alert(kind: str, note: str, resolved: bool) -> Any:
        return Alert.objects.create(
            patient_id=patient.patient.pk,
            kind=kind,
            severity="urgent",
            status="resolved" if resolved else "open",
            title=kind,
            message="m",
            patient_advice="a",
            rule_source="r",
            source_type="check",
            source_id=uuid.uuid4(),
            observed_at=now,
            created_at=now - timedelta(hours=2),
            updated_at=now,
            resolved_at=now - timedelta(hours=1) if resolved else None,
            resolved_by_id=nurse.user.pk if resolved else None,
            resolution_note=note,
        )

    with_note = alert("stale_labs", "Drawn on the 21st.", True)
    alert("early_warning", "", True)
    alert("cycle_labs_missing", "", False)

    new = _apps_at(migrator, AFTER)
    notes = list(new.get_model("alerts", "AlertNote").objects.values("alert_id", "author_id", "text", "resolves"))
    assert notes == [
        {"alert_id": with_note.pk, "author_id": nurse.user.pk, "text": "Drawn on the 21st.", "resolves": True}
    ]
