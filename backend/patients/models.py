"""Patients on IRd, their regimen and time zone, and the single-use codes that enroll a phone."""

from __future__ import annotations

import uuid
from datetime import date

from django.conf import settings
from django.db import models

from backend.accounts.models import Clinic

SEX_CHOICES = [("female", "Female"), ("male", "Male")]


class Patient(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="patients")
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="patient"
    )
    display_name = models.CharField(max_length=120)
    timezone = models.CharField(max_length=64, help_text="IANA zone, e.g. America/New_York.")
    phone = models.CharField(max_length=40, blank=True)
    # Which of CareLoop's default reference limits apply (shared.analytes: hemoglobin, creatinine).
    # Optional: left empty, the stricter of the women's and men's limits apply.
    sex = models.CharField(max_length=8, blank=True, default="", choices=[("female", "Female"), ("male", "Male")])
    # IRd regimen (shared.regimen): 28-day cycles counted from start_date.
    start_date = models.DateField()
    ixazomib_mg = models.DecimalField(max_digits=4, decimal_places=1)
    lenalidomide_mg = models.DecimalField(max_digits=4, decimal_places=1)
    dexamethasone_mg = models.DecimalField(max_digits=4, decimal_places=1)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["clinic", "display_name"])]

    def __str__(self) -> str:
        return self.display_name

    @property
    def regimen_start(self) -> date:
        return self.start_date


class EnrollmentCode(models.Model):
    """A short code a nurse hands the patient; it works once and expires. Only its digest is kept."""

    code_hash = models.CharField(max_length=64, unique=True)
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="enrollment_codes")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
