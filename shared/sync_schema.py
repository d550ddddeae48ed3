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
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from json.encoder import encode_basestring_ascii
from types import MappingProxyType
from typing import TypeVar

from shared.lab_values import LabValue, LabValueError, parse_lab_value
from shared.symptoms import SymptomError, validate_answers

# A phone's clock may run a little fast; an entry further in the future than this is a mistake.
FUTURE_TOLERANCE = timedelta(minutes=60)
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)

# marker_results (contract §5) are parsed by shared.markers and stored by backend.response.
SECTIONS = ("lab_results", "symptom_reports", "dose_logs", "marker_results")
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
        lab = self.lab
        at = _utc_json(self.collected_at)
        number = lab.value
        if at is not None and lab.reference_low is None and lab.reference_high is None and type(number) is Decimal:
            # The common entry, written in one step: what the general path below writes for it.
            analyte, unit = lab.analyte.key, lab.unit.key
            if type(analyte) is str and type(unit) is str:
                return _digest(
                    f'{{"analyte":{encode_basestring_ascii(analyte)},"collected_at":{at},"reference_high":null,'
                    f'"reference_low":null,"unit":{encode_basestring_ascii(unit)},'
                    f'"value":"{format(number.normalize(), "f")}"}}'
                )
        fields = _json_fields(
            lab.analyte.key, self.collected_at, lab.reference_high, lab.reference_low, lab.unit.key, lab.value
        )
        if fields is not None:
            analyte, collected_at, high, low, unit, value = fields
            return _digest(
                f'{{"analyte":{analyte},"collected_at":{collected_at},"reference_high":{high},'
                f'"reference_low":{low},"unit":{unit},"value":{value}}}'
            )
        return fingerprint(
            {
                "analyte": lab.analyte.key,
                "value": lab.value,
                "unit": lab.unit.key,
                "collected_at": self.collected_at,
                "reference_low": lab.reference_low,
                "reference_high": lab.reference_high,
            }
        )


@dataclass(frozen=True)
class SymptomItem:
    id: uuid.UUID
    symptom: str
    answers: Mapping[str, object]
    reported_at: datetime

    def fingerprint(self) -> str:
        answers = dict(self.answers)
        written = _json_object(answers)
        at = _utc_json(self.reported_at)
        if written is not None and at is not None and type(self.symptom) is str:
            symptom = encode_basestring_ascii(self.symptom)
            return _digest(f'{{"answers":{written},"reported_at":{at},"symptom":{symptom}}}')
        fields = None if written is None else _json_fields(self.reported_at, self.symptom)
        if written is not None and fields is not None:
            reported_at, symptom = fields
            return _digest(f'{{"answers":{written},"reported_at":{reported_at},"symptom":{symptom}}}')
        return fingerprint({"symptom": self.symptom, "answers": answers, "reported_at": self.reported_at})


@dataclass(frozen=True)
class DoseItem:
    id: uuid.UUID
    drug: DoseDrug
    status: DoseStatus
    taken_at: datetime

    def fingerprint(self) -> str:
        at = _utc_json(self.taken_at)
        if at is not None and type(self.drug) is DoseDrug and type(self.status) is DoseStatus:
            # Enum values are plain lower-case words: JSON writes them as they are, in quotes.
            return _digest(f'{{"drug":"{self.drug.value}","status":"{self.status.value}","taken_at":{at}}}')
        fields = _json_fields(self.drug.value, self.status.value, self.taken_at)
        if fields is not None:
            drug, status, taken_at = fields
            return _digest(f'{{"drug":{drug},"status":{status},"taken_at":{taken_at}}}')
        return fingerprint({"drug": self.drug.value, "status": self.status.value, "taken_at": self.taken_at})


def fingerprint(content: Mapping[str, object]) -> str:
    """SHA-256 of the content as compact JSON with sorted keys, a Decimal written normalised
    ("42.0" and "4.2E+1" as "42") and a time as its UTC instant.

    Stored rows keep these digests, so the text hashed must never change by a byte
    (tests/shared/test_sync_schema_pins.py). The items' own `fingerprint()` writes that same text
    without json.dumps when every value is a plain str, int, bool, None, Decimal or datetime.
    """
    text = json.dumps(content, sort_keys=True, default=_json_default, separators=(",", ":"))
    return _digest(text)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _json_default(value: object) -> object:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    raise TypeError(type(value).__name__)


def _json_value(value: object) -> str | None:
    """`value` as `fingerprint`'s json.dumps writes it, for a value of exactly one of the types
    below; None for any other (a float, a subclass, a container), which then goes to json.dumps.

    json.dumps writes a string with `encode_basestring_ascii` (ensure_ascii is on), an int with
    int.__repr__, and whatever `_json_default` returns for a Decimal or a datetime as a string.
    """
    if type(value) is str:
        return encode_basestring_ascii(value)
    if type(value) is Decimal:
        return encode_basestring_ascii(format(value.normalize(), "f"))
    if type(value) is datetime:
        return encode_basestring_ascii(value.astimezone(UTC).isoformat())
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if type(value) is int:
        return int.__repr__(value)
    return None


def _utc_json(value: object) -> str | None:
    """A time in UTC (what `parse_time` returns) as `_json_value` writes it, else None. Its
    isoformat is digits and `-:.+T` alone, which JSON writes unescaped in quotes."""
    if type(value) is datetime and value.tzinfo is UTC:
        return f'"{value.isoformat()}"'
    return None


