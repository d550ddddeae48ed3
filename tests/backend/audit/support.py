"""Helpers for specifications that look at the audit trail, which is append-only (no test can empty it)."""

from __future__ import annotations

from backend.audit.models import AuditEvent


def last_audit_id() -> int:
    """The newest row's id (0 if none): rows with a greater id were written after this call."""
    return AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
