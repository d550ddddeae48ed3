"""Each patient's lab context (shared.lab_context): their sex and, per analyte whose CTCAE term has a
baseline arm, their baseline: the one the care team entered, else the last reading collected on or
before cycle 1 day 1 (the regimen's start date, in the patient's zone).

The derived baseline is looked up when needed, never stored, so a reading that arrives late or a
start date that moves is taken into account at once. The grader and the sync answer read it through
`lab_contexts`, which costs two queries for any number of patients.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import reduce
from operator import or_
from types import MappingProxyType
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from backend.accounts.models import User
from backend.audit.services import audit_record
from backend.core.errors import ApplicationError
from backend.core.prepared import PreparedQuery
from backend.patients.models import Patient
from backend.records.models import LabBaseline, LabResult
from shared.analytes import Sex
from shared.lab_context import SOURCE_ENTERED, SOURCE_LAB, LabContext, baseline_parse, sex_parse
from shared.lab_grading import BASELINE_ANALYTES, Baseline
from shared.lab_values import LabValueError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PatientBaseline:
    """A baseline as the patient page shows it: where it came from and who entered it."""

    baseline: Baseline
    entered_by: str = ""
    entered_at: datetime | None = None


def _zone(patient: Patient) -> ZoneInfo:
    try:
        return ZoneInfo(patient.timezone)
    except (ValueError, KeyError):  # pragma: no cover - zones are validated on save
        return ZoneInfo("UTC")


def cycle_1_day_1_end(patient: Patient) -> datetime:
    """The first moment after cycle 1 day 1 in the patient's zone: a baseline is collected before it."""
    return datetime.combine(patient.start_date + timedelta(days=1), time(0), tzinfo=_zone(patient))


def _sex(patient: Patient) -> Sex | None:
    try:
        return sex_parse(patient.sex)
    except ValueError:  # pragma: no cover - the field has choices
        return None


def _readings(before: Q) -> QuerySet[LabResult, tuple[Any, ...]]:
    """The readings a baseline may be taken from (`before`: whose, and before when), latest first."""
    return (
        LabResult.objects.filter(before, analyte__in=BASELINE_ANALYTES)
        .order_by("patient_id", "analyte", "-collected_at", "-received_at")
        .values_list("patient_id", "analyte", "value", "unit", "reference_high", "collected_at")
    )


# One patient's (every sync's lab context): compiled once per connection (backend.core.prepared).
# Placeholders: no patient has this id, and no cycle 1 starts on this day.
_NO_PATIENT = UUID("00000000-0000-4000-8000-ba5e00000003")
_ENTERED = PreparedQuery(
    lambda patient_id: LabBaseline.objects.filter(patient_id=patient_id).select_related("entered_by"), _NO_PATIENT
)
_READINGS = PreparedQuery(
    lambda patient_id, end: _readings(Q(patient_id=patient_id, collected_at__lt=end)),
    _NO_PATIENT,
    datetime(1901, 1, 1, 0, 0, 1, 3, tzinfo=UTC),
)


def baselines_for(patients: Iterable[Patient]) -> dict[UUID, dict[str, PatientBaseline]]:
    """Each patient's baselines by analyte: entered ones first, then the last reading on or before
    cycle 1 day 1 for the analytes without one. Two queries (for one patient, compiled once)."""
    by_id = {p.pk: p for p in patients}
    found: dict[UUID, dict[str, PatientBaseline]] = {pk: {} for pk in by_id}
    if not by_id:
        return found
    one = next(iter(by_id.values())) if len(by_id) == 1 else None
    entered = (
        _ENTERED.run(one.pk)
        if one is not None
        else LabBaseline.objects.filter(patient_id__in=list(by_id)).select_related("entered_by")
    )
    for row in entered:
        try:
            baseline = baseline_parse(
                row.analyte, row.value, row.unit, row.reference_high, on=row.collected_on, source=SOURCE_ENTERED
            )
        except LabValueError:  # entered under older rules: the ULN rule alone, and say so in the log
            logger.warning("baseline %s of patient %s can no longer be read", row.analyte, row.patient_id)
            continue
        who = row.entered_by.get_full_name() or row.entered_by.username if row.entered_by else ""
        found[row.patient_id][row.analyte] = PatientBaseline(baseline, who, row.entered_at)
    if one is not None:
        rows = _READINGS.rows(one.pk, cycle_1_day_1_end(one))
    else:
        before = reduce(or_, (Q(patient_id=pk, collected_at__lt=cycle_1_day_1_end(p)) for pk, p in by_id.items()))
        rows = list(_readings(before))
    for patient_id, analyte, value, unit, reference_high, collected_at in rows:
        if analyte in found[patient_id]:
            continue  # entered, or a later reading already taken
        on = collected_at.astimezone(_zone(by_id[patient_id])).date()
        try:
            baseline = baseline_parse(analyte, value, unit, reference_high, on=on, source=SOURCE_LAB)
        except LabValueError:  # stored under older rules: the next earlier one will not do either
            continue
        found[patient_id][analyte] = PatientBaseline(baseline)
    return found


