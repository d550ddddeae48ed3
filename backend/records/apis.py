"""Reading back: a patient's own readings, for a phone that starts over (contract §3 item shapes)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, PolymorphicProxySerializer, extend_schema, inline_serializer
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.api.pagination import NewestFirst
from backend.api.permissions import IsClinicStaff, IsPatient
from backend.audit.services import audit_record
from backend.core.errors import ApplicationError, NotFound
from backend.patients.models import Patient
from backend.patients.selectors import patients_visible_to
from backend.records import baselines
from backend.records.models import LabResult
from backend.records.selectors import (
    KIND_UNKNOWN,
    KINDS,
    ReadingKind,
    json_number,
    reading_items,
    readings_of_patient,
)

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
        if items:  # as AuditedListMixin: a read of a patient's rows, none for an empty page
            audit_record(
                actor=request.user,  # type: ignore[arg-type]
                action="read",
                resource=kind.section[:-1],  # lab_result, symptom_report, dose_log
                patient_ids=[patient.pk],
                detail=f"{kind.section} list",
            )
        return self.get_paginated_response(items)


class BaselineInput(serializers.Serializer):
    value = serializers.JSONField(help_text="A number, in `unit`.")
    unit = serializers.CharField(max_length=32)
    reference_high = serializers.JSONField(required=False, allow_null=True, help_text="The ULN printed with it.")
    collected_on = serializers.DateField(required=False, allow_null=True)


_BaselineOutput = inline_serializer(
    "LabBaselineItem",
    many=True,
    fields={
        "analyte": serializers.CharField(),
        "value": serializers.FloatField(allow_null=True),
        "unit": serializers.CharField(allow_null=True),
        "reference_high": serializers.FloatField(allow_null=True),
        "on": serializers.DateField(allow_null=True),
        "source": serializers.CharField(allow_null=True, help_text="lab: the last on or before cycle 1 day 1; entered"),
    },
)


def _baseline_items(patient: Patient) -> list[dict[str, Any]]:
    items = []
    for analyte, found in baselines.baseline_rows(patient):
        b = found.baseline if found else None
        items.append(
            {
                "analyte": analyte,
                "value": json_number(b.value) if b else None,
                "unit": b.unit.key if b else None,
                "reference_high": json_number(b.reference_high) if b and b.reference_high is not None else None,
                "on": b.on.isoformat() if b and b.on else None,
                "source": b.source if b else None,
            }
        )
    return items


def _staff_patient(request: Request, patient_id: str) -> Patient:
    patient = patients_visible_to(request.user).filter(pk=patient_id).first()  # type: ignore[arg-type]
    if patient is None:
        raise NotFound()
    return patient


class PatientBaselineListApi(APIView):
    """The patient's lab baselines (CTCAE's "x baseline" rules): one per analyte that has one, entered
    by the care team or the last reading on or before cycle 1 day 1; null where there is none."""

    permission_classes = [IsClinicStaff]

    @extend_schema(responses=_BaselineOutput)
    def get(self, request: Request, patient_id: str) -> Response:
        patient = _staff_patient(request, patient_id)
        audit_record(actor=request.user, action="read", resource="patient", patient_ids=[patient.pk])  # type: ignore[arg-type]
        return Response(_baseline_items(patient))


class PatientBaselineApi(APIView):
    """PUT: enter the baseline of one analyte (it grades readings from now on); DELETE: remove the
    entered one, so that the last reading on or before cycle 1 day 1 applies again."""

    permission_classes = [IsClinicStaff]

    @extend_schema(request=BaselineInput, responses=_BaselineOutput)
    def put(self, request: Request, patient_id: str, analyte: str) -> Response:
        patient = _staff_patient(request, patient_id)
        data = BaselineInput(data=request.data)
        data.is_valid(raise_exception=True)
        baselines.baseline_enter(
            patient=patient,
            analyte=analyte,
            value=data.validated_data["value"],
            unit=data.validated_data["unit"],
            reference_high=data.validated_data.get("reference_high"),
            collected_on=data.validated_data.get("collected_on"),
            entered_by=request.user,  # type: ignore[arg-type]
        )
        return Response(_baseline_items(patient))

    @extend_schema(request=None, responses=_BaselineOutput)
    def delete(self, request: Request, patient_id: str, analyte: str) -> Response:
        patient = _staff_patient(request, patient_id)
        baselines.baseline_clear(patient=patient, analyte=analyte, cleared_by=request.user)  # type: ignore[arg-type]
        return Response(_baseline_items(patient))
