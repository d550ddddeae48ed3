"""Specification of episodes (contract §4, last paragraph): one alert per problem, not per reading.

While an alert of a kind is open or acknowledged for a patient, a further reading that meets the
policy for that kind joins it: the alert's grade, severity and holds become the worst of its
readings, it lists them, and a worse reading is announced again and restarts escalation. Once it is
resolved, the next such reading raises a new alert. A backlog reading, one a newer reading of the
same analyte that no longer meets the policy follows, raises a superseded alert: history for a
nurse, never announced, escalated or shown to caregivers.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.db import connection, connections
from django.utils import timezone

from backend.alerts import grading
from backend.alerts.episodes import Reading, alert_raise
from backend.alerts.escalation import escalations_run
from backend.alerts.grading import readings_grade
from backend.alerts.models import Alert, EscalationStep
from backend.notifications.models import Notification
from tests.backend.caregivers.support import make_caregiver
from tests.backend.support import ALERTS_URL, IS_POSTGRES, grade_all, rows, sync
from tests.factories import EnrolledPatient, Person, lab_item, symptom_item

BOTH = ["ixazomib", "lenalidomide"]


def platelets(value: float, hours_ago: float) -> dict[str, Any]:
    return lab_item("platelets", value, collected_at=(timezone.now() - timedelta(hours=hours_ago)).isoformat())


def synced(patient: EnrolledPatient, *items: dict[str, Any]) -> list[Alert]:
    """Sync the lab results, grade them, and return the patient's alerts, oldest first."""
    response = sync(patient, lab_results=list(items))
    assert response.status_code == 200 and response.json()["rejected"] == [], response.json()
    grade_all()
    return list(Alert.objects.filter(patient=patient.patient).order_by("created_at"))


def announced_to(person: Person, kind: str = "alert") -> list[str]:
    return list(Notification.objects.filter(recipient=person.user, kind=kind).values_list("title", flat=True))


def announce(alert_ids: list[Any]) -> None:
    from backend.alerts.announce import alerts_announce

    alerts_announce(alert_ids=alert_ids)


# --- joining -----------------------------------------------------------------------------------


def test_a_further_reading_of_an_open_alerts_kind_joins_it(nurse: Person, patient: EnrolledPatient) -> None:
    first, second = platelets(45, hours_ago=30), platelets(40, hours_ago=2)
    synced(patient, first)

    (alert,) = synced(patient, second)

    (row,) = rows(nurse.client().get(ALERTS_URL))
    assert row["id"] == str(alert.pk)
    assert [(r["id"], r["value"], r["grade"]) for r in row["readings"]] == [
        (first["id"], "Platelets 45 ×10⁹/L", 3),
        (second["id"], "Platelets 40 ×10⁹/L", 3),
    ]
    assert row["source"]["id"] == first["id"]  # the reading that raised it
    assert all(r["observed_at"].endswith("Z") for r in row["readings"])


def test_a_further_reading_joins_an_acknowledged_alert_which_stays_acknowledged(
    nurse: Person, patient: EnrolledPatient
) -> None:
    (alert,) = synced(patient, platelets(45, hours_ago=30))
    nurse.client().post(f"{ALERTS_URL}{alert.pk}/acknowledge/")

    (joined,) = synced(patient, platelets(41, hours_ago=2))

    assert joined.pk == alert.pk and joined.status == "acknowledged" and len(joined.readings) == 2


def test_the_alert_takes_the_worst_of_its_readings_and_the_words_of_the_worst(patient: EnrolledPatient) -> None:
    synced(patient, platelets(45, hours_ago=30))
    synced(patient, platelets(22, hours_ago=20))

    (alert,) = synced(patient, platelets(40, hours_ago=2))  # better again: the worst stays

    assert (alert.grade, alert.severity, alert.hold_drugs, alert.dose_hold) == (4, "critical", BOTH, True)
    assert alert.title == "Grade 4 thrombocytopenia"
    assert alert.message.startswith("Platelets 22 ×10⁹/L")
    assert alert.patient_advice.startswith("Call your care team now.")
    assert [r["grade"] for r in alert.readings] == [3, 4, 3]


def test_readings_of_one_sync_make_one_episode(patient: EnrolledPatient) -> None:
    alerts = synced(patient, platelets(45, hours_ago=6), platelets(20, hours_ago=4), platelets(44, hours_ago=2))

    assert [(a.grade, a.severity, len(a.readings)) for a in alerts] == [(4, "critical", 3)]


def test_an_episode_raised_and_made_worse_by_one_sync_is_announced_once_as_it_stands(
    nurse: Person, patient: EnrolledPatient
) -> None:
    sync(patient, lab_results=[platelets(45, hours_ago=6), platelets(20, hours_ago=4)])
    outcome = grade_all()
    announce(outcome.to_announce)

    (alert,) = Alert.objects.all()
    assert (len(outcome.alerts_raised), outcome.alerts_worsened, alert.worsened) == (1, [], 0)
    assert announced_to(nurse) == ["Grade 4 thrombocytopenia: Pat Doe"]


