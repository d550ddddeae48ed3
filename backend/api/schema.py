"""OpenAPI: the Bearer device tokens, and every error answer an operation can give, described once.

Each view documents its successes; `CareLoopAutoSchema` adds the error answers that the view's own
configuration implies, so that no view repeats them and a client (or the fuzzing in
tests/backend/api/test_fuzz.py) can hold the API to the document:

- 400, the API's `{"errors": ...}` shape (backend/api/exceptions.py), to anything with a body or a
  query parameter;
- 401 wherever a token is read (a missing, unknown, revoked or expired one);
- 403 where a role is required (a patient asking for a nurse's call);
- 404 where the path or the `patient` query names an object (another clinic's is not found either);
- 429, with Retry-After, where failures are throttled (backend/core/throttling.py).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension, OpenApiSerializerFieldExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from rest_framework.permissions import AllowAny, IsAuthenticated


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "backend.accounts.authentication.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer", "description": "A device token from /auth/token/ or /auth/enroll/."}


# The zone list itself (about 600 names) is not enumerated here: it is the IANA database this server
# runs on (zoneinfo.available_timezones()), and a name outside it is refused with its reason.
TIME_ZONE = ResolvedComponent(
    name="TimeZone",
    type=ResolvedComponent.SCHEMA,
    object="TimeZone",
    schema={
        "type": "string",
        "pattern": r"^[A-Za-z][A-Za-z0-9_+\-]*(/[A-Za-z0-9_+\-]+)*$",
        "maxLength": 64,
        "example": "America/New_York",
        "description": "An IANA time zone name (the tz database), e.g. America/New_York or Europe/Berlin; "
        "not an offset or an abbreviation.",
    },
)


class TimeZoneNameExtension(OpenApiSerializerFieldExtension):
    target_class = "backend.api.fields.TimeZoneNameField"

    def map_serializer_field(self, auto_schema: Any, direction: Any) -> Any:
        auto_schema.registry.register_on_missing(TIME_ZONE)
        help_text = getattr(self.target, "help_text", None)
        return {"allOf": [TIME_ZONE.ref], **({"description": str(help_text)} if help_text else {})}


_MESSAGES = {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "object"}]}}
ERRORS = ResolvedComponent(
    name="Errors",
    type=ResolvedComponent.SCHEMA,
    object="Errors",
    schema={
        "type": "object",
        "description": 'What was wrong: `{"errors": {field: [reason, ...]}}` (nested fields as dotted names, '
        "`detail` for the request as a whole), or for a list body a list with one such object per item "
        "(`{}` for a good one).",
        "properties": {
            "errors": {
                "anyOf": [
                    {"type": "object", "additionalProperties": _MESSAGES},
                    {"type": "array", "items": {"type": "object", "additionalProperties": _MESSAGES}},
                ]
            },
            "detail": {"type": "string", "description": "The same reason, for a refusal of the request as a whole."},
        },
        "required": ["errors"],
    },
)

_DESCRIPTIONS = {
    "400": "The request was not valid: each field named with its reason.",
    "401": "No token, or a token that is unknown, revoked or expired.",
    "403": "Your account cannot do this.",
    "404": "Not found, or not yours to see.",
    "429": "Too many failed attempts from here: try again after Retry-After seconds.",
}
_RETRY_AFTER = {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds until the next attempt."}}


class CareLoopAutoSchema(AutoSchema):
    def _get_response_bodies(self, direction: Any = "response") -> Any:
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        self.registry.register_on_missing(ERRORS)
        for code in self.error_codes():
            responses.setdefault(code, {"description": _DESCRIPTIONS[code]})
            if code == "429":
                responses[code]["headers"] = _RETRY_AFTER
        for code, answer in responses.items():  # a view's own error answers (409) have the same shape
            if code.startswith("4"):
                answer.setdefault("content", {})["application/json"] = {"schema": ERRORS.ref}
        return responses

    def error_codes(self) -> list[str]:
        """The error answers this operation can give, from the view's authentication, permissions,
        throttles, path and parameters."""
        view = self.view
        permissions = [type(p) for p in view.get_permissions()]
        parameters = [p for p in self._get_parameters() if p.get("in") == "query"]
        codes = []
        if self._get_request_body() or parameters:
            codes.append("400")
        if view.get_authenticators():
            codes.append("401")
        # A role is required, or the view itself decides what a signed-in person may do (AllowAny
        # with a token read: accepting an invitation as an existing caregiver).
        if any(p not in (AllowAny, IsAuthenticated) for p in permissions) or (
            AllowAny in permissions and view.get_authenticators()
        ):
            codes.append("403")
        if "{" in self.path or any(p["name"] == "patient" for p in parameters):
            codes.append("404")
        if getattr(view, "throttle_scope", None):
            codes.append("429")
        return codes
