"""The sweeper task (beat, every CARELOOP_SWEEP_EVERY_SECONDS): after a Redis outage every reading
synced meanwhile waits for it, so one run grades a backlog of many batches, not just one."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from backend.alerts import grading, review, tasks
from backend.alerts.announce import alerts_announce
from backend.alerts.models import Alert
from backend.alerts.tasks import grade_readings, sweep_ungraded
from backend.notifications.models import Notification
from backend.patients.care_status import patient_care_status_change
from backend.records.models import LabResult, SymptomReport
from tests.backend.support import batches_fail_with, sync
from tests.factories import EnrolledPatient, Person, lab_item, symptom_item

# A reading that raises an alert when graded (the fault is in the alert's batch), of each kind.
POISONS = {
    "lab": (LabResult, "lab_results", lambda: lab_item("platelets", 20), "Platelets 20 ×10⁹/L"),
    "symptom": (SymptomReport, "symptom_reports", lambda: symptom_item("fever", {"temperature_c": 39.5}), "Fever"),
}


@pytest.fixture
def announced(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The alerts the sweeper hands to the announcer, announced right away (the task's service)."""
    ids: list[str] = []

    def announce(alert_ids: list[str]) -> None:
        ids.extend(alert_ids)
        alerts_announce(alert_ids=[uuid.UUID(i) for i in alert_ids])

    monkeypatch.setattr(tasks.announce_alerts, "delay", announce)
    return ids


def _poisoned(patient: EnrolledPatient, monkeypatch: pytest.MonkeyPatch, kind: str = "lab") -> dict[str, Any]:
    """A poisoned reading synced first, then three normal platelet counts (no alert)."""
    _, section, make, _ = POISONS[kind]
    poison = make()
    assert sync(patient, **{section: [poison]}).status_code == 200
    assert sync(patient, lab_results=[lab_item("platelets", 150 + n) for n in range(3)]).status_code == 200
    batches_fail_with(poison["id"], monkeypatch)
    return poison


def _reviews() -> list[tuple[str, str, int | None, str, list[str]]]:
    return [
        (a.kind, a.severity, a.grade, str(a.source_id), [r["id"] for r in a.readings])
        for a in Alert.objects.filter(kind=grading.REVIEW_NEEDED)
    ]


def _told(nurse: Person) -> list[str]:
    return list(Notification.objects.filter(recipient=nurse.user, kind="alert").values_list("title", flat=True))


def test_one_sweep_grades_a_backlog_larger_than_a_batch(patient: EnrolledPatient, settings: Any) -> None:
    settings.CARELOOP_SWEEP_AFTER_SECONDS = 0
    backlog = grading.SWEEP_BATCH + 100
    # Normal platelets: no alert, so nothing is published to Redis from this test.
    readings = [lab_item("platelets", 150 + n % 200) for n in range(backlog)]
    for start in range(0, backlog, 300):
        assert sync(patient, lab_results=readings[start : start + 300]).status_code == 200

    assert sweep_ungraded() == backlog
    assert not LabResult.objects.filter(graded_at__isnull=True).exists()


