"""`GET /api/v1/`: what this API offers, so a person poking at it with curl finds their way.
The list is read from the URL configuration, so it cannot fall behind it."""

from __future__ import annotations

from functools import cache

from django.urls import URLPattern, URLResolver, get_resolver
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import api_view, authentication_classes, permission_classes
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

PREFIX = "api/v1/"


@cache
def _routes() -> list[str]:
    for entry in get_resolver().url_patterns:
        if isinstance(entry, URLResolver) and str(entry.pattern) == PREFIX:
            return [f"/{PREFIX}{p.pattern}" for p in entry.url_patterns if isinstance(p, URLPattern) and str(p.pattern)]
    return []


@extend_schema(exclude=True)
@api_view(["GET"])
@authentication_classes([])
@permission_classes([AllowAny])
def api_index(request: Request) -> Response:
    return Response(
        {
            "name": "CareLoop API v1",
            "schema": request.build_absolute_uri("/api/schema/"),
            "docs": request.build_absolute_uri("/api/docs/"),
            "endpoints": _routes(),
        }
    )
