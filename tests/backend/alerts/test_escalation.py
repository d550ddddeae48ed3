"""The escalation ladder, at its boundaries: an open alert nobody acknowledged in time goes to every
nurse of the clinic again, then to the clinic's on-call contact; acknowledging stops it at once."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine

from backend.accounts.models import Clinic
from backend.alerts import escalation
from backend.alerts.escalation import escalations_run
from backend.alerts.models import Alert, EscalationStep
from backend.alerts.tasks import escalate
from backend.demo import seed as demo
from backend.notifications import tasks as notification_tasks
from backend.notifications.models import Delivery, DeliveryStatus, Notification, RecordedMessage
from backend.notifications.services import deliveries_send_due
from backend.notifications.transports.registry import transport_for
from tests.backend.caregivers.support import make_caregiver, prefer, raise_alert
from tests.backend.support import ALERTS_URL, rows
from tests.factories import EnrolledPatient, Person, make_nurse

CRITICAL_TARGET = timedelta(minutes=15)
URGENT_TARGET = timedelta(hours=2)
SECOND = timedelta(seconds=1)


@pytest.fixture(autouse=True)
def _dev_transports(settings: Any) -> Iterator[None]:
    settings.CARELOOP_TRANSPORTS = {"email": "dev", "sms": "dev", "push": "dev"}
    transport_for.cache_clear()
    yield
    transport_for.cache_clear()


@pytest.fixture
def clinic(nurse: Person) -> Clinic:
    clinic = Clinic.objects.get(pk=nurse.user.clinic_id)
    clinic.on_call_name = "Dr. Oncall"
    clinic.on_call_email = "oncall@clinic.example"
    clinic.on_call_phone = "+15550100199"
    clinic.save()
    return clinic


@pytest.fixture
def critical(patient: EnrolledPatient, clinic: Clinic) -> Alert:
    return raise_alert(patient)


def _run(at: datetime) -> list[tuple[Any, int]]:
    return escalations_run(now=at).steps


def _escalations_of(person: Person) -> list[Notification]:
    return list(Notification.objects.filter(recipient=person.user, kind="escalation").order_by("created_at"))


# --- Timing -------------------------------------------------------------------------------------


def test_nothing_happens_just_before_the_critical_target(critical: Alert, nurse: Person) -> None:
    assert _run(critical.created_at + CRITICAL_TARGET - SECOND) == []

    critical.refresh_from_db()
    assert (critical.escalation_level, critical.next_escalation_at) == (0, critical.created_at + CRITICAL_TARGET)
    assert _escalations_of(nurse) == []


def test_at_the_critical_target_every_nurse_and_admin_of_the_clinic_is_told_again(
    critical: Alert, nurse: Person, clinic_admin: Person, other_clinic_nurse: Person
) -> None:
    second_nurse = make_nurse("nurse.ned")

    with time_machine.travel(critical.created_at + CRITICAL_TARGET, tick=False):
        assert escalations_run().steps == [(critical.pk, 1)]

    for person in (nurse, clinic_admin, second_nurse):
        [told] = _escalations_of(person)
        assert told.critical is True
        assert told.title == f"Not acknowledged: {critical.title}: {critical.patient.display_name}"
        assert told.link == f"/alerts/{critical.pk}/"
    assert _escalations_of(other_clinic_nurse) == []
    critical.refresh_from_db()
    assert (critical.escalation_level, critical.next_escalation_at) == (1, critical.created_at + 2 * CRITICAL_TARGET)
    step = EscalationStep.objects.get(alert=critical)
    assert (step.level, step.due_at, step.at) == (1, critical.created_at + CRITICAL_TARGET, step.due_at)
    assert [(r["role"], r["name"]) for r in step.recipients] == [
        ("admin", "admin.ada"),
        ("nurse", "nurse.ned"),
        ("nurse", "nurse.nina"),
    ]


def test_a_late_run_takes_the_step_when_it_runs(critical: Alert, nurse: Person) -> None:
    late = critical.created_at + CRITICAL_TARGET + timedelta(minutes=4)

    assert _run(late) == [(critical.pk, 1)]
    assert EscalationStep.objects.get().at == late


def test_at_twice_the_target_the_on_call_contact_is_reached_by_email_and_sms(
    critical: Alert, nurse: Person, clinic: Clinic
) -> None:
    _run(critical.created_at + CRITICAL_TARGET)
    assert _run(critical.created_at + 2 * CRITICAL_TARGET - SECOND) == []

    assert _run(critical.created_at + 2 * CRITICAL_TARGET) == [(critical.pk, 2)]

    on_call = Delivery.objects.filter(contact_key__startswith=f"alert:{critical.pk}:")
    assert sorted((d.channel, d.address, d.kind, d.critical) for d in on_call) == [
        ("email", "oncall@clinic.example", "escalation", True),
        ("sms", "+15550100199", "escalation", True),
    ]
    assert deliveries_send_due(now=critical.created_at + 2 * CRITICAL_TARGET) == 2
    recorded = {m.channel: m for m in RecordedMessage.objects.all()}
    assert recorded["sms"].address == "+15550100199"
    assert recorded["email"].subject == "CareLoop: unacknowledged alert"
    step = EscalationStep.objects.get(alert=critical, level=2)
    assert step.recipients == [{"role": "on_call", "user_id": None, "name": "Dr. Oncall", "channels": ["email", "sms"]}]
    critical.refresh_from_db()
    assert (critical.escalation_level, critical.next_escalation_at) == (2, None)
    assert _run(critical.created_at + 10 * CRITICAL_TARGET) == []  # the ladder has two rungs


def test_an_urgent_alert_waits_two_hours_and_respects_quiet_hours(
    patient: EnrolledPatient, clinic: Clinic, nurse: Person
) -> None:
    urgent = raise_alert(patient, critical=False)

    assert _run(urgent.created_at + URGENT_TARGET - SECOND) == []
    assert _run(urgent.created_at + URGENT_TARGET) == [(urgent.pk, 1)]
    assert _escalations_of(nurse)[0].critical is False


def test_the_clinics_own_targets_apply(critical: Alert, clinic: Clinic) -> None:
    clinic.escalation_critical_minutes = 5
    clinic.save()
    Alert.objects.filter(pk=critical.pk).update(next_escalation_at=None)  # not scheduled yet

    assert _run(critical.created_at + timedelta(minutes=5) - SECOND) == []
    assert _run(critical.created_at + timedelta(minutes=5)) == [(critical.pk, 1)]


def test_a_target_raised_after_scheduling_moves_the_step(critical: Alert, clinic: Clinic) -> None:
    _run(critical.created_at)  # scheduled at +15 min
    clinic.escalation_critical_minutes = 30
    clinic.save()

    assert _run(critical.created_at + CRITICAL_TARGET) == []
    critical.refresh_from_db()
    assert critical.next_escalation_at == critical.created_at + timedelta(minutes=30)


def test_a_target_of_zero_turns_escalation_off(critical: Alert, clinic: Clinic) -> None:
    clinic.escalation_critical_minutes = 0
    clinic.save()

    assert _run(critical.created_at + timedelta(days=1)) == []
    assert not EscalationStep.objects.exists()


def test_the_minute_can_be_shortened_for_tests(critical: Alert, settings: Any) -> None:
    settings.CARELOOP_ESCALATION_MINUTE_SECONDS = 1  # 15 "minutes" = 15 s

    assert _run(critical.created_at + timedelta(seconds=14)) == []
    assert _run(critical.created_at + timedelta(seconds=15)) == [(critical.pk, 1)]


# --- Exactly once, and stopping -------------------------------------------------------------------


def test_a_second_run_at_the_same_moment_does_nothing(critical: Alert, nurse: Person) -> None:
    at = critical.created_at + CRITICAL_TARGET
    _run(at)
    before = Notification.objects.count()

    assert _run(at) == []
    assert Notification.objects.count() == before
    assert EscalationStep.objects.count() == 1


def test_a_worker_holding_a_stale_copy_cannot_take_the_step_again(critical: Alert, nurse: Person) -> None:
    stale = Alert.objects.select_related("patient__clinic").get(pk=critical.pk)
    at = critical.created_at + CRITICAL_TARGET
    _run(at)

    assert escalation._escalate(stale, at) is None
    assert EscalationStep.objects.count() == 1
    assert len(_escalations_of(nurse)) == 1


def test_acknowledging_before_the_target_means_no_escalation(critical: Alert, nurse: Person) -> None:
    assert nurse.client().post(f"{ALERTS_URL}{critical.pk}/acknowledge/").status_code == 200

    assert _run(critical.created_at + 3 * CRITICAL_TARGET) == []
    critical.refresh_from_db()
    assert (critical.escalation_level, critical.next_escalation_at) == (0, None)


def test_acknowledging_stops_the_ladder_and_cancels_what_still_waits(
    patient: EnrolledPatient, clinic: Clinic, nurse: Person, clinic_admin: Person
) -> None:
    urgent = raise_alert(patient, critical=False)
    # The admin is asleep: an urgent escalation waits for her quiet hours to end.
    prefer(clinic_admin, channels=["sms"], phone="+15550100111", quiet_start="00:00", quiet_end="23:59")
    _run(urgent.created_at + URGENT_TARGET)
    waiting = Delivery.objects.get(notification__recipient=clinic_admin.user, notification__kind="escalation")
    assert waiting.status == DeliveryStatus.PENDING and waiting.not_before > urgent.created_at + URGENT_TARGET

    assert nurse.client().post(f"{ALERTS_URL}{urgent.pk}/acknowledge/").status_code == 200

    waiting.refresh_from_db()
    assert waiting.status == DeliveryStatus.CANCELLED
    assert _run(urgent.created_at + 5 * URGENT_TARGET) == []
    assert not Delivery.objects.filter(contact_key__startswith=f"alert:{urgent.pk}:").exists()
    assert list(EscalationStep.objects.values_list("level", flat=True)) == [1]


def test_resolving_stops_the_ladder_too(critical: Alert, nurse: Person) -> None:
    _run(critical.created_at + CRITICAL_TARGET)
    response = nurse.client().post(f"{ALERTS_URL}{critical.pk}/resolve/", {"note": "called"}, format="json")
    assert response.status_code == 200

    assert _run(critical.created_at + 3 * CRITICAL_TARGET) == []


def test_the_escalate_task_takes_due_steps_and_sends_them_at_once(
    critical: Alert, nurse: Person, monkeypatch: pytest.MonkeyPatch
) -> None:
    queued: list[str] = []
    monkeypatch.setattr(notification_tasks.send_due, "delay", lambda **_: queued.append("send_due"))

    with time_machine.travel(critical.created_at + CRITICAL_TARGET, tick=False):
        assert escalate() == 1
        assert escalate() == 0

    assert queued == ["send_due"]


# --- Who else is told -----------------------------------------------------------------------------


def test_a_critical_alert_also_reaches_caregivers_whose_consent_covers_it(
    patient: EnrolledPatient, critical: Alert
) -> None:
    critical_holder = make_caregiver(patient, ["critical_alerts"], "cris.critical")
    all_holder = make_caregiver(patient, ["all_alerts"], "ana.all")
    summary_only = make_caregiver(patient, ["daily_summary"], "sam.summary")

    _run(critical.created_at + CRITICAL_TARGET)

    def kinds(person: Person) -> list[str]:
        return list(Notification.objects.filter(recipient=person.user).values_list("kind", flat=True))

    assert kinds(critical_holder) == ["caregiver_escalation"]
    assert kinds(all_holder) == ["caregiver_escalation"]
    assert kinds(summary_only) == []
    told = Notification.objects.get(recipient=critical_holder.user)
    assert told.critical and told.patient_id == patient.patient.pk
    roles = [r["role"] for r in EscalationStep.objects.get().recipients]
    assert roles.count("caregiver") == 2


def test_an_urgent_alert_does_not_escalate_to_caregivers(patient: EnrolledPatient, clinic: Clinic) -> None:
    holder = make_caregiver(patient, ["all_alerts"], "ana.all")
    urgent = raise_alert(patient, critical=False)

    _run(urgent.created_at + URGENT_TARGET)

    assert not Notification.objects.filter(recipient=holder.user, kind="caregiver_escalation").exists()


def test_without_an_on_call_contact_the_admins_are_told_again_and_the_step_says_so(
    patient: EnrolledPatient, nurse: Person, clinic_admin: Person
) -> None:
    alert = raise_alert(patient)
    _run(alert.created_at + CRITICAL_TARGET)

    _run(alert.created_at + 2 * CRITICAL_TARGET)

    step = EscalationStep.objects.get(alert=alert, level=2)
    assert step.note.startswith("No on-call contact is set")
    assert [r["name"] for r in step.recipients] == ["admin.ada"]
    assert len(_escalations_of(clinic_admin)) == 2
    assert len(_escalations_of(nurse)) == 1


def test_staff_see_every_step_on_the_alert_and_others_see_none(
    critical: Alert, nurse: Person, patient: EnrolledPatient
) -> None:
    holder = make_caregiver(patient, ["all_alerts"], "ana.all")
    prefer(nurse, channels=["email"], email="nina@clinic.example")
    _run(critical.created_at + CRITICAL_TARGET)
    _run(critical.created_at + 2 * CRITICAL_TARGET)

    [seen] = rows(nurse.client().get(ALERTS_URL))

    assert seen["escalation_level"] == 2 and seen["next_escalation_at"] is None
    assert [s["level"] for s in seen["escalations"]] == [1, 2]
    assert {"role": "nurse", "user_id": nurse.user.pk, "name": "nurse.nina", "channels": ["inbox", "email"]} in seen[
        "escalations"
    ][0]["recipients"]
    assert seen["escalations"][1]["recipients"][0]["name"] == "Dr. Oncall"
    for other in (holder, patient):
        assert [a["escalations"] for a in rows(other.client().get(ALERTS_URL))] == [[]]
    acknowledged = nurse.client().post(f"{ALERTS_URL}{critical.pk}/acknowledge/").json()
    assert [s["level"] for s in acknowledged["escalations"]] == [1, 2]


# --- make run -----------------------------------------------------------------------------------------


def test_an_unacknowledged_demo_alert_escalates_within_minutes_and_the_dev_transport_shows_it(db: None) -> None:
    seeded = datetime(2026, 11, 20, 15, 30, tzinfo=UTC)
    with time_machine.travel(seeded, tick=False):
        demo.seed_demo(seeded)
    critical = Alert.objects.filter(severity="critical", status="open").first()
    assert critical is not None
    clinic = Clinic.objects.get(name=demo.CLINIC)

    for minutes in (1, 2, 3, 4):  # the demo clinic's targets: critical 2 min, urgent 5 min
        escalations_run(now=seeded + timedelta(minutes=minutes))
    deliveries_send_due(now=seeded + timedelta(minutes=4))

    assert [s.level for s in EscalationStep.objects.filter(alert=critical)] == [1, 2]
    sent = set(RecordedMessage.objects.values_list("channel", "address"))
    assert {("email", "nurse@careloop-demo.invalid"), ("sms", "+15550100101")} <= sent
    assert {("email", clinic.on_call_email), ("sms", clinic.on_call_phone)} <= sent
    assert ("push", "demo-push-lucia") in sent  # the demo caregiver holds critical_alerts