def test_a_reading_that_fails_its_batch_holds_back_no_other(
    patient: EnrolledPatient, announced: list[str], settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sweeper takes the oldest first: a reading whose batch fails (a fault beyond one row's
    grading) would fail every sweep and leave every reading after it ungraded. The batch's readings
    are then graded one at a time: all but that one, which goes to a nurse (below)."""
    settings.CARELOOP_SWEEP_AFTER_SECONDS = 0
    poison = lab_item("platelets", 20)
    assert sync(patient, lab_results=[poison]).status_code == 200
    normal = [lab_item("platelets", 150 + n) for n in range(3)]
    assert sync(patient, lab_results=normal).status_code == 200
    batches_fail_with(poison["id"], monkeypatch)

    assert sweep_ungraded() == 3
    assert {str(i) for i in LabResult.objects.filter(grade__isnull=False).values_list("id", flat=True)} == {
        n["id"] for n in normal
    }


@pytest.mark.parametrize("kind", POISONS)
def test_a_reading_that_fails_even_alone_is_put_before_a_nurse_once(
    patient: EnrolledPatient,
    nurse: Person,
    announced: list[str],
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
    kind: str,
) -> None:
    """Logged alone, it would be retried every sweep and seen by no nurse: it raises the review
    alert a row whose own grading fails raises, once, announced like any other; and it is marked
    graded (no grade) so that no sweep takes it again."""
    settings.CARELOOP_SWEEP_AFTER_SECONDS = 0
    model, _, _, words = POISONS[kind]
    poison = _poisoned(patient, monkeypatch, kind)

    assert sweep_ungraded() == 3
    assert sweep_ungraded() == 0

    ((alert_id,),) = Alert.objects.values_list("id")
    assert _reviews() == [("review_needed", "urgent", None, poison["id"], [poison["id"]])]
    assert Alert.objects.get().readings[0]["value"] == words
    assert announced == [str(alert_id)]
    assert _told(nurse) == [f"Reading needs review: {patient.patient.display_name}"]
    assert model.objects.get(pk=poison["id"]).grade is None
    assert not LabResult.objects.filter(graded_at__isnull=True).exists()
    assert not SymptomReport.objects.filter(graded_at__isnull=True).exists()


def test_a_passing_fault_takes_no_reading_s_grade(
    patient: EnrolledPatient, announced: list[str], settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sweep's batch and the reading's first try alone fail; the second try alone grades it:
    its own alert, not a review."""
    settings.CARELOOP_SWEEP_AFTER_SECONDS = 0
    poison = lab_item("platelets", 20)
    assert sync(patient, lab_results=[poison]).status_code == 200
    batches_fail_with(poison["id"], monkeypatch, times=2)

    assert sweep_ungraded() == 1

    assert [(a.kind, a.grade, str(a.source_id)) for a in Alert.objects.all()] == [("thrombocytopenia", 4, poison["id"])]


def test_a_reading_that_cannot_be_marked_is_alerted_once_and_tried_again(
    patient: EnrolledPatient, nurse: Person, announced: list[str], settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If marking it fails too, the review alert is raised on its own and the reading stays
    ungraded: every sweep tries again, none raises the alert twice, and once the mark goes through
    the sweeper stops taking it."""
    settings.CARELOOP_SWEEP_AFTER_SECONDS = 0
    poison = _poisoned(patient, monkeypatch)

    def refused(*_: Any) -> None:
        raise RuntimeError("the reading's row refuses the mark")

    with monkeypatch.context() as fault:
        fault.setattr(review, "_mark", refused)
        sweep_ungraded()
        sweep_ungraded()
        assert LabResult.objects.get(pk=poison["id"]).graded_at is None
        assert _reviews() == [("review_needed", "urgent", None, poison["id"], [poison["id"]])]
    sweep_ungraded()

    assert LabResult.objects.get(pk=poison["id"]).graded_at is not None
    assert len(_reviews()) == 1 and len(announced) == 1
    assert len(_told(nurse)) == 1


def test_a_reading_no_alert_can_be_raised_for_stays_ungraded_until_one_can(
    patient: EnrolledPatient, announced: list[str], settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Never dropped: while even the review alert fails, the sweep goes on (the others graded) and
    the reading waits, ungraded, for the next; the first sweep that can raises it."""
    settings.CARELOOP_SWEEP_AFTER_SECONDS = 0
    poison = _poisoned(patient, monkeypatch)

    def refused(*_: Any) -> list[uuid.UUID]:
        raise RuntimeError("no alert row can be written")

    with monkeypatch.context() as fault:
        fault.setattr(review, "_raised", refused)
        assert sweep_ungraded() == 3
        assert list(LabResult.objects.filter(graded_at__isnull=True).values_list("id", flat=True)) == [
            uuid.UUID(poison["id"])
        ]
        assert not Alert.objects.exists()
    sweep_ungraded()

    assert _reviews() == [("review_needed", "urgent", None, poison["id"], [poison["id"]])]
    assert not LabResult.objects.filter(graded_at__isnull=True).exists()


def test_a_failing_reading_joins_its_patient_s_open_review_alert(
    patient: EnrolledPatient, announced: list[str], settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Alerts are episodes, review alerts too: a second reading to review is listed in the open one,
    which is not announced again (it is no worse)."""
    settings.CARELOOP_SWEEP_AFTER_SECONDS = 0
    first = lab_item("platelets", 15)
    assert sync(patient, lab_results=[first]).status_code == 200
    batches_fail_with(first["id"], monkeypatch)
    sweep_ungraded()
    poison = _poisoned(patient, monkeypatch)

    sweep_ungraded()

    assert _reviews() == [("review_needed", "urgent", None, first["id"], [first["id"], poison["id"]])]
    assert len(announced) == 1


def test_a_paused_patient_s_failing_reading_raises_no_alert_but_is_not_taken_again(
    patient: EnrolledPatient, nurse: Person, announced: list[str], settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As grading does for a paused patient: readings kept and graded, no alert."""
    settings.CARELOOP_SWEEP_AFTER_SECONDS = 0
    poison = _poisoned(patient, monkeypatch)
    patient_care_status_change(patient=patient.patient, status="paused", reason="holiday", changed_by=nurse.user)

    sweep_ungraded()

    assert not Alert.objects.exists()
    assert LabResult.objects.get(pk=poison["id"]).graded_at is not None


def test_a_task_whose_own_reading_fails_alone_leaves_it_to_the_sweeper_s_review(
    patient: EnrolledPatient,
    nurse: Person,
    enqueued: list[dict[str, Any]],
    announced: list[str],
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The task raises (Celery retries it, then gives up); the reading stays ungraded until it is
    the sweeper's, which puts it before a nurse as above."""
    poison = _poisoned(patient, monkeypatch)
    own = [str(i) for i in enqueued[0]["lab_ids"]]

    for _ in range(6):  # the first run and Celery's five retries
        with pytest.raises(RuntimeError):
            grade_readings(lab_ids=own)
    assert LabResult.objects.get(pk=poison["id"]).graded_at is None
    settings.CARELOOP_SWEEP_AFTER_SECONDS = 0
    sweep_ungraded()

    assert _reviews() == [("review_needed", "urgent", None, poison["id"], [poison["id"]])]
    assert _told(nurse) == [f"Reading needs review: {patient.patient.display_name}"]
