"""Reading back: a patient's own readings, for a phone that starts over (contract §3 item shapes)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, PolymorphicProxySerializer, extend_schema, inline_serializer
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from backend.api.pagination import NewestFirst
from backend.api.permissions import IsPatient
from backend.audit.services import audit_record
from backend.core.errors import ApplicationError
from backend.records.models import LabResult
from backend.records.selectors import KIND_UNKNOWN, KINDS, ReadingKind, reading_items, readings_of_patient

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
        "answers": serializers.DictField(
            help_text="As stored: the contract's optional answers with their defaults; a CTCAE follow-up "
            "(shared.symptoms) only when it was answered."
        ),
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
        audit_record(  # as AuditedListMixin: a read of a patient's rows, none for an empty page
            actor=request.user,  # type: ignore[arg-type]
            action="read",
            resource=kind.section[:-1],  # lab_result, symptom_report, dose_log
            patient_ids=[patient.pk] if items else [],
            detail=f"{kind.section} list",
        )
        return self.get_paginated_response(items)
