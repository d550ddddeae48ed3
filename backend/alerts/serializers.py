from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from backend.accounts.models import STAFF_ROLES
from backend.alerts.models import Alert, EscalationStep


def _iso(value: datetime | None, tz: tzinfo) -> str | None:
    """What DRF's `DateTimeField` answers with `USE_TZ = True` and the default ISO 8601 format:
    the time in the current time zone, `+00:00` written as `Z`."""
    if value is None:
        return None
    value = value.astimezone(tz) if timezone.is_aware(value) else timezone.make_aware(value, tz)
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _reading(entry: dict[str, Any]) -> dict[str, Any]:
    """As AlertReadingSerializer renders it (times are stored as the API writes them)."""
    return {
        "type": entry.get("type"),
        "id": entry.get("id"),
        "key": entry.get("key", ""),
        "value": entry.get("value", ""),
        "grade": entry.get("grade"),
        "severity": entry.get("severity", ""),
        "hold_drugs": list(entry.get("hold_drugs") or ()),
        "observed_at": entry.get("observed_at"),
    }


def _lift(lift: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": lift.get("type"),
        "id": lift.get("id"),
        "key": lift.get("key", ""),
        "value": lift.get("value", ""),
        "observed_at": lift.get("observed_at"),
        "lifted": list(lift.get("lifted") or ()),
    }


class EscalationStepSerializer(serializers.ModelSerializer):
    class Meta:
        model = EscalationStep
        fields = ["level", "due_at", "at", "recipients", "note"]
        read_only_fields = fields


class AlertReadingSerializer(serializers.Serializer):
    """One reading of an episode (backend.alerts.episodes.reading_entry)."""

    type = serializers.ChoiceField(choices=["lab_result", "symptom_report"])
    id = serializers.UUIDField()
    key = serializers.CharField(help_text="The analyte or symptom.")
    value = serializers.CharField(help_text='As the nurse reads it, e.g. "Platelets 22 ×10⁹/L".')
    grade = serializers.IntegerField(allow_null=True)
    severity = serializers.CharField()
    hold_drugs = serializers.ListField(child=serializers.CharField())
    observed_at = serializers.DateTimeField()


class HoldLiftSerializer(serializers.Serializer):
    """A reading that lifted one of the episode's label holds."""

    type = serializers.CharField()
    id = serializers.UUIDField()
    key = serializers.CharField()
    value = serializers.CharField()
    observed_at = serializers.DateTimeField()
    lifted = serializers.ListField(child=serializers.CharField(), help_text="The drugs it lifted.")


class AlertSerializer(serializers.ModelSerializer):
    """Contract §4: {id, patient, kind, grade, severity, dose_hold, hold_drugs, status, title,
    message, created_at, source}, plus what a client needs to act on it.

    An alert is an episode: `readings` lists its readings, oldest first (`grade`, `severity` and
    `hold_drugs` are the worst of them; `source` is the one that raised it). `holds_in_force`: the
    drugs the label still holds for it (a later reading can lift a hold: `hold_lifts` says which).
    `superseded`: history from a backlog, a newer reading no longer meeting the policy."""

    # The declared fields are the schema (drf-spectacular reads them, and this class's docstring);
    # `to_representation` writes the same dict by hand: DRF's field-by-field rendering was most of
    # an alert list's serializer time (bench/README.md, bench 6; 5 alerts 0.48 -> 0.06 ms).
    # tests/backend/alerts/test_serializers.py holds the two equal.

    dose_hold = serializers.BooleanField(read_only=True)
    source = serializers.SerializerMethodField()
    patient_name = serializers.CharField(source="patient.display_name", read_only=True)
    escalations = serializers.SerializerMethodField(
        help_text="The escalation steps taken, for clinic staff (empty for anyone else)."
    )
    readings = AlertReadingSerializer(many=True, read_only=True)
    holds_in_force = serializers.ListField(child=serializers.CharField(), read_only=True)
    hold_lifts = HoldLiftSerializer(many=True, read_only=True)
    assigned_to = serializers.SerializerMethodField(
        help_text="The id of the clinic's nurse or admin who took the alert on (null: nobody), for clinic staff "
        "(null for anyone else)."
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
            "readings",
            "superseded",
            "holds_in_force",
            "hold_lifts",
            "acknowledged_at",
            "resolved_at",
            "resolution_note",
            "outcome",
            "escalation_level",
            "next_escalation_at",
            "escalations",
            "assigned_to",
        ]
        read_only_fields = fields

    def to_representation(self, instance: Alert) -> dict[str, Any]:
        tz = timezone.get_current_timezone()
        # Meta.fields' order; values as DRF's fields would render them (ids stay UUID objects,
        # like PrimaryKeyRelatedField's, until the JSON renderer writes them).
        return {
            "id": str(instance.id),
            "patient": instance.patient_id,
            "patient_name": str(instance.patient.display_name),
            "kind": str(instance.kind),
            "grade": instance.grade if instance.grade is None else int(instance.grade),
            "severity": str(instance.severity),
            "dose_hold": instance.dose_hold,
            "hold_drugs": instance.hold_drugs,
            "status": str(instance.status),
            "title": str(instance.title),
            "message": str(instance.message),
            "patient_advice": str(instance.patient_advice),
            "created_at": _iso(instance.created_at, tz),
            "updated_at": _iso(instance.updated_at, tz),
            "observed_at": _iso(instance.observed_at, tz),
            "source": self.get_source(instance),
            "readings": [_reading(entry) for entry in instance.readings],
            "superseded": bool(instance.superseded),
            "holds_in_force": list(instance.holds_in_force),
            "hold_lifts": [_lift(lift) for lift in instance.hold_lifts],
            "acknowledged_at": _iso(instance.acknowledged_at, tz),
            "resolved_at": _iso(instance.resolved_at, tz),
            "resolution_note": str(instance.resolution_note),
            "outcome": str(instance.outcome),
            "escalation_level": int(instance.escalation_level),
            "next_escalation_at": _iso(instance.next_escalation_at, tz),
            "escalations": self.get_escalations(instance),
            "assigned_to": self.get_assigned_to(instance),
        }

    def get_source(self, alert: Alert) -> dict[str, Any]:
        return {"type": alert.source_type, "id": str(alert.source_id), "rule": alert.rule_source}

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_assigned_to(self, alert: Alert) -> int | None:
        """Who has the alert is the clinic's business, as the escalations are: staff only."""
        request = self.context.get("request")
        if getattr(getattr(request, "user", None), "role", None) not in STAFF_ROLES:
            return None
        return alert.assigned_to_id

    @extend_schema_field(EscalationStepSerializer(many=True))
    def get_escalations(self, alert: Alert) -> list[dict[str, Any]]:
        """Who was told when is the clinic's business: shown to its staff only (the request in the
        context says who asks; without one, nothing is shown). Rows as EscalationStepSerializer's."""
        request = self.context.get("request")
        if getattr(getattr(request, "user", None), "role", None) not in STAFF_ROLES:
            return []
        tz = timezone.get_current_timezone()
        # Prefetched by the list; a worse reading's ladder after the first one's.
        steps = sorted(alert.escalation_steps.all(), key=lambda s: (s.ladder, s.level))
        return [
            {
                "level": int(step.level),
                "due_at": _iso(step.due_at, tz),
                "at": _iso(step.at, tz),
                "recipients": step.recipients,
                "note": str(step.note),
            }
            for step in steps
        ]
