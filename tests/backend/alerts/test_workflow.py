"""A nurse's work on alerts over time: notes on the thread in any state, several of one patient's
alerts resolved at once (each through the single resolve), and dose decisions taken from an alert
through the dose panel's own service."""

from __future__ import annotations

import uuid

import pytest

from backend.alerts.decisions import alert_decide, alert_decisions, alert_thread
from backend.alerts.models import Alert, AlertNote, Status
from backend.alerts.services import alert_acknowledge, alert_note_add, alert_resolve, alerts_resolve_for_patient
from backend.audit.models import AuditEvent
from backend.core.errors import ApplicationError, NotFound
from backend.patients.dose_decisions import DecisionInput
from backend.patients.models import DoseDecision, Patient
from tests.backend.caregivers.support import raise_alert
from tests.factories import EnrolledPatient, Person, make_nurse

pytestmark = pytest.mark.django_db


def test_notes_join_the_thread_in_every_state_without_changing_it(nurse: Person, patient: EnrolledPatient) -> None:
    alert = raise_alert(patient)
    alert_note_add(user=nurse.user, alert_id=alert.pk, text="Called, no answer.")
    assert Alert.objects.get(pk=alert.pk).status == Status.OPEN
    alert_acknowledge(user=nurse.user, alert_id=alert.pk)
    alert_note_add(user=nurse.user, alert_id=alert.pk, text="Reached her: no bleeding.")
    assert Alert.objects.get(pk=alert.pk).status == Status.ACKNOWLEDGED
    alert_resolve(user=nurse.user, alert_id=alert.pk, note="Lab on Monday.", outcome="called_patient")
    alert_note_add(user=nurse.user, alert_id=alert.pk, text="Monday's lab: 80.")
    assert Alert.objects.get(pk=alert.pk).status == Status.RESOLVED
    texts = [e.note.text for e in alert_thread(alert) if e.note]
    assert texts == ["Called, no answer.", "Reached her: no bleeding.", "Lab on Monday.", "Monday's lab: 80."]
    assert AuditEvent.objects.filter(resource="alert_note", action="create", object_id=str(alert.pk)).count() == 3


def test_a_note_sent_twice_is_added_once_and_an_empty_one_is_refused(nurse: Person, patient: EnrolledPatient) -> None:
    alert = raise_alert(patient)
    form = uuid.uuid4()
    assert alert_note_add(user=nurse.user, alert_id=alert.pk, text="Once.", client_id=form) is not None
    assert alert_note_add(user=nurse.user, alert_id=alert.pk, text="Once.", client_id=form) is None
    assert AlertNote.objects.filter(alert=alert).count() == 1
    with pytest.raises(ApplicationError):
        alert_note_add(user=nurse.user, alert_id=alert.pk, text="   ")


def test_only_the_clinics_staff_write_notes(other_clinic_nurse: Person, patient: EnrolledPatient) -> None:
    alert = raise_alert(patient)
    for someone in (other_clinic_nurse, patient):
        with pytest.raises(NotFound):
            alert_note_add(user=someone.user, alert_id=alert.pk, text="x")
    assert not AlertNote.objects.exists()


def test_several_alerts_of_one_patient_resolved_at_once_a_colleagues_first_resolution_stands(
    nurse: Person, patient: EnrolledPatient
) -> None:
    platelets, anc = raise_alert(patient), raise_alert(patient, critical=False)
    colleague = make_nurse("nurse.nadia")
    alert_resolve(user=colleague.user, alert_id=anc.pk, note="Nadia's call.", outcome="no_action_needed")
    actions = alerts_resolve_for_patient(
        user=nurse.user,
        patient_id=patient.patient.pk,
        alert_ids=[platelets.pk, anc.pk],
        note="Both reviewed with Dr Reyes.",
        outcome="called_patient",
        client_id=uuid.uuid4(),
    )
    done = {str(a.alert.pk): a.done for a in actions}
    assert done == {str(platelets.pk): True, str(anc.pk): False}
    anc.refresh_from_db()
    assert anc.resolved_by == colleague.user and anc.outcome == "no_action_needed"
    assert [n.text for n in anc.notes.all()] == ["Nadia's call.", "Both reviewed with Dr Reyes."]
    platelets.refresh_from_db()
    assert (platelets.status, platelets.outcome, platelets.resolved_by) == ("resolved", "called_patient", nurse.user)


def test_bulk_resolve_refuses_another_patients_alert_and_changes_nothing(
    nurse: Person, patient: EnrolledPatient
) -> None:
    from tests.factories import make_patient

    mine = raise_alert(patient)
    someone_else = raise_alert(make_patient(nurse, name="Other Person"))
    with pytest.raises(NotFound):
        alerts_resolve_for_patient(
            user=nurse.user,
            patient_id=patient.patient.pk,
            alert_ids=[mine.pk, someone_else.pk],
            note="x",
            outcome="other",
        )
    assert Alert.objects.filter(status=Status.RESOLVED).count() == 0
    with pytest.raises(ApplicationError):
        alerts_resolve_for_patient(user=nurse.user, patient_id=patient.patient.pk, alert_ids=[], note="x", outcome="")


def test_a_hold_decided_on_an_alert_is_the_dose_panels_decision_linked_to_the_alert(
    nurse: Person, patient: EnrolledPatient
) -> None:
    alert = raise_alert(patient)
    [row] = alert_decide(
        user=nurse.user,
        alert_id=alert.pk,
        data=DecisionInput(action="hold", drug="lenalidomide", reason="Platelets 18", seen=0),
    )
    assert (row.action, row.drug, row.subject) == ("hold", "lenalidomide", f"alert:{alert.pk}")
    assert Patient.objects.get(pk=patient.patient.pk).held_drugs == ["lenalidomide"]
    assert alert_decisions(alert) == [row]
    assert [e.decision for e in alert_thread(alert) if e.decision] == [row]
    assert AuditEvent.objects.filter(resource="dose_decision", action="create", actor=nurse.user).count() == 1
    with pytest.raises(ApplicationError):  # the page had seen no decision: a second click is refused
        alert_decide(user=nurse.user, alert_id=alert.pk, data=DecisionInput(action="hold", drug="ixazomib", seen=0))
    assert DoseDecision.objects.count() == 1


def test_another_clinic_cannot_decide_on_an_alert(other_clinic_nurse: Person, patient: EnrolledPatient) -> None:
    alert = raise_alert(patient)
    with pytest.raises(NotFound):
        alert_decide(user=other_clinic_nurse.user, alert_id=alert.pk, data=DecisionInput(action="hold"))
    assert not DoseDecision.objects.exists()
