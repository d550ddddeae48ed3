"""Integration credentials: how a clinic's lab system or EHR signs in to FHIR (and nowhere else).

Each credential has a user of its own, with the role "integration", no password and no device
token: the audit trail names it like a person (who read or wrote which patient), while
/api/v1/ and the dashboard never accept it. Only the digest of the token is stored."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from backend.accounts.models import Clinic

INTEGRATION_ROLE = "integration"  # User.role of a credential's user; not a Role a person can have


class IntegrationCredential(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=120)  # e.g. "Riverside lab system"
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    key_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return self.name
