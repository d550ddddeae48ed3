"""`GET /api/v1/`: what this API offers, so a person poking at it with curl finds their way."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.decorators import api_view, authentication_classes, permission_classes
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response


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
            "endpoints": [
                "POST /api/v1/auth/token/",
                "POST /api/v1/auth/enroll/",
                "POST /api/v1/auth/logout/",
                "GET|POST /api/v1/patients/",
                "GET /api/v1/patients/{id}/",
                "POST /api/v1/patients/{id}/enrollment-code/",
                "POST /api/v1/sync/",
                "GET /api/v1/alerts/",
                "POST /api/v1/alerts/{id}/acknowledge/",
                "POST /api/v1/alerts/{id}/resolve/",
            ],
        }
    )
