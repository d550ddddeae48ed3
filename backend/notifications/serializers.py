from __future__ import annotations

from rest_framework import serializers

from backend.notifications.models import Notification


class NotificationSerializer(serializers.ModelSerializer):
    """Contract §2: {id, kind, title, body, created_at, read}."""

    read = serializers.BooleanField(read_only=True)

    class Meta:
        model = Notification
        fields = ["id", "kind", "title", "body", "created_at", "read", "critical", "link"]
        read_only_fields = fields
