"""Bench-only baselines, served next to the production URLs by bench.settings. Never used in production.

- `plain`: a plain Django view returning a constant (the ceiling for any request on this stack).
- `NaiveSyncApi`: how sync would look written the stock DRF way, `ModelSerializer(many=True)` and
  one `save()` per row, storing the same rows as the real sync.
- `DrfOpenApi`, `DrfAuthApi`, `AlertListNoAuditApi`: the alert list taken apart, one layer at a
  time, to show where an authenticated read spends its time.
- `DrfAuthDatabaseApi`, `AlertListBeforeApi`: the same with the token checked in the database on
  every request and the list through the ORM and `audit_record` (what production did before the
  token cache and the first page's prepared, self-auditing query), measured in the same run.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from rest_framework import exceptions, serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.accounts.authentication import BearerTokenAuthentication, token_in_use, token_user
from backend.accounts.models import DeviceToken, User
from backend.alerts.apis import AlertListApi
from backend.alerts.first_page import Fetched, first_page
from backend.api.permissions import IsClinicStaffOrPatient, IsPatient
from backend.records.models import DoseLog, LabResult, SymptomReport
from shared.sync_schema import fingerprint, parse_lab_item, parse_symptom_item

_CONSTANT = b'{"ok": true}'


def plain(request: HttpRequest) -> HttpResponse:
    return HttpResponse(_CONSTANT, content_type="application/json")


class DrfOpenApi(APIView):
    """DRF's request/response machinery alone: no authentication, no database."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    def get(self, request: Request) -> Response:
        return Response({"ok": True})


class DrfAuthApi(APIView):
    """DRF plus the production Bearer token authentication and role check; no other query."""

    permission_classes = [IsClinicStaffOrPatient]

    def get(self, request: Request) -> Response:
        return Response({"ok": True})


class AlertListNoAuditApi(AlertListApi):
    """The production alert list's first page (remembered token checked in the page's statement,
    prepared query) without its audit, to price the audit. (This class once called
    `super(AlertListApi, self).list`, the auditing mixin's: its row was not "without the audit".)"""

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        alerts = first_page(request.user, request.query_params, request.auth, audit=False)  # type: ignore[arg-type]
        assert alerts is not None, "bench 6 asks for a patient's first page"
        page = self.paginate_queryset(Fetched(alerts))  # type: ignore[arg-type]
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class DatabaseBearer(BearerTokenAuthentication):
    """The Bearer check as it was before the token cache: the database on every request."""

    def authenticate(self, request: Request) -> tuple[User, DeviceToken] | None:
        header = request.META.get("HTTP_AUTHORIZATION", "").split()
        if len(header) != 2 or header[0] != "Bearer":
            return None
        found = token_user(header[1])
        if found is None or not token_in_use(*found):
            raise exceptions.AuthenticationFailed("Invalid or revoked token.")
        return found


class DrfAuthDatabaseApi(DrfAuthApi):
    """DRF + the Bearer check in the database on every request (before)."""

    authentication_classes = [DatabaseBearer]


class AlertListBeforeApi(AlertListApi):
    """The alert list as it was before: token in the database, list through the ORM (compiled per
    request), then `audit_record`'s own INSERT."""

    authentication_classes = [DatabaseBearer]

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super(AlertListApi, self).list(request, *args, **kwargs)  # the auditing mixin's list


# -- the stock-DRF sync --------------------------------------------------------------------------


class _NaiveLab(serializers.ModelSerializer):
    id = serializers.UUIDField()

    class Meta:
        model = LabResult
        fields = ["id", "analyte", "value", "unit", "collected_at", "reference_low", "reference_high"]

    def to_internal_value(self, data: Any) -> Any:
        attrs = super().to_internal_value(data)
        # The same domain checks and derived columns as the real sync (canonical value, fingerprint).
        item = parse_lab_item(data, now=timezone.now())
        lab = item.lab
        attrs.update(
            analyte=lab.analyte.key,
            unit=lab.unit.key,
            value=lab.value,
            canonical_value=lab.canonical_value,
            reference_low=lab.reference_low,
            reference_high=lab.reference_high,
            collected_at=item.collected_at,
            fingerprint=item.fingerprint(),
        )
        return attrs


class _NaiveSymptom(serializers.ModelSerializer):
    id = serializers.UUIDField()

    class Meta:
        model = SymptomReport
        fields = ["id", "symptom", "answers", "reported_at"]

    def to_internal_value(self, data: Any) -> Any:
        attrs = super().to_internal_value(data)
        item = parse_symptom_item(data, now=timezone.now())
        answers = {k: (str(v) if not isinstance(v, (bool, int, str)) else v) for k, v in item.answers.items()}
        attrs.update(
            symptom=item.symptom, answers=answers, reported_at=item.reported_at, fingerprint=item.fingerprint()
        )
        return attrs


class _NaiveDose(serializers.ModelSerializer):
    id = serializers.UUIDField()

    class Meta:
        model = DoseLog
        fields = ["id", "drug", "status", "taken_at"]

    def validate(self, attrs: Any) -> Any:
        attrs["fingerprint"] = fingerprint(
            {"drug": attrs["drug"], "status": attrs["status"], "taken_at": attrs["taken_at"]}
        )
        return attrs


class NaiveSyncApi(APIView):
    """`ModelSerializer(many=True)`, `is_valid()`, `save()`: one INSERT per row, Django's default
    autocommit, as a first version would be written."""

    permission_classes = [IsPatient]

    def post(self, request: Request) -> Response:
        patient = request.user.patient  # type: ignore[union-attr]
        now = timezone.now()
        accepted: list[str] = []
        for key, serializer_class in (
            ("lab_results", _NaiveLab),
            ("symptom_reports", _NaiveSymptom),
            ("dose_logs", _NaiveDose),
        ):
            serializer = serializer_class(data=request.data.get(key, []), many=True)
            serializer.is_valid(raise_exception=True)
            serializer.save(patient=patient, received_at=now)
            accepted.extend(str(row.id) for row in serializer.instance)
        return Response({"accepted": accepted, "rejected": []})
