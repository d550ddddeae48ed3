"""What nurses do with alerts, and who may see which."""

from __future__ import annotations

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from backend.accounts.models import Role, User
from backend.alerts.models import Alert, Status
from backend.core.errors import ApplicationError, NotFound

OUTCOMES = ("called_patient", "dose_held", "sent_to_ed", "no_action_needed", "other")


def alerts_visible_to(user: User) -> QuerySet[Alert]:
    """Object-level scope: a nurse sees her clinic's alerts, a patient their own, anyone else none."""
    alerts = Alert.objects.select_related("patient")
    if user.role in (Role.NURSE, Role.ADMIN):
        return alerts.filter(patient__clinic_id=user.clinic_id) if user.clinic_id else alerts.none()
    if user.role == Role.PATIENT:
        return alerts.filter(patient__user_id=user.pk)
    return alerts.none()


def _locked(user: User, alert_id: object) -> Alert:
    alert = alerts_visible_to(user).select_for_update(of=("self",)).filter(pk=alert_id).first()
    if alert is None:
        raise NotFound()
    return alert


@transaction.atomic
def alert_acknowledge(*, user: User, alert_id: object) -> Alert:
    """Idempotent: acknowledging twice keeps the first nurse and time."""
    alert = _locked(user, alert_id)
    if alert.status == Status.OPEN:
        now = timezone.now()
        alert.status, alert.acknowledged_at, alert.acknowledged_by, alert.updated_at = (
            Status.ACKNOWLEDGED,
            now,
            user,
            now,
        )
        alert.save(update_fields=["status", "acknowledged_at", "acknowledged_by", "updated_at"])
    return alert


@transaction.atomic
def alert_resolve(*, user: User, alert_id: object, note: object, outcome: object = None) -> Alert:
    if note is not None and not isinstance(note, str):
        raise ApplicationError({"note": ["Must be text."]})
    if outcome not in (None, "", *OUTCOMES):
        raise ApplicationError({"outcome": [f"Must be one of: {', '.join(OUTCOMES)}."]})
    alert = _locked(user, alert_id)
    if alert.status == Status.RESOLVED:  # a retried request: keep the first resolution
        return alert
    now = timezone.now()
    if alert.acknowledged_at is None:  # resolving implies it was seen
        alert.acknowledged_at, alert.acknowledged_by = now, user
    alert.status, alert.resolved_at, alert.resolved_by, alert.updated_at = Status.RESOLVED, now, user, now
    alert.resolution_note = (note or "")[:4000]
    alert.outcome = str(outcome or "")
    alert.save()
    return alert
