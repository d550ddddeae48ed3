"""What nurses do with alerts, and who may see which."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from backend.accounts.models import Role, User
from backend.alerts.escalation import alert_topic
from backend.alerts.models import UNRESOLVED, Alert, AlertNote, Severity, Status
from backend.audit.services import audit_record
from backend.caregivers.selectors import caregiver_scopes, scope_covers_alert
from backend.core.errors import ApplicationError, NotFound
from backend.notifications.services import deliveries_cancel

NOTE_MAX = 4000
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


@dataclass(frozen=True)
class AlertAction:
    """What a nurse's acknowledge or resolve did. `done` is false when the alert was already in that
    state (a colleague first, or a retried request): then nothing changed but the note, if any, and
    `alert` says who did it and when. `note` is the note this request added to the thread."""

    alert: Alert
    done: bool
    note: AlertNote | None = None


def _transition(alert: Alert, frm: tuple[str, ...], **changes: object) -> bool:
    """Move the alert from one of `frm` to the new state with one conditional UPDATE, so that of two
    nurses (or two clicks) exactly one succeeds, on any database; the row lock taken by `_locked`
    makes the second wait and then see the first one's result."""
    updated = Alert.objects.filter(pk=alert.pk, status__in=frm).update(**changes)
    if updated:
        for name, value in changes.items():
            setattr(alert, name, value)
    else:
        alert.refresh_from_db()
    return bool(updated)


@transaction.atomic
def alert_acknowledge(*, user: User, alert_id: object) -> AlertAction:
    """Idempotent: acknowledging an acknowledged or resolved alert keeps the first nurse and time."""
    alert = _locked(user, alert_id)
    now = timezone.now()
    done = _transition(
        alert,
        (Status.OPEN,),
        status=Status.ACKNOWLEDGED,
        acknowledged_at=now,
        acknowledged_by=user,
        updated_at=now,
        next_escalation_at=None,
    )
    if done:
        _ladder_stopped(alert)
    return AlertAction(alert, done)


def _note_add(
    *, alert: Alert, user: User, text: str, resolves: bool, at: object, client_id: object
) -> AlertNote | None:
    if not text.strip():
        return None
    if client_id is not None and AlertNote.objects.filter(client_id=client_id).exists():
        return None  # the same form sent twice: its note is already on the thread
    return AlertNote.objects.create(
        alert=alert, author=user, text=text, resolves=resolves, created_at=at, client_id=client_id
    )


@transaction.atomic
def alert_resolve(
    *, user: User, alert_id: object, note: object, outcome: object = None, client_id: object = None
) -> AlertAction:
    """Resolve with an outcome and a note, which opens the alert's notes thread. Already resolved (a
    colleague first, or a retry): the first resolution stands, and the note, if new, joins the
    thread under this nurse's name, so a second tab never loses what was typed. `client_id` (the
    form's id) makes a resend add nothing."""
    if note is not None and not isinstance(note, str):
        raise ApplicationError({"note": ["Must be text."]})
    if outcome not in (None, "", *OUTCOMES):
        raise ApplicationError({"outcome": [f"Must be one of: {', '.join(OUTCOMES)}."]})
    text = (note or "")[:NOTE_MAX]
    alert = _locked(user, alert_id)
    now = timezone.now()
    changes: dict[str, object] = {
        "status": Status.RESOLVED,
        "resolved_at": now,
        "resolved_by": user,
        "updated_at": now,
        "resolution_note": text,
        "outcome": str(outcome or ""),
        "next_escalation_at": None,
    }
    if alert.acknowledged_at is None:  # resolving implies it was seen
        changes |= {"acknowledged_at": now, "acknowledged_by": user}
    done = _transition(alert, UNRESOLVED, **changes)
    if done:
        _ladder_stopped(alert)
    added = _note_add(alert=alert, user=user, text=text, resolves=done, at=now, client_id=client_id)
    return AlertAction(alert, done, added)


def alert_notes(alert: Alert) -> list[AlertNote]:
    """The alert's notes thread, oldest first, with each author."""
    return list(alert.notes.select_related("author"))


NOTE_EMPTY = "Write the note."


@transaction.atomic
def alert_note_add(*, user: User, alert_id: object, text: object, client_id: object = None) -> AlertNote | None:
    """A note on the alert's thread, whatever its status (open, acknowledged or resolved); the
    status does not change. Only the clinic's nurses and admins. `client_id` (the form's id) makes a
    resend add nothing: None is returned then. Audited."""
    if user.role not in (Role.NURSE, Role.ADMIN):
        raise NotFound()
    if not isinstance(text, str) or not text.strip():
        raise ApplicationError({"note": [NOTE_EMPTY]})
    if len(text) > NOTE_MAX:
        raise ApplicationError({"note": [f"At most {NOTE_MAX} characters."]})
    alert = alerts_visible_to(user).filter(pk=alert_id).first()
    if alert is None:
        raise NotFound()
    note = _note_add(alert=alert, user=user, text=text, resolves=False, at=timezone.now(), client_id=client_id)
    if note is not None:
        audit_record(
            actor=user,
            action="create",
            resource="alert_note",
            patient_ids=[alert.patient_id],
            object_id=str(alert.pk),
        )
    return note


@transaction.atomic
def alerts_resolve_for_patient(
    *,
    user: User,
    patient_id: object,
    alert_ids: Iterable[object],
    note: object,
    outcome: object,
    client_id: uuid.UUID | None = None,
) -> list[AlertAction]:
    """Resolve several of one patient's alerts with one outcome and note, each through
    `alert_resolve` (its own conditional update): one a colleague resolved first keeps its
    resolution, and this note joins its thread. Alerts not of this patient (or not visible to the
    nurse) are refused. Locked in id order, so two nurses' overlapping batches cannot deadlock.
    `client_id` (the form's) gives each alert's note an id of its own: a resend adds nothing."""
    wanted = sorted({str(a) for a in alert_ids})
    if not wanted:
        raise ApplicationError({"alerts": [NONE_CHOSEN]})
    found = {
        str(pk)
        for pk in alerts_visible_to(user).filter(patient_id=patient_id, pk__in=wanted).values_list("pk", flat=True)
    }
    if found != set(wanted):
        raise NotFound()
    return [
        alert_resolve(
            user=user,
            alert_id=alert_id,
            note=note,
            outcome=outcome,
            client_id=uuid.uuid5(client_id, alert_id) if client_id else None,
        )
        for alert_id in wanted
    ]


NONE_CHOSEN = "Tick the alerts to resolve."
