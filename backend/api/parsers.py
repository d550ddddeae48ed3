"""JSON in: refuse text no database or client can hold, before any view sees it.

A lone UTF-16 surrogate ("\\ud800") cannot be encoded as UTF-8 and PostgreSQL refuses NUL
characters in text; either would otherwise surface as a 500 halfway through a request. The sync
endpoint checks per item instead (shared.sync_schema), so one bad item is rejected alone.
"""

from __future__ import annotations

from typing import Any

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from shared.sync_schema import bad_text


class SafeJSONParser(JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        data = super().parse(stream, media_type, parser_context)
        found = bad_text(data)
        if found:
            raise ParseError(f"{found[0]}: {found[1]}")
        return data
