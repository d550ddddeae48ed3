"""Lists newest first, a page at a time. A query parameter the list cannot use is a 400 naming it
(contract §2), never silently ignored or answered as a missing page."""

from __future__ import annotations

from typing import Any

from django.utils.dateparse import parse_datetime
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import Cursor, CursorPagination
from rest_framework.request import Request

INVALID_CURSOR = "Not a cursor this list gave: start again without it, then follow `next`."


def _is_time(text: str) -> bool:
    try:
        return parse_datetime(text) is not None
    except ValueError:  # well formed, but no such time (month 13)
        return False


class NewestFirst(CursorPagination):
    """`{"results": [...], "next": ...}`, newest first; a cursor stays stable as new rows arrive."""

    ordering = ("-created_at", "-id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

    def decode_cursor(self, request: Request) -> Cursor | None:
        """A cursor that is not one of ours is a bad request, not a missing page (DRF answers 404,
        which a client would take for a missing list)."""
        try:
            cursor = super().decode_cursor(request)
        except NotFound:
            cursor = None
            decoded = False
        else:
            # Its position is a created_at this list wrote; anything else would reach the database.
            decoded = cursor is None or cursor.position is None or _is_time(cursor.position)
        if not decoded:
            raise ValidationError({self.cursor_query_param: [INVALID_CURSOR]})
        return cursor

    def get_page_size(self, request: Request) -> int:
        """`page_size` is a whole number from 1; more than `max_page_size` is that many."""
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not raw.isascii() or not raw.isdigit() or int(raw) < 1:
            raise ValidationError({self.page_size_query_param: ["Must be a whole number from 1."]})
        return min(int(raw), self.max_page_size)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1}
                parameter["description"] = f"How many per page: default {self.page_size}, at most {self.max_page_size}."
        return parameters
