"""FHIR over DRF: `application/fhir+json` in and out, and every error an `OperationOutcome` with
its 4xx (contract §6), including DRF's own (no token, a wrong role, a body that is not JSON)."""

from __future__ import annotations

from typing import Any

import orjson
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import Http404
from rest_framework import exceptions
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.permissions import BasePermission
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder
from rest_framework.views import APIView

from backend.accounts.authentication import BearerTokenAuthentication
from backend.accounts.models import Role
from backend.api.parsers import SafeJSONParser
from backend.core.errors import ApplicationError
from backend.fhir.authentication import IntegrationCredentialAuthentication
from backend.fhir.models import INTEGRATION_ROLE
from backend.fhir.resources.operation_outcome import Issue, operation_outcome

FHIR_JSON = "application/fhir+json"
_DRF_ENCODER = JSONEncoder()


class FhirError(Exception):
    """A refusal to answer as one OperationOutcome."""

    def __init__(self, status: int, issues: list[Issue]) -> None:
        super().__init__("; ".join(i.diagnostics for i in issues))
        self.status = status
        self.issues = issues


def refuse(status: int, code: str, diagnostics: str, expression: str | None = None) -> FhirError:
    return FhirError(status, [Issue(code, diagnostics, expression)])


class FhirJSONRenderer(JSONRenderer):
    """Compact UTF-8 JSON by orjson: the standard library's encoder took 19 of a two-year
    `$everything`'s 75 ms (1.7 MB; bench/README.md, bench 8), orjson takes under 2. What orjson does
    not know itself (a Decimal, a lazy string, a date) goes through DRF's encoder, as before."""

    media_type = FHIR_JSON
    format = "json"
    charset = "utf-8"  # FHIR's JSON is UTF-8; the header says so

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        if data is None:
            return b""
        return orjson.dumps(data, default=_DRF_ENCODER.default, option=orjson.OPT_PASSTHROUGH_DATETIME)


class FhirParser(SafeJSONParser):
    media_type = FHIR_JSON


class PlainJSONParser(SafeJSONParser):
    media_type = "application/json"


class FhirNegotiation(DefaultContentNegotiation):
    """Always FHIR JSON: an Accept of application/json (or anything else) is answered the same way
    rather than with a 406, which FHIR clients rarely expect."""

    def select_renderer(self, request: Any, renderers: Any, format_suffix: str | None = None) -> Any:
        renderer = renderers[0]
        return renderer, renderer.media_type


# The issue type of each DRF refusal (http://hl7.org/fhir/issue-type); DRF keeps its status.
_DRF_CODES = {
    exceptions.NotAuthenticated: "login",
    exceptions.AuthenticationFailed: "login",
    exceptions.PermissionDenied: "forbidden",
    exceptions.NotFound: "not-found",
    exceptions.MethodNotAllowed: "not-supported",
    exceptions.UnsupportedMediaType: "not-supported",
    exceptions.NotAcceptable: "not-supported",
    exceptions.ParseError: "structure",
    exceptions.Throttled: "throttled",
}


FHIR_ROLES = (Role.NURSE, Role.ADMIN, INTEGRATION_ROLE)


class IsFhirClient(BasePermission):
    """A nurse or clinic admin (contract §6), or a clinic's integration credential."""

    message = "Your account cannot use FHIR."

    def has_permission(self, request: Any, view: Any) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and getattr(user, "role", None) in FHIR_ROLES)


class FhirApi(APIView):
    """Base of the FHIR views: staff of a clinic or an integration credential, FHIR JSON,
    OperationOutcome errors."""

    authentication_classes = [IntegrationCredentialAuthentication, BearerTokenAuthentication]
    permission_classes = [IsFhirClient]
    renderer_classes = [FhirJSONRenderer]
    parser_classes = [FhirParser, PlainJSONParser]
    content_negotiation_class = FhirNegotiation
    schema = None  # FHIR's own contract (CapabilityStatement), not the OpenAPI schema of /api/v1/

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, FhirError):
            return Response(operation_outcome(exc.issues), status=exc.status)
        if isinstance(exc, ApplicationError):
            issues = [Issue("invalid", " ".join(v), k) for k, v in exc.errors.items()]
            return Response(operation_outcome(issues), status=exc.status, headers=exc.headers or None)
        for kind, code in _DRF_CODES.items():
            if isinstance(exc, kind):
                response = super().handle_exception(exc)  # keeps WWW-Authenticate, Retry-After
                response.data = operation_outcome([Issue(code, str(exc.detail))])
                return response
        if isinstance(exc, RequestDataTooBig):  # raised by Django when the body is read
            limit = (settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0) / 2**20
            text = f"The body is larger than {limit:g} MB: send the results in several Bundles."
            return Response(operation_outcome([Issue("too-costly", text)]), status=413)
        if isinstance(exc, Http404):
            return Response(operation_outcome([Issue("not-found", "Not found.")]), status=404)
        return super().handle_exception(exc)
