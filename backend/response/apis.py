"""Contract §5 endpoints: the care team's markers, a patient's response, and the clinic's
measurability setting. Thin: checks and work are in services and selectors."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.accounts.models import Role, User
from backend.api.permissions import IsClinicStaff, _HasRole
from backend.audit.services import audit_record
from backend.core.errors import ApplicationError
from backend.response import selectors
from backend.response.models import MarkerResult
from backend.response.services import markers_record, response_settings_for, response_settings_update


class IsClinicStaffOrOwnPatient(_HasRole):
    roles = (Role.NURSE, Role.ADMIN, Role.PATIENT)


class IsClinicAdmin(_HasRole):
    roles = (Role.ADMIN,)


def _user(request: Request) -> User:
    return request.user  # type: ignore[return-value]


def _marker_item(name: str, **kwargs: Any) -> Any:
    return inline_serializer(name, _marker_fields(), **kwargs)


def _marker_fields() -> dict[str, Any]:
    return {
        "id": serializers.UUIDField(help_text="Made by the client; sending it again changes nothing."),
        "marker": serializers.ChoiceField(
            choices=[
                "serum_m_protein",
                "urine_m_protein",
                "kappa_flc",
                "lambda_flc",
                "serum_ife",
                "urine_ife",
                "marrow_plasma_cells",
                "marrow_clonal_cells",
                "new_lesion",
                "mrd",
            ]
        ),
        "value": serializers.JSONField(
            help_text="A number >= 0 (M-protein, FLC, marrow %), or a word: positive/negative (serum_ife, "
            "urine_ife, mrd), present/absent (marrow_clonal_cells), yes/no (new_lesion)."
        ),
        "unit": serializers.CharField(
            required=False,
            allow_null=True,
            help_text="serum_m_protein g/dL or g/L; urine_m_protein mg/24h or g/24h; kappa_flc and lambda_flc "
            "mg/L or mg/dL; marrow_plasma_cells %. Left out for the qualitative markers.",
        ),
        "collected_at": serializers.DateTimeField(help_text="ISO 8601 with an offset; not in the future."),
        "method": serializers.ChoiceField(
            choices=["NGF", "NGS"], required=False, allow_null=True, help_text="mrd only; null: not given."
        ),
        "sensitivity": serializers.ChoiceField(
            choices=["1e-5", "1e-6"], required=False, allow_null=True, help_text="mrd only; null: not given."
        ),
        "reference_low": serializers.FloatField(
            required=False, allow_null=True, help_text="FLC only: the report's range (null: not given)."
        ),
        "reference_high": serializers.FloatField(
            required=False, allow_null=True, help_text="FLC only: the report's range (null: not given)."
        ),
    }


_MarkerItem = _marker_item("MarkerItem")

_CategoryAt = inline_serializer(
    "ResponseCategoryAt",
    {
        "category": serializers.ChoiceField(choices=["sCR", "CR", "VGPR", "PR", "MR", "SD", "PD", "NE"]),
        "confirmed": serializers.BooleanField(),
        "since": serializers.DateField(help_text="First day of the unbroken run meeting this category."),
    },
    allow_null=True,
)
_Mrd = inline_serializer(
    "ResponseMrd",
    {
        "status": serializers.ChoiceField(choices=["negative", "positive"]),
        "method": serializers.CharField(),
        "sensitivity": serializers.CharField(),
        "date": serializers.DateField(),
        "sustained": serializers.BooleanField(help_text="Negative twice at least a year apart."),
    },
    allow_null=True,
)
_Response = inline_serializer(
    "PatientResponse",
    {
        "patient": serializers.UUIDField(),
        "measurable_by": serializers.ChoiceField(
            choices=["serum", "urine", "flc", "marrow"], allow_null=True, help_text="null: no measurable disease."
        ),
        "involved_chain": serializers.ChoiceField(choices=["kappa", "lambda"], allow_null=True),
        "serum_measurable_threshold": serializers.FloatField(help_text="g/dL, the clinic's setting (1.0 or 0.5)."),
        "start_date": serializers.DateField(),
        "baseline": serializers.DictField(
            allow_null=True, help_text="{date, values}: the last assessment on or before start_date."
        ),
        "current": _CategoryAt,
        "best": _CategoryAt,
        "nadir": serializers.DictField(
            allow_null=True,
            help_text="{date, value, unit, progression_at, progression_above}: the tracked value's lowest so far, "
            "and the value from which a rise is progression (reached, or exceeded when progression_above).",
        ),
        "time_to_first_response": serializers.DictField(allow_null=True, help_text="{date, days} from start_date."),
        "duration_of_response": serializers.DictField(allow_null=True, help_text="{from, to, days, ongoing}."),
        "relapse_from_cr": serializers.DictField(allow_null=True, help_text="{date}: reported apart from PD."),
        "mrd": _Mrd,
        "next_test": serializers.DictField(
            allow_null=True,
            help_text="{cycle, due, overdue}: the next SPEP/UPEP/FLC draw (every cycle for cycles 1-6 and "
            "until a confirmed PR; then every 1-3 cycles, the clinic's setting).",
        ),
        "progression_episodes": serializers.ListField(child=serializers.DictField()),
        "assessments": serializers.ListField(
            child=serializers.DictField(),
            help_text="Oldest first: {date, category, confirmed, values, progression, mrd}.",
        ),
    },
)

_EXAMPLE = {
    "id": "0b4f2c3e-9d35-4d2c-8a8e-5b9d1e7f3a21",
    "marker": "serum_m_protein",
    "value": 2.1,
    "unit": "g/dL",
    "collected_at": "2026-11-20T08:30:00-05:00",
}


class MarkerListCreateApi(APIView):
    """The care team's marker results for one of the clinic's patients (contract §5)."""

    permission_classes = [IsClinicStaff]
    parser_classes = [JSONParser]

    @extend_schema(
        request=_MarkerItem,
        responses={
            201: inline_serializer(
                "MarkersAccepted",
                {
                    "accepted": serializers.ListField(child=serializers.CharField()),
                    "created": serializers.IntegerField(),
                },
            ),
            200: OpenApiResponse(description="Every item was stored already (a replay): nothing changed."),
            400: OpenApiResponse(
                description='One item: {"errors": {field: [reason]}}. A list: {"errors": [per item, {} when good]}; '
                "nothing is stored when any item is refused."
            ),
        },
        description="One item or a list of items. Each is stored once; the response is recomputed after.",
        examples=[OpenApiExample("serum M-spike", value=_EXAMPLE, request_only=True)],
    )
    def post(self, request: Request, patient_id: str) -> Response:
        patient = selectors.staff_patient(user=_user(request), patient_id=patient_id)
        accepted, new = markers_record(patient=patient, body=request.data, user=_user(request), now=timezone.now())
        return Response({"accepted": accepted, "created": len(new)}, status=201 if new else 200)

    @extend_schema(
        responses=_marker_item("StoredMarkerItem", many=True),
        description="The patient's markers, newest first, each with `entered_by` (care_team or patient) and, for "
        "numbers, `canonical_value` in `canonical_unit`.",
    )
    def get(self, request: Request, patient_id: str) -> Response:
        patient = selectors.staff_patient(user=_user(request), patient_id=patient_id)
        rows = MarkerResult.objects.filter(patient_id=patient.pk).order_by("-collected_at", "-id")[:2000]
        items = [selectors.marker_item(row) for row in rows]
        audit_record(actor=_user(request), action="read", resource="marker_result", patient_ids=[patient.pk])
        return Response(items)


class ResponseApi(APIView):
    """The patient's response by the IMWG criteria (contract §5): nurse or admin of the clinic, or
    the patient for their own id. Computed from the stored markers at read time."""

    permission_classes = [IsClinicStaffOrOwnPatient]

    @extend_schema(responses=_Response)
    def get(self, request: Request, patient_id: str) -> Response:
        patient = selectors.patient_for_response(user=_user(request), patient_id=patient_id)
        summary, assessments, choices = selectors.response_read(patient)
        threshold = choices.serum_measurable
        if not assessments:
            threshold = selectors.serum_threshold(patient.clinic_id)  # no markers: read the setting itself
        due = selectors.next_response_test(
            patient,
            selectors.last_test_day(assessments),
            selectors.responded(summary),
            choices.test_every_cycles,
            timezone.now(),
        )
        audit_record(actor=_user(request), action="read", resource="response", patient_ids=[patient.pk])
        return Response(selectors.response_payload(patient, summary, threshold, due))


_Settings = inline_serializer(
    "ClinicResponseSettings",
    {
        "serum_measurable": serializers.ChoiceField(
            choices=["1.0", "0.5"], required=False, allow_null=True, help_text="g/dL; null or left out keeps it."
        ),
        "test_every_cycles": serializers.ChoiceField(
            choices=[1, 2, 3],
            required=False,
            allow_null=True,
            help_text="Responders' SPEP/UPEP/FLC every N cycles after cycle 6; null or left out keeps it.",
        ),
    },
)


def _settings_answer(current: Any) -> dict[str, Any]:
    return {"serum_measurable": format(current.serum_measurable, ".1f"), "test_every_cycles": current.test_every_cycles}


class ResponseSettingsApi(APIView):
    """The clinic's serum M-protein threshold for measurable disease: 1.0 g/dL (IMWG) or 0.5 g/dL.
    Nurses read it; a clinic admin changes it (audited; every patient is recomputed)."""

    permission_classes = [IsClinicStaff]

    def _clinic_id(self, request: Request) -> int:
        clinic_id = _user(request).clinic_id
        if clinic_id is None:
            raise ApplicationError({"detail": ["Your account belongs to no clinic."]}, status=403)
        return clinic_id

    @extend_schema(responses=_Settings)
    def get(self, request: Request) -> Response:
        return Response(_settings_answer(response_settings_for(self._clinic_id(request))))

    @extend_schema(request=_Settings, responses=_Settings)
    def put(self, request: Request) -> Response:
        if not IsClinicAdmin().has_permission(request, self):
            raise ApplicationError({"detail": ["Only a clinic admin can change this."]}, status=403)
        self._clinic_id(request)
        body: Any = request.data
        if not isinstance(body, dict):
            raise ApplicationError({"non_field_errors": ["The body must be a JSON object."]})
        updated = response_settings_update(
            clinic=_user(request).clinic,  # type: ignore[arg-type]
            user=_user(request),
            serum_measurable=body.get("serum_measurable"),
            test_every_cycles=body.get("test_every_cycles"),
        )
        return Response(_settings_answer(updated))
