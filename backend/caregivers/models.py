"""Caregivers: people a patient invited to follow along, each within the scopes the patient chose.

A patient hands an invite code to someone they trust; accepting it makes a caregiver account and a
link to that patient. Access is decided by the *active* link on every request, so revoking it takes
effect at once.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from backend.patients.models import Patient


class Scope(models.TextChoices):
    CRITICAL_ALERTS = "critical_alerts", "Critical alerts"
    ALL_ALERTS = "all_alerts", "All alerts"
    MISSED_DOSES = "missed_doses", "Missed doses"
    DAILY_SUMMARY = "daily_summary", "Daily summary"


class CaregiverInvite(models.Model):
    """A single-use, expiring code with the scopes the patient chose. Only its digest is kept."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="caregiver_invites")
    scopes = models.JSONField(default=list)  # subset of Scope values, in Scope order
    code_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)  # accepted, withdrawn, or too many taken usernames
    # Answers "this username is taken" given with this code: it is spent after a few
    # (backend.caregivers.services.MAX_USERNAME_REFUSALS), so one code cannot probe usernames.
    username_refusals = models.PositiveSmallIntegerField(default=0)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        indexes = [models.Index(fields=["patient", "-created_at"])]


class CaregiverLink(models.Model):
    """A caregiver following one patient within `scopes`, until `revoked_at`."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    caregiver = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="caregiver_links")
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="caregiver_links")
    scopes = models.JSONField(default=list)
    invite = models.OneToOneField(
        CaregiverInvite, null=True, blank=True, on_delete=models.SET_NULL, related_name="link"
    )
    created_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["caregiver", "patient"],
                condition=models.Q(revoked_at__isnull=True),
                name="one_active_link_per_caregiver_and_patient",
            )
        ]
        indexes = [models.Index(fields=["patient", "-created_at"])]

    @property
    def active(self) -> bool:
        return self.revoked_at is None
