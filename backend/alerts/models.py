"""Alerts raised from graded readings, and what nurses did with them (contract §4)."""

from __future__ import annotations

import uuid

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


# The triage order's first key: critical before urgent. The dashboard queue sorts by this very
# expression (backend.dashboard.triage_queue), so that PostgreSQL reads the `alert_queue` index below in
# order and stops after one page instead of sorting every unresolved alert of the clinic.
TRIAGE_RANK = models.Case(models.When(severity=Severity.CRITICAL, then=models.Value(0)), default=models.Value(1))


class Alert(models.Model):
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
    source_type = models.CharField(max_length=16, choices=SourceType.choices)
    source_id = models.UUIDField()
    observed_at = models.DateTimeField()  # when the reading was collected or reported
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
        ]
        indexes = [
            models.Index(fields=["patient", "-created_at"]),
            models.Index(fields=["status", "-created_at"]),
            models.Index(fields=["patient", "updated_at"]),
            models.Index(
                fields=["created_at"], condition=models.Q(announced_at__isnull=True), name="alert_unannounced"
            ),
            models.Index(fields=["next_escalation_at"], condition=models.Q(status="open"), name="alert_escalation_due"),
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
        ]

    @property
    def dose_hold(self) -> bool:
        return bool(self.hold_drugs)


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

    class Meta:
        constraints = [models.UniqueConstraint(fields=["alert", "level"], name="one_escalation_step_per_level")]
        ordering = ["alert", "level"]
