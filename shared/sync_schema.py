"""The sync wire format (contract §3), item by item: the phone checks an entry with these before it
queues it, and the server checks it again on arrival. Each parser returns a typed item or raises
`ItemError` with `{field: [reasons]}`; one bad item never spoils the others.

Every item carries a client-made UUID. `fingerprint()` is a digest of an item's meaning (numbers
normalised, times in UTC), so a replay of the same entry is recognised as the same, and a reused
id with other content is told apart.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import TypeVar

from shared.lab_values import LabValue, LabValueError, parse_lab_value
from shared.symptoms import SymptomError, validate_answers

# A phone's clock may run a little fast; an entry further in the future than this is a mistake.
FUTURE_TOLERANCE = timedelta(minutes=60)
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)

SECTIONS = ("lab_results", "symptom_reports", "dose_logs")
MAX_ITEMS_PER_SYNC = 2000

E = TypeVar("E", bound=StrEnum)


class ItemError(ValueError):
    def __init__(self, errors: Mapping[str, list[str]], item_id: str | None = None) -> None:
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = dict(errors)
        self.item_id = item_id


class DoseDrug(StrEnum):
    IXAZOMIB = "ixazomib"
    LENALIDOMIDE = "lenalidomide"
    DEXAMETHASONE = "dexamethasone"
    ANTIVIRAL = "antiviral"


class DoseStatus(StrEnum):
    TAKEN = "taken"
    SKIPPED = "skipped"
    VOMITED = "vomited"


@dataclass(frozen=True)
class LabItem:
    id: uuid.UUID
    lab: LabValue
    collected_at: datetime

    def fingerprint(self) -> str:
        return fingerprint(
            {
                "analyte": self.lab.analyte.key,
                "value": self.lab.value,
                "unit": self.lab.unit.key,
                "collected_at": self.collected_at,
                "reference_low": self.lab.reference_low,
                "reference_high": self.lab.reference_high,
            }
        )


@dataclass(frozen=True)
class SymptomItem:
    id: uuid.UUID
    symptom: str
    answers: Mapping[str, object]
    reported_at: datetime

    def fingerprint(self) -> str:
        return fingerprint({"symptom": self.symptom, "answers": dict(self.answers), "reported_at": self.reported_at})


@dataclass(frozen=True)
class DoseItem:
    id: uuid.UUID
    drug: DoseDrug
    status: DoseStatus
    taken_at: datetime

    def fingerprint(self) -> str:
        return fingerprint({"drug": self.drug.value, "status": self.status.value, "taken_at": self.taken_at})


def fingerprint(content: Mapping[str, object]) -> str:
    def default(value: object) -> object:
        if isinstance(value, Decimal):
            return format(value.normalize(), "f")
        if isinstance(value, datetime):
            return value.astimezone(UTC).isoformat()
        raise TypeError(type(value).__name__)

    text = json.dumps(content, sort_keys=True, default=default, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def bad_text(value: object, path: str = "") -> tuple[str, str] | None:
    """(field, reason) for the first text no database or client can hold: a NUL character
    (PostgreSQL refuses it) or a lone UTF-16 surrogate (not encodable as UTF-8)."""
    if isinstance(value, str):
        if "\x00" in value:
            return path or "non_field_errors", "Text must not contain a NUL character."
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return path or "non_field_errors", "Text is not valid Unicode."
        return None
    if isinstance(value, Mapping):
        for key, item in value.items():
            found = bad_text(key, path or "non_field_errors") or bad_text(item, f"{path}.{key}" if path else str(key))
            if found:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = bad_text(item, f"{path}[{index}]" if path else f"[{index}]")
            if found:
                return found
    return None


def item_id_of(raw: object) -> str | None:
    """The item's id as the client sent it, for echoing back in a rejection (None if unprintable)."""
    if isinstance(raw, Mapping):
        value = raw.get("id")
        return value if isinstance(value, str) and bad_text(value) is None else None
    return None


def _parse_id(raw: Mapping[str, object], errors: dict[str, list[str]]) -> uuid.UUID | None:
    value = raw.get("id")
    if not isinstance(value, str):
        errors["id"] = ["Required: a UUID made on the device."]
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        errors["id"] = ["Must be a UUID."]
        return None


