"""Patients on IRd, their regimen and time zone, and the single-use codes that enroll a phone."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy

from backend.accounts.models import Clinic
from shared.search_text import search_key

SEX_CHOICES = [("female", gettext_lazy("Female")), ("male", gettext_lazy("Male"))]


class CareStatus(models.TextChoices):
    """Where the patient stands with the clinic (backend.patients.care_status). Paused or
    discharged: no reminders, no alerts, no caregiver messages, no escalations; readings are still
    accepted, stored and graded (data kept)."""

    ACTIVE = "active", gettext_lazy("Active")
    PAUSED = "paused", gettext_lazy("Paused")
    DISCHARGED = "discharged", gettext_lazy("Discharged")


class PatientQuerySet(models.QuerySet["Patient"]):
    def bulk_create(self, objs: Iterable[Patient], *args: Any, **kwargs: Any) -> list[Patient]:
        """save() keeps search_name in step; bulk_create bypasses save(), so it does it here."""
        rows = list(objs)
        for row in rows:
            row.search_name = search_key(row.display_name)
        return super().bulk_create(rows, *args, **kwargs)


class Patient(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="patients")
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="patient"
    )
    display_name = models.CharField(max_length=120)
    # search_key(display_name), kept in step by save(): the patients list's accent- and
    # case-insensitive name search (shared.search_text), the same on SQLite and PostgreSQL.
    search_name = models.CharField(max_length=240, blank=True, default="", editable=False)
    # The clinic's medical record number: optional, unique within a clinic when given.
    mrn = models.CharField(max_length=40, blank=True, default="")
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
    # Organ function and REMS (all optional; backend.patients.clinical_profile). The date of birth,
    # when recorded, is the one source of the age (age_on); birth_year then is its year, kept in step
    # by the services (the API's clinical profile still reads and writes birth_year alone).
    date_of_birth = models.DateField(null=True, blank=True)
    birth_year = models.PositiveSmallIntegerField(null=True, blank=True)
    weight_kg = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    on_dialysis = models.BooleanField(default=False)
    # Lenalidomide REMS: pregnancy tests and contraception checks (shared.rems). None: not recorded.
    can_become_pregnant = models.BooleanField(null=True, blank=True)
    # Drugs the care team put on hold (a DoseDecision "hold"), until a decision resumes, reduces or
    # stops them; kept here, with the doses, so the phone's sync and the reminders read it for free.
    held_drugs = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    objects = PatientQuerySet.as_manager()
    # Active, paused or discharged; since when, by whom, why (backend.patients.care_status).
    care_status = models.CharField(max_length=12, choices=CareStatus.choices, default=CareStatus.ACTIVE)
    care_status_since = models.DateTimeField(null=True, blank=True)
    care_status_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    care_status_reason = models.CharField(max_length=300, blank=True, default="")

    class Meta:
        indexes = [
            models.Index(fields=["clinic", "display_name"]),
            models.Index(fields=["clinic", "date_of_birth"], name="patients_pa_clinic_dob_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "mrn"], condition=~models.Q(mrn=""), name="one_mrn_per_clinic")
        ]

    def __str__(self) -> str:
        return self.display_name

    def save(self, *args: object, **kwargs: object) -> None:
        self.search_name = search_key(self.display_name)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "display_name" in update_fields:  # type: ignore[operator]
            kwargs["update_fields"] = {*update_fields, "search_name"}  # type: ignore[misc]
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    @property
    def in_care(self) -> bool:
        """Active: reminded and alerted. Paused or discharged: neither (data still kept)."""
        return self.care_status == CareStatus.ACTIVE

    def age_on(self, day: date) -> int | None:
        """Age in whole years on `day`: exact from the date of birth, else from the birth year
        (day.year - birth_year, as Cockcroft-Gault was computed before dates of birth were kept)."""
        if self.date_of_birth is not None:
            born = self.date_of_birth
            return day.year - born.year - ((day.month, day.day) < (born.month, born.day))
        if self.birth_year is not None:
            return day.year - self.birth_year
        return None

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
        HOLD = "hold", gettext_lazy("Hold")
        RESUME_SAME = "resume_same", gettext_lazy("Resume at the same dose")
        REDUCE = "reduce", gettext_lazy("Reduce one dose level")
        DELAY_CYCLE = "delay_cycle", gettext_lazy("Delay the next cycle")
        STOP = "stop", gettext_lazy("Stop")

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
