from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import OpenApiExample, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.alerts.dispatch import grading_enqueue_on_commit
from backend.alerts.models import Alert, Status
from backend.alerts.serializers import AlertSerializer
from backend.api.permissions import IsPatient
from backend.audit.services import audit_record
from backend.core.errors import ApplicationError
from backend.patients.services import regimen_today
from backend.records import services
from backend.records.cursor import cursor_decode, cursor_encode
from backend.reminders.selectors import upcoming_reminders_payload
from backend.reminders.serializers import ReminderSerializer

_SyncResponse = inline_serializer(
    "SyncResponse",
    {
        "accepted": serializers.ListField(child=serializers.CharField()),
        "rejected": serializers.ListField(child=serializers.DictField()),
        "cursor": serializers.CharField(),
        "alerts": AlertSerializer(many=True),
        "regimen": serializers.DictField(),
        "reminders": ReminderSerializer(many=True),  # the next 7 days, for the phone to show offline
    },
)


class SyncApi(APIView):
    """Contract §3: the phone's batched upload, answered with what it needs back."""

    permission_classes = [IsPatient]
    parser_classes = [JSONParser]  # text is checked per item (shared.sync_schema), so one bad item fails alone

    @extend_schema(
        request=inline_serializer(
            "SyncRequest",
            {
                "cursor": serializers.CharField(allow_null=True, required=False),
                "lab_results": serializers.ListField(child=serializers.DictField(), required=False),
                "symptom_reports": serializers.ListField(child=serializers.DictField(), required=False),
                "dose_logs": serializers.ListField(child=serializers.DictField(), required=False),
            },
        ),
        responses=_SyncResponse,
        examples=[
            OpenApiExample(
                "low platelets",
                request_only=True,
                value={
                    "cursor": None,
                    "lab_results": [
                        {
                            "id": "3f1c6e9a-3c1e-4f57-9f7e-2b1f6f0c1a01",
                            "analyte": "platelets",
                            "value": 42,
                            "unit": "10^9/L",
                            "collected_at": "2026-11-20T08:30:00-05:00",
                        }
                    ],
                },
            )
        ],
    )
    def post(self, request: Request) -> Response:
        patient = getattr(request.user, "patient", None)
        if patient is None:
            raise ApplicationError({"detail": ["This device is not enrolled for a patient."]}, status=403)
        body = request.data
        sections = services.payload_sections(body)
        since = cursor_decode(body.get("cursor"))
        now = timezone.now()
        result = services.sync_ingest(patient=patient, sections=sections, now=now)
        grading_enqueue_on_commit(lab_ids=result.new_lab_ids, symptom_ids=result.new_symptom_ids)
        alerts = Alert.objects.filter(patient=patient).order_by("-created_at")
        alerts = alerts.filter(updated_at__gte=since) if since else alerts.exclude(status=Status.RESOLVED)
        recent = list(alerts[:200])
        for alert in recent:
            alert.patient = patient  # the serializer's patient_name: this patient, no join to fetch it again
        audit_record(
            actor=request.user,
            action="sync",
            resource="patient",
            patient_ids=[patient.pk],  # type: ignore[arg-type]
            detail=f"accepted {len(result.accepted)} rejected {len(result.rejected)}",
        )
        return Response(
            {
                "accepted": result.accepted,
                "rejected": result.rejected,
                "cursor": cursor_encode(now),
                "alerts": AlertSerializer(recent, many=True).data,
                "regimen": regimen_today(patient, now),
                "reminders": upcoming_reminders_payload(patient=patient, now=now),
                "server_time": now.isoformat(),
            }
        )
