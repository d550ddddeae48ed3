"""Recompute a patient's response after new markers: store the assessments and the summary row,
and raise one `disease_progression` alert per progression episode (contract §5).

One patient at a time, under a lock on the patient's row, so two workers recomputing the same
patient wait for each other instead of both raising the alert. Everything is derived from all the
patient's markers, so running it twice stores the same rows and raises nothing new. The markers
read are marked assessed in the same transaction; one that arrives meanwhile stays unassessed for
its own task or the sweeper.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from uuid import UUID
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from backend.alerts.models import Alert, Severity, SourceType, Status
from backend.patients.models import Patient
from backend.response.events import response_test_inputs_changed
from backend.response.models import MarkerResult, PatientResponse, ResponseAssessment
from backend.response.selectors import UNITS, last_test_day, responded, response_summary
from shared.response import Assessment, Episode, ResponseSummary, Track

logger = logging.getLogger(__name__)

KIND = "disease_progression"
# The alert's source: the progression episode (not one reading), named by the patient and the
# episode's first day. Stored in Alert.source_type/source_id, unique together.
SOURCE_TYPE = SourceType.RESPONSE
_EPISODES = uuid.UUID("5b0f3c1e-8a51-4a47-9d1c-6b0e2f9a7c33")
RULE = "IMWG 2016 progression (Kumar et al., Lancet Oncol 2016; Durie et al., Leukemia 2006)"
SWEEP_BATCH = 200

_WHY = {
    "serum": "serum M-protein up at least 25% and 0.5 g/dL (1 g/dL from a nadir of 5 g/dL or more) from its nadir",
    "urine": "urine M-protein up at least 25% and 200 mg/24 h from its nadir",
    "flc": "involved minus uninvolved free light chain up at least 25% and more than 100 mg/L from its nadir",
    "marrow": "marrow plasma cells up at least 25% and 10 percentage points from their nadir",
    "new_lesion": "a new bone lesion or plasmacytoma on imaging",
}


@dataclass(frozen=True)
class RecomputeOutcome:
    patients: int
    alerts_raised: list[UUID]


def responses_recompute(*, patient_ids: Sequence[UUID], now: datetime | None = None) -> RecomputeOutcome:
    raised: list[UUID] = []
    done = 0
    for patient_id in dict.fromkeys(patient_ids):
        try:
            raised += _recompute_one(patient_id, now or timezone.now())
            done += 1
        except Patient.DoesNotExist:
            continue
    return RecomputeOutcome(done, raised)


def unassessed_sweep(*, older_than: timedelta, now: datetime | None = None) -> RecomputeOutcome:
    """Patients with markers nobody assessed in time (the broker was down when they arrived)."""
    cutoff = (now or timezone.now()) - older_than
    ids = list(
        MarkerResult.objects.filter(assessed_at__isnull=True, received_at__lte=cutoff)
        .order_by("patient_id")
        .values_list("patient_id", flat=True)
        .distinct()[:SWEEP_BATCH]
    )
    return responses_recompute(patient_ids=ids, now=now)


def _recompute_one(patient_id: UUID, now: datetime) -> list[UUID]:
    with transaction.atomic():
        patient = Patient.objects.select_for_update().get(pk=patient_id)
        pending = dict(
            MarkerResult.objects.filter(patient_id=patient_id, assessed_at__isnull=True).values_list(
                "pk", "collected_at"
            )
        )
        summary, assessments = response_summary(patient)
        _store(patient, summary, assessments, now)
        zone = ZoneInfo(patient.timezone)
        new_days = {at.astimezone(zone).date() for at in pending.values()}
        raised = _alerts(patient, summary, assessments, new_days, now)
        MarkerResult.objects.filter(pk__in=list(pending)).update(assessed_at=now)
    if raised:
        logger.info("patient %s: %d disease_progression alert(s) raised", patient_id, len(raised))
    return raised


def _store(patient: Patient, summary: ResponseSummary, assessments: list[Assessment], now: datetime) -> None:
    ResponseAssessment.objects.filter(patient_id=patient.pk).delete()
    ResponseAssessment.objects.bulk_create(
        [
            ResponseAssessment(
                patient_id=patient.pk,
                day=a.day,
                category=a.category.value,
                confirmed=a.confirmed,
                values={k: _fmt(v) if isinstance(v, Decimal) else v for k, v in a.values.items()},
                progression=list(a.progression),
                computed_at=now,
            )
            for a in summary.assessments
        ]
    )
    current, best = summary.current, summary.best
    last_test, has_responded = last_test_day(assessments), responded(summary)
    before = PatientResponse.objects.filter(patient_id=patient.pk).values_list("last_test_on", "responded").first()
    PatientResponse.objects.update_or_create(
        patient_id=patient.pk,
        defaults={
            "measurable_by": summary.measurable.by.value if summary.measurable.by else "",
            "current_category": current.category.value if current else "",
            "current_confirmed": bool(current and current.confirmed),
            "current_since": current.since if current else None,
            "best_category": best.category.value if best else "",
            "best_since": best.since if best else None,
            "first_response_days": summary.time_to_response_days,
            "progression_events": sum(1 for e in summary.episodes if e.confirmed),
            "last_test_on": last_test,
            "responded": has_responded,
            "computed_at": now,
        },
    )
    if before != (last_test, has_responded):
        response_test_inputs_changed.send(sender=PatientResponse, patient=patient, now=now)


def _alerts(
    patient: Patient, summary: ResponseSummary, assessments: list[Assessment], new_days: set[date], now: datetime
) -> list[UUID]:
    """One alert per episode (contract §5), kept as contract §4 keeps alerts: while the episode's
    alert is open or acknowledged, the episode updates it; once a nurse resolved it, a new result
    on a progression day of the same episode raises a new one.

    An episode whose days include an existing alert's day is that alert's episode (a back-dated
    result may move an episode's start): it is updated, not doubled. `new_days` are the days of the
    results this recompute is the first to see."""
    existing = list(Alert.objects.filter(patient_id=patient.pk, kind=KIND, source_type=SOURCE_TYPE))
    raised: list[UUID] = []
    for episode in summary.episodes:
        title, message, advice = _texts(summary, episode, assessments)
        mine = [a for a in existing if episode.start <= _local_day(a, patient) <= episode.latest]
        unresolved = [a for a in mine if a.status != Status.RESOLVED]
        for alert in unresolved:
            if alert.message != message:
                Alert.objects.filter(pk=alert.pk).update(title=title, message=message, updated_at=now)
        if unresolved:
            continue
        day = episode.start
        if mine:
            fresh = [d for d in new_days if episode.start <= d <= episode.latest]
            if not fresh:
                continue
            day = max(fresh)
        source_id = uuid.uuid5(_EPISODES, f"{patient.pk}:{day.isoformat()}")
        alert = Alert(
            patient_id=patient.pk,
            kind=KIND,
            grade=None,
            severity=Severity.URGENT,
            hold_drugs=[],
            title=title,
            message=message,
            patient_advice=advice,
            rule_source=RULE,
            source_type=SOURCE_TYPE,
            source_id=source_id,
            observed_at=_observed_at(assessments, day, now),
            created_at=now,
            updated_at=now,
        )
        # The source is unique: should the same episode ever be raised twice, the second is skipped.
        Alert.objects.bulk_create([alert], ignore_conflicts=True)
        if Alert.objects.filter(pk=alert.pk).exists():
            raised.append(alert.pk)
    return raised


def _local_day(alert: Alert, patient: Patient) -> date:
    return alert.observed_at.astimezone(ZoneInfo(patient.timezone)).date()


def _observed_at(assessments: list[Assessment], day: date, now: datetime) -> datetime:
    for a in assessments:
        if a.day == day:
            return min(r.collected_at for r in a.readings.values())
    return now


def _texts(summary: ResponseSummary, episode: Episode, assessments: list[Assessment]) -> tuple[str, str, str]:
    why = "; ".join(_WHY.get(r, r) for r in episode.reasons) or "a rise from the nadir"
    tracked = ""
    if summary.nadir is not None and summary.measurable.by is not None:
        unit = UNITS[summary.measurable.by]
        nadir_day, nadir = summary.nadir
        day = next((a for a in assessments if a.day == episode.start), None)
        value = summary.tracked(day) if day is not None else None
        if value is not None:
            label = {Track.SERUM: "Serum M-protein", Track.URINE: "Urine M-protein", Track.FLC: "dFLC"}.get(
                summary.measurable.by, "Marrow plasma cells"
            )
            tracked = (
                f" {label} {_fmt(value)} {unit} on {episode.start:%d %b %Y},"
                f" nadir {_fmt(nadir)} {unit} ({nadir_day:%d %b %Y})."
            )
    if episode.confirmed:
        title = "Disease progression confirmed"
        status = (
            "Confirmed by a new lesion on imaging."
            if "new_lesion" in episode.reasons and episode.start == episode.latest
            else "Confirmed by two consecutive assessments."
        )
        todo = "Review the treatment plan with the patient."
    else:
        title = "Possible disease progression"
        status = "Not yet confirmed: IMWG needs a second consecutive assessment."
        todo = "Repeat SPEP, 24-h UPEP and serum free light chains soon to confirm or refute it."
    message = f"Meets IMWG progression from {episode.start:%d %b %Y}: {why}.{tracked} {status} {todo}"
    advice = (
        "A recent test suggests your myeloma may be becoming active again. Your care team has been told and "
        "will talk with you about repeating the tests and what comes next. Keep taking your medicines as "
        "prescribed unless your care team tells you otherwise."
    )
    return title, message[:2000], advice


def _fmt(value: object) -> str:
    return format(Decimal(str(value)).normalize(), "f")
