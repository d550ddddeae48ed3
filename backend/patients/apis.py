from __future__ import annotations

from typing import Any

from django.db import transaction
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.accounts.models import User
from backend.accounts.services import user_language_set
from backend.api.fields import OneTimeCodeField
from backend.api.pagination import NewestFirst
from backend.api.permissions import IsClinicStaff, IsPatient
from backend.audit.mixins import AuditedListMixin
from backend.audit.services import audit_record
from backend.core.errors import NotFound
from backend.core.throttling import FailuresThrottled
from backend.patients import services
from backend.patients.models import Patient
from backend.patients.selectors import patients_visible_to
from backend.patients.serializers import (
    PatientCreateInput,
    PatientSelfSerializer,
    PatientSelfUpdateInput,
    PatientSerializer,
    PatientStaffUpdateInput,
)

_CreateOutput = inline_serializer(
    "PatientCreated",
    {
        "id": serializers.UUIDField(),
        "enrollment_code": serializers.CharField(),
        "display_name": serializers.CharField(),
        "timezone": serializers.CharField(),
        "regimen": serializers.DictField(),
    },
)


class PatientListCreateApi(AuditedListMixin, generics.ListAPIView):
    audit_resource = "patient"
    audit_patient_field = "id"
    permission_classes = [IsClinicStaff]
    serializer_class = PatientSerializer
    pagination_class = NewestFirst

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return Patient.objects.none()
        return patients_visible_to(self.request.user)  # type: ignore[arg-type]

    @extend_schema(request=PatientCreateInput, responses={201: _CreateOutput})
    def post(self, request: Request) -> Response:
        data = PatientCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        regimen = data.validated_data["regimen"]
        patient, code = services.patient_create(
            nurse=request.user,  # type: ignore[arg-type]
            display_name=data.validated_data["display_name"],
            timezone_name=data.validated_data["timezone"],
            phone=data.validated_data["phone"],
            sex=data.validated_data["sex"],
            can_become_pregnant=data.validated_data["can_become_pregnant"],
            regimen_input=services.RegimenInput(**regimen),
        )
        audit_record(
            actor=request.user,
            action="create",
            resource="patient",  # type: ignore[arg-type]
            patient_ids=[patient.pk],
            object_id=str(patient.pk),
        )
        body = PatientSerializer(patient).data | {"enrollment_code": code}
        return Response(body, status=status.HTTP_201_CREATED)


def _patient_for(request: Request, patient_id: str) -> Patient:
    patient = patients_visible_to(request.user).filter(pk=patient_id).first()  # type: ignore[arg-type]
    if patient is None:
        raise NotFound()
    return patient


class PatientDetailApi(APIView):
    permission_classes = [IsClinicStaff]

    @extend_schema(responses=PatientSerializer)
    def get(self, request: Request, patient_id: str) -> Response:
        patient = _patient_for(request, patient_id)
        audit_record(
            actor=request.user,
            action="read",
            resource="patient",  # type: ignore[arg-type]
            patient_ids=[patient.pk],
            object_id=str(patient.pk),
        )
        return Response(PatientSerializer(patient).data)

    @extend_schema(request=PatientStaffUpdateInput, responses=PatientSerializer)
    def patch(self, request: Request, patient_id: str) -> Response:
        """Move the patient to another time zone (their pending reminders keep their wall-clock times),
        and/or record the sex whose default reference limits grade their lab values."""
        patient = _patient_for(request, patient_id)
        data = PatientStaffUpdateInput(data=request.data)
        data.is_valid(raise_exception=True)
        with transaction.atomic():
            if "timezone" in data.validated_data:
                patient = services.patient_timezone_change(
                    patient=patient,
                    timezone_name=data.validated_data["timezone"],
                    changed_by=request.user,  # type: ignore[arg-type]
                )
            if "sex" in data.validated_data:
                patient = services.patient_sex_change(
                    patient=patient,
                    sex=data.validated_data["sex"],
                    changed_by=request.user,  # type: ignore[arg-type]
                )
        return Response(PatientSerializer(patient).data)


class MeApi(APIView):
    """The signed-in patient's own profile. PATCH changes the time zone (e.g. after a move), the
    language (the phone's and their messages'), or both; nothing else."""

    permission_classes = [IsPatient]

    @staticmethod
    def _own(request: Request) -> Patient:
        user: User = request.user  # type: ignore[assignment]
        patient: Patient | None = Patient.objects.filter(user_id=user.pk).first()
        if patient is None:
            raise NotFound()
        patient.user = user  # the signed-in person: their language needs no query of its own
        return patient

    @extend_schema(responses=PatientSelfSerializer)
    def get(self, request: Request) -> Response:
        return Response(PatientSelfSerializer(self._own(request)).data)

    @extend_schema(request=PatientSelfUpdateInput, responses=PatientSelfSerializer)
    def patch(self, request: Request) -> Response:
        data = PatientSelfUpdateInput(data=request.data)
        data.is_valid(raise_exception=True)
        user: User = request.user  # type: ignore[assignment]
        with transaction.atomic():
            patient = self._own(request)
            if "language" in data.validated_data:
                user_language_set(user=user, language=data.validated_data["language"])
                audit_record(
                    actor=user,
                    action="update",
                    resource="patient",
                    patient_ids=[patient.pk],
                    object_id=str(patient.pk),
                    detail="language",
                )
            if "timezone" in data.validated_data:
                patient = services.patient_timezone_change(
                    patient=patient, timezone_name=data.validated_data["timezone"], changed_by=user
                )
        patient.user = user
        return Response(PatientSelfSerializer(patient).data)


class EnrollmentCodeApi(APIView):
    """A new code for a patient who changed phones; earlier unused codes stop working."""

    permission_classes = [IsClinicStaff]

    @extend_schema(
        request=None, responses={201: inline_serializer("EnrollmentCode", {"enrollment_code": serializers.CharField()})}
    )
    def post(self, request: Request, patient_id: str) -> Response:
        patient = _patient_for(request, patient_id)
        code = services.enrollment_code_issue(patient=patient, issued_by=request.user)  # type: ignore[arg-type]
        audit_record(
            actor=request.user,
            action="create",
            resource="enrollment_code",  # type: ignore[arg-type]
            patient_ids=[patient.pk],
            object_id=str(patient.pk),
        )
        return Response({"enrollment_code": code}, status=status.HTTP_201_CREATED)


class EnrollApi(FailuresThrottled, APIView):
    authentication_classes: list[type] = []
    permission_classes = [AllowAny]
    throttle_scope = "codes"

    @extend_schema(
        request=inline_serializer(
            "EnrollRequest", {"code": OneTimeCodeField(), "device_name": serializers.CharField(required=False)}
        ),
        responses={
            201: inline_serializer("EnrollResponse", {"token": serializers.CharField(), "patient": PatientSerializer()})
        },
    )
    def post(self, request: Request) -> Response:
        body = request.data if isinstance(request.data, dict) else {}
        token, patient = services.patient_enroll(code=body.get("code"), device_name=body.get("device_name"))
        audit_record(
            actor=patient.user, action="enroll", resource="patient", patient_ids=[patient.pk], object_id=str(patient.pk)
        )
        clinic = patient.clinic
        return Response(
            {
                "token": token,
                "role": "patient",
                "patient": PatientSelfSerializer(patient).data,
                "clinic": {"name": clinic.name, "phone": clinic.phone},
            },
            status=status.HTTP_201_CREATED,
        )
