"""The care team's API for a patient's lab baselines (records.baselines): list, enter, remove."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.api.permissions import IsClinicStaff
from backend.audit.services import audit_record
from backend.core.errors import NotFound
from backend.patients.models import Patient
from backend.patients.selectors import patients_visible_to
from backend.records import baselines
from backend.records.selectors import json_number


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

    @extend_schema(request=None, responses={200: _BaselineOutput})
    def delete(self, request: Request, patient_id: str, analyte: str) -> Response:
        patient = _staff_patient(request, patient_id)
        if not baselines.baseline_clear(patient=patient, analyte=analyte, cleared_by=request.user):  # type: ignore[arg-type]
            # Nothing to clear: no change to record, but the answer shows the patient's baselines.
            audit_record(actor=request.user, action="read", resource="patient", patient_ids=[patient.pk])  # type: ignore[arg-type]
        return Response(_baseline_items(patient))
