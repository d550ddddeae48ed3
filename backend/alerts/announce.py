"""Who hears about a new alert: every nurse of the patient's clinic, the patient (in the app), and
the caregivers whose consent covers it (a critical alert: `critical_alerts` or `all_alerts`; any
other: `all_alerts`).

Runs after the grading transaction commits, as its own task, so a slow provider can never hold up
grading; each item is keyed per alert, announcement and person, so running it twice sends nothing
twice. A worse reading that joins an alert (backend.alerts.episodes) has it announced again, to the
same people under the same rules (a caregiver with `critical_alerts` hears of it once it is
critical), under a key of its own. A superseded alert (history) is never announced."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from uuid import UUID

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from backend.accounts.models import Role, User
from backend.alerts.escalation import alert_topic
from backend.alerts.models import Alert, Severity
from backend.caregivers.models import CaregiverLink
from backend.caregivers.selectors import active_links_by_patient, scope_covers_alert
from backend.notifications.services import InboxItem, notify_many
from backend.notifications.texts import inbox_text, language_of, shared_text

# Alerts announced per transaction: a burst of thousands goes out in a few batches, each a constant
# number of statements, and a worker lost mid-burst loses at most one uncommitted batch (redone by
# the sweeper, keyed per alert and person so nothing is told twice).
ANNOUNCE_BATCH = 200


def alerts_announce(*, alert_ids: Sequence[UUID]) -> int:
    """Announce these alerts (those not yet announced); returns how many were announced."""
    ids = list(alert_ids)
    return sum(_announce_batch(ids[start : start + ANNOUNCE_BATCH]) for start in range(0, len(ids), ANNOUNCE_BATCH))


def _announce_batch(alert_ids: list[UUID]) -> int:
    """Eight statements or so, however many alerts and people: the alerts (locked, so two
    announcers split a burst rather than both doing it), their clinics' nurses, the caregivers'
    links, then notify_many's preferences, inbox items, new ids and deliveries, then the mark."""
    now = timezone.now()
    with transaction.atomic():
        alerts = list(
            Alert.objects.filter(id__in=alert_ids, announced_at__isnull=True, superseded=False)
            .select_related("patient", "patient__user")
            .select_for_update(skip_locked=True, of=("self",))
        )
        if not alerts:
            return 0
        clinic_ids = {a.patient.clinic_id for a in alerts}
        nurses = list(User.objects.filter(clinic_id__in=clinic_ids, role__in=(Role.NURSE, Role.ADMIN), is_active=True))
        links = active_links_by_patient(patient_ids={a.patient_id for a in alerts})
        items = [item for alert in alerts for item in _items(alert, nurses, links.get(alert.patient_id, []))]
        notify_many(items=items, now=now)
        # Only the announcement made here: one for a worse reading that joined meanwhile still waits.
        for worsened in {a.worsened for a in alerts}:
            Alert.objects.filter(id__in=[a.pk for a in alerts if a.worsened == worsened], worsened=worsened).update(
                announced_at=now
            )
    return len(alerts)


def _items(alert: Alert, nurses: list[User], links: list[CaregiverLink]) -> list[InboxItem]:
    """What the alert tells each nurse of its clinic, the patient, and each caregiver it covers."""
    critical = alert.severity == Severity.CRITICAL
    topic, patient_id = alert_topic(alert.pk), alert.patient_id
    # The first announcement keeps its keys; each worse reading's has its own.
    raised = "raised" if not alert.worsened else f"worse:{alert.worsened}"
    again = "" if not alert.worsened else f":worse:{alert.worsened}"
    worse = "Worse: " if alert.worsened else ""
    items = [
        InboxItem(
            recipient=nurse,
            kind="alert",
            dedupe_key=f"alert:{alert.pk}:{raised}",
            title=f"{worse}{alert.title}: {alert.patient.display_name}",
            body=alert.message,
            link=f"/alerts/{alert.pk}/",
            critical=critical,
            topic=topic,
            patient_id=patient_id,
        )
        for nurse in nurses
        if nurse.clinic_id == alert.patient.clinic_id
    ]
    # The patient and each caregiver read it in their own language (nurses: the clinical English).
    if alert.patient.user is not None:
        language = language_of(alert.patient.user)
        items.append(
            InboxItem(
                recipient=alert.patient.user,
                kind="patient_alert",
                dedupe_key=f"alert:{alert.pk}:patient{again}",
                title=shared_text(alert.title, language),
                body=shared_text(alert.patient_advice, language),
                critical=critical,
                topic=topic,
                patient_id=patient_id,
            )
        )
    items.extend(
        _caregiver_item(alert, link.caregiver, again, critical, topic)
        for link in links
        if scope_covers_alert(link.scopes, critical=critical)
    )
    return items


def _caregiver_item(alert: Alert, caregiver: User, again: str, critical: bool, topic: str) -> InboxItem:
    language = language_of(caregiver)
    title = shared_text(alert.title, language)
    return InboxItem(
        recipient=caregiver,
        kind="caregiver_alert",
        dedupe_key=f"alert:{alert.pk}:caregiver{again}",
        title=inbox_text("caregiver_alert.title", language, first=first_name(alert, language), title=title),
        body=shared_text(alert.patient_advice, language),
        critical=critical,
        topic=topic,
        patient_id=alert.patient_id,
    )


def first_name(alert: Alert, language: str) -> str:
    """How a caregiver's message names the patient: the first name the clinic recorded."""
    return (alert.patient.display_name.split() or [inbox_text("someone_you_care_for", language)])[0]


def unannounced_alert_ids(*, older_than: timedelta, now: datetime | None = None, limit: int = 500) -> list[UUID]:
    """Alerts whose announcement task never ran (e.g. the broker failed between two tasks)."""
    cutoff = (now or timezone.now()) - older_than
    return list(
        Alert.objects.filter(announced_at__isnull=True, created_at__lte=cutoff)
        .filter(Q(worsened_at__isnull=True) | Q(worsened_at__lte=cutoff))
        .order_by("created_at")
        .values_list("id", flat=True)[:limit]
    )