def test_other_kinds_and_other_patients_are_other_episodes(
    patient: EnrolledPatient, other_patient: EnrolledPatient
) -> None:
    sync(patient, lab_results=[platelets(20, 3), lab_item("anc", 0.3)])
    sync(other_patient, lab_results=[platelets(20, 3)])
    grade_all()

    assert sorted((a.patient_id == patient.patient.pk, a.kind) for a in Alert.objects.all()) == [
        (False, "thrombocytopenia"),
        (True, "neutropenia"),
        (True, "thrombocytopenia"),
    ]


def test_once_resolved_the_next_reading_raises_a_new_alert(nurse: Person, patient: EnrolledPatient) -> None:
    (first,) = synced(patient, platelets(45, hours_ago=30))
    nurse.client().post(f"{ALERTS_URL}{first.pk}/resolve/", {"note": "Seen."}, format="json")

    alerts = synced(patient, platelets(44, hours_ago=2))

    assert [(a.pk == first.pk, a.status, len(a.readings)) for a in alerts] == [
        (True, "resolved", 1),
        (False, "open", 1),
    ]


def test_resending_a_reading_that_joined_changes_nothing(patient: EnrolledPatient) -> None:
    synced(patient, platelets(45, hours_ago=30))
    second = platelets(40, hours_ago=2)
    synced(patient, second)

    (alert,) = synced(patient, second)

    assert len(alert.readings) == 2


def test_another_app_raises_or_joins_through_the_same_door(patient: EnrolledPatient) -> None:
    from shared.alert_policy import AlertCandidate, Severity

    def finding(grade: int, severity: Severity) -> AlertCandidate:
        return AlertCandidate("disease_progression", grade, severity, (), f"Progression {grade}", "m", "a", "IMWG")

    def reading(days_ago: int) -> Reading:
        at = timezone.now() - timedelta(days=days_ago)
        return Reading(patient.patient.pk, "lab_result", uuid.uuid4(), "m_protein", at, "M-protein", None)

    first = alert_raise(reading=reading(3), candidate=finding(1, Severity.URGENT))
    second = alert_raise(reading=reading(1), candidate=finding(2, Severity.CRITICAL))

    (alert,) = Alert.objects.filter(kind="disease_progression")
    assert (first.raised, second.worsened) == ([alert.pk], [alert.pk])
    assert (alert.grade, alert.severity, alert.title, len(alert.readings)) == (2, "critical", "Progression 2", 2)


# --- announced again, escalation restarted ----------------------------------------------------


def test_a_worse_reading_is_announced_again_to_nurse_patient_and_caregivers_in_scope(
    nurse: Person, patient: EnrolledPatient
) -> None:
    critical_only = make_caregiver(patient, ["critical_alerts"], username="crit.only")
    every = make_caregiver(patient, ["all_alerts"], username="every.alert")
    sync(patient, lab_results=[platelets(45, hours_ago=30)])
    announce(grade_all().to_announce)
    assert announced_to(nurse) == ["Grade 3 thrombocytopenia: Pat Doe"]

    sync(patient, lab_results=[platelets(20, hours_ago=2)])
    outcome = grade_all()
    announce(outcome.to_announce)

    assert (outcome.alerts_raised, len(outcome.alerts_worsened)) == ([], 1)
    assert sorted(announced_to(nurse)) == [
        "Grade 3 thrombocytopenia: Pat Doe",
        "Worse: Grade 4 thrombocytopenia: Pat Doe",
    ]
    assert len(announced_to(patient, "patient_alert")) == 2
    assert len(announced_to(every, "caregiver_alert")) == 2
    # Critical now: a caregiver whose consent covers critical alerts only hears of it from here on.
    assert announced_to(critical_only, "caregiver_alert") == ["Pat: Grade 4 thrombocytopenia"]


def test_a_reading_that_makes_nothing_worse_is_not_announced_again(nurse: Person, patient: EnrolledPatient) -> None:
    sync(patient, lab_results=[platelets(20, hours_ago=30)])
    announce(grade_all().to_announce)

    sync(patient, lab_results=[platelets(40, hours_ago=2)])
    outcome = grade_all()
    announce(outcome.to_announce)

    assert outcome.to_announce == []
    assert len(announced_to(nurse)) == 1


