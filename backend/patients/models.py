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
    # Organ function and REMS (all optional; backend.patients.organ_function). Birth year, not date:
    # Cockcroft-Gault needs age in years, and a year identifies less.
    birth_year = models.PositiveSmallIntegerField(null=True, blank=True)
    weight_kg = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    on_dialysis = models.BooleanField(default=False)
    # Lenalidomide REMS: pregnancy tests and contraception checks (shared.rems). None: not recorded.
    can_become_pregnant = models.BooleanField(null=True, blank=True)
    # Drugs the care team put on hold (a DoseDecision "hold"), until a decision resumes, reduces or
    # stops them; kept here, with the doses, so the phone's sync and the reminders read it for free.
    held_drugs = models.JSONField(default=list, blank=True)
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


class DoseDecision(models.Model):
    """A care-team decision on a patient's IRd doses, kept for good: who decided what, when and why.

    One row per decision. `drug` is the drug it changes; empty for a decision on the whole regimen
    (delay the cycle, stop everything). The Patient's current *_mg fields change in the same
    transaction (backend.patients.dose_decisions). `subject` names what the decision answers, e.g.
    "alert:<id>" (issue 16's "record a decision on an alert or a patient"); a string, not a foreign
    key, because alerts stand above patients in the layers.

    A hold keeps the dose (`from_mg` = `to_mg`) and puts the drug in the Patient's `held_drugs` until
    a later resume, reduction or stop of it."""

    class Action(models.TextChoices):
        HOLD = "hold", "Hold"
        RESUME_SAME = "resume_same", "Resume at the same dose"
        REDUCE = "reduce", "Reduce one dose level"
        DELAY_CYCLE = "delay_cycle", "Delay the next cycle"
        STOP = "stop", "Stop"

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="dose_decisions")
    action = models.CharField(max_length=16, choices=Action.choices)
    drug = models.CharField(max_length=16, blank=True, default="")  # shared.regimen.Drug value, or "" (regimen)
    from_mg = models.DecimalField(max_digits=4, decimal_places=1, null=True, blank=True)
    to_mg = models.DecimalField(max_digits=4, decimal_places=1, null=True, blank=True)
    delay_days = models.PositiveSmallIntegerField(null=True, blank=True)
    toxicity = models.CharField(max_length=24, blank=True, default="")  # shared.dose_modification.Toxicity
    grade = models.PositiveSmallIntegerField(null=True, blank=True)
    reason = models.CharField(max_length=500, blank=True, default="")
    suggested = models.CharField(max_length=300, blank=True, default="")  # what CareLoop suggested then
    subject = models.CharField(max_length=80, blank=True, default="")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField()
    effective_on = models.DateField()  # the patient's local date from which the new dose applies

    class Meta:
        indexes = [models.Index(fields=["patient", "decided_at"])]
        ordering = ["decided_at", "pk"]

    def __str__(self) -> str:
        return f"{self.action} {self.drug or 'regimen'} {self.from_mg}->{self.to_mg}"
