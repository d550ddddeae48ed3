"""Reminder and adherence endpoints. A patient reads and sets their own; a nurse or clinic admin
names one of her clinic's patients (`?patient=<id>`, or the id in the path); anyone else gets 404."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.accounts.models import Role, User
from backend.api.permissions import IsClinicStaff, IsClinicStaffOrPatient, IsPatient
from backend.audit.services import audit_record
from backend.core.errors import ApplicationError
from backend.patients.models import Patient
from backend.reminders import selectors
from backend.reminders.materialise import reminder_plan_update
from backend.reminders.plans import reminder_plan_ensure
from backend.reminders.serializers import (
    CycleAdherenceSerializer,
    ReminderPlanInput,
    ReminderPlanSerializer,
    ReminderSerializer,
)

_PATIENT_PARAM = OpenApiParameter(
    "patient",
    OpenApiTypes.UUID,
    description="Which of your clinic's patients: required of a nurse or admin (400 without it); "
    "a patient may leave it out or give their own id.",
    required=False,
)
_DAYS_PARAM = OpenApiParameter(
    "days", OpenApiTypes.INT, description=f"How far ahead, 1-{selectors.MAX_UPCOMING_DAYS} (default 7)."
)


def _user(request: Request) -> User:
    return request.user  # type: ignore[return-value]


def _audit_staff_read(request: Request, patient: Patient, resource: str) -> None:
    if _user(request).role != Role.PATIENT:
        audit_record(
            actor=_user(request),
            action="read",
            resource=resource,
            patient_ids=[patient.pk],  # type: ignore[list-item]
            object_id=str(patient.pk),
        )


def _days(raw: Any) -> int:
    if raw in (None, ""):
        return selectors.UPCOMING_DAYS
    try:
        days = int(raw)
    except (TypeError, ValueError):
        days = 0
    if not 1 <= days <= selectors.MAX_UPCOMING_DAYS:
        raise ApplicationError({"days": [f"Must be a whole number from 1 to {selectors.MAX_UPCOMING_DAYS}."]})
    return days


class ReminderListApi(APIView):
    """Upcoming reminders, computed from the plan: the phone keeps them and shows them offline."""

    permission_classes = [IsClinicStaffOrPatient]

    @extend_schema(parameters=[_PATIENT_PARAM, _DAYS_PARAM], responses=ReminderSerializer(many=True))
    def get(self, request: Request) -> Response:
        patient = selectors.patient_for_reminders(user=_user(request), patient_id=request.query_params.get("patient"))
        days = _days(request.query_params.get("days"))
        _audit_staff_read(request, patient, "reminders")
        return Response(selectors.upcoming_reminders_payload(patient=patient, now=timezone.now(), days=days))


class ReminderPlanApi(APIView):
    """The reminder times. PUT or PATCH change the fields sent; the others keep their value."""

    permission_classes = [IsClinicStaffOrPatient]

    def _patient(self, request: Request) -> Patient:
        return selectors.patient_for_reminders(user=_user(request), patient_id=request.query_params.get("patient"))

    @extend_schema(parameters=[_PATIENT_PARAM], responses=ReminderPlanSerializer)
    def get(self, request: Request) -> Response:
        patient = self._patient(request)
        plan = reminder_plan_ensure(patient=patient)
        _audit_staff_read(request, patient, "reminder_plan")
        return Response(ReminderPlanSerializer(plan).data)

    @extend_schema(parameters=[_PATIENT_PARAM], request=ReminderPlanInput, responses=ReminderPlanSerializer)
    def put(self, request: Request) -> Response:
        patient = self._patient(request)
        data = ReminderPlanInput(data=request.data)
        data.is_valid(raise_exception=True)
        plan = reminder_plan_update(patient=patient, actor=_user(request), changes=data.validated_data)
        audit_record(
            actor=_user(request),
            action="update",
            resource="reminder_plan",
            patient_ids=[patient.pk],  # type: ignore[list-item]
            object_id=str(patient.pk),
            detail=", ".join(sorted(data.validated_data))[:200],
        )
        return Response(ReminderPlanSerializer(plan).data)

    @extend_schema(parameters=[_PATIENT_PARAM], request=ReminderPlanInput, responses=ReminderPlanSerializer)
    def patch(self, request: Request) -> Response:
        return self.put(request)


class AdherenceApi(APIView):
    """The signed-in patient's own adherence, per cycle and drug."""

    permission_classes = [IsPatient]

    @extend_schema(responses=CycleAdherenceSerializer(many=True))
    def get(self, request: Request) -> Response:
        patient = selectors.patient_for_reminders(user=_user(request), patient_id=None)
        rows = selectors.adherence_for(patient=patient, now=timezone.now())
        return Response(CycleAdherenceSerializer(rows, many=True).data)


class PatientAdherenceApi(APIView):
    """A patient's adherence per cycle and drug, for the nurses of their clinic."""

    permission_classes = [IsClinicStaff]

    @extend_schema(responses=CycleAdherenceSerializer(many=True))
    def get(self, request: Request, patient_id: str) -> Response:
        patient = selectors.patient_for_reminders(user=_user(request), patient_id=patient_id)
        rows = selectors.adherence_for(patient=patient, now=timezone.now())
        _audit_staff_read(request, patient, "adherence")
        return Response(CycleAdherenceSerializer(rows, many=True).data)
