"""The escalation ladder: an open alert nobody acknowledged in time is told again, more widely.

Per alert, with `target` the clinic's escalation time for its severity (critical 15 min, urgent
2 h by default; `CARELOOP_ESCALATION_MINUTE_SECONDS` scales a "minute" for tests):

- level 1 at `created_at + target`: every active nurse and admin of the clinic again (kind
  "escalation"); a critical alert also reaches the caregivers whose consent covers it.
- level 2 at `created_at + 2 × target`: the clinic's on-call contact, by email and SMS, through the
  same transports and delivery log as everyone else (no account needed). A clinic with no on-call
  contact gets its admins told again instead, and the step says so.

A target of 0 minutes turns escalation off for that severity.

A worse reading that joins the alert (backend.alerts.episodes) starts the ladder again from level 0,
timed from that moment (`worsened_at`), with steps and messages of its own (`ladder`). A superseded
alert (history from a backlog) is never escalated.

Run by beat every `CARELOOP_ESCALATION_EVERY_SECONDS`. Each step is claimed with a conditional
UPDATE (`status = 'open' AND escalation_level = n - 1`) in the same transaction that records it and
writes its notifications: two beats or workers never take the same step twice, a crash takes none
of it, and an acknowledgement that commits first stops the ladder at once. Acknowledging also
cancels whatever of the alert's staff messages still waits to be sent (backend.alerts.services).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from backend.accounts.models import Clinic, Role, User
from backend.alerts.models import Alert, EscalationStep, Severity, Status
from backend.caregivers.selectors import active_links_by_patient, scope_covers_alert
from backend.notifications.services import contact_notify, notify, planned_channels, preferences_for
from backend.notifications.texts import inbox_text, language_of, shared_text
from backend.patients.models import CareStatus

logger = logging.getLogger(__name__)

MAX_LEVEL = 2
BATCH = 200


def alert_topic(alert_id: object) -> str:
    """The deliveries about one alert share this topic, so they can be cancelled together."""
    return f"alert:{alert_id}"


def escalation_target(clinic: Clinic, severity: str) -> timedelta | None:
    """How long an alert of this severity may stay unacknowledged; None when escalation is off."""
    minutes = clinic.escalation_critical_minutes if severity == Severity.CRITICAL else clinic.escalation_urgent_minutes
    if not minutes:
        return None
    return timedelta(seconds=minutes * settings.CARELOOP_ESCALATION_MINUTE_SECONDS)


def step_due_at(alert: Alert, level: int) -> datetime | None:
    """When level `level` (1 or 2) of this alert's ladder is due."""
    target = escalation_target(alert.patient.clinic, alert.severity)
    if target is None or not 1 <= level <= MAX_LEVEL:
        return None
    return alert.ladder_start + level * target


@dataclass
class EscalationOutcome:
    scheduled: int = 0
    steps: list[tuple[UUID, int]] = field(default_factory=list)  # (alert id, level taken)


def escalations_run(*, now: datetime | None = None, limit: int = BATCH) -> EscalationOutcome:
    """Schedule new open alerts, then take every step that is due. Safe to run concurrently and
    any number of times: a second run at the same moment does nothing."""
    now = now or timezone.now()
    outcome = EscalationOutcome(scheduled=_schedule_new(limit))
    # A paused or discharged patient's open alerts are not escalated (patients.care_status); once
    # the patient is active again their ladder goes on where it was.
    due = list(
        Alert.objects.filter(status=Status.OPEN, next_escalation_at__lte=now, patient__care_status=CareStatus.ACTIVE)
        .select_related("patient__clinic")
        .order_by("next_escalation_at")[:limit]
    )
    for alert in due:
        try:
            level = _escalate(alert, now)
        except Exception:
            # One alert that cannot escalate must not hold up the others; it is tried again next run.
            logger.exception("escalating alert %s failed", alert.pk)
            continue
        if level is not None:
            outcome.steps.append((alert.pk, level))
    return outcome


def _schedule_new(limit: int) -> int:
    """Give open alerts that have no ladder yet their first step time. Alerts of a clinic that
    turned escalation off for their severity are left out of the query, so however many there are
    they never crowd out new ones."""
    escalating = Q(severity=Severity.CRITICAL, patient__clinic__escalation_critical_minutes__gt=0) | Q(
        severity=Severity.URGENT, patient__clinic__escalation_urgent_minutes__gt=0
    )
    fresh = list(
        Alert.objects.filter(
            escalating,
            status=Status.OPEN,
            superseded=False,
            escalation_level=0,
            next_escalation_at__isnull=True,
            patient__care_status=CareStatus.ACTIVE,
        )
        .select_related("patient__clinic")
        .order_by("created_at")[:limit]
    )
    scheduled = 0
    for alert in fresh:
        due = step_due_at(alert, 1)
        if due is not None:
            scheduled += Alert.objects.filter(
                pk=alert.pk,
                status=Status.OPEN,
                escalation_level=0,
                next_escalation_at__isnull=True,
                worsened=alert.worsened,
            ).update(next_escalation_at=due)
    return scheduled


