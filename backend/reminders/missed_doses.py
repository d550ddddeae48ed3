"""Missed ixazomib doses: the morning after an ixazomib day with no log, a nudge with the label's
answer (take it or skip it), to the patient and the caregivers they allowed."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from backend.accounts.models import User
from backend.caregivers.selectors import caregivers_with_scope
from backend.notifications.models import Notification
from backend.notifications.services import notify
from backend.notifications.texts import inbox_text, language_of, shared_text, shared_value
from backend.patients.calendar import with_calendars
from backend.patients.models import CareStatus, Patient
from backend.records.models import DoseLog
from backend.reminders.models import ReminderPlan
from backend.reminders.selectors import held_drugs
from shared import regimen
from shared import reminders as shared_reminders

logger = logging.getLogger(__name__)

MISSED_DOSE_LINK = "app:doses"


@dataclass(frozen=True)
class _MissedCandidate:
    patient: Patient
    user: User
    plan: ReminderPlan
    zone: ZoneInfo
    day: date  # the local day that just ended
    day_start: datetime
    day_end: datetime
    calendar: regimen.Calendar  # the patient's, with the care team's cycle delays

    @property
    def dedupe_key(self) -> str:
        return f"missed-dose:ixazomib:{self.patient.pk}:{self.day.isoformat()}"


def _missed_candidates(now: datetime) -> list[_MissedCandidate]:
    """Enrolled patients whose local yesterday was an ixazomib day, ended after they enrolled."""
    found = []
    plans = ReminderPlan.objects.filter(
        patient__user__isnull=False, patient__user__is_active=True, patient__care_status=CareStatus.ACTIVE
    ).select_related("patient", "patient__user")
    for plan, calendar in with_calendars(plans.iterator(chunk_size=2000), lambda p: p.patient):
        patient = plan.patient
        try:
            zone = ZoneInfo(patient.timezone)
        except (ValueError, KeyError):
            logger.error("patient %s: unknown time zone %r", patient.pk, patient.timezone)
            continue
        today = now.astimezone(zone).date()
        day = today - timedelta(days=1)
        if regimen.Drug.IXAZOMIB not in regimen.drugs_due(calendar, day):
            continue
        day_end = shared_reminders.local_instant(today, time(0), zone)
        user = patient.user
        assert user is not None
        if user.date_joined >= day_end:  # no phone yet on that day: nothing could have been logged
            continue
        day_start = shared_reminders.local_instant(day, time(0), zone)
        found.append(_MissedCandidate(patient, user, plan, zone, day, day_start, day_end, calendar))
    return found


def _caregivers_for_missed_doses(patient: Patient) -> list[User]:
    """Caregivers the patient allowed to hear about missed doses."""
    return list(caregivers_with_scope(patient, "missed_doses"))


def missed_doses_notify(*, now: datetime | None = None) -> int:
    """Nudge patients whose ixazomib dose of the local day that just ended has no log, with the
    label's answer (shared.regimen.ixazomib_missed_dose_advice); their missed-dose caregivers too.

    Any log of the day counts: taken, skipped, or vomited (a vomited dose is never repeated, so it
    never gets "take it"). No nudge while an unresolved alert holds ixazomib. One nudge per patient
    and day (notify's dedupe key), however often this runs. Returns the number of inbox items."""
    now = now or timezone.now()
    candidates = _missed_candidates(now)
    if not candidates:
        return 0
    already = set(
        Notification.objects.filter(
            recipient__in=[c.user for c in candidates], dedupe_key__in=[c.dedupe_key for c in candidates]
        ).values_list("dedupe_key", flat=True)
    )
    candidates = [c for c in candidates if c.dedupe_key not in already]
    if not candidates:
        return 0
    logged = {
        (patient_id, taken_at)
        for patient_id, taken_at in DoseLog.objects.filter(
            patient_id__in=[c.patient.pk for c in candidates],
            drug=regimen.Drug.IXAZOMIB.value,
            taken_at__gte=min(c.day_start for c in candidates),
            taken_at__lt=max(c.day_end for c in candidates),
        ).values_list("patient_id", "taken_at")
    }
    holds = held_drugs([c.patient.pk for c in candidates])
    sent = 0
    for candidate in candidates:
        patient = candidate.patient
        if any(pid == patient.pk and candidate.day_start <= at < candidate.day_end for pid, at in logged):
            continue
        if regimen.Drug.IXAZOMIB.value in holds.get(patient.pk, set()):
            continue
        sent += _missed_dose_notify(candidate, now)
    return sent


def _missed_dose_notify(candidate: _MissedCandidate, now: datetime) -> int:
    patient = candidate.patient
    advice = regimen.ixazomib_missed_dose_advice(
        start_date=candidate.calendar,
        missed_on=candidate.day,
        now=now,
        dose_time=candidate.plan.ixazomib_time,
        tz=candidate.zone,
    )
    day = shared_reminders.format_day(candidate.day)
    sent = 0
    language = language_of(candidate.user)
    with transaction.atomic():
        sent += (
            notify(
                recipient=candidate.user,
                kind="missed_dose",
                title=inbox_text("missed_dose.title", language),
                body=inbox_text(
                    "missed_dose.body",
                    language,
                    day=shared_value(day, language),
                    advice=shared_text(advice.reason, language),
                ),
                dedupe_key=candidate.dedupe_key,
                link=MISSED_DOSE_LINK,
                now=now,
            )
            is not None
        )
        for caregiver in _caregivers_for_missed_doses(patient):
            theirs = language_of(caregiver)
            name = patient.display_name
            sent += (
                notify(
                    recipient=caregiver,
                    kind="missed_dose",
                    title=inbox_text("missed_dose_caregiver.title", theirs, name=name),
                    body=inbox_text("missed_dose_caregiver.body", theirs, name=name, day=shared_value(day, theirs)),
                    dedupe_key=candidate.dedupe_key,
                    patient_id=patient.pk,  # hidden from the caregiver once the patient revokes them
                    now=now,
                )
                is not None
            )
    return sent
