"""Counts missing before a new cycle: from 3 days before day 1, a patient with no ANC or no platelet
count for that start (shared.cycle_readiness) gets a reminder, and their nurse a task (an urgent
`cycle_labs_missing` alert), once per patient and cycle however often this runs.

NINLARO USPI §2.2: before a new cycle, a blood count with ANC ≥ 1,000/mm³ and platelets ≥
75,000/mm³. The day-before draw reminder (shared.reminders) still comes; this one says the result
is not in yet.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from backend.alerts.checks import check_alerts_raise
from backend.notifications.services import notify
from backend.notifications.texts import inbox_text, language_of, shared_value
from backend.patients.calendar import with_calendars
from backend.patients.models import CareStatus, Patient
from backend.records.models import LabResult
from shared import regimen
from shared.alert_policy import cycle_labs_missing_alert
from shared.count_trends import CYCLE_START_LAB_WINDOW_DAYS, Count
from shared.cycle_readiness import LABS_DUE_DAYS_BEFORE, Readiness, count_for_cycle_start, cycle_readiness
from shared.reminders import format_day

logger = logging.getLogger(__name__)

CYCLE_LABS_LINK = "app:labs"


@dataclass(frozen=True)
class CycleLabsOutcome:
    alerts_raised: list[UUID]
    reminders_sent: int


def upcoming_day1(patient: Patient, now: datetime, calendar: regimen.Calendar) -> tuple[int, date] | None:
    """(cycle, day 1) of the patient's next day 1 (in `calendar`, the patient's, with the care team's
    cycle delays) when it is at most LABS_DUE_DAYS_BEFORE away."""
    try:
        today = now.astimezone(ZoneInfo(patient.timezone)).date()
    except (ValueError, KeyError):
        logger.error("patient %s: unknown time zone %r", patient.pk, patient.timezone)
        return None
    cycle = regimen.next_cycle_start(calendar, today).cycle
    day1 = regimen.cycle_start_date(calendar, cycle)
    return (cycle, day1) if (day1 - today).days <= LABS_DUE_DAYS_BEFORE else None


def readiness_counts(patients: list[Patient], day1s: dict[UUID, date]) -> dict[tuple[UUID, str], list[Count]]:
    """Each patient's ANC and platelet counts in the window before their day 1, by local date: one
    query."""
    if not patients:
        return {}
    zones = {p.pk: ZoneInfo(p.timezone) for p in patients}
    earliest = min(day1s.values()) - timedelta(days=CYCLE_START_LAB_WINDOW_DAYS + 1)
    found: dict[tuple[UUID, str], list[Count]] = defaultdict(list)
    rows = LabResult.objects.filter(
        patient_id__in=list(zones),
        analyte__in=("anc", "platelets"),
        collected_at__gte=datetime.combine(earliest, datetime.min.time(), tzinfo=UTC),
    ).values_list("patient_id", "analyte", "collected_at", "canonical_value")
    for patient_id, analyte, at, value in rows:
        found[(patient_id, analyte)].append(Count(at.astimezone(zones[patient_id]).date(), value))
    return found


def cycle_labs_check(*, now: datetime | None = None) -> CycleLabsOutcome:
    now = now or timezone.now()
    patients, day1s, cycles = [], {}, {}
    # A paused or discharged patient gets neither the task nor the reminder (patients.care_status).
    enrolled = Patient.objects.filter(
        user__isnull=False, user__is_active=True, care_status=CareStatus.ACTIVE
    ).select_related("user")
    for patient, calendar in with_calendars(enrolled.iterator(chunk_size=2000), lambda p: p):
        upcoming = upcoming_day1(patient, now, calendar)
        if upcoming is not None:
            patients.append(patient)
            cycles[patient.pk], day1s[patient.pk] = upcoming
    counts = readiness_counts(patients, day1s)
    missing: list[tuple[Patient, Readiness]] = []
    for patient in patients:
        day1 = day1s[patient.pk]
        readiness = cycle_readiness(
            cycle=cycles[patient.pk],
            day1=day1,
            anc=count_for_cycle_start(counts.get((patient.pk, "anc"), []), day1),
            platelets=count_for_cycle_start(counts.get((patient.pk, "platelets"), []), day1),
            toxicities=(),  # the counts alone decide whether labs are missing
        )
        if readiness.counts_missing:
            missing.append((patient, readiness))
    with transaction.atomic():
        raised = check_alerts_raise(
            [(cycle_labs_missing_alert(r), p.pk, f"cycle-{r.cycle}") for p, r in missing], now=now
        )
        sent = sum(_remind(patient, readiness, now) for patient, readiness in missing)
    return CycleLabsOutcome(raised, sent)


def _remind(patient: Patient, readiness: Readiness, now: datetime) -> int:
    assert patient.user is not None
    language = language_of(patient.user)
    day = shared_value(format_day(readiness.day1), language)
    item = notify(
        recipient=patient.user,
        kind="reminder",
        title=inbox_text("cycle_labs.title", language),
        body=inbox_text("cycle_labs.body", language, cycle=readiness.cycle, day=day),
        dedupe_key=f"cycle-labs:{patient.pk}:{readiness.cycle}",
        link=CYCLE_LABS_LINK,
        now=now,
    )
    return int(item is not None)
