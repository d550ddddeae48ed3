"""A patient's IRd calendar: the planned start and the care team's "delay the next cycle" decisions
(DoseDecision rows), as the shared.regimen.Calendar every cycle/day rule reads. The rows are the
record; the calendar is derived from them each time, so there is nothing to keep in step."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from typing import Any, TypeVar
from uuid import UUID

from django.db.models import Q, QuerySet

from backend.core.prepared import PreparedQuery
from backend.patients.models import DoseDecision, Patient
from shared import regimen

T = TypeVar("T")


def _delays(patients: Q) -> QuerySet[DoseDecision, tuple[Any, ...]]:
    return (
        DoseDecision.objects.filter(patients, action=DoseDecision.Action.DELAY_CYCLE)
        .order_by("decided_at", "pk")
        .values_list("patient_id", "effective_on", "delay_days")
    )


# One patient's (every sync's): compiled once per connection (backend.core.prepared); the
# placeholder is no patient's id.
_ONE = PreparedQuery(lambda patient_id: _delays(Q(patient_id=patient_id)), UUID("00000000-0000-4000-8000-ca1e00000004"))


def _by_patient(rows: Iterable[tuple[Any, ...]]) -> dict[UUID, list[tuple[date, int]]]:
    found: dict[UUID, list[tuple[date, int]]] = defaultdict(list)
    for patient_id, effective_on, days in rows:
        if days:
            found[patient_id].append((effective_on, days))
    return found


def _delay_rows(patient_ids: Iterable[UUID]) -> dict[UUID, list[tuple[date, int]]]:
    return _by_patient(_delays(Q(patient_id__in=list(patient_ids))))


def patient_calendar(patient: Patient) -> regimen.Calendar:
    """The patient's calendar, delays included (one query)."""
    return regimen.calendar_from_delays(patient.start_date, _by_patient(_ONE.rows(patient.pk)).get(patient.pk, []))


def calendars_for(patients: Iterable[Patient]) -> dict[UUID, regimen.Calendar]:
    """Each patient's calendar, keyed by id, in one query for them all."""
    patients = {p.pk: p for p in patients}.values()  # a patient twice (two plans' items) once
    delays = _delay_rows(p.pk for p in patients)
    return {p.pk: regimen.calendar_from_delays(p.start_date, delays.get(p.pk, [])) for p in patients}


def delays_payload(calendar: regimen.Calendar) -> list[dict[str, int]]:
    """The delays as the sync answer's `regimen.cycle_delays` carries them to the phone."""
    return [{"cycle": cycle, "delay_days": days} for cycle, days in calendar.delays]


def with_calendars(
    items: Iterable[T], patient_of: Callable[[T], Patient], chunk: int = 2000
) -> Iterator[tuple[T, regimen.Calendar]]:
    """Each item with its patient's calendar, reading the calendars `chunk` patients per query (for
    the periodic checks that walk every enrolled patient)."""
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) == chunk:
            yield from _pair(batch, patient_of)
            batch = []
    yield from _pair(batch, patient_of)


def _pair(batch: list[T], patient_of: Callable[[T], Patient]) -> Iterator[tuple[T, regimen.Calendar]]:
    if not batch:
        return
    calendars = calendars_for(patient_of(item) for item in batch)
    for item in batch:
        yield item, calendars[patient_of(item).pk]
