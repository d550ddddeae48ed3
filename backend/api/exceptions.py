"""One shape for every API error: `{"errors": {field: [messages]}}` (contract §2)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from backend.core.errors import ApplicationError


def _as_field_lists(detail: Any, prefix: str = "") -> dict[str, Any]:
    """`{field: [messages]}`, with nested fields flattened to dotted names (`regimen.start_date`)."""
    if isinstance(detail, dict):
        flat: dict[str, Any] = {}
        for key, value in detail.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            if isinstance(value, dict):
                flat.update(_as_field_lists(value, name))
            else:
                flat[name] = value if isinstance(value, list) else [value]
        return flat
    if isinstance(detail, list):
        return {prefix or "non_field_errors": detail}
    return {prefix or "detail": [detail]}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, ApplicationError):
        return Response({"errors": exc.errors}, status=exc.status, headers=exc.headers or None)
    if isinstance(exc, exceptions.ParseError):
        return Response({"errors": {"body": [f"Malformed JSON: {exc.detail}"]}}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, RequestDataTooBig):
        # Raised by Django when DRF reads the body; left alone, Django would answer an HTML page.
        return Response({"errors": {"body": [_too_big()]}}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        response.data = {"errors": _as_field_lists(exc.detail)}
    elif isinstance(exc, exceptions.Throttled):  # DRF has set Retry-After from exc.wait
        wait = f" Try again in {int(exc.wait)} seconds." if exc.wait else " Try again later."
        detail = f"Too many attempts from here.{wait}"
        response.data = {"errors": {"detail": [detail]}, "detail": detail}
    else:
        detail = response.data.get("detail", "") if isinstance(response.data, dict) else response.data
        response.data = {"errors": {"detail": [str(detail)]}, "detail": str(detail)}
    return response


def _too_big() -> str:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0
    return f"The body is larger than {limit / 2**20:g} MB: send it in smaller parts."