def lab_contexts(patients: Iterable[Patient], analytes: Iterable[str] | None = None) -> dict[UUID, LabContext]:
    """What each patient's lab values are graded with (shared.lab_context). `analytes`: only what
    values of these are graded with: when none of them has a baseline arm (platelets, ANC: the
    alert path of bench 2), no baseline is read, two queries fewer; the grades are the same."""
    listed = list(patients)
    needed = analytes is None or not set(BASELINE_ANALYTES).isdisjoint(analytes)
    baselines = baselines_for(listed) if needed else {p.pk: {} for p in listed}
    return {
        p.pk: LabContext(
            _sex(p),
            MappingProxyType({k: v.baseline for k, v in baselines[p.pk].items()}),
        )
        for p in listed
    }


def local_day(patient: Patient, moment: datetime) -> date:
    return moment.astimezone(_zone(patient)).date()


@transaction.atomic
def baseline_enter(
    *,
    patient: Patient,
    analyte: object,
    value: object,
    unit: object,
    reference_high: object = None,
    collected_on: date | None = None,
    entered_by: User,
    now: datetime | None = None,
) -> LabBaseline:
    """Set the patient's baseline for an analyte (replacing an entered one), checked by the rules
    any reading meets. It grades readings from now on; those already graded keep their grade."""
    try:
        baseline = baseline_parse(analyte, value, unit, reference_high, on=collected_on)
    except LabValueError as exc:
        raise ApplicationError({exc.field: [exc.message]}) from exc
    if collected_on is not None and collected_on > timezone.now().date() + timedelta(days=1):
        raise ApplicationError({"collected_on": ["Is in the future."]})
    row, _ = LabBaseline.objects.update_or_create(
        patient=patient,
        analyte=baseline.analyte,
        defaults={
            "value": baseline.value,
            "unit": baseline.unit.key,
            "reference_high": baseline.reference_high,
            "collected_on": collected_on,
            "entered_by": entered_by,
            "entered_at": now or timezone.now(),
        },
    )
    audit_record(
        actor=entered_by,
        action="update",
        resource="patient",
        patient_ids=[patient.pk],
        object_id=str(patient.pk),
        detail=f"baseline {baseline.analyte}: {baseline.text}",
    )
    return row


@transaction.atomic
def baseline_clear(*, patient: Patient, analyte: str, cleared_by: User) -> bool:
    """Remove an entered baseline: the last reading on or before cycle 1 day 1 applies again."""
    deleted, _ = LabBaseline.objects.filter(patient=patient, analyte=analyte).delete()
    if deleted:
        audit_record(
            actor=cleared_by,
            action="update",
            resource="patient",
            patient_ids=[patient.pk],
            object_id=str(patient.pk),
            detail=f"baseline {analyte}: cleared",
        )
    return bool(deleted)


def baseline_rows(patient: Patient) -> list[tuple[str, PatientBaseline | None]]:
    """Every baseline analyte of the patient, in the shared order, with its baseline or None."""
    mine: Mapping[str, PatientBaseline] = baselines_for([patient])[patient.pk]
    return [(analyte, mine.get(analyte)) for analyte in BASELINE_ANALYTES]