def _json_fields(*values: object) -> tuple[str, ...] | None:
    """Each value written by `_json_value`, or None as soon as one cannot be. Callers pass the
    values in their keys' sorted order, the order json.dumps writes them in: should two values
    both fail to convert, the one json.dumps meets first raises, as it did before."""
    written = []
    for value in values:
        text = _json_value(value)
        if text is None:
            return None
        written.append(text)
    return tuple(written)


def _json_object(content: dict[str, object]) -> str | None:
    """A flat object of plain values, as json.dumps writes it with sorted keys; None if a key is
    not a str or a value is not plain.

    Sorted first and written in that order, as json.dumps does, so that an error (keys that do not
    sort, a value that cannot be written) is the one json.dumps raised."""
    items = list(content.items())
    items.sort()
    written = []
    for key, value in items:
        text = _json_value(value) if type(key) is str else None
        if text is None:
            return None
        written.append(f"{encode_basestring_ascii(key)}:{text}")
    return "{" + ",".join(written) + "}"


def bad_text(value: object, path: str = "") -> tuple[str, str] | None:
    """(field, reason) for the first text no database or client can hold: a NUL character
    (PostgreSQL refuses it) or a lone UTF-16 surrogate (not encodable as UTF-8)."""
    try:
        if _surely_clean(value):
            return None
    except RecursionError:
        pass  # nested deeper than the fast check goes: the walk below decides, as it always did
    return _first_bad_text(value, path)


# Every UTF-16 surrogate: a Python string holding one cannot be encoded as UTF-8.
_SURROGATE = re.compile("[\ud800-\udfff]")
# Values `_first_bad_text` passes over without looking inside.
_NOT_TEXT = frozenset({int, float, bool, type(None)})


def _surely_clean(value: object) -> bool:
    """True if `value` is made only of dicts, lists, numbers and clean strings (what a JSON body
    is made of), so `_first_bad_text` would find nothing. False means "walk it", not "bad".

    The sync endpoint checks every item: this is that check's fast path, about a third of the
    walk's time on a 500-item batch. Only exact built-in types are trusted, so a subclass or
    another Mapping gets the walk's own answer. A string is clean when it holds no NUL and is
    ASCII (then it has no surrogate either) or holds no surrogate.
    """
    if type(value) is str:
        return "\x00" not in value and (value.isascii() or _SURROGATE.search(value) is None)
    if type(value) is dict:
        for key, item in value.items():
            if type(key) is not str or "\x00" in key or (not key.isascii() and _SURROGATE.search(key)):
                return False
            if type(item) is str:
                if "\x00" in item or (not item.isascii() and _SURROGATE.search(item)):
                    return False
            elif type(item) not in _NOT_TEXT and not _surely_clean(item):
                return False
        return True
    if type(value) is list:
        for item in value:
            if type(item) is str:
                if "\x00" in item or (not item.isascii() and _SURROGATE.search(item)):
                    return False
            elif type(item) not in _NOT_TEXT and not _surely_clean(item):
                return False
        return True
    return type(value) in _NOT_TEXT


def _first_bad_text(value: object, path: str) -> tuple[str, str] | None:
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
            found = _first_bad_text(key, path or "non_field_errors") or _first_bad_text(
                item, f"{path}.{key}" if path else str(key)
            )
            if found:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = _first_bad_text(item, f"{path}[{index}]" if path else f"[{index}]")
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


def _unknown_fields(raw: Mapping[str, object], allowed: frozenset[str], errors: dict[str, list[str]]) -> None:
    if allowed.issuperset(raw):
        return
    for name in sorted(set(raw) - allowed):
        errors[name] = ["Unknown field."]


_LAB_FIELDS = frozenset({"id", "analyte", "value", "unit", "collected_at", "reference_low", "reference_high"})
_SYMPTOM_FIELDS = frozenset({"id", "symptom", "answers", "reported_at"})
_DOSE_FIELDS = frozenset({"id", "drug", "status", "taken_at"})


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
    _unknown_fields(item, _SYMPTOM_FIELDS, errors)
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
    _unknown_fields(item, _DOSE_FIELDS, errors)
    taken_at = parse_time(item.get("taken_at"), "taken_at", errors, now=now)
    drug = _choice(item.get("drug"), _DRUGS, "drug", errors)
    status = _choice(item.get("status"), _STATUSES, "status", errors)
    if errors or item_id is None or taken_at is None or drug is None or status is None:
        raise ItemError(errors, item_id_of(raw))
    return DoseItem(item_id, drug, status, taken_at)


# Each choice's wire value to its member, in the enum's order (the order a refusal lists them in).
_DRUGS: Mapping[str, DoseDrug] = MappingProxyType({e.value: e for e in DoseDrug})
_STATUSES: Mapping[str, DoseStatus] = MappingProxyType({e.value: e for e in DoseStatus})


def _choice(value: object, members: Mapping[str, E], field: str, errors: dict[str, list[str]]) -> E | None:
    if isinstance(value, str) and (member := members.get(value.strip().lower())) is not None:
        return member
    errors[field] = [f"Must be one of: {', '.join(members)}."]
    return None
