"""Reminder plans (wall-clock times per patient) and the reminders made from them, one row per dose
reminder, claimed and sent exactly once."""

from __future__ import annotations

from datetime import time

from django.db import models
from django.utils import timezone

from backend.patients.models import Patient
from shared import reminders as shared_reminders


def _default_antiviral_times() -> list[str]:
    return [shared_reminders.format_wall_time(t) for t in shared_reminders.DEFAULT_ANTIVIRAL_TIMES]


class ReminderPlan(models.Model):
    """When one patient is reminded, on their own wall clock (shared.reminders.ReminderPlan).

    The `materialised_*` fields say what the pending reminders were last made from: when the
    patient's zone or start date no longer match them (whoever changed those), or the rows run out
    within half the horizon, the beat task makes them again (services.reminders_materialise)."""

    patient = models.OneToOneField(Patient, on_delete=models.CASCADE, primary_key=True, related_name="reminder_plan")
    antiviral_drug = models.CharField(max_length=60, blank=True)
    antiviral_times = models.JSONField(default=_default_antiviral_times, blank=True)  # ["08:00", "20:00"]
    ixazomib_time = models.TimeField(default=time(22, 0))
    lenalidomide_time = models.TimeField(default=time(9, 0))
    dexamethasone_time = models.TimeField(default=time(9, 0))
    lab_draw_time = models.TimeField(default=time(8, 0))
    nadir_draw_cycles = models.PositiveSmallIntegerField(default=3)
    updated_at = models.DateTimeField(default=timezone.now)
    materialised_until = models.DateTimeField(null=True, blank=True)
    materialised_zone = models.CharField(max_length=64, blank=True)
    materialised_start = models.DateField(null=True, blank=True)

    def __str__(self) -> str:
        return f"reminder plan of {self.patient_id}"

    def to_shared(self) -> shared_reminders.ReminderPlan:
        """Raises shared.reminders.ReminderPlanError if the stored times cannot work."""
        return shared_reminders.ReminderPlan(
            antiviral_times=tuple(
                shared_reminders.parse_wall_time(t, "antiviral_times") for t in self.antiviral_times or ()
            ),
            ixazomib_time=self.ixazomib_time,
            lenalidomide_time=self.lenalidomide_time,
            dexamethasone_time=self.dexamethasone_time,
            lab_draw_time=self.lab_draw_time,
            nadir_draw_cycles=self.nadir_draw_cycles,
            antiviral_drug=self.antiviral_drug,
        )


class OccurrenceStatus(models.TextChoices):
    PENDING = "pending"  # waiting for its time
    SENT = "sent"  # claimed and notified, in one transaction
    CANCELLED = "cancelled"  # no longer planned (times, zone or start date changed; no phone)
    SKIPPED = "skipped"  # found more than the grace period late (e.g. the system was down): not sent
    NOT_NEEDED = "not_needed"  # the dose was already logged for that day when its time came


class ReminderOccurrence(models.Model):
    """One reminder of one dose or blood draw. `key` names the dose (shared.reminders), so a
    patient gets at most one reminder per dose, whatever runs twice or changes zone."""

    # No index of its own: the unique (patient, key) and the (patient, due_at) index both begin with
    # it, and every index here is written again each time a reminder is marked sent (see Meta).
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="+", db_index=False)
    kind = models.CharField(max_length=16)
    key = models.CharField(max_length=64)
    local_date = models.DateField()
    due_at = models.DateTimeField()
    title = models.CharField(max_length=120)
    text = models.TextField()
    status = models.CharField(max_length=12, choices=OccurrenceStatus.choices, default=OccurrenceStatus.PENDING)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["patient", "key"], name="one_reminder_per_dose")]
        # Marking a reminder sent can never be a HOT update (one that writes no index entry): the
        # dispatch's partial index `reminder_due` has `status` in its predicate, so a change of status
        # is a change to an indexed column. Each sent mark writes a heap tuple plus an entry in the
        # primary key, (patient, key) and (patient, due_at). Taking status out of the predicate would
        # make the claim scan every sent row; kept as is (bench/README.md, bench 4, round 3).
        indexes = [
            models.Index(fields=["due_at"], condition=models.Q(status="pending"), name="reminder_due"),
            models.Index(fields=["patient", "due_at"]),
            # The clinic's figures count the blood-draw reminders sent in a period
            # (backend/metrics/selectors.py): a few percent of all reminders.
            models.Index(
                fields=["due_at", "patient"],
                condition=models.Q(kind="lab_draw", status="sent"),
                name="reminder_lab_draw_sent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.status})"

    @property
    def dedupe_key(self) -> str:
        """The notification's key: per patient and dose, not per row, so even a re-made row
        cannot notify twice."""
        return reminder_dedupe_key(self.patient_id, self.key)


def reminder_dedupe_key(patient_id: object, key: str) -> str:
    """ReminderOccurrence.dedupe_key from the two columns, for a dispatch that reads no model."""
    return f"reminder:{patient_id}:{key}"
