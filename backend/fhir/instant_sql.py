"""A timestamp column as a FHIR instant string, written by the database itself.

Reading a two-year `$everything` parsed 2,700 timestamps into datetimes (psycopg's Python-level
loader, about 4 µs each) only to format them back as text: 11 of its 41 ms of CPU (bench/README.md,
bench 8). The database writes exactly what base.instant() writes for the same moment: UTC, whole
seconds (truncated, as isoformat(timespec="seconds") does) and the zone as "+00:00"."""

from __future__ import annotations

from typing import Any

from django.db import NotSupportedError
from django.db.models import CharField, F, Func

_TEMPLATES = {
    "postgresql": "to_char(%(expressions)s AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"+00:00\"')",
    # Django keeps an aware datetime in SQLite as naive UTC text, "2025-01-01 08:30:00[.ffffff]".
    # Each % is doubled twice: once for the template, once for the driver's parameter style.
    "sqlite": "strftime('%%%%Y-%%%%m-%%%%dT%%%%H:%%%%M:%%%%S+00:00', %(expressions)s)",
}


class FhirInstant(Func):
    output_field = CharField()

    def __init__(self, column: str) -> None:
        super().__init__(F(column))

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        template = _TEMPLATES.get(connection.vendor)
        if template is None:
            raise NotSupportedError(f"FhirInstant has no SQL for {connection.vendor}.")
        return super().as_sql(compiler, connection, template=template, **extra)
