"""What nurses do with alerts, and who may see which."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from backend.accounts.models import Role, User
from backend.alerts.escalation import alert_topic
from backend.alerts.models import Alert, Severity, Status
from backend.caregivers.selectors import caregiver_scopes, scope_covers_alert
from backend.core.errors import ApplicationError, NotFound
from backend.notifications.services import deliveries_cancel

OUTCOMES = ("called_patient", "dose_held", "sent_to_ed", "no_action_needed", "other")
# Messages to the clinic (announcement, escalation, on-call) that become moot once someone acts.
STAFF_KINDS = ("alert", "escalation")


def alerts_visible_to(user: User) -> QuerySet[Alert]:
    """Object-level scope: a nurse sees her clinic's alerts, a patient their own, a caregiver what
    the patient consented to over an active link (`all_alerts`: every alert of that patient;
    `critical_alerts`: the critical ones) but never a superseded one (history for the clinic), read
    afresh on every call; anyone else none."""
    alerts = Alert.objects.select_related("patient")
    if user.role in (Role.NURSE, Role.ADMIN):
        return alerts.filter(patient__clinic_id=user.clinic_id) if user.clinic_id else alerts.none()
    if user.role == Role.PATIENT:
        return alerts.filter(patient__user_id=user.pk)
    if user.role == Role.CAREGIVER:
        scopes = caregiver_scopes(caregiver=user)
        every = [p for p, held in scopes.items() if scope_covers_alert(held, critical=False)]
        critical = [p for p, held in scopes.items() if scope_covers_alert(held, critical=True) and p not in every]
        if not every and not critical:
            return alerts.none()
        return alerts.filter(
            Q(patient_id__in=every) | Q(patient_id__in=critical, severity=Severity.CRITICAL), superseded=False
        )
    return alerts.none()


def _ladder_stopped(alert: Alert) -> None:
    """Acknowledged or resolved: no further escalation step, and the staff messages about it that
    still wait (quiet hours, retry backoff) are cancelled. Same transaction as the status change."""
    alert.next_escalation_at = None
    deliveries_cancel(topic=alert_topic(alert.pk), kinds=STAFF_KINDS)


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
        _ladder_stopped(alert)
        alert.save(update_fields=["status", "acknowledged_at", "acknowledged_by", "updated_at", "next_escalation_at"])
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
    _ladder_stopped(alert)
    alert.save()
    return alert
