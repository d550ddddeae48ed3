"""Contract §3's sync endpoint: the phone's batched upload, answered with what it needs back."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import OpenApiExample, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.alerts.serializers import AlertSerializer
from backend.api.parsers import BoundedJSONParser
from backend.api.permissions import IsPatient
from backend.reminders.serializers import ReminderSerializer
from backend.sync.services import sync_exchange, sync_patient

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
        "lab_context": serializers.DictField(
            help_text=(
                'What the patient\'s lab values are graded with: {"sex": "female"|"male"|null, "baselines": '
                '{analyte: {"value", "unit", "reference_high", "on", "source": "lab"|"entered"}}} '
                "(shared.lab_context.context_to_wire): the last value on or before cycle 1 day 1, or one the "
                "care team entered, for the analytes CTCAE grades against a baseline."
            )
        ),
        "care_status": serializers.DictField(
            help_text=(
                'Whether the care team follows the patient now: {"status": "active"|"paused"|"discharged", '
                '"since": time or null, "alerts_paused": bool, "message": text to show ("" when active)}. '
                "Paused or discharged: no reminders (the list is empty) and no alerts; what is logged is "
                "still kept; the message says to call the clinic for urgent symptoms."
            )
        ),
    },
)


def _items(what: str) -> serializers.ListField:
    """A list whose items are checked one by one (contract §3: one bad item is rejected alone), so the
    request takes any item, and an item that is not a valid one comes back in `rejected`."""
    return serializers.ListField(
        child=serializers.JSONField(),
        required=False,
        allow_null=True,
        help_text=f"{what} null or left out: none. Each item is checked alone: one that is not valid is "
        "listed in `rejected` with its reasons, and the others are stored.",
    )


class SyncApi(APIView):
    """Contract §3: the phone's batched upload, answered with what it needs back."""

    permission_classes = [IsPatient]
    parser_classes = [BoundedJSONParser]  # text is checked per item (shared.sync_schema), so one bad item fails alone

    @extend_schema(
        request=inline_serializer(
            "SyncRequest",
            {
                "cursor": serializers.CharField(allow_null=True, required=False),
                "lab_results": _items("Lab results (contract §3)."),
                "symptom_reports": _items("Symptom reports (contract §3)."),
                "dose_logs": _items("Dose logs (contract §3)."),
                "marker_results": _items(
                    "Contract §5 marker items, as POST /api/v1/patients/{id}/markers/ takes them."
                ),
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
        user = request.user
        patient = sync_patient(user)  # type: ignore[arg-type]
        return Response(sync_exchange(user=user, patient=patient, body=request.data, now=timezone.now()))  # type: ignore[arg-type]
