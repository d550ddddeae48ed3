"""Who hears about a new alert: every nurse of the patient's clinic, the patient (in the app), and
the caregivers whose consent covers it (a critical alert: `critical_alerts` or `all_alerts`; any
other: `all_alerts`).

Runs after the grading transaction commits, as its own task, so a slow provider can never hold up
grading; notify() is keyed per alert and person, so running it twice sends nothing twice."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from uuid import UUID

from django.db import transaction
from django.utils import timezone

from backend.accounts.models import Role, User
from backend.alerts.escalation import alert_topic
from backend.alerts.models import Alert, Severity
from backend.caregivers.selectors import active_links_by_patient, scope_covers_alert
from backend.notifications.services import notify, preferences_for


def alerts_announce(*, alert_ids: Sequence[UUID]) -> int:
    alerts = list(
        Alert.objects.filter(id__in=list(alert_ids), announced_at__isnull=True).select_related(
            "patient", "patient__user"
        )
    )
    if not alerts:
        return 0
    clinic_ids = {a.patient.clinic_id for a in alerts}
    nurses = list(User.objects.filter(clinic_id__in=clinic_ids, role__in=(Role.NURSE, Role.ADMIN), is_active=True))
    patients = [a.patient.user for a in alerts if a.patient.user is not None]
    links = active_links_by_patient(patient_ids={a.patient_id for a in alerts})
    caregivers = [link.caregiver for found in links.values() for link in found]
    preferences = preferences_for([*nurses, *patients, *caregivers])
    sent = 0
    with transaction.atomic():
        for alert in alerts:
            critical = alert.severity == Severity.CRITICAL
            topic = alert_topic(alert.pk)
            for nurse in (n for n in nurses if n.clinic_id == alert.patient.clinic_id):
                sent += (
                    notify(
                        recipient=nurse,
                        kind="alert",
                        critical=critical,
                        dedupe_key=f"alert:{alert.pk}:raised",
                        title=f"{alert.title}: {alert.patient.display_name}",
                        body=alert.message,
                        link=f"/alerts/{alert.pk}/",
                        preference=preferences.get(nurse.pk),
                        topic=topic,
                        patient_id=alert.patient_id,
                    )
                    is not None
                )
            if alert.patient.user is not None:
                sent += (
                    notify(
                        recipient=alert.patient.user,
                        kind="patient_alert",
                        critical=critical,
                        dedupe_key=f"alert:{alert.pk}:patient",
                        title=alert.title,
                        body=alert.patient_advice,
                        preference=preferences.get(alert.patient.user.pk),
                        topic=topic,
                        patient_id=alert.patient_id,
                    )
                    is not None
                )
            first = (alert.patient.display_name.split() or ["The person you care for"])[0]
            for link in links.get(alert.patient_id, []):
                if not scope_covers_alert(link.scopes, critical=critical):
                    continue
                sent += (
                    notify(
                        recipient=link.caregiver,
                        kind="caregiver_alert",
                        critical=critical,
                        dedupe_key=f"alert:{alert.pk}:caregiver",
                        title=f"{first}: {alert.title}",
                        body=alert.patient_advice,
                        preference=preferences.get(link.caregiver_id),
                        topic=topic,
                        patient_id=alert.patient_id,
                    )
                    is not None
                )
        Alert.objects.filter(id__in=[a.pk for a in alerts]).update(announced_at=timezone.now())
    return sent


def unannounced_alert_ids(*, older_than: timedelta, now: datetime | None = None, limit: int = 500) -> list[UUID]:
    """Alerts whose announcement task never ran (e.g. the broker failed between two tasks)."""
    cutoff = (now or timezone.now()) - older_than
    return list(
        Alert.objects.filter(announced_at__isnull=True, created_at__lte=cutoff)
        .order_by("created_at")
        .values_list("id", flat=True)[:limit]
    )
