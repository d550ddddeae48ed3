"""Caregiver endpoints (contract §2): the patient invites, lists and revokes; the caregiver accepts."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.accounts.models import Role
from backend.api.pagination import NewestFirst
from backend.api.permissions import IsPatient
from backend.audit.services import audit_record
from backend.caregivers import selectors, services
from backend.caregivers.models import CaregiverInvite, CaregiverLink
from backend.caregivers.serializers import (
    CaregiverInviteCreatedSerializer,
    CaregiverInviteSerializer,
    CaregiverLinkSerializer,
    InviteAcceptedSerializer,
    InviteAcceptInput,
    InviteCreateInput,
)
from backend.core.errors import NotFound
from backend.core.throttling import FailuresThrottled
from backend.patients.models import Patient


def _own_patient(request: Request) -> Patient:
    patient = Patient.objects.filter(user_id=request.user.pk).first()
    if patient is None:
        raise NotFound()
    return patient


def _body(request: Request) -> dict[str, Any]:
    return request.data if isinstance(request.data, dict) else {}


class CaregiverInviteListCreateApi(generics.ListAPIView):
    """The patient's invitations that nobody has used yet; POST makes a new one."""

    permission_classes = [IsPatient]
    serializer_class = CaregiverInviteSerializer
    pagination_class = NewestFirst

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return CaregiverInvite.objects.none()
        return selectors.invites_pending(patient=_own_patient(self.request))

    @extend_schema(request=InviteCreateInput, responses={201: CaregiverInviteCreatedSerializer})
    def post(self, request: Request) -> Response:
        patient = _own_patient(request)
        invite, code = services.invite_create(patient=patient, scopes=_body(request).get("scopes"))
        audit_record(
            actor=request.user,  # type: ignore[arg-type]
            action="create",
            resource="caregiver_invite",
            patient_ids=[patient.pk],
            object_id=str(invite.pk),
            detail=",".join(invite.scopes),
        )
        body = CaregiverInviteSerializer(invite).data | {"code": code}
        return Response(body, status=status.HTTP_201_CREATED)


class CaregiverInviteWithdrawApi(APIView):
    permission_classes = [IsPatient]

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request, invite_id: UUID) -> Response:
        patient = _own_patient(request)
        services.invite_withdraw(patient=patient, invite_id=invite_id)
        audit_record(
            actor=request.user,  # type: ignore[arg-type]
            action="delete",
            resource="caregiver_invite",
            patient_ids=[patient.pk],
            object_id=str(invite_id),
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class CaregiverInviteAcceptApi(FailuresThrottled, APIView):
    """A new caregiver trades the code, a username and a password for an account and a token. A
    caregiver who already has an account adds this patient signed in, with their own Bearer token
    and only the code: never with a password in the body."""

    permission_classes = [AllowAny]
    throttle_scope = "codes"

    @extend_schema(
        request=InviteAcceptInput,
        responses={201: InviteAcceptedSerializer},
        description=(
            "Without a token: {code, username, password} makes a new caregiver account. With a "
            "caregiver's own Bearer token: {code} adds this patient to that account."
        ),
    )
    def post(self, request: Request) -> Response:
        body = _body(request)
        signed_in = request.user if request.user is not None and request.user.is_authenticated else None
        accepted = services.invite_accept(
            code=body.get("code"),
            username=body.get("username"),
            password=body.get("password"),
            display_name=body.get("display_name"),
            device_name=body.get("device_name"),
            caregiver=signed_in,  # type: ignore[arg-type]
        )
        link = accepted.link
        audit_record(
            actor=link.caregiver,
            action="create",
            resource="caregiver_link",
            patient_ids=[link.patient_id],
            object_id=str(link.pk),
            detail=",".join(link.scopes),
        )
        return Response(
            {
                "token": accepted.token,
                "role": Role.CAREGIVER.value,
                "patient": {"id": str(link.patient_id), "display_name": link.patient.display_name},
                "scopes": link.scopes,
            },
            status=status.HTTP_201_CREATED,
        )


class CaregiverListApi(generics.ListAPIView):
    """Everyone the patient invited who accepted, revoked ones included."""

    permission_classes = [IsPatient]
    serializer_class = CaregiverLinkSerializer
    pagination_class = NewestFirst

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return CaregiverLink.objects.none()
        return selectors.links_of_patient(patient=_own_patient(self.request))


class CaregiverRevokeApi(APIView):
    permission_classes = [IsPatient]

    @extend_schema(request=None, responses=CaregiverLinkSerializer)
    def post(self, request: Request, link_id: UUID) -> Response:
        patient = _own_patient(request)
        link = services.caregiver_revoke(patient=patient, link_id=link_id)
        audit_record(
            actor=request.user,  # type: ignore[arg-type]
            action="revoke",
            resource="caregiver_link",
            patient_ids=[patient.pk],
            object_id=str(link.pk),
        )
        return Response(CaregiverLinkSerializer(link).data)
