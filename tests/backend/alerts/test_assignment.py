"""Assigning an alert: to me, to a colleague of my clinic, or to nobody; never to another clinic's
staff or an inactive one; a colleague's assignment in between is not overwritten; audited."""

from __future__ import annotations

import threading

import pytest
from django.db import connections

from backend.alerts.assignment import Assignment, alert_assign, assignable_staff
from backend.alerts.models import Alert
from backend.alerts.services import alert_resolve
from backend.audit.models import AuditEvent
from backend.core.errors import ApplicationError, NotFound
from tests.backend.caregivers.support import raise_alert
from tests.backend.support import IS_POSTGRES
from tests.factories import EnrolledPatient, Person, make_nurse

pytestmark = pytest.mark.django_db


def test_a_nurse_assigns_an_alert_to_herself_and_it_is_audited(nurse: Person, patient: EnrolledPatient) -> None:
    alert = raise_alert(patient)
    before = Alert.objects.get(pk=alert.pk).updated_at
    result = alert_assign(user=nurse.user, alert_id=alert.pk, assignee_id=nurse.user.pk, was=None)
    assert result.done and result.alert.assigned_to == nurse.user
    stored = Alert.objects.get(pk=alert.pk)
    assert stored.assigned_to_id == nurse.user.pk and stored.assigned_at is not None
    assert stored.updated_at > before  # the queue's version moves: open queues show it at their next poll
    event = AuditEvent.objects.get(resource="alert", action="update", object_id=str(alert.pk))
    assert event.actor_id == nurse.user.pk and event.patient_id == patient.patient.pk


def test_a_colleagues_assignment_in_between_is_not_overwritten(nurse: Person, patient: EnrolledPatient) -> None:
    colleague = make_nurse("nurse.nadia")
    alert = raise_alert(patient)
    assert alert_assign(user=colleague.user, alert_id=alert.pk, assignee_id=colleague.user.pk, was=None).done
    # Nina still sees it unassigned and clicks "Assign to me".
    result = alert_assign(user=nurse.user, alert_id=alert.pk, assignee_id=nurse.user.pk, was=None)
    assert not result.done and result.alert.assigned_to == colleague.user
    assert Alert.objects.get(pk=alert.pk).assigned_to_id == colleague.user.pk
    # Seen as Nadia's, it can be handed over.
    assert alert_assign(user=nurse.user, alert_id=alert.pk, assignee_id=nurse.user.pk, was=colleague.user.pk).done


def test_unassigning_and_assigning_to_the_same_nurse_again(nurse: Person, patient: EnrolledPatient) -> None:
    alert = raise_alert(patient)
    alert_assign(user=nurse.user, alert_id=alert.pk, assignee_id=nurse.user.pk)
    assert not alert_assign(user=nurse.user, alert_id=alert.pk, assignee_id=nurse.user.pk).done  # already hers
    assert alert_assign(user=nurse.user, alert_id=alert.pk, assignee_id=None).done
    stored = Alert.objects.get(pk=alert.pk)
    assert stored.assigned_to_id is None and stored.assigned_at is None


def test_never_to_another_clinics_staff_an_inactive_nurse_or_a_patient(
    nurse: Person, other_clinic_nurse: Person, patient: EnrolledPatient
) -> None:
    alert = raise_alert(patient)
    gone = make_nurse("nurse.gone")
    gone.user.is_active = False
    gone.user.save(update_fields=["is_active"])
    for someone in (other_clinic_nurse.user.pk, gone.user.pk, patient.user.pk):
        with pytest.raises(ApplicationError) as refused:
            alert_assign(user=nurse.user, alert_id=alert.pk, assignee_id=someone)
        assert "assignee" in refused.value.errors
    assert list(assignable_staff(nurse.user.clinic_id)) == [nurse.user]  # type: ignore[arg-type]
    with pytest.raises(NotFound):  # another clinic's nurse cannot even see it
        alert_assign(user=other_clinic_nurse.user, alert_id=alert.pk, assignee_id=other_clinic_nurse.user.pk)
    with pytest.raises(NotFound):  # nor the patient
        alert_assign(user=patient.user, alert_id=alert.pk, assignee_id=nurse.user.pk)
    assert Alert.objects.get(pk=alert.pk).assigned_to_id is None


def test_a_resolved_alert_is_not_assigned(nurse: Person, patient: EnrolledPatient) -> None:
    alert = raise_alert(patient)
    alert_resolve(user=nurse.user, alert_id=alert.pk, note="done", outcome="called_patient")
    result = alert_assign(user=nurse.user, alert_id=alert.pk, assignee_id=nurse.user.pk)
    assert not result.done and Alert.objects.get(pk=alert.pk).assigned_to_id is None
    assert not AuditEvent.objects.filter(resource="alert", action="update").exists()


@pytest.mark.skipif(not IS_POSTGRES, reason="two connections at once: PostgreSQL (SQLite serialises writers)")
@pytest.mark.django_db(transaction=True)
def test_two_nurses_clicking_assign_to_me_at_once_one_wins(nurse: Person, patient: EnrolledPatient) -> None:
    """Each in her own transaction on her own connection, started together: one UPDATE waits for the
    other's row lock, then finds the alert no longer unassigned and changes nothing."""
    colleague = make_nurse("nurse.nadia")
    alert = raise_alert(patient)
    start = threading.Barrier(2)
    results: dict[str, Assignment] = {}
    errors: list[BaseException] = []

    def assign(who: Person) -> None:
        try:
            start.wait(10)
            results[who.user.username] = alert_assign(
                user=who.user, alert_id=alert.pk, assignee_id=who.user.pk, was=None
            )
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=assign, args=(who,)) for who in (nurse, colleague)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    winners = [name for name, r in results.items() if r.done]
    assert len(winners) == 1
    stored = Alert.objects.get(pk=alert.pk)
    assert stored.assigned_to.username == winners[0]  # type: ignore[union-attr]
    loser = next(r for r in results.values() if not r.done)
    assert loser.alert.assigned_to is not None and loser.alert.assigned_to.username == winners[0]
    assert AuditEvent.objects.filter(resource="alert", action="update").count() == 1
