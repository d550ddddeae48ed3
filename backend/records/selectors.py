"""Reading back what a patient synced: their lab results, symptom reports and dose logs, one kind
at a time, each row in the item shape the phone sends in sync (contract §3), so a phone that
starts over (a new phone, a new enrollment code) can rebuild its history and trend charts.

One list per kind rather than one merged list: the phone keeps each kind in its own section, and a
page of one table is a single indexed query ((patient, time) indexes in models.py), where a merged
newest-first page would need a query per table and a merge on every page.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, tzinfo
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import QuerySet

from backend.patients.models import Patient
from backend.records.models import DoseLog, LabResult, Reading, SymptomReport
from shared.symptoms import SYMPTOMS, Kind

KIND_UNKNOWN = "Say which readings to list: kind=lab, kind=symptom or kind=dose."


def json_number(value: Decimal) -> int | float:
    """A stored decimal as the phone sends it (mobile.journal.json_number): an int when whole, else
    the float whose shortest repr is the decimal's text. The sync parser (shared.sync_schema) reads
    numbers only, so a value must come back as a number for the phone to parse it as it was sent;
    the plausibility limits in shared.lab_values keep every stored value within 15 significant
    digits, where that repr is exact."""
    value = value.normalize()
    return int(value) if value == value.to_integral_value() else float(value)


def _iso(moment: datetime, tz: tzinfo) -> str:
    return moment.astimezone(tz).isoformat()


def _lab_item(row: Any, tz: tzinfo) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": str(row.id),
        "analyte": row.analyte,
        "value": json_number(row.value),
        "unit": row.unit,
        "collected_at": _iso(row.collected_at, tz),
    }
    # Only a reference range the phone sent (the sync item's optional fields) comes back.
    if row.reference_low is not None:
        item["reference_low"] = json_number(row.reference_low)
    if row.reference_high is not None:
        item["reference_high"] = json_number(row.reference_high)
    item["grade"] = row.grade
    return item


def _answers(symptom: str, stored: Mapping[str, Any]) -> dict[str, Any]:
    """Stored answers with the decimal ones (`Kind.NUMBER`, kept as text: services._symptom_values)
    back as JSON numbers, as the phone sends them."""
    catalog = SYMPTOMS.get(symptom)
    numbers = {q.key for q in catalog.questions if q.kind is Kind.NUMBER} if catalog else set()
    return {
        key: json_number(Decimal(value)) if key in numbers and isinstance(value, str) else value
        for key, value in stored.items()
    }


def _symptom_item(row: Any, tz: tzinfo) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "symptom": row.symptom,
        "answers": _answers(row.symptom, row.answers),
        "reported_at": _iso(row.reported_at, tz),
        "grade": row.grade,
    }


def _dose_item(row: Any, tz: tzinfo) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "drug": row.drug,
        "status": row.status,
        "taken_at": _iso(row.taken_at, tz),
    }


@dataclass(frozen=True)
class ReadingKind:
    key: str  # the `kind` query parameter
    section: str  # the sync body's list these items travel in
    model: type[Reading]
    at: str  # the time the reading is of: newest first by it
    columns: tuple[str, ...]  # what the item needs: nothing else is loaded
    item: Callable[[Any, tzinfo], dict[str, Any]]

    @property
    def ordering(self) -> tuple[str, str]:
        return (f"-{self.at}", "-id")


KINDS: Mapping[str, ReadingKind] = {
    kind.key: kind
    for kind in (
        ReadingKind(
            "lab",
            "lab_results",
            LabResult,
            "collected_at",
            ("id", "analyte", "value", "unit", "reference_low", "reference_high", "collected_at", "grade"),
            _lab_item,
        ),
        ReadingKind(
            "symptom",
            "symptom_reports",
            SymptomReport,
            "reported_at",
            ("id", "symptom", "answers", "reported_at", "grade"),
            _symptom_item,
        ),
        ReadingKind("dose", "dose_logs", DoseLog, "taken_at", ("id", "drug", "status", "taken_at"), _dose_item),
    )
}


def readings_of_patient(*, patient: Patient, kind: ReadingKind) -> QuerySet[Any]:
    """Object-level scope: this patient's rows of one kind, and only theirs. Unordered: the
    paginator orders by `kind.ordering` (newest first)."""
    return kind.model.objects.filter(patient_id=patient.pk).only(*kind.columns)


def reading_items(*, rows: list[Any], kind: ReadingKind, patient: Patient) -> list[dict[str, Any]]:
    """The rows as sync items, times in the patient's own time zone, plus `grade` where graded
    (null until graded)."""
    tz = ZoneInfo(patient.timezone)
    return [kind.item(row, tz) for row in rows]
