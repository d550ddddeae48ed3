"""Alerts no single reading raises, found by periodic checks between labs (issue 13 §3): a blood
count overdue on the monitoring schedule (`stale_labs`) and a count falling fast enough to re-check
before the next ixazomib dose (`early_warning`). Both urgent, nothing held (contract §4 shape).

Each alert's source is a check (`SourceType.CHECK`) whose id is derived from what it is about, so
the unique constraint on the source (`one_alert_per_reading`) makes a check safe to run twice or in
parallel: one alert per patient per gap, and per analyte per cycle for an early warning. The rules
are `shared/`'s (lab_monitoring, count_trends, alert_policy); this module reads and writes rows.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from itertools import groupby
from operator import itemgetter
from typing import Final
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Max, QuerySet
from django.utils import timezone

from backend.alerts.models import Alert, SourceType, Status
from backend.patients.calendar import calendars_for
from backend.patients.models import CareStatus, Patient
from backend.records.models import LabResult
from shared.alert_policy import DEFAULT_POLICY, AlertCandidate, early_warning_alert, stale_labs_alert
from shared.count_trends import Count, early_warning
from shared.lab_monitoring import BLOOD_COUNT_ANALYTES, blood_count_overdue

logger = logging.getLogger(__name__)

#: Fixed forever: a check's source id is uuid5(CHECK_NAMESPACE, "<kind>:<patient>:<what>").
CHECK_NAMESPACE: Final = uuid.UUID("5f0c2a8e-6a51-4f3b-9a7e-3c1d2b8e4f60")
#: Patients read per query.
CHECK_BATCH: Final = 500
#: Count rows fetched per round trip while an early-warning check streams its series.
SERIES_CHUNK: Final = 2000
#: How far back an early warning looks: a whole cycle and the rest week before it.
TREND_HISTORY: Final = timedelta(days=28 + 7 + 1)


def check_source_id(kind: str, patient_id: uuid.UUID, what: str) -> uuid.UUID:
    return uuid.uuid5(CHECK_NAMESPACE, f"{kind}:{patient_id}:{what}")


def check_alerts_raise(found: Sequence[tuple[AlertCandidate, uuid.UUID, str]], *, now: datetime) -> list[uuid.UUID]:
    """Store (candidate, patient id, what it is about) as alerts; those already raised are skipped.
    Returns the ids of the alerts this call raised (to announce)."""
    if not found:
        return []
    alerts = [
        _alert(candidate, patient_id, check_source_id(candidate.kind, patient_id, what), now)
        for candidate, patient_id, what in found
    ]
    with transaction.atomic():
        Alert.objects.bulk_create(alerts, batch_size=500, ignore_conflicts=True)
        return list(
            Alert.objects.filter(
                source_type=SourceType.CHECK, source_id__in=[a.source_id for a in alerts], created_at=now
            ).values_list("id", flat=True)
        )


def stale_labs_check(*, now: datetime | None = None) -> list[uuid.UUID]:
    """A `stale_labs` alert for each enrolled patient whose blood count is overdue on the schedule
    (shared.lab_monitoring), one per gap: the gap is named by the last count's local date."""
    now = now or timezone.now()
    raised: list[uuid.UUID] = []
    # A paused or discharged patient raises no alert (patients.care_status).
    enrolled = (
        Patient.objects.filter(user__isnull=False, user__is_active=True, care_status=CareStatus.ACTIVE)
        .select_related("user")
        .order_by("pk")
    )
    for batch in _batches(enrolled):
        last = dict(
            LabResult.objects.filter(patient_id__in=[p.pk for p in batch], analyte__in=BLOOD_COUNT_ANALYTES)
            .values("patient_id")
            .annotate(last=Max("collected_at"))
            .values_list("patient_id", "last")
        )
        # An overdue count the nurse has not resolved yet is one problem, not one per gap: while it
        # is open or acknowledged, a later gap waits (and is raised once it is resolved).
        unresolved = set(
            Alert.objects.filter(
                patient_id__in=[p.pk for p in batch], kind="stale_labs", status__in=(Status.OPEN, Status.ACKNOWLEDGED)
            ).values_list("patient_id", flat=True)
        )
        calendars = calendars_for(batch)
        found = []
        for patient in batch:
            if patient.pk in unresolved:
                continue
            zone = _zone(patient)
            if zone is None:
                continue
            assert patient.user is not None
            last_on = last[patient.pk].astimezone(zone).date() if patient.pk in last else None
            overdue = blood_count_overdue(
                start_date=calendars[patient.pk],
                last_on=last_on,
                since=patient.user.date_joined.astimezone(zone).date(),
                today=now.astimezone(zone).date(),
            )
            if overdue is not None:
                gap = last_on.isoformat() if last_on else "none"
                found.append((stale_labs_alert(overdue), patient.pk, gap))
        raised += check_alerts_raise(found, now=now)
    return raised


