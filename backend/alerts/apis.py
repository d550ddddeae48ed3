from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.accounts.authentication import (
    BearerTokenAuthentication,
    BearerVerifiedInStatement,
    unverified,
    verified,
)
from backend.accounts.models import STAFF_ROLES
from backend.alerts import services
from backend.alerts.first_page import Fetched, TokenUnverified, first_page
from backend.alerts.models import Alert, Severity, Status
from backend.alerts.serializers import AlertSerializer
from backend.api.pagination import NewestFirst
from backend.api.permissions import IsClinicStaff, IsClinicStaffOrPatient
from backend.audit.mixins import AuditedListMixin
from backend.audit.services import audit_record
from backend.core.errors import ApplicationError


class _PatientIdField(forms.UUIDField):
    """`?patient=` names a patient: empty is a 400, as any other id that is not one."""

    def clean(self, value: Any) -> Any:
        if value == "":
            raise forms.ValidationError("Must be a patient id (a UUID).")
        return super().clean(value)


class _PatientFilter(django_filters.UUIDFilter):
    field_class = _PatientIdField


class AlertFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=Status.choices, distinct=False)
    severity = django_filters.MultipleChoiceFilter(choices=Severity.choices, distinct=False)
    kind = django_filters.CharFilter()
    patient = _PatientFilter(field_name="patient_id")

    class Meta:
        model = Alert
        fields = ["status", "severity", "kind", "patient"]


class AlertListApi(AuditedListMixin, generics.ListAPIView):
    authentication_classes = [BearerVerifiedInStatement]
    audit_resource = "alert"
    serializer_class = AlertSerializer
    permission_classes = [IsClinicStaffOrPatient]
    filterset_class = AlertFilter
    pagination_class = NewestFirst

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return Alert.objects.none()
        alerts = services.alerts_visible_to(self.request.user)  # type: ignore[arg-type]
        # Only staff are shown the escalation steps (AlertSerializer): nobody else pays the query.
        return alerts.prefetch_related("escalation_steps") if self.request.user.role in STAFF_ROLES else alerts

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        # The first page, no parameter: prepared SQL, the token checked and the read audited in the
        # same statement (first_page); anything else: the general path, on a token checked first.
        alerts = None
        if not getattr(self, "swagger_fake_view", False):
            try:
                alerts = first_page(request.user, request.query_params, request.auth)  # type: ignore[arg-type]
            except TokenUnverified:
                return self._again(request, failed=True)
        if alerts is None:
            if unverified(request):
                return self._again(request)
            return super().list(request, *args, **kwargs)
        page = self.paginate_queryset(Fetched(alerts))  # type: ignore[arg-type]
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def get_authenticators(self) -> list[Any]:
        if getattr(self, "swagger_fake_view", False):  # the schema: to a client, the same Bearer token
            return [BearerTokenAuthentication()]
        return super().get_authenticators()  # type: ignore[no-any-return]

    def _again(self, request: Request, *, failed: bool = False) -> Response:
        """Authenticated again with the token checked (401 if it ended), then listed."""
        verified(request, failed=failed)
        self.check_permissions(request)
        return self.list(request)

    def filter_queryset(self, queryset: Any) -> Any:
        # No filter asked for: skip django-filter's form, about 15% of a patient's plain list.
        if not any(name in self.request.query_params for name in AlertFilter.base_filters):
            return queryset
        return super().filter_queryset(queryset)


class _AlertActionApi(APIView):
    permission_classes = [IsClinicStaff]

    def respond(self, request: Request, alert: Alert, action: str) -> Response:
        audit_record(
            actor=request.user,
            action=action,
            resource="alert",  # type: ignore[arg-type]
            patient_ids=[alert.patient_id],
            object_id=str(alert.pk),
        )
        return Response(AlertSerializer(alert, context={"request": request}).data)


class AlertAcknowledgeApi(_AlertActionApi):
    @extend_schema(request=None, responses=AlertSerializer)
    def post(self, request: Request, alert_id: str) -> Response:
        action = services.alert_acknowledge(user=request.user, alert_id=alert_id)  # type: ignore[arg-type]
        # Acknowledging an acknowledged alert changes nothing: on the record as the read it is.
        return self.respond(request, action.alert, "acknowledge" if action.done else "read")


class AlertResolveApi(_AlertActionApi):
    @extend_schema(
        request=inline_serializer(
            "AlertResolve",
            {
                "note": serializers.CharField(required=False, allow_blank=True, allow_null=True),
                "outcome": serializers.ChoiceField(
                    choices=services.OUTCOMES,
                    required=False,
                    allow_null=True,
                    allow_blank=True,
                    help_text='null or "": not recorded.',
                ),
            },
        ),
        responses=AlertSerializer,
    )
    def post(self, request: Request, alert_id: str) -> Response:
        body: Any = request.data
        if not isinstance(body, dict):  # a list or a bare value: nothing in it is a note or an outcome
            raise ApplicationError({"non_field_errors": ["The body must be a JSON object: {note, outcome}."]})
        action = services.alert_resolve(
            user=request.user,  # type: ignore[arg-type]
            alert_id=alert_id,
            note=body.get("note"),
            outcome=body.get("outcome"),
        )
        # Already resolved (a colleague first, or a retry): the first resolution stands and answers;
        # a note sent with it joins the alert's notes, on the record as a note, not a resolution.
        if not action.done and action.note is not None:
            audit_record(
                actor=request.user,  # type: ignore[arg-type]
                action="create",
                resource="alert_note",
                patient_ids=[action.alert.patient_id],
                object_id=str(action.alert.pk),
            )
        return self.respond(request, action.alert, "resolve" if action.done else "read")
