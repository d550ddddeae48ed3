"""Alerts raised from graded readings, and what nurses did with them (contract §4)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import models

from backend.patients.models import Patient


class Status(models.TextChoices):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class Severity(models.TextChoices):
    URGENT = "urgent"
    CRITICAL = "critical"


class SourceType(models.TextChoices):
    LAB_RESULT = "lab_result"
    SYMPTOM_REPORT = "symptom_report"
    RESPONSE = "response"  # an IMWG progression episode (backend.response.recompute)
    CHECK = "check"  # a periodic check (backend.alerts.checks): the id names the patient and the gap


# The triage order's first key: critical before urgent. The dashboard queue sorts by this very
# expression (backend.dashboard.triage_queue), so that PostgreSQL reads the `alert_queue` index below in
# order and stops after one page instead of sorting every unresolved alert of the clinic.
# A superseded alert (history from a backlog) comes after every live one.
TRIAGE_RANK = models.Case(
    models.When(superseded=True, then=models.Value(2)),
    models.When(severity=Severity.CRITICAL, then=models.Value(0)),
    default=models.Value(1),
)
UNRESOLVED = (Status.OPEN, Status.ACKNOWLEDGED)


class Alert(models.Model):
    """An episode: one problem of one kind for one patient, from the reading that raised it until a
    nurse resolves it. Further readings of its kind join it (backend.alerts.episodes); `grade`,
    `severity` and `hold_drugs` are the worst of its readings, and `title`, `message` and
    `patient_advice` describe the reading that made it worst."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="alerts")
    kind = models.CharField(max_length=32)
    grade = models.SmallIntegerField(null=True, blank=True)
    severity = models.CharField(max_length=16, choices=Severity.choices)
    hold_drugs = models.JSONField(default=list)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    title = models.CharField(max_length=120)
    message = models.TextField()  # for the nurse
    patient_advice = models.TextField()  # for the patient, plain words
    rule_source = models.CharField(max_length=300)
    source_type = models.CharField(max_length=16, choices=SourceType.choices)  # the reading that raised it
    source_id = models.UUIDField()
    observed_at = models.DateTimeField()  # when the reading was collected or reported
    # Every reading of the episode, oldest first: [{"type", "id", "key", "value", "grade", "severity",
    # "hold_drugs", "observed_at"}] (backend.alerts.episodes.reading_entry).
    readings = models.JSONField(default=list)
    # A backlog reading: a newer reading of the same analyte or symptom already no longer meets the
    # policy. Shown to nurses as history to review; never announced, escalated or sent to caregivers.
    superseded = models.BooleanField(default=False)
    # The label's holds of this episode, per analyte or symptom: the latest reading of it that was
    # graded, and the drugs it holds ([] once a later reading lifted the hold): {key: {"drugs",
    # "type", "id", "value", "observed_at"}}. `holds_in_force` is the union of their drugs.
    holds = models.JSONField(default=dict)
    holds_in_force = models.JSONField(default=list)
    # How many times a worse reading joined: each one is announced again and restarts escalation,
    # whose ladder then runs from `worsened_at` instead of `created_at`.
    worsened = models.PositiveSmallIntegerField(default=0)
    worsened_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    announced_at = models.DateTimeField(null=True, blank=True)  # nurses/patient/caregivers notified
    # The nurse or admin of the clinic who took the alert on (backend.alerts.assignment); null: nobody.
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    assigned_at = models.DateTimeField(null=True, blank=True)
    resolution_note = models.TextField(blank=True)
    outcome = models.CharField(max_length=32, blank=True)
    # Escalation (backend.alerts.escalation): the steps taken so far, and when the next one is due
    # while the alert stays open; null once the ladder is done or stopped, or before it is scheduled.
    escalation_level = models.PositiveSmallIntegerField(default=0)
    next_escalation_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            # One reading raises at most one alert, whatever runs twice (contract §4).
            models.UniqueConstraint(fields=["source_type", "source_id"], name="one_alert_per_reading"),
            # Alerts are episodes (contract §4): one open or acknowledged alert per patient and kind
            # (and one more of superseded history), which grading inserts or joins atomically.
            # Readings join their kind's open episode (contract §4); an IMWG progression is an episode
            # of its own by definition, one alert each (contract §5), even while an earlier one is open.
            models.UniqueConstraint(
                fields=["patient", "kind", "superseded"],
                condition=models.Q(status__in=UNRESOLVED) & ~models.Q(source_type="response"),
                name="one_episode_per_kind",
            ),
        ]
        indexes = [
            models.Index(fields=["patient", "-created_at"]),
            models.Index(fields=["status", "-created_at"]),
            models.Index(fields=["patient", "updated_at"]),
            models.Index(
                fields=["created_at"], condition=models.Q(announced_at__isnull=True), name="alert_unannounced"
            ),
            models.Index(fields=["next_escalation_at"], condition=models.Q(status="open"), name="alert_escalation_due"),
            # The label's holds in force of a patient, whatever the alerts' status (grading, patient page).
            models.Index(fields=["patient"], condition=~models.Q(holds_in_force=[]), name="alert_holding"),
            # The dashboard's triage queue (backend.dashboard.triage_queue), measured on one clinic's
            # 50,000 alerts of which 10,000 unresolved (bench/README.md, bench 3). Its rows in triage
            # order: one page read off the index instead of a sort of every unresolved alert
            # (20 ms -> 0.4 ms; the "Open" filter 12 ms -> 1.3 ms).
            models.Index(
                TRIAGE_RANK,
                "created_at",
                "id",
                condition=models.Q(status__in=[Status.OPEN, Status.ACKNOWLEDGED]),
                name="alert_queue",
            ),
            # The queue's version: the clinic's newest change, read backwards from the end (0.2 ms).
            models.Index(fields=["updated_at"], name="alert_latest_change"),
            # The queue's "Resolved" filter, newest first (49 ms -> 0.4 ms).
            models.Index(fields=["-resolved_at"], condition=models.Q(status="resolved"), name="alert_resolved"),
            # The API's unfiltered list (backend.api.pagination.NewestFirst): a page of the newest,
            # not a sort of every alert of the clinic (38 ms on 50,000).
            models.Index(fields=["-created_at", "-id"], name="alert_newest"),
            # The service figures' alerts of a period (backend.metrics.selectors._alert_figures):
            # every column it reads, so PostgreSQL answers from the index without the table's
            # pages (bench 11: 19,600 alerts in 2,500 pages). Other databases get created_at only.
            models.Index(
                fields=["created_at"],
                include=["patient", "severity", "superseded", "acknowledged_at", "resolved_at", "outcome"],
                name="alert_period_figures",
            ),
        ]

    @property
    def dose_hold(self) -> bool:
        return bool(self.hold_drugs)

    @property
    def ladder_start(self) -> datetime:
        """When the escalation ladder started: the alert's creation, or the last worse reading."""
        return self.worsened_at or self.created_at

    @property
    def hold_lifts(self) -> list[dict[str, Any]]:
        """The readings that lifted a hold of this episode, each with the drugs it lifted ("lifted")."""
        return [dict(h, key=k) for k, h in sorted(self.holds.items()) if not h.get("drugs") and h.get("lifted")]


