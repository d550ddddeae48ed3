"""Sync ingest (contract §3): check every item on its own, store the valid ones in bulk in one
transaction, and after commit hand the new readings to one grading task.

Cost per batch is constant in round trips (../shared/performance.md: per-item database work is what
caps ingest): one bulk write per section (backend/records/bulk.py); only when some ids are stored
already (replays, reused ids), one SELECT of those per section before the write. Should the
database refuse a row that every check let through, that item alone is rejected and logged, and the
rest of the batch stored (bulk.py finds the row in a few savepoints).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast
from uuid import UUID

from django.db import connection, transaction
from django.utils import timezone

from backend.core.errors import ApplicationError
from backend.patients.models import Patient
from backend.records import bulk
from backend.records.models import DoseLog, LabResult, LabSource, Reading, SymptomReport
from shared.sync_schema import (
    MAX_ITEMS_PER_SYNC,
    SECTIONS,
    DoseItem,
    ItemError,
    LabItem,
    SymptomItem,
    bad_text,
    parse_dose_item,
    parse_lab_item,
    parse_symptom_item,
)

logger = logging.getLogger(__name__)

ID_REUSED = "This id was already used for a different entry: make a new id for a new entry."
NOT_STORED = "Not stored, because an entry with this id was being deleted: send it again."
# The database refused the row although every check passed: a fault of the server, which is logged.
NOT_STORABLE = (
    "The server could not store this entry, so it is not saved: enter it again, "
    "and tell your care team if this comes back."
)


@dataclass
class IngestResult:
    accepted: list[str] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)
    new_lab_ids: list[UUID] = field(default_factory=list)
    new_symptom_ids: list[UUID] = field(default_factory=list)
    new_dose_ids: list[UUID] = field(default_factory=list)


@dataclass(frozen=True)
class _Section:
    """One list of the sync body and the table it is stored in.

    A stored row is `columns` (from `values(item, fingerprint)`), plus the patient, the time of
    arrival and `pending`, the values every new row starts with.
    """

    name: str
    parse: Callable[..., Any]
    model: type[Reading]
    columns: tuple[str, ...]
    values: Callable[[Any, str], tuple[object, ...]]
    pending: Mapping[str, object]
    new_ids: Callable[[IngestResult], list[UUID]]

    def build(self, item: Any, patient: Patient, now: datetime) -> Reading:
        """The row `sync_ingest` stores for this item, as a model instance (bench/ingest.py builds
        its raw-insert baseline from these)."""
        values = dict(zip(self.columns, self.values(item, item.fingerprint()), strict=True))
        return self.model(patient_id=patient.pk, received_at=now, **self.pending, **values)


# Stored ungraded: the grading task (queued on commit) or the sweeper fills these in.
_UNGRADED: Mapping[str, object] = {"grade": None, "graded_at": None}


def _lab_values(item: LabItem, digest: str) -> tuple[object, ...]:
    lab = item.lab
    return (
        item.id,
        digest,
        lab.analyte.key,
        lab.value,
        lab.unit.key,
        lab.canonical_value,
        lab.reference_low,
        lab.reference_high,
        item.collected_at,
    )


def _symptom_values(item: SymptomItem, digest: str) -> tuple[object, ...]:
    answers = {k: (str(v) if not isinstance(v, (bool, int, str)) else v) for k, v in item.answers.items()}
    return (item.id, digest, item.symptom, answers, item.reported_at)


def _dose_values(item: DoseItem, digest: str) -> tuple[object, ...]:
    return (item.id, digest, item.drug.value, item.status.value, item.taken_at)


_SECTIONS = (
    _Section(
        "lab_results",
        parse_lab_item,
        LabResult,
        (
            "id",
            "fingerprint",
            "analyte",
            "value",
            "unit",
            "canonical_value",
            "reference_low",
            "reference_high",
            "collected_at",
        ),
        _lab_values,
        _UNGRADED,
        lambda result: result.new_lab_ids,
    ),
    _Section(
        "symptom_reports",
        parse_symptom_item,
        SymptomReport,
        ("id", "fingerprint", "symptom", "answers", "reported_at"),
        _symptom_values,
        _UNGRADED,
        lambda result: result.new_symptom_ids,
    ),
    _Section(
        "dose_logs",
        parse_dose_item,
        DoseLog,
        ("id", "fingerprint", "drug", "status", "taken_at"),
        _dose_values,
        {},
        lambda result: result.new_dose_ids,
    ),
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


# (the id as the client spelled it, the parsed item, its fingerprint)
_Parsed = tuple[str, Any, str]


def sync_ingest(
    *,
    patient: Patient,
    sections: Mapping[str, Sequence[object]],
    now: datetime | None = None,
    lab_source: LabSource = LabSource.PHONE,
    before_commit: Callable[[IngestResult], None] | None = None,
) -> IngestResult:
    """Store what is valid and new; report every item as accepted or rejected.

    A replay (same id, same content) is accepted and changes nothing; the same id with other
    content, or another patient's id, is rejected. Nothing is stored unless the whole insert
    commits. `new_*_ids` are exactly the rows this call inserted. `lab_source`: where the lab
    results came from (the FHIR lab feed passes its own), written on every new row of the batch.
    `before_commit(result)`: the caller's own writes about this result (the sync's audit row),
    made in the transaction that stores the rows, so they commit together (one commit, not two).

    Round trips when every id is new: one bulk write per non-empty section (a COPY on PostgreSQL),
    with no savepoint unless the caller has a transaction open. With ids already stored (replays,
    reused ids) that write fails and takes nothing; then, in a new transaction (or a savepoint of
    the caller's), one SELECT of the stored rows per section, and one INSERT of the new ones. An
    item whose row the database refuses is rejected alone (NOT_STORABLE), the rest stored.
    """
    now = now or timezone.now()
    parsed = [(section, *_parse_all(section, sections.get(section.name, []), now)) for section in _SECTIONS]
    # The first entry of each id is the one to store; later ones must match it.
    firsts = [_first_of_each_id(items) for _, items, _ in parsed]
    entries = [(section, first) for (section, _, _), first in zip(parsed, firsts, strict=True)]

    def classified(inserted: list[bulk.Inserted], stored: list[_Stored]) -> IngestResult:
        result = IngestResult()
        for (section, items, rejected), first, done, known in zip(parsed, firsts, inserted, stored, strict=True):
            result.rejected.extend(rejected)
            _classify(section, items, first, done, known, patient, result)
        if before_commit is not None:
            before_commit(result)
        return result

    if not any(first for _, first in entries):  # nothing to store: the caller's writes alone
        return classified([bulk.Inserted(set(), {}) for _ in entries], [{} for _ in entries])
    # Every id new (the common case): stored all at once. When this opens the transaction, the
    # write is its first work, so a refusal (an id stored already) rolls back the transaction,
    # nothing else in it, and needs no savepoint.
    fresh = not connection.in_atomic_block
    with transaction.atomic(savepoint=False):
        batches = [_batch(section, first, patient, now, lab_source) for section, first in entries]
        if bulk.insert_all(batches, savepoint=not fresh):
            return classified([bulk.Inserted(set(first), {}) for _, first in entries], [{} for _ in entries])
    with transaction.atomic():
        return classified(*_insert_skipping_stored(entries, patient, now, lab_source))


_Stored = dict[UUID, tuple[str, UUID]]  # id -> (fingerprint, owner) of rows stored before this sync


def _insert_skipping_stored(
    sections: list[tuple[_Section, dict[UUID, _Parsed]]], patient: Patient, now: datetime, lab_source: LabSource
) -> tuple[list[bulk.Inserted], list[_Stored]]:
    """After a refused first attempt: the rows stored before, then the new ones inserted; return,
    per section, the ids inserted (and those the database refused) and the rows stored before.
    Call inside `transaction.atomic()`."""
    stored = [_stored(section, list(first)) for section, first in sections]
    new = [
        {row_id: entry for row_id, entry in first.items() if row_id not in known}
        for (_, first), known in zip(sections, stored, strict=True)
    ]
    inserted = bulk.insert_skipping_stored(
        [
            _batch(section, entries, patient, now, lab_source)
            for (section, _), entries in zip(sections, new, strict=True)
        ]
    )
    for (section, _), entries, done, known in zip(sections, new, inserted, stored, strict=True):
        for row_id, exc in done.refused.items():
            # Only the first line: the database's detail may quote the row, a patient's data.
            reason = str(exc).partition("\n")[0]
            logger.error("sync: the database refused %s %s: %s: %s", section.name, row_id, type(exc).__name__, reason)
        # Stored by another sync that committed after the SELECT above.
        unaccounted = [row_id for row_id in entries if row_id not in done.keys and row_id not in done.refused]
        known.update(_stored(section, unaccounted))
    return inserted, stored


def _parse_all(
    section: _Section, raw_items: Sequence[object], now: datetime
) -> tuple[list[_Parsed], list[dict[str, Any]]]:
    parsed: list[_Parsed] = []
    rejected: list[dict[str, Any]] = []
    for raw in raw_items:
        try:
            item = section.parse(raw, now=now)
        except ItemError as exc:
            rejected.append({"id": exc.item_id, "section": section.name, "errors": exc.errors})
            continue
        # Parsed, so `raw` is an object whose "id" is clean text: echo it as the phone spelled it.
        parsed.append((cast(Mapping[str, str], raw)["id"], item, item.fingerprint()))
    return parsed, rejected


def _first_of_each_id(items: list[_Parsed]) -> dict[UUID, _Parsed]:
    first: dict[UUID, _Parsed] = {}
    for entry in items:
        first.setdefault(entry[1].id, entry)
    return first


def _batch(
    section: _Section, first: dict[UUID, _Parsed], patient: Patient, now: datetime, lab_source: LabSource
) -> bulk.Batch:
    # In id order, so that concurrent syncs of overlapping entries lock them in one order.
    rows = [section.values(item, digest) for _, item, digest in sorted(first.values(), key=lambda e: e[1].id)]
    columns = zip(*rows, strict=True) if rows else ([] for _ in section.columns)
    return bulk.Batch(
        section.model,
        same={
            "patient_id": patient.pk,
            "received_at": now,
            **section.pending,
            **({"source": lab_source.value} if section.model is LabResult else {}),
        },
        each=dict(zip(section.columns, columns, strict=True)),
    )


def _stored(section: _Section, ids: list[UUID]) -> _Stored:
    if not ids:
        return {}
    rows = section.model.objects.filter(id__in=ids).values_list("id", "fingerprint", "patient_id")
    return {row_id: (digest, owner) for row_id, digest, owner in rows}


def _classify(
    section: _Section,
    items: list[_Parsed],
    first: dict[UUID, _Parsed],
    done: bulk.Inserted,
    stored: _Stored,
    patient: Patient,
    result: IngestResult,
) -> None:
    """Each item is new (its first entry, inserted here), a replay of what is stored (accepted,
    nothing changes), a reused id (rejected) or refused by the database (rejected)."""
    new_ids = section.new_ids(result)
    inserted = done.keys
    for entry in items:
        sent_id, item, digest = entry
        if item.id in done.refused:
            result.rejected.append(
                {"id": sent_id, "section": section.name, "errors": {"non_field_errors": [NOT_STORABLE]}}
            )
            continue
        known: tuple[str, UUID] | None
        if item.id in inserted:
            if first[item.id] is entry:
                result.accepted.append(sent_id)
                new_ids.append(item.id)
                continue
            known = (first[item.id][2], patient.pk)
        else:
            known = stored.get(item.id)
        if known == (digest, patient.pk):
            result.accepted.append(sent_id)
        else:
            # `known` is None only if the stored row was deleted between the INSERT and the SELECT.
            reason = ID_REUSED if known is not None else NOT_STORED
            result.rejected.append({"id": sent_id, "section": section.name, "errors": {"id": [reason]}})
