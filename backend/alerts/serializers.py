from __future__ import annotations

from typing import Any

from rest_framework import serializers

from backend.alerts.models import Alert


class AlertSerializer(serializers.ModelSerializer):
    """Contract §4: {id, patient, kind, grade, severity, dose_hold, hold_drugs, status, title,
    message, created_at, source}, plus what a client needs to act on it."""

    dose_hold = serializers.BooleanField(read_only=True)
    source = serializers.SerializerMethodField()
    patient_name = serializers.CharField(source="patient.display_name", read_only=True)

    class Meta:
        model = Alert
        fields = [
            "id",
            "patient",
            "patient_name",
            "kind",
            "grade",
            "severity",
            "dose_hold",
            "hold_drugs",
            "status",
            "title",
            "message",
            "patient_advice",
            "created_at",
            "updated_at",
            "observed_at",
            "source",
            "acknowledged_at",
            "resolved_at",
            "resolution_note",
            "outcome",
        ]
        read_only_fields = fields

    def get_source(self, alert: Alert) -> dict[str, Any]:
        return {"type": alert.source_type, "id": str(alert.source_id), "rule": alert.rule_source}
