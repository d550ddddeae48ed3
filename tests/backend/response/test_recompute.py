"""Specification of the recompute after new markers: queued once the markers commit, never skipped
(the sweeper takes what no task did), and safe to run twice."""

from __future__ import annotations

from typing import Any

import pytest

from backend.response.models import MarkerResult, PatientResponse, ResponseAssessment
from backend.response.recompute import responses_recompute
from tests.backend.response.support import day, item, post_markers, progression_alerts, recompute_all, serum_and_urine
from tests.factories import EnrolledPatient, Person


def _history(nurse: Person, patient: EnrolledPatient, *serum: float) -> None:
    for n, value in enumerate(serum):
        assert post_markers(nurse, patient.patient.pk, serum_and_urine(n, value)).status_code == 201


def test_markers_are_handed_to_the_recompute_once_committed(
    nurse: Person, patient: EnrolledPatient, django_capture_on_commit_callbacks: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    queued: list[dict[str, Any]] = []
    monkeypatch.setattr(
        "backend.response.tasks.recompute_response.apply_async", lambda **kw: queued.append(kw["kwargs"])
    )
    with django_capture_on_commit_callbacks(execute=True):
        post_markers(nurse, patient.patient.pk, item("serum_m_protein", 2.1, "g/dL", on=day(0)))
    assert queued == [{"patient_ids": [str(patient.patient.pk)]}]


def test_a_replay_queues_nothing(
    nurse: Person, patient: EnrolledPatient, django_capture_on_commit_callbacks: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent = item("serum_m_protein", 2.1, "g/dL", on=day(0))
    post_markers(nurse, patient.patient.pk, sent)
    queued: list[Any] = []
    monkeypatch.setattr("backend.response.tasks.recompute_response.apply_async", lambda **kw: queued.append(kw))
    with django_capture_on_commit_callbacks(execute=True):
        post_markers(nurse, patient.patient.pk, sent)
    assert queued == []


def test_with_the_broker_down_the_markers_are_stored_and_the_sweeper_recomputes(
    nurse: Person, patient: EnrolledPatient, django_capture_on_commit_callbacks: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def down(**_: Any) -> None:
        raise ConnectionError("redis is down")

    monkeypatch.setattr("backend.response.tasks.recompute_response.apply_async", down)
    with django_capture_on_commit_callbacks(execute=True):
        _history(nurse, patient, 3.0, 1.0, 1.6)
    assert MarkerResult.objects.filter(assessed_at__isnull=True).count() == 3
    outcome = recompute_all()
    assert outcome.patients == 1 and len(outcome.alerts_raised) == 1
    assert MarkerResult.objects.filter(assessed_at__isnull=True).count() == 0
    assert recompute_all().patients == 0  # nothing left for the sweeper


def test_the_assessments_and_the_summary_are_stored(nurse: Person, patient: EnrolledPatient) -> None:
    _history(nurse, patient, 3.0, 1.4, 1.3)
    recompute_all()
    stored = list(ResponseAssessment.objects.filter(patient_id=patient.patient.pk).order_by("day"))
    assert [(a.day, a.category, a.confirmed) for a in stored] == [(day(1), "PR", False), (day(2), "PR", True)]
    assert stored[0].values["serum_m_protein"] == "1.4"
    summary = PatientResponse.objects.get(patient_id=patient.patient.pk)
    assert (summary.measurable_by, summary.current_category, summary.current_confirmed) == ("serum", "PR", True)
    assert (summary.best_category, summary.best_since) == ("PR", day(1))


def test_recomputing_twice_stores_the_same_and_raises_nothing_new(nurse: Person, patient: EnrolledPatient) -> None:
    _history(nurse, patient, 3.0, 0.8, 1.35)
    first = responses_recompute(patient_ids=[patient.patient.pk])
    again = responses_recompute(patient_ids=[patient.patient.pk, patient.patient.pk])
    assert len(first.alerts_raised) == 1 and again.alerts_raised == []
    assert ResponseAssessment.objects.filter(patient_id=patient.patient.pk).count() == 2
    assert len(progression_alerts(patient.patient.pk)) == 1


def test_a_back_dated_result_that_moves_the_episode_start_does_not_double_the_alert(
    nurse: Person, patient: EnrolledPatient
) -> None:
    post_markers(nurse, patient.patient.pk, serum_and_urine(0, 3.0))
    post_markers(nurse, patient.patient.pk, serum_and_urine(1, 0.8))
    post_markers(nurse, patient.patient.pk, serum_and_urine(3, 1.5))
    recompute_all()
    post_markers(nurse, patient.patient.pk, serum_and_urine(2, 1.4))  # entered late: PD already then
    recompute_all()
    (alert,) = progression_alerts(patient.patient.pk)
    assert "Confirmed" in alert.message


def test_the_progression_alert_keeps_contract_4s_shape(nurse: Person, patient: EnrolledPatient) -> None:
    _history(nurse, patient, 3.0, 0.8, 1.35)
    recompute_all()
    (alert,) = progression_alerts(patient.patient.pk)
    assert (alert.severity, alert.hold_drugs, alert.grade, alert.status) == ("urgent", [], None, "open")
    assert alert.announced_at is None  # the announce task (or the alerts' sweeper) tells people
    assert alert.patient_advice and "care team" in alert.patient_advice


def test_after_the_nurse_resolves_it_a_new_progression_result_raises_a_new_alert(
    nurse: Person, patient: EnrolledPatient
) -> None:
    _history(nurse, patient, 3.0, 0.8, 1.35)
    recompute_all()
    (first,) = progression_alerts(patient.patient.pk)
    answer = nurse.client().post(f"/api/v1/alerts/{first.pk}/resolve/", {"note": "seen in clinic"}, format="json")
    assert answer.status_code == 200
    recompute_all()
    assert len(progression_alerts(patient.patient.pk)) == 1  # nothing new arrived: nothing new raised
    post_markers(nurse, patient.patient.pk, serum_and_urine(3, 1.5))  # still progressing
    recompute_all()
    alerts = progression_alerts(patient.patient.pk)
    assert [a.status for a in alerts] == ["resolved", "open"]
    assert "Confirmed" in alerts[1].message


def test_while_the_alert_is_open_the_episode_only_updates_it(nurse: Person, patient: EnrolledPatient) -> None:
    _history(nurse, patient, 3.0, 0.8, 1.35, 1.5, 1.6)
    recompute_all()
    post_markers(nurse, patient.patient.pk, serum_and_urine(5, 1.9))
    recompute_all()
    (alert,) = progression_alerts(patient.patient.pk)
    assert alert.status == "open"
