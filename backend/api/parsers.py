"""JSON in: refuse, before any view sees it, a body nested too deeply or text no database or client
can hold. Each refusal is a ParseError, which backend/api/exceptions.py answers as the API's JSON 400.

Depth: Python's JSON decoder recurses once per level, so a body of ~1000 brackets (2 KB) would
raise RecursionError and a 500, and one just below that limit would do so in the first code that
walks it. No request needs more than a few levels (a sync item's `answers` is the fourth), so
`MAX_DEPTH` is refused outright. Size: Django refuses a body over DATA_UPLOAD_MAX_MEMORY_SIZE
when DRF reads it (RequestDataTooBig, answered in backend/api/exceptions.py too).

Text: a lone UTF-16 surrogate ("\\ud800") cannot be encoded as UTF-8 and PostgreSQL refuses NUL
characters in text; either would otherwise surface as a 500 halfway through a request. The sync
endpoint checks text per item instead (shared.sync_schema), so one bad item is rejected alone: it
uses `BoundedJSONParser`.
"""

from __future__ import annotations

from typing import Any

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from shared.sync_schema import bad_text

MAX_DEPTH = 32
TOO_DEEP = f"Nested more than {MAX_DEPTH} levels deep."


class BoundedJSONParser(JSONParser):
    """DRF's JSON parser (strict: no NaN or Infinity), refusing a body nested deeper than `MAX_DEPTH`."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(TOO_DEEP) from None
        if _deeper_than(data, MAX_DEPTH):
            raise ParseError(TOO_DEEP)
        return data


class SafeJSONParser(BoundedJSONParser):
    """`BoundedJSONParser`, also refusing text a database or client cannot hold, anywhere in the body."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        data = super().parse(stream, media_type, parser_context)
        found = bad_text(data)
        if found:
            raise ParseError(f"{found[0]}: {found[1]}")
        return data


def _deeper_than(data: object, limit: int) -> bool:
    """True if `data`, as json.loads makes it, has containers more than `limit` levels deep.

    Level by level, without recursion, looking only at the values of the containers of the level
    before: about 0.1 ms for a 500-item sync (its parse takes 0.25 ms), and never more than the
    parse of the same body."""
    level = [data] if type(data) is dict or type(data) is list else []
    for _ in range(limit):
        level = [
            value
            for node in level
            for value in (node.values() if type(node) is dict else node)
            if type(value) is dict or type(value) is list
        ]
        if not level:
            return False
    return bool(level)
