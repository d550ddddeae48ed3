"""What patients send: lab results, symptom reports and dose logs, each keyed by the UUID the phone
made, storing what was sent and what the server derived from it."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from backend.patients.models import Patient


class Reading(models.Model):
    """Fields common to everything a patient syncs."""

    id = models.UUIDField(primary_key=True, editable=False)  # made on the phone: replays are idempotent
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="+")
    received_at = models.DateTimeField()
    fingerprint = models.CharField(max_length=64)  # shared.sync_schema: same id + other content is refused

    class Meta:
        abstract = True


class GradedReading(Reading):
    grade = models.SmallIntegerField(null=True, blank=True)
    graded_at = models.DateTimeField(null=True, blank=True)  # null: the sweeper will grade it

    class Meta:
        abstract = True


class LabSource(models.TextChoices):
    """Where a lab result came from (issue 15): the patient's phone (sync), the care team, or the
    clinic's lab system through FHIR."""

    PHONE = "phone", "the patient's phone"
    CARE_TEAM = "care_team", "the care team"
    LAB_FEED = "lab_feed", "the lab"


class LabResult(GradedReading):
    analyte = models.CharField(max_length=32)
    value = models.DecimalField(max_digits=18, decimal_places=6)  # as reported
    unit = models.CharField(max_length=16)  # as reported, in CareLoop's spelling
    canonical_value = models.DecimalField(max_digits=18, decimal_places=6)
    reference_low = models.DecimalField(max_digits=18, decimal_places=6, null=True, blank=True)
    reference_high = models.DecimalField(max_digits=18, decimal_places=6, null=True, blank=True)
    collected_at = models.DateTimeField()
    # Rows from before the column were all synced from phones.
    source = models.CharField(
        max_length=16, choices=LabSource.choices, default=LabSource.PHONE, db_default=LabSource.PHONE
    )

    class Meta:
        indexes = [
            models.Index(fields=["patient", "analyte", "collected_at"]),
            models.Index(fields=["received_at"], condition=models.Q(graded_at__isnull=True), name="lab_ungraded"),
            # Grading's windows of a pair's graded history (backend.alerts.readings): a few entries
            # each, however many ungraded rows a backlog holds beside them.
            models.Index(
                fields=["patient", "analyte", "collected_at", "id"],
                condition=models.Q(graded_at__isnull=False),
                name="lab_graded_history",
            ),
        ]


class SymptomReport(GradedReading):
    symptom = models.CharField(max_length=32)
    answers = models.JSONField()
    reported_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["patient", "reported_at"]),
            models.Index(fields=["received_at"], condition=models.Q(graded_at__isnull=True), name="symptom_ungraded"),
            models.Index(
                fields=["patient", "symptom", "reported_at", "id"],
                condition=models.Q(graded_at__isnull=False),
                name="symptom_graded_history",
            ),
        ]


class DoseLog(Reading):
    drug = models.CharField(max_length=16)
    status = models.CharField(max_length=16)
    taken_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["patient", "taken_at"]),
            # The clinic's figures count the doses taken in a period (backend/metrics/selectors.py):
            # a range of the taken ones, with what the count groups by, without reading the rows.
            models.Index(fields=["taken_at", "patient", "drug"], condition=models.Q(status="taken"), name="dose_taken"),
        ]


class LabBaseline(models.Model):
    """A baseline the care team entered for one analyte of a patient (shared.lab_context). It wins
    over the one found in the patient's readings, the last on or before cycle 1 day 1
    (records.baselines), which is never stored: it follows late readings and a moved start date."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="+")
    analyte = models.CharField(max_length=32)
    value = models.DecimalField(max_digits=18, decimal_places=6)  # as entered
    unit = models.CharField(max_length=16)  # CareLoop's spelling
    reference_high = models.DecimalField(max_digits=18, decimal_places=6, null=True, blank=True)
    collected_on = models.DateField(null=True, blank=True)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    entered_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["patient", "analyte"], name="one_baseline_per_analyte")]
