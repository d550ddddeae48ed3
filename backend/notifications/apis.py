from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import generics, serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.api.pagination import NewestFirst
from backend.audit.services import audit_record
from backend.core.errors import NotFound
from backend.notifications import services
from backend.notifications.models import Notification
from backend.notifications.serializers import NotificationSerializer


class NotificationListApi(generics.ListAPIView):
    """Your own inbox, newest first (contract §2)."""

    permission_classes = [IsAuthenticated]
    serializer_class = NotificationSerializer
    pagination_class = NewestFirst

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return Notification.objects.none()
        return services.inbox_for(self.request.user)  # type: ignore[arg-type]

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = list(self.paginate_queryset(self.filter_queryset(self.get_queryset())) or [])
        # Inbox items name patients and their values: one row per patient the page showed.
        audit_record(
            actor=request.user,  # type: ignore[arg-type]
            action="read",
            resource="notification",
            patient_ids=(n.patient_id for n in page if n.patient_id is not None),
            detail="inbox",
        )
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class NotificationReadApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses=NotificationSerializer)
    def post(self, request: Request, notification_id: str) -> Response:
        found = services.notification_mark_read(user=request.user, notification_id=notification_id)  # type: ignore[arg-type]
        if found is None:
            raise NotFound()
        audit_record(
            actor=request.user,  # type: ignore[arg-type]
            action="update",
            resource="notification",
            patient_ids=[found.patient_id],
            object_id=str(found.pk),
            detail="marked read",
        )
        return Response(NotificationSerializer(found).data)


class NotificationReadAllApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses=inline_serializer("ReadAll", {"marked": serializers.IntegerField()}))
    def post(self, request: Request) -> Response:
        return Response({"marked": services.notifications_mark_all_read(user=request.user)})  # type: ignore[arg-type]
