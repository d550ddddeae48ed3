"""The care team's API for a patient's dose decisions (patients.dose_decisions): the dose history
with the label's suggestion for the next hold's end, and recording a decision."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.api.permissions import IsClinicStaff
from backend.audit.services import audit_record
from backend.core.errors import NotFound
from backend.patients import clinical_profile, dose_decisions
from backend.patients.models import DoseDecision, Patient
from backend.patients.selectors import patients_visible_to


class DoseDecisionInput(serializers.Serializer):
    action = serializers.ChoiceField(choices=DoseDecision.Action.choices)
    drug = serializers.CharField(required=False, allow_blank=True, default="", max_length=16)
    toxicity = serializers.CharField(required=False, allow_blank=True, default="", max_length=24)
    grade = serializers.IntegerField(required=False, allow_null=True, default=None, min_value=0, max_value=4)
    delay_days = serializers.IntegerField(required=False, allow_null=True, default=None, min_value=1, max_value=28)
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)
    subject = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=80, help_text='What it answers, e.g. "alert:<id>".'
    )
    seen = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        min_value=0,
        help_text="len(decisions) of the GET the decision was made on: 409 if another was recorded since.",
    )


_Decision = inline_serializer(
    "DoseDecisionItem",
    many=True,
    fields={
        "id": serializers.IntegerField(),
        "action": serializers.CharField(),
        "drug": serializers.CharField(),
        "from_mg": serializers.CharField(allow_null=True),
        "to_mg": serializers.CharField(allow_null=True),
        "delay_days": serializers.IntegerField(allow_null=True),
        "toxicity": serializers.CharField(),
        "grade": serializers.IntegerField(allow_null=True),
        "reason": serializers.CharField(),
        "suggested": serializers.CharField(),
        "subject": serializers.CharField(),
        "decided_by": serializers.CharField(allow_null=True),
        "decided_at": serializers.DateTimeField(),
        "effective_on": serializers.DateField(),
    },
)
_History = inline_serializer(
    "DoseHistory",
    {
        "decisions": _Decision,
        "suggestions": serializers.ListField(child=serializers.DictField()),
    },
)


def _mg(value: Any) -> str | None:
    return None if value is None else format(value.normalize(), "f")


def _decision(d: DoseDecision) -> dict[str, Any]:
    return {
        "id": d.pk,
        "action": d.action,
        "drug": d.drug,
        "from_mg": _mg(d.from_mg),
        "to_mg": _mg(d.to_mg),
        "delay_days": d.delay_days,
        "toxicity": d.toxicity,
        "grade": d.grade,
        "reason": d.reason,
        "suggested": d.suggested,
        "subject": d.subject,
        "decided_by": d.decided_by.get_username() if d.decided_by else None,
        "decided_at": d.decided_at.isoformat(),
        "effective_on": d.effective_on.isoformat(),
    }


def _body(patient: Patient) -> dict[str, Any]:
    history = dose_decisions.dose_history(patient)
    return {
        "decisions": [_decision(d) for d in history],
        "suggestions": [
            {
                "when": label,
                "toxicity": toxicity.value,
                "ixazomib_mg": _mg(s.ixazomib_mg),
                "lenalidomide_mg": _mg(s.lenalidomide_mg),
                "discontinue": s.discontinue,
                "text": s.text,
                "source": s.source,
            }
            for label, toxicity, s in dose_decisions.suggestions_for(patient, history)
        ],
    }


def _staff_patient(request: Request, patient_id: str) -> Patient:
    patient = patients_visible_to(request.user).filter(pk=patient_id).first()  # type: ignore[arg-type]
    if patient is None:
        raise NotFound()
    return patient


class PatientDoseDecisionApi(APIView):
    """GET: the patient's dose history (who changed which dose, when, why) and what the NINLARO
    table suggests when a hold ends. POST: record the nurse's decision (resume at the same dose,
    reduce one level, delay the cycle, stop); the phone shows the new dose from its next sync."""

    permission_classes = [IsClinicStaff]

    @extend_schema(responses=_History)
    def get(self, request: Request, patient_id: str) -> Response:
        patient = _staff_patient(request, patient_id)
        audit_record(actor=request.user, action="read", resource="dose_decision", patient_ids=[patient.pk])  # type: ignore[arg-type]
        return Response(_body(patient))

    @extend_schema(
        request=DoseDecisionInput,
        responses={
            201: _History,
            409: OpenApiResponse(description="`seen` is out of date: another decision was recorded since."),
        },
    )
    def post(self, request: Request, patient_id: str) -> Response:
        patient = _staff_patient(request, patient_id)
        data = DoseDecisionInput(data=request.data)
        data.is_valid(raise_exception=True)
        dose_decisions.dose_decision_record(
            patient=patient,
            data=dose_decisions.DecisionInput(**data.validated_data),
            decided_by=request.user,  # type: ignore[arg-type]
        )
        return Response(_body(patient), status=status.HTTP_201_CREATED)


class ClinicalProfileInput(serializers.Serializer):
    birth_year = serializers.IntegerField(allow_null=True, min_value=1800, max_value=2200)
    weight_kg = serializers.DecimalField(allow_null=True, max_digits=5, decimal_places=1)
    on_dialysis = serializers.BooleanField()
    can_become_pregnant = serializers.BooleanField(allow_null=True)


def _profile(patient: Patient) -> dict[str, Any]:
    return {
        "birth_year": patient.birth_year,
        "weight_kg": _mg(patient.weight_kg),
        "on_dialysis": patient.on_dialysis,
        "can_become_pregnant": patient.can_become_pregnant,
    }


class PatientClinicalProfileApi(APIView):
    """What the organ-function (Cockcroft-Gault CrCl) and lenalidomide REMS rules use, all optional:
    GET reads it, PUT replaces it (null clears a value). Audited."""

    permission_classes = [IsClinicStaff]

    @extend_schema(responses=ClinicalProfileInput)
    def get(self, request: Request, patient_id: str) -> Response:
        patient = _staff_patient(request, patient_id)
        audit_record(actor=request.user, action="read", resource="patient", patient_ids=[patient.pk])  # type: ignore[arg-type]
        return Response(_profile(patient))

    @extend_schema(request=ClinicalProfileInput, responses=ClinicalProfileInput)
    def put(self, request: Request, patient_id: str) -> Response:
        patient = _staff_patient(request, patient_id)
        data = ClinicalProfileInput(data=request.data)
        data.is_valid(raise_exception=True)
        patient = clinical_profile.patient_clinical_profile_change(
            patient=patient,
            profile=clinical_profile.ClinicalProfile(**data.validated_data),
            changed_by=request.user,  # type: ignore[arg-type]
            today=timezone.localdate(),
        )
        return Response(_profile(patient))
