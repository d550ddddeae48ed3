from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.accounts import services
from backend.accounts.models import DeviceToken
from backend.core.throttling import CODE_THROTTLES


def _body(request: Request) -> dict[str, object]:
    return request.data if isinstance(request.data, dict) else {}


class TokenApi(APIView):
    """Staff and caregivers sign in with username and password."""

    authentication_classes: list[type] = []
    permission_classes = [AllowAny]
    throttle_classes = CODE_THROTTLES
    throttle_scope = "sign-in"

    @extend_schema(
        request=inline_serializer(
            "TokenRequest",
            {
                "username": serializers.CharField(),
                "password": serializers.CharField(),
                "device_name": serializers.CharField(required=False),
            },
        ),
        responses=inline_serializer(
            "TokenResponse", {"token": serializers.CharField(), "role": serializers.CharField()}
        ),
    )
    def post(self, request: Request) -> Response:
        body = _body(request)
        device = body.get("device_name")
        token, user = services.token_login(
            username=body.get("username"),
            password=body.get("password"),
            device_name=device if isinstance(device, str) else "",
            request=request._request,  # Django's own request: django-axes marks a lockout on it
        )
        return Response({"token": token, "role": user.role})


class LogoutApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={204: None})
    def post(self, request: Request) -> Response:
        if isinstance(request.auth, DeviceToken):
            services.token_revoke(token=request.auth)
        return Response(status=status.HTTP_204_NO_CONTENT)