def test_a_worse_reading_restarts_escalation_from_its_own_time(nurse: Person, patient: EnrolledPatient) -> None:
    (alert,) = synced(patient, platelets(45, hours_ago=30))  # urgent: two hours to acknowledge
    escalations_run(now=alert.created_at)
    escalations_run(now=alert.created_at + timedelta(hours=2, seconds=1))
    assert Alert.objects.get(pk=alert.pk).escalation_level == 1

    (worse,) = synced(patient, platelets(20, hours_ago=2))  # critical: 15 minutes from now
    assert (worse.escalation_level, worse.next_escalation_at, worse.worsened) == (0, None, 1)
    assert worse.worsened_at is not None
    escalations_run(now=worse.worsened_at)
    assert escalations_run(now=worse.worsened_at + timedelta(minutes=14)).steps == []
    steps = escalations_run(now=worse.worsened_at + timedelta(minutes=15, seconds=1)).steps

    assert steps == [(alert.pk, 1)]
    assert list(EscalationStep.objects.filter(alert=alert).values_list("ladder", "level")) == [(0, 1), (1, 1)]
    titles = Notification.objects.filter(recipient=nurse.user, kind="escalation").values_list("title", flat=True)
    assert sorted(titles) == [
        "Not acknowledged: Grade 3 thrombocytopenia: Pat Doe",
        "Not acknowledged: Grade 4 thrombocytopenia: Pat Doe",
    ]


# --- backlog readings ----------------------------------------------------------------------------


def backlog(patient: EnrolledPatient) -> tuple[list[Alert], dict[str, Any]]:
    """A phone syncing old readings at once: grade 4 counts 12 and 11 days ago, recovered 10 days ago."""
    recovered = platelets(150, hours_ago=240)
    return synced(patient, platelets(22, hours_ago=288), platelets(18, hours_ago=264), recovered), recovered


def test_a_backlog_reading_raises_a_superseded_alert_shown_to_the_nurse(
    nurse: Person, patient: EnrolledPatient
) -> None:
    (alert,), recovered = backlog(patient)

    (row,) = rows(nurse.client().get(ALERTS_URL))
    assert (row["id"], row["superseded"], row["status"], row["grade"], len(row["readings"])) == (
        str(alert.pk),
        True,
        "open",
        4,
        2,
    )
    # Its hold was lifted by the recovered count, and says so.
    assert row["holds_in_force"] == [] and row["hold_drugs"] == BOTH
    assert [(h["id"], h["value"], h["lifted"]) for h in row["hold_lifts"]] == [
        (recovered["id"], "Platelets 150 ×10⁹/L", BOTH)
    ]


def test_a_superseded_alert_is_never_announced_nor_escalated(nurse: Person, patient: EnrolledPatient) -> None:
    make_caregiver(patient, ["all_alerts"])
    sync(patient, lab_results=[platelets(22, hours_ago=288), platelets(150, hours_ago=240)])
    outcome = grade_all()
    announce(list(Alert.objects.values_list("pk", flat=True)))
    (alert,) = Alert.objects.all()

    assert outcome.to_announce == []
    assert Notification.objects.count() == 0
    escalations_run(now=alert.created_at)
    assert escalations_run(now=alert.created_at + timedelta(days=1)).steps == []
    assert EscalationStep.objects.count() == 0


def test_a_caregiver_never_sees_a_superseded_alert(patient: EnrolledPatient) -> None:
    caregiver = make_caregiver(patient, ["all_alerts"])
    backlog(patient)

    assert rows(caregiver.client().get(ALERTS_URL)) == []


def test_a_backlog_reading_still_low_today_is_a_live_alert(patient: EnrolledPatient) -> None:
    """The newer readings still meet the policy: nothing supersedes the old one."""
    alerts = synced(patient, platelets(22, hours_ago=288), platelets(40, hours_ago=2))

    assert [(a.superseded, a.grade, len(a.readings)) for a in alerts] == [(False, 4, 2)]


def test_a_live_episode_and_its_superseded_history_are_two_rows(patient: EnrolledPatient) -> None:
    synced(patient, platelets(20, hours_ago=2))

    alerts = synced(patient, platelets(22, hours_ago=288), platelets(150, hours_ago=240))

    assert sorted((a.superseded, len(a.readings)) for a in alerts) == [(False, 1), (True, 1)]


def test_a_backlog_symptom_report_is_superseded_by_a_newer_milder_one(patient: EnrolledPatient) -> None:
    def diarrhea(stools: int, hours_ago: float) -> dict[str, Any]:
        return symptom_item(
            "diarrhea",
            {"stools_above_usual": stools},
            reported_at=(timezone.now() - timedelta(hours=hours_ago)).isoformat(),
        )

    sync(patient, symptom_reports=[diarrhea(9, 100), diarrhea(1, 50)])
    grade_all()

    (alert,) = Alert.objects.all()
    assert (alert.kind, alert.superseded) == ("diarrhea", True)


# --- holds in force ------------------------------------------------------------------------------


