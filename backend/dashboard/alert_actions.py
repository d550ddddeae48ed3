"""What the dashboard tells a nurse after she acknowledges or resolves an alert: the truth when a
colleague, her own other tab or a double click came first (who did it, and when)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils import formats, timezone
from django.utils.translation import gettext as _

from backend.accounts.models import User
from backend.alerts.services import AlertAction
from backend.dashboard.wording import outcome_label


@dataclass(frozen=True)
class Said:
    text: str
    level: str  # "success": it was done now; "info": it had been done already


def _who(user: User | None, me: User) -> str:
    if user is None:
        return _("someone")
    if user.pk == me.pk:
        return _("you")
    return user.get_full_name() or user.username


def _when(at: datetime | None) -> str:
    # The month in the reader's language ("2 dic 14:05 CET"): date_format, not strftime's C locale.
    return formats.date_format(timezone.localtime(at), "d M H:i T") if at else _("earlier")


def acknowledged(action: AlertAction, me: User) -> Said:
    alert = action.alert
    what = f"{alert.title} — {alert.patient.display_name}"
    if action.done:
        return Said(_("Acknowledged: %(what)s.") % {"what": what}, "success")
    if alert.status == "resolved":
        by, at = alert.resolved_by, alert.resolved_at
        text = _("Already resolved by %(who)s at %(when)s: %(what)s. Nothing to acknowledge.")
        return Said(text % {"who": _who(by, me), "when": _when(at), "what": what}, "info")
    by, at = alert.acknowledged_by, alert.acknowledged_at
    text = _("Already acknowledged by %(who)s at %(when)s: %(what)s.")
    return Said(text % {"who": _who(by, me), "when": _when(at), "what": what}, "info")


def resolved(action: AlertAction, me: User) -> Said:
    alert = action.alert
    what = f"{alert.title} — {alert.patient.display_name}"
    if action.done:
        return Said(_("Resolved: %(what)s.") % {"what": what}, "success")
    outcome = f" ({outcome_label(alert.outcome)})" if alert.outcome else ""
    text = _("Already resolved by %(who)s at %(when)s%(outcome)s: %(what)s.") % {
        "who": _who(alert.resolved_by, me),
        "when": _when(alert.resolved_at),
        "outcome": outcome,
        "what": what,
    }
    if action.note is not None:
        text += " " + _("Your note is kept in the alert's notes; the first resolution's outcome stands.")

    return Said(text, "info")
