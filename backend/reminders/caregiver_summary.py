"""The caregivers' daily summary: once a day, from 19:00 in the patient's zone, what the patient
logged that day, in counts only. It reads records and alerts and sends through notifications, so it
stands here at the top of the domain with the other scheduled messages, not in caregivers."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from backend.alerts.models import Alert, Status
from backend.caregivers.models import Scope
from backend.caregivers.selectors import active_links_by_patient
from backend.notifications.services import notify
from backend.patients.models import CareStatus, Patient
from backend.records.models import DoseLog, SymptomReport

SUMMARY_AT = time(19, 0)  # local time in the patient's zone


def first_name(patient: Patient) -> str:
    return (patient.display_name.split() or ["your patient"])[0]


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def daily_summary_text(patient: Patient, *, day_start: datetime, day_end: datetime) -> str:
    """Counts only: no values, grades, drugs or diagnoses."""
    symptoms = SymptomReport.objects.filter(patient=patient, reported_at__gte=day_start, reported_at__lt=day_end)
    doses = DoseLog.objects.filter(patient=patient, taken_at__gte=day_start, taken_at__lt=day_end)
    open_alerts = Alert.objects.filter(patient=patient, status=Status.OPEN)
    return (
        f"Daily summary for {first_name(patient)}: {_plural(symptoms.count(), 'symptom report')}, "
        f"{_plural(doses.count(), 'dose')} logged, {_plural(open_alerts.count(), 'open alert')}"
    )


def daily_summaries_send(*, now: datetime | None = None) -> int:
    """Once a day, from 19:00 in the patient's zone, tell caregivers holding `daily_summary` what the
    patient logged that day. Run often (every 15 minutes): the dedupe key per patient and local day
    makes every run after the first that day a no-op."""
    now = now or timezone.now()
    patients = Patient.objects.filter(
        caregiver_links__revoked_at__isnull=True,
        caregiver_links__caregiver__is_active=True,
        care_status=CareStatus.ACTIVE,  # paused or discharged: caregivers are not messaged
    ).distinct()
    links = active_links_by_patient(patient_ids=[p.pk for p in patients])
    sent = 0
    for patient in patients:
        holders = [link.caregiver for link in links.get(patient.pk, []) if Scope.DAILY_SUMMARY in link.scopes]
        if not holders:
            continue
        zone = ZoneInfo(patient.timezone)
        local = now.astimezone(zone)
        if local.time() < SUMMARY_AT:
            continue
        day = local.date()
        day_start = datetime.combine(day, time(0), tzinfo=zone)
        day_end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
        text = daily_summary_text(patient, day_start=day_start, day_end=day_end)
        for caregiver in holders:
            sent += (
                notify(
                    recipient=caregiver,
                    kind="daily_summary",
                    title=f"Daily summary for {first_name(patient)}",
                    body=text,
                    dedupe_key=f"daily-summary:{patient.pk}:{day.isoformat()}",
                    patient_id=patient.pk,
                    now=now,
                )
                is not None
            )
    return sent
