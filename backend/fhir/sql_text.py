"""Columns as the text a FHIR resource carries, written by the database itself.

Reading a two-year `$everything` parsed 2,700 timestamps into datetimes (psycopg's Python-level
loader, about 4 µs each) and 4,000 ids into UUIDs, only to format them back as text: a third of its
CPU (bench/README.md, bench 8). The database writes exactly what the mappings would:
- FhirInstant: what base.instant() writes for the same moment: UTC, whole seconds (truncated, as
  isoformat(timespec="seconds") does) and the zone as "+00:00";
- FhirId: str(uuid), the lower-case hyphenated form."""

from __future__ import annotations

from typing import Any, ClassVar

from django.db import NotSupportedError
from django.db.models import CharField, F, Func


class _AsText(Func):
    output_field = CharField()
    templates: ClassVar[dict[str, str]] = {}

    def __init__(self, column: str) -> None:
        super().__init__(F(column))

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        template = self.templates.get(connection.vendor)
        if template is None:
            raise NotSupportedError(f"{type(self).__name__} has no SQL for {connection.vendor}.")
        return super().as_sql(compiler, connection, template=template, **extra)


class FhirInstant(_AsText):
    templates: ClassVar[dict[str, str]] = {
        "postgresql": "to_char(%(expressions)s AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"+00:00\"')",
        # Django keeps an aware datetime in SQLite as naive UTC text, "2025-01-01 08:30:00[.ffffff]".
        # Each % is doubled twice: once for the template, once for the driver's parameter style.
        "sqlite": "strftime('%%%%Y-%%%%m-%%%%dT%%%%H:%%%%M:%%%%S+00:00', %(expressions)s)",
    }


# Django keeps a UUID in SQLite as its 32 hex digits, without the hyphens.
_HYPHENATED = "||'-'||".join(
    f"substr(%(expressions)s, {start}, {n})" for start, n in ((1, 8), (9, 4), (13, 4), (17, 4), (21, 12))
)


class FhirId(_AsText):
    templates: ClassVar[dict[str, str]] = {
        "postgresql": "(%(expressions)s)::text",
        "sqlite": f"lower({_HYPHENATED})",
    }