def test_a_recovered_count_lifts_the_hold_of_an_open_episode_and_is_named(patient: EnrolledPatient) -> None:
    synced(patient, platelets(22, hours_ago=48))
    recovered = platelets(35, hours_ago=2)  # grade 3 still: it joins, but no longer holds

    (alert,) = synced(patient, recovered)

    assert (alert.hold_drugs, alert.holds_in_force, alert.status) == (BOTH, [], "open")
    (lift,) = alert.hold_lifts
    assert (lift["id"], lift["value"], lift["lifted"]) == (recovered["id"], "Platelets 35 ×10⁹/L", BOTH)


def test_a_normal_count_lifts_the_hold_without_joining(patient: EnrolledPatient) -> None:
    synced(patient, platelets(22, hours_ago=48))

    (alert,) = synced(patient, platelets(180, hours_ago=2))

    assert (len(alert.readings), alert.holds_in_force, alert.hold_lifts[0]["value"]) == (
        1,
        [],
        "Platelets 180 ×10⁹/L",
    )


def test_the_phone_hears_of_a_lifted_hold_at_its_next_sync(patient: EnrolledPatient) -> None:
    synced(patient, platelets(22, hours_ago=48))
    Alert.objects.update(updated_at=timezone.now() - timedelta(hours=1))  # long before the cursor
    cursor = sync(patient).json()["cursor"]
    sync(patient, lab_results=[platelets(180, hours_ago=2)])
    grade_all()

    (changed,) = sync(patient, cursor=cursor).json()["alerts"]

    assert (changed["hold_drugs"], changed["holds_in_force"]) == (BOTH, [])


def test_an_older_normal_count_lifts_nothing(patient: EnrolledPatient) -> None:
    synced(patient, platelets(22, hours_ago=2))

    (alert,) = synced(patient, platelets(180, hours_ago=48))

    assert alert.holds_in_force == BOTH and alert.hold_lifts == []


def test_resolving_does_not_lift_a_hold_a_later_count_does(nurse: Person, patient: EnrolledPatient) -> None:
    (alert,) = synced(patient, platelets(22, hours_ago=48))
    nurse.client().post(f"{ALERTS_URL}{alert.pk}/resolve/", {"note": "Held both."}, format="json")
    assert Alert.objects.get(pk=alert.pk).holds_in_force == BOTH

    (resolved,) = synced(patient, platelets(90, hours_ago=2))

    assert (resolved.status, resolved.holds_in_force) == ("resolved", [])


# --- two workers -------------------------------------------------------------------------------


def _in_thread(target: Callable[[], Any], errors: list[BaseException], name: str) -> threading.Thread:
    def run() -> None:
        try:
            target()
        except BaseException as error:  # surfaced by the test
            errors.append(error)
        finally:
            connections.close_all()

    return threading.Thread(target=run, name=name)


def _waiting_on_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
        )
        (count,) = cursor.fetchone()
    return bool(count)


@pytest.mark.skipif(not IS_POSTGRES, reason="two connections at once: PostgreSQL (SQLite serialises writers)")
@pytest.mark.django_db(transaction=True)
def test_two_workers_grading_one_patients_readings_at_once_make_one_episode(
    patient: EnrolledPatient, enqueued: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Worker A starts the episode and stops before committing; worker B, grading another reading
    of the same kind meanwhile, finds no episode to join (A's is not committed) and inserts one too:
    the partial unique index holds B until A commits, then B joins A's episode instead."""
    sync(patient, lab_results=[platelets(45, hours_ago=5)])
    sync(patient, lab_results=[platelets(20, hours_ago=1)])
    task_a, task_b = enqueued
    inside, release = threading.Event(), threading.Event()
    real_apply = grading.episodes_apply

    def apply_then_wait(**kwargs: Any) -> Any:
        outcome = real_apply(**kwargs)
        if threading.current_thread().name == "worker-a":
            inside.set()  # A's episode is inserted, not committed
            release.wait(30)
        return outcome

    monkeypatch.setattr(grading, "episodes_apply", apply_then_wait)
    errors: list[BaseException] = []
    worker_a = _in_thread(lambda: readings_grade(**task_a), errors, "worker-a")
    worker_a.start()
    assert inside.wait(30)
    outcomes: list[Any] = []
    worker_b = _in_thread(lambda: outcomes.append(readings_grade(**task_b)), errors, "worker-b")
    worker_b.start()
    deadline = datetime.now() + timedelta(seconds=30)
    while not (waited := _waiting_on_a_lock()) and datetime.now() < deadline:
        threading.Event().wait(0.05)
    release.set()
    worker_a.join(30)
    worker_b.join(30)

    assert waited, "worker B never waited for A's episode"
    assert errors == []
    (alert,) = Alert.objects.all()
    assert (alert.grade, alert.severity, len(alert.readings)) == (4, "critical", 2)
    assert (outcomes[0].alerts_raised, outcomes[0].alerts_worsened) == ([], [alert.pk])
    connection.close()
