from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.accounts import selectors, services
from backend.accounts.models import DeviceToken
from backend.core.throttling import FailuresThrottled


def _body(request: Request) -> dict[str, object]:
    return request.data if isinstance(request.data, dict) else {}


class TokenApi(FailuresThrottled, APIView):
    """Staff and caregivers sign in with username and password."""

    authentication_classes: list[type] = []
    permission_classes = [AllowAny]
    throttle_scope = "sign-in"

    @extend_schema(
        request=inline_serializer(
            "TokenRequest",
            {
                "username": serializers.CharField(),
                "password": serializers.CharField(),
                "device_name": serializers.CharField(required=False),
                "otp": serializers.CharField(
                    required=False,
                    help_text="Staff with a second factor: a code from the authenticator app, or a recovery code.",
                ),
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
            otp=body.get("otp"),
        )
        return Response({"token": token, "role": user.role})


class LogoutApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={204: None})
    def post(self, request: Request) -> Response:
        if isinstance(request.auth, DeviceToken):
            services.token_revoke(token=request.auth)
        return Response(status=status.HTTP_204_NO_CONTENT)


class SessionSerializer(serializers.ModelSerializer[DeviceToken]):
    current = serializers.SerializerMethodField(help_text="The device making this request.")

    class Meta:
        model = DeviceToken
        fields = ("id", "device_name", "created_at", "last_used_at", "current")

    def get_current(self, token: DeviceToken) -> bool:
        auth = self.context.get("auth")
        return isinstance(auth, DeviceToken) and auth.pk == token.pk


class SessionListApi(APIView):
    """The devices you are signed in on (your own Bearer tokens, never their secret)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=SessionSerializer(many=True))
    def get(self, request: Request) -> Response:
        sessions = selectors.sessions_of(request.user)  # type: ignore[arg-type]
        return Response(SessionSerializer(sessions, many=True, context={"auth": request.auth}).data)


class SessionRevokeApi(APIView):
    """Sign one of your devices out (a lost phone, a shared computer); this one too if you name it."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request, session_id: int) -> Response:
        services.session_revoke(user=request.user, session_id=session_id)  # type: ignore[arg-type]
        return Response(status=status.HTTP_204_NO_CONTENT)