def early_warning_check(
    *, now: datetime | None = None, received_since: timedelta = timedelta(days=1)
) -> list[uuid.UUID]:
    """An `early_warning` alert for each patient whose platelets or ANC, among those received in
    `received_since`, fall fast (shared.count_trends), one per analyte and cycle."""
    now = now or timezone.now()
    recent = (
        LabResult.objects.filter(analyte__in=BLOOD_COUNT_ANALYTES, received_at__gte=now - received_since)
        .values_list("patient_id", flat=True)
        .distinct()
    )
    raised: list[uuid.UUID] = []
    in_care = Patient.objects.filter(pk__in=recent, care_status=CareStatus.ACTIVE)  # paused: no alert
    for batch in _batches(in_care.order_by("pk")):
        zones = {p.pk: z for p in batch if (z := _zone(p)) is not None}
        calendars = calendars_for(batch)
        # One (patient, analyte) series in memory at a time, streamed in that order, not a whole
        # batch's month of counts at once: a worker's memory then does not grow with the clinic.
        rows = (
            LabResult.objects.filter(
                patient_id__in=list(zones), analyte__in=BLOOD_COUNT_ANALYTES, collected_at__gte=now - TREND_HISTORY
            )
            .order_by("patient_id", "analyte")
            .values_list("patient_id", "analyte", "collected_at", "canonical_value")
            .iterator(chunk_size=SERIES_CHUNK)
        )
        found = []
        for (patient_id, analyte), pair in groupby(rows, key=itemgetter(0, 1)):
            zone = zones[patient_id]
            counts = [Count(at.astimezone(zone).date(), value) for _, _, at, value in pair]
            hold_below = DEFAULT_POLICY.labs[analyte].hold_below
            assert hold_below is not None  # the label's hold thresholds for a falling count
            warning = early_warning(
                analyte=analyte,
                start_date=calendars[patient_id],
                counts=counts,
                hold_below=hold_below,
                today=now.astimezone(zones[patient_id]).date(),
            )
            if warning is not None:
                found.append((early_warning_alert(warning, hold_below), patient_id, warning.episode))
        raised += check_alerts_raise(found, now=now)
    return raised


def _zone(patient: Patient) -> ZoneInfo | None:
    try:
        return ZoneInfo(patient.timezone)
    except (ValueError, KeyError):
        logger.error("patient %s: unknown time zone %r", patient.pk, patient.timezone)
        return None


def _batches(patients: QuerySet[Patient]) -> Iterator[list[Patient]]:
    batch: list[Patient] = []
    for patient in patients.iterator(chunk_size=CHECK_BATCH):
        batch.append(patient)
        if len(batch) == CHECK_BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _alert(candidate: AlertCandidate, patient_id: uuid.UUID, source_id: uuid.UUID, now: datetime) -> Alert:
    return Alert(
        patient_id=patient_id,
        kind=candidate.kind,
        grade=candidate.grade,
        severity=candidate.severity.value,
        hold_drugs=list(candidate.hold_drugs),
        title=candidate.title[:120],
        message=candidate.message,
        patient_advice=candidate.patient_advice,
        rule_source=candidate.source[:300],
        source_type=SourceType.CHECK,
        source_id=source_id,
        observed_at=now,
        created_at=now,
        updated_at=now,
    )
