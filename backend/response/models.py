"""Marker results as they were sent (and their canonical value), the assessments computed from
them, each patient's current response, and the clinic's measurability setting."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models

from backend.accounts.models import Clinic
from backend.patients.models import Patient


class EnteredBy(models.TextChoices):
    CARE_TEAM = "care_team"
    PATIENT = "patient"


class MarkerResult(models.Model):
    id = models.UUIDField(primary_key=True, editable=False)  # made by the client: replays are idempotent
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="+")
    fingerprint = models.CharField(max_length=64)  # shared.markers: same id + other content is refused
    marker = models.CharField(max_length=32)
    value = models.DecimalField(max_digits=18, decimal_places=6, null=True, blank=True)  # as sent (numbers)
    unit = models.CharField(max_length=16, blank=True)  # as sent, in CareLoop's spelling
    canonical_value = models.DecimalField(max_digits=18, decimal_places=6, null=True, blank=True)
    text = models.CharField(max_length=16, blank=True)  # the word of a qualitative marker
    method = models.CharField(max_length=8, blank=True)  # mrd: NGF or NGS
    sensitivity = models.CharField(max_length=8, blank=True)  # mrd: 1e-5 or 1e-6
    reference_low = models.DecimalField(max_digits=18, decimal_places=6, null=True, blank=True)
    reference_high = models.DecimalField(max_digits=18, decimal_places=6, null=True, blank=True)
    collected_at = models.DateTimeField()
    received_at = models.DateTimeField()
    entered_by = models.CharField(max_length=16, choices=EnteredBy.choices)
    entered_by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    assessed_at = models.DateTimeField(null=True, blank=True)  # null: the recompute has not seen it yet

    class Meta:
        indexes = [
            models.Index(fields=["patient", "collected_at"]),
            models.Index(
                fields=["received_at"], condition=models.Q(assessed_at__isnull=True), name="marker_unassessed"
            ),
        ]


class ResponseAssessment(models.Model):
    """One assessment (all markers of one local day after the baseline), as last computed."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    category = models.CharField(max_length=8)
    confirmed = models.BooleanField()
    values = models.JSONField(default=dict)  # the values behind the category, canonical units
    progression = models.JSONField(default=list)  # why PD: serum, urine, flc, marrow, new_lesion
    computed_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["patient", "day"], name="one_assessment_per_day")]
        ordering = ["patient", "day"]


class PatientResponse(models.Model):
    """A patient's response in one row, for lists (the dashboard's response column)."""

    patient = models.OneToOneField(Patient, on_delete=models.CASCADE, primary_key=True, related_name="+")
    measurable_by = models.CharField(max_length=8, blank=True)
    current_category = models.CharField(max_length=8, blank=True)
    current_confirmed = models.BooleanField(default=False)
    current_since = models.DateField(null=True, blank=True)
    best_category = models.CharField(max_length=8, blank=True)
    best_since = models.DateField(null=True, blank=True)
    # For the clinic's outcome counts (backend.dashboard.outcomes): days from cycle 1 day 1 to the
    # first confirmed PR or better, and the number of confirmed progression episodes.
    first_response_days = models.PositiveIntegerField(null=True, blank=True)
    progression_events = models.PositiveSmallIntegerField(default=0)
    # For "response test due" (shared.response_tests): the last day an SPEP, UPEP or FLC was drawn,
    # and whether a confirmed PR or better holds, so the clinic's longer interval applies
    # (shared.response_tests.may_space_tests: not after a progression, not for FLC-only disease).
    last_test_on = models.DateField(null=True, blank=True)
    responded = models.BooleanField(default=False)
    computed_at = models.DateTimeField()


SERUM_THRESHOLDS = [(Decimal("1.0"), "1.0 g/dL (IMWG)"), (Decimal("0.5"), "0.5 g/dL")]


class ClinicResponseSettings(models.Model):
    """The clinic's choice of serum M-protein threshold for measurable disease (contract §5)."""

    clinic = models.OneToOneField(Clinic, on_delete=models.CASCADE, primary_key=True, related_name="+")
    serum_measurable = models.DecimalField(
        max_digits=3, decimal_places=1, choices=SERUM_THRESHOLDS, default=Decimal("1.0")
    )
    # Responders' SPEP/UPEP/FLC every this many cycles after cycle 6 (shared.response_tests).
    test_every_cycles = models.PositiveSmallIntegerField(choices=[(1, "1"), (2, "2"), (3, "3")], default=2)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
