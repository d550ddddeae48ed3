"""What the dashboard tells a nurse after she acknowledges or resolves an alert: the truth when a
colleague, her own other tab or a double click came first (who did it, and when)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from backend.accounts.models import User
from backend.alerts.services import AlertAction
from backend.dashboard.wording import outcome_label


@dataclass(frozen=True)
class Said:
    text: str
    level: str  # "success": it was done now; "info": it had been done already


def _who(user: User | None, me: User) -> str:
    if user is None:
        return "someone"
    if user.pk == me.pk:
        return "you"
    return user.get_full_name() or user.username


def _when(at: datetime | None) -> str:
    return timezone.localtime(at).strftime("%d %b %H:%M %Z") if at else "earlier"


def acknowledged(action: AlertAction, me: User) -> Said:
    alert = action.alert
    what = f"{alert.title} — {alert.patient.display_name}"
    if action.done:
        return Said(f"Acknowledged: {what}.", "success")
    if alert.status == "resolved":
        by, at = alert.resolved_by, alert.resolved_at
        return Said(f"Already resolved by {_who(by, me)} at {_when(at)}: {what}. Nothing to acknowledge.", "info")
    by, at = alert.acknowledged_by, alert.acknowledged_at
    return Said(f"Already acknowledged by {_who(by, me)} at {_when(at)}: {what}.", "info")


def resolved(action: AlertAction, me: User) -> Said:
    alert = action.alert
    what = f"{alert.title} — {alert.patient.display_name}"
    if action.done:
        return Said(f"Resolved: {what}.", "success")
    outcome = f" ({outcome_label(alert.outcome)})" if alert.outcome else ""
    text = f"Already resolved by {_who(alert.resolved_by, me)} at {_when(alert.resolved_at)}{outcome}: {what}."
    if action.note is not None:
        text += " Your note is kept in the alert's notes; the first resolution's outcome stands."
    return Said(text, "info")
