"""The shape of `GET /api/v1/metrics/` for the OpenAPI schema (backend.metrics.report builds it)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers


def _rate() -> serializers.FloatField:
    return serializers.FloatField(allow_null=True, help_text="0..1; null when there is nothing to divide.")


class SpreadSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    median_seconds = serializers.FloatField(allow_null=True)
    p90_seconds = serializers.FloatField(allow_null=True)


class SeveritySerializer(serializers.Serializer):
    severity = serializers.ChoiceField(choices=["critical", "urgent"])
    raised = serializers.IntegerField()
    unacknowledged = serializers.IntegerField(help_text="Raised in the period and still open now.")
    to_acknowledge = SpreadSerializer(help_text="Of those acknowledged by now (resolving acknowledges too).")
    to_resolve = SpreadSerializer(help_text="Of those resolved by now.")


class AlertFiguresSerializer(serializers.Serializer):
    raised = serializers.IntegerField(help_text="Raised in the period, backlog history left out.")
    per_patient_week = serializers.FloatField(allow_null=True)
    backlog_history = serializers.IntegerField(help_text="Superseded alerts from a backlog sync.")
    resolved = serializers.IntegerField()
    resolved_with_outcome = serializers.IntegerField()
    led_to_action = serializers.IntegerField(
        help_text="Resolved as called_patient, dose_held, sent_to_ed or other (not no_action_needed)."
    )
    action_share = _rate()
    by_severity = SeveritySerializer(many=True)


class EscalationsSerializer(serializers.Serializer):
    steps = serializers.IntegerField(help_text="Escalation steps taken in the period.")
    alerts = serializers.IntegerField(help_text="Alerts they were about.")
    on_call = serializers.IntegerField(help_text="Steps that reached the clinic's on-call contact.")


class WorkloadSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="A member of staff (never a patient).")
    acknowledged = serializers.IntegerField()
    resolved = serializers.IntegerField()


class AdherenceSerializer(serializers.Serializer):
    due = serializers.IntegerField(help_text="Doses due from the first whole day after enrollment up to yesterday.")
    taken = serializers.IntegerField(help_text="Logged as taken, at most as many as were due per patient and drug.")
    rate = _rate()


class ResponseTestsSerializer(serializers.Serializer):
    due = serializers.IntegerField(help_text="Cycles whose day 1 fell in the period and asked for SPEP/UPEP/FLC.")
    done = serializers.IntegerField(help_text="With one drawn within a week of day 1.")
    rate = _rate()


class LabDrawsSerializer(serializers.Serializer):
    reminded = serializers.IntegerField(help_text="Blood-draw reminders sent in the period, window closed.")
    done = serializers.IntegerField(help_text="Followed by a lab result from 1 day before to 3 days after.")
    rate = _rate()


class MetricsSerializer(serializers.Serializer):
    from_ = serializers.DateField()
    to = serializers.DateField()
    patients = serializers.IntegerField(help_text="Enrolled on some day of the period.")
    patient_weeks = serializers.FloatField()
    alerts = AlertFiguresSerializer()
    escalations = EscalationsSerializer()
    workload = WorkloadSerializer(many=True)
    adherence = AdherenceSerializer()
    response_tests = ResponseTestsSerializer()
    lab_draws = LabDrawsSerializer()

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        fields["from"] = fields.pop("from_")  # `from` is a Python keyword
        return fields