def _escalate(alert: Alert, now: datetime) -> int | None:
    """Take the alert's next step if it is still open and nobody took it; the level, or None."""
    level = alert.escalation_level + 1
    due = step_due_at(alert, level)
    if due is None or due > now:  # the clinic changed its target since this was scheduled
        Alert.objects.filter(
            pk=alert.pk, status=Status.OPEN, escalation_level=alert.escalation_level, worsened=alert.worsened
        ).update(next_escalation_at=due)
        return None
    following = step_due_at(alert, level + 1)
    with transaction.atomic():
        claimed = Alert.objects.filter(
            pk=alert.pk,
            status=Status.OPEN,
            superseded=False,
            escalation_level=level - 1,
            next_escalation_at__lte=now,
            worsened=alert.worsened,  # a worse reading restarted the ladder meanwhile: not this step
        ).update(escalation_level=level, next_escalation_at=following)
        if claimed != 1:  # acknowledged, resolved, restarted, or another worker took this step
            return None
        if level == 1:
            recipients, note = _tell_clinic_staff(alert, level, now), ""
            if alert.severity == Severity.CRITICAL:
                recipients += _tell_caregivers(alert, level, now)
        else:
            recipients, note = _tell_on_call(alert, level, now)
        EscalationStep.objects.create(
            alert=alert, ladder=alert.worsened, level=level, due_at=due, at=now, recipients=recipients, note=note[:200]
        )
    logger.info("alert %s escalated to level %d (%d recipients)", alert.pk, level, len(recipients))
    return level


def _step_key(alert: Alert, level: int) -> str:
    """The first ladder's keys are as they always were; a restarted ladder's are its own."""
    ladder = f"{alert.worsened}:" if alert.worsened else ""
    return f"alert:{alert.pk}:escalation:{ladder}{level}"


def _who(user: User, channels: list[str]) -> dict[str, Any]:
    return {
        "role": user.role,
        "user_id": user.pk,
        "name": user.get_full_name() or user.username,
        "channels": ["inbox", *channels],
    }


def _staff_text(alert: Alert) -> tuple[str, str]:
    raised = alert.created_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    title = f"Not acknowledged: {alert.title}: {alert.patient.display_name}"
    return title, f"Raised {raised} and not acknowledged yet. {alert.message}"


def _tell_clinic_staff(
    alert: Alert, level: int, now: datetime, roles: tuple[str, ...] = (Role.NURSE, Role.ADMIN)
) -> list[Any]:
    staff = list(
        User.objects.filter(clinic_id=alert.patient.clinic_id, role__in=roles, is_active=True).order_by("username")
    )
    preferences = preferences_for(staff)
    title, body = _staff_text(alert)
    told = []
    for person in staff:
        preference = preferences.get(person.pk)
        notify(
            recipient=person,
            kind="escalation",
            critical=alert.severity == Severity.CRITICAL,
            dedupe_key=_step_key(alert, level),
            title=title,
            body=body,
            link=f"/alerts/{alert.pk}/",
            preference=preference,
            now=now,
            topic=alert_topic(alert.pk),
            patient_id=alert.patient_id,
        )
        told.append(_who(person, planned_channels(preference)))
    return told


def _tell_caregivers(alert: Alert, level: int, now: datetime) -> list[Any]:
    links = active_links_by_patient(patient_ids=[alert.patient_id]).get(alert.patient_id, [])
    caregivers = [link.caregiver for link in links if scope_covers_alert(link.scopes, critical=True)]
    preferences = preferences_for(caregivers)
    phone = alert.patient.clinic.phone
    told = []
    for person in caregivers:
        preference = preferences.get(person.pk)
        language = language_of(person)  # each caregiver reads it in their own language
        first = (alert.patient.display_name.split() or [inbox_text("someone_you_care_for", language)])[0]
        title = shared_text(alert.title, language)
        advice = shared_text(alert.patient_advice, language)
        body = inbox_text("caregiver_escalation.body", language, advice=advice)
        notify(
            recipient=person,
            kind="caregiver_escalation",
            critical=True,
            dedupe_key=_step_key(alert, level),
            title=inbox_text("caregiver_escalation.title", language, first=first, title=title),
            body=body + (" " + inbox_text("clinic_phone", language, phone=phone) if phone else ""),
            preference=preference,
            now=now,
            topic=alert_topic(alert.pk),
            patient_id=alert.patient_id,
        )
        told.append(_who(person, planned_channels(preference)))
    return told


def _tell_on_call(alert: Alert, level: int, now: datetime) -> tuple[list[Any], str]:
    clinic = alert.patient.clinic
    addresses = {"email": clinic.on_call_email.strip(), "sms": clinic.on_call_phone.strip()}
    if not any(addresses.values()):
        admins = _tell_clinic_staff(alert, level, now, roles=(Role.ADMIN,))
        return admins, "No on-call contact is set for this clinic: its admins were told again."
    channels = contact_notify(
        clinic=clinic,
        contact_key=f"{_step_key(alert, level)}:on_call",
        kind="escalation",
        addresses=addresses,
        critical=True,  # whoever is on call is reached whatever the hour
        topic=alert_topic(alert.pk),
        now=now,
    )
    name = clinic.on_call_name or "On-call contact"
    on_call = {"role": "on_call", "user_id": None, "name": name, "channels": channels}
    return [on_call], ""
