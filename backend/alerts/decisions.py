"""Clinical actions taken from an alert: a dose decision (hold, resume at the same dose, reduce a
dose level, delay the next cycle, stop a drug) recorded through the patients app's own service, the
one the patient page's dose panel uses, and linked to the alert by the decision's `subject`
("alert:<id>"; a string because patients stand below alerts in the layers)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from backend.accounts.models import Role, User
from backend.alerts.models import Alert, AlertNote
from backend.alerts.services import alert_notes, alerts_visible_to
from backend.core.errors import NotFound
from backend.patients import dose_decisions
from backend.patients.models import DoseDecision


def alert_subject(alert_id: object) -> str:
    return f"alert:{alert_id}"


def alert_decide(*, user: User, alert_id: object, data: dose_decisions.DecisionInput) -> list[DoseDecision]:
    """Record the decision on the alert's patient, linked to the alert, whatever the alert's status.
    The service applies it to the doses (and the holds) the phone and the reminders read, refuses
    it if another decision came first (`data.seen`), and audits it."""
    if user.role not in (Role.NURSE, Role.ADMIN):
        raise NotFound()
    alert = alerts_visible_to(user).filter(pk=alert_id).first()
    if alert is None:
        raise NotFound()
    return dose_decisions.dose_decision_record(
        patient=alert.patient, data=replace(data, subject=alert_subject(alert.pk)), decided_by=user
    )


def alert_decisions(alert: Alert) -> list[DoseDecision]:
    """The dose decisions recorded on the alert, oldest first (one query, on the patient's index)."""
    return list(
        DoseDecision.objects.filter(patient_id=alert.patient_id, subject=alert_subject(alert.pk))
        .select_related("decided_by")
        .order_by("decided_at", "pk")
    )


@dataclass(frozen=True)
class ThreadEntry:
    """One line of an alert's thread: a note, or a dose decision taken from it."""

    at: datetime
    note: AlertNote | None = None
    decision: DoseDecision | None = None


def alert_thread(alert: Alert) -> list[ThreadEntry]:
    """The alert's notes and decisions, oldest first (newest last), in two queries."""
    entries = [ThreadEntry(n.created_at, note=n) for n in alert_notes(alert)]
    entries += [ThreadEntry(d.decided_at, decision=d) for d in alert_decisions(alert)]
    return sorted(entries, key=lambda e: e.at)
