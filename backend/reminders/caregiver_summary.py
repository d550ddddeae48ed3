"""The caregivers' daily summary: once a day, from 19:00 in the patient's zone, what the patient
logged that day, in counts only. It reads records and alerts and sends through notifications, so it
stands here at the top of the domain with the other scheduled messages, not in caregivers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from backend.alerts.models import Alert, Status
from backend.caregivers.models import Scope
from backend.caregivers.selectors import active_links_by_patient
from backend.notifications.services import notify
from backend.notifications.texts import inbox_text, language_of
from backend.patients.models import CareStatus, Patient
from backend.records.models import DoseLog, SymptomReport

SUMMARY_AT = time(19, 0)  # local time in the patient's zone


def first_name(patient: Patient) -> str:
    return (patient.display_name.split() or ["your patient"])[0]


@dataclass(frozen=True)
class DayCounts:
    symptoms: int
    doses: int
    open_alerts: int


def day_counts(patient: Patient, *, day_start: datetime, day_end: datetime) -> DayCounts:
    return DayCounts(
        SymptomReport.objects.filter(patient=patient, reported_at__gte=day_start, reported_at__lt=day_end).count(),
        DoseLog.objects.filter(patient=patient, taken_at__gte=day_start, taken_at__lt=day_end).count(),
        Alert.objects.filter(patient=patient, status=Status.OPEN).count(),
    )


def summary_text(patient: Patient, counts: DayCounts, language: str = "en") -> str:
    """Counts only: no values, grades, drugs or diagnoses."""
    return inbox_text(
        "daily_summary.body",
        language,
        first=first_name(patient),
        symptoms=inbox_text("daily_summary.symptoms", language, n=counts.symptoms),
        doses=inbox_text("daily_summary.doses", language, n=counts.doses),
        alerts=inbox_text("daily_summary.alerts", language, n=counts.open_alerts),
    )


def daily_summary_text(patient: Patient, *, day_start: datetime, day_end: datetime, language: str = "en") -> str:
    return summary_text(patient, day_counts(patient, day_start=day_start, day_end=day_end), language)


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
        counts = day_counts(patient, day_start=day_start, day_end=day_end)
        for caregiver in holders:
            language = language_of(caregiver)  # each caregiver's own
            sent += (
                notify(
                    recipient=caregiver,
                    kind="daily_summary",
                    title=inbox_text("daily_summary.title", language, first=first_name(patient)),
                    body=summary_text(patient, counts, language),
                    dedupe_key=f"daily-summary:{patient.pk}:{day.isoformat()}",
                    patient_id=patient.pk,
                    now=now,
                )
                is not None
            )
    return sent