def parse_time(value: object, field: str, errors: dict[str, list[str]], *, now: datetime) -> datetime | None:
    """An ISO 8601 time with an offset, not before 2000 nor in the future (beyond clock drift)."""
    if not isinstance(value, str):
        errors[field] = ["Required: an ISO 8601 time with a UTC offset."]
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        errors[field] = ["Not an ISO 8601 time, e.g. 2026-11-20T08:30:00-05:00."]
        return None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        errors[field] = ["Must include a UTC offset, e.g. -05:00 or Z."]
        return None
    if parsed > now + FUTURE_TOLERANCE:
        errors[field] = ["Is in the future."]
        return None
    if parsed < EARLIEST:
        errors[field] = ["Is before the year 2000."]
        return None
    return parsed.astimezone(UTC)


def _require_mapping(raw: object) -> Mapping[str, object]:
    if not isinstance(raw, Mapping):
        raise ItemError({"non_field_errors": ["Each item must be an object."]})
    found = bad_text(raw)
    if found:
        raise ItemError({found[0]: [found[1]]}, item_id_of(raw))
    return raw


def _unknown_fields(raw: Mapping[str, object], allowed: set[str], errors: dict[str, list[str]]) -> None:
    for name in sorted(set(raw) - allowed):
        errors[name] = ["Unknown field."]


_LAB_FIELDS = {"id", "analyte", "value", "unit", "collected_at", "reference_low", "reference_high"}


def parse_lab_item(raw: object, *, now: datetime) -> LabItem:
    item = _require_mapping(raw)
    errors: dict[str, list[str]] = {}
    item_id = _parse_id(item, errors)
    _unknown_fields(item, _LAB_FIELDS, errors)
    collected_at = parse_time(item.get("collected_at"), "collected_at", errors, now=now)
    lab: LabValue | None = None
    try:
        lab = parse_lab_value(
            item.get("analyte"),
            item.get("value"),
            item.get("unit"),
            item.get("reference_low"),
            item.get("reference_high"),
        )
    except LabValueError as exc:
        errors.setdefault(exc.field, []).append(exc.message)
    if errors or item_id is None or collected_at is None or lab is None:
        raise ItemError(errors, item_id_of(raw))
    return LabItem(item_id, lab, collected_at)


def parse_symptom_item(raw: object, *, now: datetime) -> SymptomItem:
    item = _require_mapping(raw)
    errors: dict[str, list[str]] = {}
    item_id = _parse_id(item, errors)
    _unknown_fields(item, {"id", "symptom", "answers", "reported_at"}, errors)
    reported_at = parse_time(item.get("reported_at"), "reported_at", errors, now=now)
    symptom_key: str | None = None
    answers: dict[str, object] = {}
    try:
        symptom, answers = validate_answers(item.get("symptom"), item.get("answers"))
        symptom_key = symptom.key
    except SymptomError as exc:
        errors.update(exc.errors)
    if errors or item_id is None or reported_at is None or symptom_key is None:
        raise ItemError(errors, item_id_of(raw))
    return SymptomItem(item_id, symptom_key, answers, reported_at)


def parse_dose_item(raw: object, *, now: datetime) -> DoseItem:
    item = _require_mapping(raw)
    errors: dict[str, list[str]] = {}
    item_id = _parse_id(item, errors)
    _unknown_fields(item, {"id", "drug", "status", "taken_at"}, errors)
    taken_at = parse_time(item.get("taken_at"), "taken_at", errors, now=now)
    drug = _choice(item.get("drug"), DoseDrug, "drug", errors)
    status = _choice(item.get("status"), DoseStatus, "status", errors)
    if errors or item_id is None or taken_at is None or drug is None or status is None:
        raise ItemError(errors, item_id_of(raw))
    return DoseItem(item_id, drug, status, taken_at)


def _choice(value: object, enum: type[E], field: str, errors: dict[str, list[str]]) -> E | None:
    options = [e.value for e in enum]
    if isinstance(value, str) and value.strip().lower() in options:
        return enum(value.strip().lower())
    errors[field] = [f"Must be one of: {', '.join(options)}."]
    return None
