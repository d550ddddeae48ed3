from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from backend.accounts.models import STAFF_ROLES
from backend.alerts.models import Alert, EscalationStep


class EscalationStepSerializer(serializers.ModelSerializer):
    class Meta:
        model = EscalationStep
        fields = ["level", "due_at", "at", "recipients", "note"]
        read_only_fields = fields


class AlertSerializer(serializers.ModelSerializer):
    """Contract §4: {id, patient, kind, grade, severity, dose_hold, hold_drugs, status, title,
    message, created_at, source}, plus what a client needs to act on it."""

    dose_hold = serializers.BooleanField(read_only=True)
    source = serializers.SerializerMethodField()
    patient_name = serializers.CharField(source="patient.display_name", read_only=True)
    escalations = serializers.SerializerMethodField(
        help_text="The escalation steps taken, for clinic staff (empty for anyone else)."
    )

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
            "escalation_level",
            "next_escalation_at",
            "escalations",
        ]
        read_only_fields = fields

    def get_source(self, alert: Alert) -> dict[str, Any]:
        return {"type": alert.source_type, "id": str(alert.source_id), "rule": alert.rule_source}

    @extend_schema_field(EscalationStepSerializer(many=True))
    def get_escalations(self, alert: Alert) -> list[dict[str, Any]]:
        """Who was told when is the clinic's business: shown to its staff only (the request in the
        context says who asks; without one, nothing is shown)."""
        request = self.context.get("request")
        if getattr(getattr(request, "user", None), "role", None) not in STAFF_ROLES:
            return []
        steps = alert.escalation_steps.all()  # prefetched by the list
        return list(EscalationStepSerializer(sorted(steps, key=lambda s: s.level), many=True).data)
