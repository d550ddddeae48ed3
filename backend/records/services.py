"""Sync ingest (contract §3): check every item on its own, store the valid ones in bulk in one
transaction, and after commit hand the new readings to one grading task.

Cost per batch is constant in round trips: one existence query per section, one bulk insert per
section (../shared/performance.md: per-item database work is what caps ingest).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from django.db import transaction
from django.utils import timezone

from backend.core.errors import ApplicationError
from backend.patients.models import Patient
from backend.records.models import DoseLog, LabResult, Reading, SymptomReport
from shared.sync_schema import (
    MAX_ITEMS_PER_SYNC,
    SECTIONS,
    DoseItem,
    ItemError,
    LabItem,
    SymptomItem,
    bad_text,
    item_id_of,
    parse_dose_item,
    parse_lab_item,
    parse_symptom_item,
)

logger = logging.getLogger(__name__)

ID_REUSED = "This id was already used for a different entry: make a new id for a new entry."


@dataclass
class IngestResult:
    accepted: list[str] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)
    new_lab_ids: list[UUID] = field(default_factory=list)
    new_symptom_ids: list[UUID] = field(default_factory=list)
    new_dose_ids: list[UUID] = field(default_factory=list)


@dataclass(frozen=True)
class _Section:
    name: str
    parse: Callable[..., Any]
    model: type[Reading]
    build: Callable[[Any, Patient, datetime], Reading]


def _lab_row(item: LabItem, patient: Patient, now: datetime) -> LabResult:
    lab = item.lab
    return LabResult(
        id=item.id,
        patient=patient,
        received_at=now,
        fingerprint=item.fingerprint(),
        analyte=lab.analyte.key,
        value=lab.value,
        unit=lab.unit.key,
        canonical_value=lab.canonical_value,
        reference_low=lab.reference_low,
        reference_high=lab.reference_high,
        collected_at=item.collected_at,
    )


def _symptom_row(item: SymptomItem, patient: Patient, now: datetime) -> SymptomReport:
    answers = {k: (str(v) if not isinstance(v, (bool, int, str)) else v) for k, v in item.answers.items()}
    return SymptomReport(
        id=item.id,
        patient=patient,
        received_at=now,
        fingerprint=item.fingerprint(),
        symptom=item.symptom,
        answers=answers,
        reported_at=item.reported_at,
    )


def _dose_row(item: DoseItem, patient: Patient, now: datetime) -> DoseLog:
    return DoseLog(
        id=item.id,
        patient=patient,
        received_at=now,
        fingerprint=item.fingerprint(),
        drug=item.drug.value,
        status=item.status.value,
        taken_at=item.taken_at,
    )


_SECTIONS = (
    _Section("lab_results", parse_lab_item, LabResult, _lab_row),
    _Section("symptom_reports", parse_symptom_item, SymptomReport, _symptom_row),
    _Section("dose_logs", parse_dose_item, DoseLog, _dose_row),
)


def payload_sections(payload: object) -> dict[str, Sequence[object]]:
    """The request's lists, or a 400 for a body whose shape is wrong as a whole."""
    if not isinstance(payload, Mapping):
        raise ApplicationError({"non_field_errors": ["The body must be a JSON object."]})
    outside_items = {k: v for k, v in payload.items() if k not in SECTIONS}
    found = bad_text(outside_items) or bad_text(list(payload))
    if found:
        raise ApplicationError({found[0]: [found[1]]})
    errors: dict[str, list[str]] = {}
    sections: dict[str, Sequence[object]] = {}
    for name in SECTIONS:
        value = payload.get(name)
        if value is None:
            sections[name] = []
        elif not isinstance(value, list):
            errors[name] = ["Must be a list."]
        else:
            sections[name] = value
    unknown = set(payload) - {*SECTIONS, "cursor", "device_time", "client"}
    for name in sorted(unknown):
        errors[name] = ["Unknown field."]
    if sum(len(v) for v in sections.values()) > MAX_ITEMS_PER_SYNC:
        errors["non_field_errors"] = [f"At most {MAX_ITEMS_PER_SYNC} items per sync: send the rest in another."]
    if errors:
        raise ApplicationError(errors)
    return sections


def sync_ingest(
    *, patient: Patient, sections: Mapping[str, Sequence[object]], now: datetime | None = None
) -> IngestResult:
    """Store what is valid and new; report every item as accepted or rejected.

    A replay (same id, same content) is accepted and changes nothing; the same id with other
    content, or another patient's id, is rejected. Nothing is stored unless the whole insert
    commits.
    """
    now = now or timezone.now()
    result = IngestResult()
    to_insert: list[tuple[_Section, list[Reading]]] = []
    for section in _SECTIONS:
        items = _parse_all(section, sections.get(section.name, []), now, result)
        rows = _new_rows(section, items, patient, now, result)
        to_insert.append((section, rows))
    with transaction.atomic():
        for section, rows in to_insert:
            # ignore_conflicts: a concurrent replay of the same batch inserts nothing twice.
            section.model.objects.bulk_create(rows, batch_size=500, ignore_conflicts=True)
    for section, rows in to_insert:
        ids = [row.id for row in rows]
        {
            "lab_results": result.new_lab_ids,
            "symptom_reports": result.new_symptom_ids,
            "dose_logs": result.new_dose_ids,
        }[section.name].extend(ids)
    return result


def _parse_all(
    section: _Section, raw_items: Sequence[object], now: datetime, result: IngestResult
) -> list[tuple[str, Any]]:
    parsed: list[tuple[str, Any]] = []
    for raw in raw_items:
        try:
            item = section.parse(raw, now=now)
        except ItemError as exc:
            result.rejected.append({"id": exc.item_id, "section": section.name, "errors": exc.errors})
            continue
        parsed.append((item_id_of(raw) or str(item.id), item))
    return parsed


def _new_rows(
    section: _Section, items: list[tuple[str, Any]], patient: Patient, now: datetime, result: IngestResult
) -> list[Reading]:
    """Split parsed items into replays (accepted, nothing to store), conflicts (rejected) and new rows."""
    existing: dict[UUID, tuple[str, UUID]] = {
        row_id: (digest, owner)
        for row_id, digest, owner in section.model.objects.filter(id__in=[item.id for _, item in items]).values_list(
            "id", "fingerprint", "patient_id"
        )
    }
    seen: dict[UUID, tuple[str, UUID]] = {}
    rows: list[Reading] = []
    for sent_id, item in items:
        digest = item.fingerprint()
        known = existing.get(item.id) or seen.get(item.id)
        if known is not None:
            if known == (digest, patient.pk):
                result.accepted.append(sent_id)
            else:
                result.rejected.append({"id": sent_id, "section": section.name, "errors": {"id": [ID_REUSED]}})
            continue
        seen[item.id] = (digest, patient.pk)
        rows.append(section.build(item, patient, now))
        result.accepted.append(sent_id)
    return rows
