from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    PolymorphicProxySerializer,
    extend_schema,
    inline_serializer,
)
from rest_framework import generics, serializers
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.alerts.dispatch import grading_enqueue_on_commit
from backend.alerts.grading import policy_for
from backend.alerts.models import Alert, Status
from backend.alerts.serializers import AlertSerializer
from backend.api.pagination import NewestFirst
from backend.api.permissions import IsPatient
from backend.audit.services import audit_record
from backend.core.errors import ApplicationError
from backend.patients.models import Patient
from backend.patients.services import regimen_today
from backend.records import services
from backend.records.cursor import cursor_decode, cursor_encode
from backend.records.models import LabResult
from backend.records.selectors import KIND_UNKNOWN, KINDS, ReadingKind, reading_items, readings_of_patient
from backend.reminders.selectors import upcoming_reminders_payload
from backend.reminders.serializers import ReminderSerializer
from shared.alert_policy import policy_to_wire

_SyncResponse = inline_serializer(
    "SyncResponse",
    {
        "accepted": serializers.ListField(child=serializers.CharField()),
        "rejected": serializers.ListField(child=serializers.DictField()),
        "cursor": serializers.CharField(),
        "alerts": AlertSerializer(many=True),
        "regimen": serializers.DictField(),
        "reminders": ReminderSerializer(many=True),  # the next 7 days, for the phone to show offline
        "alert_policy": serializers.DictField(
            help_text=(
                "The clinic's stricter-than-default alert thresholds, for the phone's own advice offline: "
                '{"labs": {analyte: {"min_grade": n}}, "symptoms": {symptom: {"min_grade": n}}, '
                '"fever": {"threshold_c": t}}, only what differs from the default policy of contract §4; '
                "{} for a clinic on the defaults (shared.alert_policy.policy_to_wire)."
            )
        ),
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
        # With its clinic in the same query: the answer carries the clinic's alert policy.
        patient = Patient.objects.select_related("clinic").filter(user_id=request.user.pk).first()
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
                "alert_policy": policy_to_wire(policy_for(patient.clinic)),
                "server_time": now.isoformat(),
            }
        )


# ---- reading back ---------------------------------------------------------------------------------


_LabReading = inline_serializer(
    "LabReading",
    {
        "id": serializers.UUIDField(),
        "analyte": serializers.CharField(),
        "value": serializers.FloatField(help_text="As sent: a JSON number (an integer when whole)."),
        "unit": serializers.CharField(),
        "collected_at": serializers.DateTimeField(),
        "reference_low": serializers.FloatField(required=False, help_text="Only when the phone sent one."),
        "reference_high": serializers.FloatField(required=False, help_text="Only when the phone sent one."),
        "grade": serializers.IntegerField(allow_null=True, help_text="CTCAE v5 grade; null until graded."),
    },
)
_SymptomReading = inline_serializer(
    "SymptomReading",
    {
        "id": serializers.UUIDField(),
        "symptom": serializers.CharField(),
        "answers": serializers.DictField(help_text="As stored: with the defaults of unanswered questions."),
        "reported_at": serializers.DateTimeField(),
        "grade": serializers.IntegerField(allow_null=True, help_text="CTCAE v5 grade; null until graded."),
    },
)
_DoseReading = inline_serializer(
    "DoseReading",
    {
        "id": serializers.UUIDField(),
        "drug": serializers.CharField(),
        "status": serializers.CharField(),
        "taken_at": serializers.DateTimeField(),
    },
)


class ReadingPages(NewestFirst):
    """Newest first by the time each reading is of (`collected_at`, `reported_at`, `taken_at`)."""

    page_size = 100

    def get_ordering(self, request: Request, queryset: Any, view: Any) -> tuple[str, ...]:
        kind: ReadingKind | None = getattr(view, "reading_kind", None)
        return kind.ordering if kind is not None else ("-collected_at", "-id")


class ReadingListApi(generics.ListAPIView):
    """The patient's own readings of one kind, as the phone sent them in sync (contract §3 item
    shapes) plus `grade`, newest first: for a phone that starts over to rebuild its history.

    Per page: one query for the rows, one audit insert; the same for 1 row as for 500.
    """

    permission_classes = [IsPatient]  # nurses have the dashboard; caregivers see alerts, not readings
    pagination_class = ReadingPages
    filter_backends: list[Any] = []
    reading_kind: ReadingKind | None = None

    def get_queryset(self) -> QuerySet[Any]:
        return LabResult.objects.none()  # only for schema generation: list() picks the table by `kind`

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "kind",
                OpenApiTypes.STR,
                enum=list(KINDS),
                required=True,
                description="lab: lab_results items; symptom: symptom_reports items; dose: dose_logs items.",
            )
        ],
        responses=PolymorphicProxySerializer(
            component_name="Reading",
            serializers=[_LabReading, _SymptomReading, _DoseReading],
            resource_type_field_name=None,
        ),
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.list(request, *args, **kwargs)

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        patient = getattr(request.user, "patient", None)
        if patient is None:
            raise ApplicationError({"detail": ["This device is not enrolled for a patient."]}, status=403)
        kind = KINDS.get(str(request.query_params.get("kind", "")))
        if kind is None:
            raise ApplicationError({"kind": [KIND_UNKNOWN]})
        self.reading_kind = kind
        page = self.paginate_queryset(readings_of_patient(patient=patient, kind=kind))
        items = reading_items(rows=list(page or []), kind=kind, patient=patient)
        if items:  # as AuditedListMixin: a read of a patient's rows, none for an empty page
            audit_record(
                actor=request.user,  # type: ignore[arg-type]
                action="read",
                resource=kind.section[:-1],  # lab_result, symptom_report, dose_log
                patient_ids=[patient.pk],
                detail=f"{kind.section} list",
            )
        return self.get_paginated_response(items)
