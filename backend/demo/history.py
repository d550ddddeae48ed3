"""The demo clinic's past, so that its Service figures page (issue 16 §5) reads like a clinic's:
each patient enrolled two days before cycle 1, a few alerts of the weeks before that the nurse and
the admin handled, and the blood-draw reminders their phones received.

The past alerts come from symptom reports through the real sync and grading, one at a time (each
a new episode, contract §4), and are then given the times and outcomes a clinic sees: the phone
syncs within minutes; critical alerts are acknowledged in minutes, urgent ones within hours
(log-normal, a long tail); about six in ten resolutions are an action, as in PRO-TECT (issue 16).
Their escalation steps follow a new clinic's targets (15 minutes critical, 2 hours urgent): the demo
clinic's 2- and 5-minute targets are there to watch a ladder live, not what its past was measured on.
Times are drawn from a generator seeded with each alert's id, so seeding twice gives the same past.
"""

from __future__ import annotations

import math
import random
import uuid
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from backend.accounts.models import User
from backend.alerts.grading import readings_grade
from backend.alerts.models import Alert, EscalationStep, Severity, Status
from backend.patients.models import Patient
from backend.records.services import sync_ingest
from backend.reminders.models import OccurrenceStatus, ReminderOccurrence, ReminderPlan
from shared.reminders import ReminderKind, lab_draws, local_instant

_NS = uuid.UUID("a3c1c0de-5e7f-4b1a-9c2d-16e7a1f0d1a5")
# (days ago, symptom, answers): grade 3 diarrhea and fever raise urgent alerts, a grade 4 diarrhea
# (danger signs) a critical one. Older than every current reading of the same symptom.
PAST_EPISODES: dict[str, tuple[tuple[int, str, dict[str, Any]], ...]] = {
    "Maria Lopez": (
        (70, "diarrhea", {"stools_above_usual": 7}),
        (45, "diarrhea", {"stools_above_usual": 9, "danger_signs": True}),
        (20, "fever", {"temperature_c": 38.3}),
    ),
    "James Carter": ((50, "fever", {"temperature_c": 38.2}), (33, "diarrhea", {"stools_above_usual": 7})),
    "Kenji Sato": ((36, "diarrhea", {"stools_above_usual": 8}),),
}
# Resolve outcomes in turn: four actions in six (PRO-TECT: about 59%).
OUTCOMES = ("called_patient", "no_action_needed", "dose_held", "sent_to_ed", "no_action_needed", "called_patient")
# Median and 90th percentile (minutes) of the time to acknowledge, then from acknowledging to resolving.
TO_ACKNOWLEDGE = {Severity.CRITICAL: (6, 20), Severity.URGENT: (40, 180)}
TO_RESOLVE = {Severity.CRITICAL: (50, 150), Severity.URGENT: (90, 400)}
PAST_TARGET_MINUTES = {Severity.CRITICAL: 15, Severity.URGENT: 120}
Z90 = 1.2816  # the standard normal's 90th percentile


def _minutes(rng: random.Random, median: float, p90: float) -> float:
    """A log-normal draw with the given median and 90th percentile."""
    return median * math.exp(rng.gauss(0, 1) * math.log(p90 / median) / Z90)


def enrollment_backdate(patient: Patient, zone: ZoneInfo) -> None:
    """Enrolled at 10:00 two days before cycle 1 day 1, unless that was already recorded."""
    enrolled = local_instant(patient.start_date - timedelta(days=2), time(10), zone)
    if patient.created_at > enrolled:
        Patient.objects.filter(pk=patient.pk).update(created_at=enrolled)


def past_alerts(patient: Patient, staff: tuple[User, User], now: datetime) -> int:
    """Sync, grade and close each past episode in turn; the number of alerts raised (0 when seeded before)."""
    zone = ZoneInfo(patient.timezone)
    today = now.astimezone(zone).date()
    raised = 0
    for turn, (days_ago, symptom, answers) in enumerate(PAST_EPISODES.get(patient.display_name, ())):
        item = {
            "id": str(uuid.uuid5(_NS, f"{patient.display_name}:{days_ago}:{symptom}")),
            "symptom": symptom,
            "answers": answers,
            "reported_at": local_instant(today - timedelta(days=days_ago), time(19), zone).isoformat(),
        }
        result = sync_ingest(patient=patient, sections={"symptom_reports": [item]}, now=now)
        for alert_id in readings_grade(symptom_ids=result.new_symptom_ids).alerts_raised:
            by = staff[1 if turn % 3 == 2 else 0]
            _handled(Alert.objects.get(pk=alert_id), by, OUTCOMES[turn % len(OUTCOMES)], seed=item["id"])
            raised += 1
    return raised


def _handled(alert: Alert, by: User, outcome: str, *, seed: str) -> None:
    # Seeded by the reading's fixed id, not the alert's random one: the same past on every seed.
    rng = random.Random(seed)
    severity = Severity(alert.severity)
    created = alert.observed_at + timedelta(minutes=rng.uniform(2, 25))
    acknowledged = created + timedelta(minutes=_minutes(rng, *TO_ACKNOWLEDGE[severity]))
    resolved = acknowledged + timedelta(minutes=_minutes(rng, *TO_RESOLVE[severity]))
    Alert.objects.filter(pk=alert.pk).update(
        created_at=created,
        announced_at=created,
        status=Status.RESOLVED,
        acknowledged_at=acknowledged,
        acknowledged_by=by,
        resolved_at=resolved,
        resolved_by=by,
        updated_at=resolved,
        outcome=outcome,
        resolution_note="Demo history.",
        next_escalation_at=None,
    )
    target = timedelta(minutes=PAST_TARGET_MINUTES[severity])
    for level in (1, 2):
        due = created + target * level
        if acknowledged > due:
            EscalationStep.objects.get_or_create(
                alert=alert, ladder=0, level=level, defaults={"due_at": due, "at": due + timedelta(seconds=20)}
            )


def past_draw_reminders(patient: Patient, now: datetime) -> None:
    """The blood-draw reminders already sent, from cycle 1 to yesterday (the pending ones are
    made by the reminder service)."""
    plan = ReminderPlan.objects.get(pk=patient.pk)
    zone = ZoneInfo(patient.timezone)
    today = now.astimezone(zone).date()
    rows = []
    for draw in lab_draws(
        patient.start_date, patient.start_date - timedelta(days=1), today - timedelta(days=1), plan.nadir_draw_cycles
    ):
        due = local_instant(draw.on, plan.lab_draw_time, zone)
        rows.append(
            ReminderOccurrence(
                patient=patient,
                kind=ReminderKind.LAB_DRAW.value,
                key=f"lab_draw:{draw.on.isoformat()}",
                local_date=draw.on,
                due_at=due,
                title="Blood test today",
                text="Your blood test is due today.",
                status=OccurrenceStatus.SENT,
                claimed_at=due,
                sent_at=due,
                created_at=due - timedelta(days=2),
            )
        )
    ReminderOccurrence.objects.bulk_create(rows, ignore_conflicts=True)
