"""Serializer fields whose rules the OpenAPI document states exactly, so that a client (and the
fuzzing in tests/backend/api/test_fuzz.py) knows what is accepted before it asks: a wall-clock time,
an IANA time zone, a one-time code, a dose level."""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

WALL_CLOCK = re.compile(r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$")


@extend_schema_field(
    {
        "type": "string",
        "pattern": WALL_CLOCK.pattern,
        "example": "22:00",
        "description": "A wall-clock time in the person's own zone, HH:MM (seconds are accepted and dropped).",
    }
)
class WallClockTimeField(serializers.TimeField):
    """HH:MM in and out: Python would also take "2200" or "22:00+01:00", which no client means."""

    default_error_messages = {"invalid": "Must be a time as HH:MM, e.g. 22:00."}

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("format", "%H:%M")
        super().__init__(**kwargs)

    def to_internal_value(self, value: Any) -> Any:
        if not isinstance(value, str) or not WALL_CLOCK.match(value):
            self.fail("invalid")
        return super().to_internal_value(value).replace(second=0, microsecond=0)


class TimeZoneNameField(serializers.CharField):
    """An IANA zone name. Checked by the service that uses it (backend.patients.services.
    timezone_validate, with its reason); described in the schema as the list of zones this server
    knows (backend.api.schema.TimeZoneNameExtension)."""


# 8 characters of the alphabet codes are made of (backend.patients.services), as printed; case,
# spaces and dashes are ignored (normalize_code).
_CODE_CHARACTER = "[2-9A-HJKMNP-TV-Za-hjkmnp-tv-z]"
CODE_PATTERN = rf"^[ -]*({_CODE_CHARACTER}[ -]*){{8}}$"


@extend_schema_field(
    {
        "type": "string",
        "pattern": CODE_PATTERN,
        "example": "K7QX-M3PA",
        "description": "The one-time code as printed: 8 of 23456789ABCDEFGHJKMNPQRSTVWXYZ; case, spaces and "
        "dashes are ignored. It works once and expires.",
    }
)
class OneTimeCodeField(serializers.CharField):
    pass


def _spellings(level: Decimal) -> list[str]:
    """4 → "4", "4.0"; 2.3 → "2.3"."""
    text = format(level.normalize(), "f")
    return [text, f"{text}.0"] if "." not in text else [text]


def _described(schema: dict[str, Any], name: str, **kwargs: Any) -> serializers.DecimalField:
    """A DecimalField whose schema is `schema` (a class of its own: DRF copies field instances,
    losing anything set on one)."""
    field_class = extend_schema_field(schema)(type(name, (serializers.DecimalField,), {}))
    return field_class(max_digits=4, decimal_places=1, **kwargs)  # type: ignore[no-any-return]


def dose_level(levels: Sequence[Decimal], drug: str, **kwargs: Any) -> serializers.DecimalField:
    """A dose that is one of the label's levels, a JSON number (or the same in a string); the service
    that stores it refuses any other (backend.patients.services.regimen_validate)."""
    spellings = "|".join(re.escape(text) for level in levels for text in _spellings(level))
    listed = ", ".join(format(level.normalize(), "f") for level in levels)
    schema = {
        "anyOf": [
            {"type": "number", "enum": [float(level) for level in levels]},
            {"type": "string", "pattern": rf"^({spellings})$"},
        ],
        "description": f"One of the label's {drug} dose levels, in mg: {listed}.",
    }
    return _described(schema, f"{drug.title()}DoseField", **kwargs)


def dose_range(low: Decimal, high: Decimal, drug: str, **kwargs: Any) -> serializers.DecimalField:
    """A dose from `low` to `high` mg, to a tenth."""
    schema = {
        "anyOf": [
            {"type": "number", "minimum": float(low), "maximum": float(high)},
            {"type": "string", "pattern": r"^\d{1,2}(\.\d)?$"},
        ],
        "description": f"A {drug} dose from {low} to {high} mg, to a tenth.",
    }
    return _described(schema, f"{drug.title()}DoseField", **kwargs)