class EscalationStep(models.Model):
    """One rung of an alert's escalation ladder, as it happened: when, and who was told how.

    Level 1: every nurse and admin of the clinic again (and, for a critical alert, the caregivers
    whose consent covers it). Level 2: the clinic's on-call contact."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="escalation_steps")
    level = models.PositiveSmallIntegerField()
    due_at = models.DateTimeField()
    at = models.DateTimeField()
    # [{"role": "nurse" | "admin" | "caregiver" | "on_call", "name": ..., "channels": ["inbox", "email", ...]}]
    recipients = models.JSONField(default=list)
    note = models.CharField(max_length=200, blank=True)
    # The alert's `worsened` count when the step was taken: a worse reading starts a new ladder.
    ladder = models.PositiveSmallIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["alert", "ladder", "level"], name="one_escalation_step_per_level")
        ]
        ordering = ["alert", "ladder", "level"]


class AlertNote(models.Model):
    """What the care team wrote on an alert over time, each note with its author and time: the note
    given with the resolution (`resolves`), and any written later, e.g. by a second nurse whose
    resolve arrived after a colleague's (backend.alerts.services.alert_resolve keeps it here).

    `client_id` is the form's or client's id for the write: sending it again adds nothing."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    text = models.TextField()
    resolves = models.BooleanField(default=False)
    created_at = models.DateTimeField()
    client_id = models.UUIDField(null=True, blank=True, unique=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["alert", "created_at"])]


class AlertTally(models.Model):
    """The triage queue's header counts per clinic, kept by the database itself (alerts 0012).

    Append-only signed deltas: PostgreSQL triggers on alerts_alert (insert, delete, a change of
    status, severity, patient or assignee) and on patients_patient (a patient moving clinic) add a
    row per changed bucket in the statement's own transaction, whatever wrote the alert (ORM, bulk,
    raw SQL, COPY), so the sum cannot drift from the alerts. Rows, not one counter per clinic: writers
    never wait on a hot row. `backend.alerts.tally.tally_fold` (beat, every minute) folds each
    clinic's deltas into one row per bucket. Unresolved alerts only (open or acknowledged); on SQLite
    there are no triggers and the header counts the alerts directly (backend.dashboard.counts)."""

    id = models.BigAutoField(primary_key=True)
    clinic_id = models.BigIntegerField()  # no foreign key: the triggers' writes check nothing
    status = models.CharField(max_length=16, choices=Status.choices)
    severity = models.CharField(max_length=16, choices=Severity.choices)
    assigned_to_id = models.BigIntegerField(null=True, blank=True)  # the queue's "mine" and "unassigned"
    delta = models.IntegerField()

    class Meta:
        indexes = [models.Index(fields=["clinic_id", "status", "severity"], name="alert_tally_bucket")]
