"""Who read or changed which patient's data, and when."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class AuditEvent(models.Model):
    at = models.DateTimeField(db_index=True)
    # No database constraint and nothing done on delete: a deleted account keeps its rows, unchanged
    # (the rows are append-only on PostgreSQL: migration 0002), and its id still says who it was.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    actor_role = models.CharField(max_length=16)
    # No foreign key: the trail must outlive the rows it describes and cost one insert to write.
    patient_id = models.UUIDField(null=True, db_index=True)
    action = models.CharField(max_length=16)  # read, create, update, sync, enroll, ...
    resource = models.CharField(max_length=32)  # alert, patient, lab_result, ...
    object_id = models.CharField(max_length=64, blank=True)
    detail = models.CharField(max_length=200, blank=True)

    class Meta:
        indexes = [models.Index(fields=["patient_id", "at"])]
