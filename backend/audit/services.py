"""Write the audit trail: every read and write of patient data, in bulk where a list shows many."""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

from django.utils import timezone

from backend.accounts.models import User
from backend.audit.models import AuditEvent


def audit_record(
    *,
    actor: User | None,
    action: str,
    resource: str,
    patient_ids: Iterable[UUID | None],
    object_id: str = "",
    detail: str = "",
) -> None:
    now = timezone.now()
    role = actor.role if actor is not None else "anonymous"
    AuditEvent.objects.bulk_create(
        AuditEvent(
            at=now,
            actor=actor,
            actor_role=role,
            patient_id=pid,
            action=action,
            resource=resource,
            object_id=object_id[:64],
            detail=detail[:200],
        )
        for pid in dict.fromkeys(patient_ids)
    )
