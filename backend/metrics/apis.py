"""`GET /api/v1/metrics/`: the clinic's figures over a period, for its nurses and admins."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.accounts.models import User
from backend.api.permissions import IsClinicStaff
from backend.core.errors import ApplicationError
from backend.metrics.period import DEFAULT_DAYS, MAX_DAYS, period_parse
from backend.metrics.report import metrics_csv, metrics_payload
from backend.metrics.selectors import clinic_metrics
from backend.metrics.serializers import MetricsSerializer


class MetricsCsvRenderer(BaseRenderer):
    """`Accept: text/csv` (or `?format=csv`): the same figures, one per line."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        return metrics_csv(data).encode()


_SPREAD = {"count": 3, "median_seconds": 540.0, "p90_seconds": 1620.0}
_EXAMPLE = {
    "from": "2026-11-05",
    "to": "2026-12-02",
    "patients": 40,
    "patient_weeks": 160.0,
    "alerts": {
        "raised": 48,
        "per_patient_week": 0.3,
        "backlog_history": 2,
        "resolved": 44,
        "resolved_with_outcome": 41,
        "led_to_action": 24,
        "action_share": 0.585,
        "by_severity": [
            {
                "severity": "critical",
                "raised": 6,
                "unacknowledged": 0,
                "to_acknowledge": _SPREAD,
                "to_resolve": _SPREAD,
            },
        ],
    },
    "escalations": {"steps": 5, "alerts": 4, "on_call": 1},
    "workload": [{"name": "Nina Novak", "acknowledged": 30, "resolved": 28}],
    "adherence": {"due": 2900, "taken": 2610, "rate": 0.9},
    "response_tests": {"due": 40, "done": 34, "rate": 0.85},
    "lab_draws": {"reminded": 120, "done": 101, "rate": 0.842},
}


FORMATS = ("json", "csv")


class MetricsApi(APIView):
    """The figures of the service for the caller's clinic (issue 16 §5): counts, rates and
    durations, never a patient's name or id."""

    permission_classes = [IsClinicStaff]
    renderer_classes = [JSONRenderer, MetricsCsvRenderer]

    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        # DRF answers an unknown `?format=` with a 404, as if the figures did not exist: say what was wrong.
        asked = request.query_params.get("format")
        if asked is not None and asked not in FORMATS:
            if force:  # answering an error: in JSON
                return JSONRenderer(), JSONRenderer.media_type
            raise ApplicationError({"format": [f"Use one of {', '.join(FORMATS)}, or leave it out."]})
        return super().perform_content_negotiation(request, force)

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        if response.status_code >= 400:  # a refusal says why in JSON, whatever format was asked for
            request.accepted_renderer, request.accepted_media_type = JSONRenderer(), "application/json"
        return super().finalize_response(request, response, *args, **kwargs)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "format",
                OpenApiTypes.STR,
                enum=FORMATS,
                description="csv: the same figures, one per line (or send `Accept: text/csv`).",
            ),
            OpenApiParameter(
                "from",
                OpenApiTypes.DATE,
                description=f"First day (UTC), inclusive; default: the {DEFAULT_DAYS} days ending on `to`.",
            ),
            OpenApiParameter(
                "to",
                OpenApiTypes.DATE,
                description="Last day (UTC), inclusive, today or earlier; "
                f"default today. At most {MAX_DAYS} days in all.",
            ),
        ],
        responses={
            (200, "application/json"): OpenApiResponse(
                MetricsSerializer,
                description="Rates are 0..1 and null when there is nothing to divide; durations in seconds. "
                "`alerts.by_severity[].to_acknowledge` / `to_resolve` count the alerts raised in the period "
                "that were acknowledged / resolved by now, with their median and 90th percentile.",
                examples=[OpenApiExample("four weeks", value=_EXAMPLE)],
            ),
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="from,to,measure,value per figure."),
            400: OpenApiResponse(
                description='{"errors": {"from" | "to": [reason]}}: not a YYYY-MM-DD date, '
                "`from` after `to`, `to` after today, or a period over 366 days; "
                '{"errors": {"format": [reason]}}: a format other than json or csv.'
            ),
            401: OpenApiResponse(description="No or a revoked token."),
            403: OpenApiResponse(description="Patients and caregivers: the figures are for clinic staff."),
        },
        description="Alerts per patient-week, the share of resolved alerts that led to an action, time to "
        "acknowledge and to resolve by severity, escalations, per-nurse workload, adherence, response-test and "
        "blood-draw completion, for the caller's clinic.",
    )
    def get(self, request: Request) -> Response:
        user: User = request.user  # type: ignore[assignment]
        now = timezone.now()
        period = period_parse(request.query_params, today=now.date())
        if user.clinic_id is None:
            raise ApplicationError({"detail": ["Your account is not attached to a clinic."]}, status=403)
        return Response(metrics_payload(clinic_metrics(clinic_id=user.clinic_id, period=period, now=now)))
