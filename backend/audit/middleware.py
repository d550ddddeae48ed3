"""Every request for patient data ends on the record, whether the view remembered or not.

One place every request passes (API, FHIR, dashboard and Django admin alike), after the view:

- A refusal (403 or 404 from a view, to someone signed in) is recorded as `refused`, with the
  object asked for: probing another clinic's patients leaves a trace. 401 (nobody signed in) has
  no one to record; sign-in lockout and throttles answer guessing there.
- A success (any answer below 400 but a 204/304 to a GET, which showed nothing) on a view that
  is not listed in CARELOOP_AUDIT_EXEMPT_VIEWS (pages that never show patient data) is recorded
  by the view itself, precisely (which patients, which object), or, if the view did not call
  audit_record, here: `read` for GET/HEAD, `write` otherwise, with the patients the URL or the
  JSON answer names, or the signed-in patient's own record.

tests/backend/audit/test_walk.py walks every URL pattern as every role and holds it to this.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from fnmatch import fnmatchcase
from typing import Any
from uuid import UUID

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from backend.accounts.models import User
from backend.audit.services import audit_record, audit_request_scope

REFUSED = "refused"
_UUID = re.compile(r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$")
_PATIENT_KEYS = ("patient", "patient_id")


class AuditTrailMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.exempt: tuple[str, ...] = tuple(settings.CARELOOP_AUDIT_EXEMPT_VIEWS)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session_user = getattr(request, "user", None)  # lazy; a dashboard view may sign the user out
        with audit_request_scope() as audited:
            response = self.get_response(request)
        match = request.resolver_match
        if match is None:  # no such URL: no endpoint was reached
            return response
        actor = _actor(request, session_user)
        if actor is None:
            return response
        name = match.view_name or match.route
        status = response.status_code
        what = f"{request.method} {request.path} {status}"[:200]
        if status in (403, 404):
            audit_record(
                actor=actor,
                action=REFUSED,
                resource=name[:32],
                patient_ids=[_uuid(match.kwargs.get("patient_id"))],
                object_id=_object_id(match.kwargs),
                detail=what,
            )
            return response
        if status >= 400 or audited[0] or self._exempt(name):
            return response
        reading = request.method in ("GET", "HEAD")
        if reading and status in (204, 304):  # nothing shown
            return response
        audit_record(
            actor=actor,
            action="read" if reading else "write",
            resource=name[:32],
            patient_ids=_patients(actor, match.kwargs, getattr(response, "data", None)),
            object_id=_object_id(match.kwargs),
            detail=what,
        )
        return response

    def _exempt(self, name: str) -> bool:
        return any(fnmatchcase(name, pattern) for pattern in self.exempt)


def _actor(request: HttpRequest, session_user: Any) -> User | None:
    """Who asked: DRF's authenticated user (DRF sets it on the request), else the session's (a
    dashboard view that refuses a patient signs them out before answering)."""
    for user in (getattr(request, "user", None), session_user):
        if user is not None and user.is_authenticated:  # evaluates a lazy user
            real = getattr(user, "_wrapped", user)
            if isinstance(real, User):
                return real
    return None


def _uuid(value: object) -> UUID | None:
    if isinstance(value, UUID):
        return value
    if isinstance(value, str) and _UUID.match(value):
        return UUID(value)
    return None


def _object_id(kwargs: dict[str, Any]) -> str:
    return ",".join(str(v) for v in kwargs.values())[:64]


def _found(data: object, depth: int = 0) -> Iterator[UUID]:
    """Patient ids named in a JSON answer (`patient` / `patient_id` keys), a few levels deep."""
    if depth > 4:
        return
    if isinstance(data, dict):
        for key, value in data.items():
            if key in _PATIENT_KEYS:
                pid = _uuid(str(value)) if value is not None else None
                if pid is not None:
                    yield pid
            elif isinstance(value, dict | list):
                yield from _found(value, depth + 1)
    elif isinstance(data, list):
        for item in data:
            yield from _found(item, depth + 1)


def _patients(actor: User, kwargs: dict[str, Any], data: object) -> Iterable[UUID | None]:
    ids = [pid for pid in [_uuid(kwargs.get("patient_id"))] if pid is not None] or list(_found(data))
    if not ids and actor.role == "patient":
        own = getattr(actor, "patient", None)  # the signed-in patient's own record
        ids = [own.pk] if own is not None else []
    return ids or [None]
