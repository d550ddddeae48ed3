"""Every HTTP call the app makes, in one place (contract §2–3). Standard-library urllib, blocking:
call it from a background thread only, never from the UI thread.

Errors come out as three kinds, because the app does something different with each:
`Unreachable` (no answer, or a 5xx/429: try again later, keep everything), `ApiError` (the server
answered no, with reasons a person can read), `NotAvailable` (this server has no such endpoint yet).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping, Sequence
from http.client import HTTPException
from typing import Any, overload
from urllib.parse import parse_qs, urlencode, urlsplit

from mobile.config import HTTP_TIMEOUT_S

API = "/api/v1"


class Unreachable(Exception):
    """No usable answer: no network, a closed port, a timeout, or the server failing (5xx, 429);
    `status` is the HTTP status when the server did answer."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class NotAvailable(Exception):
    """The server does not offer this endpoint (yet): an HTML 404 from outside the API's routes."""


class ApiError(Exception):
    """The server answered with an error for this request: `errors` is `{field: [reasons]}`."""

    def __init__(self, status: int, errors: Mapping[str, Sequence[str]]) -> None:
        self.status = status
        self.errors = {str(k): [str(m) for m in v] for k, v in errors.items()}
        super().__init__(self.message)

    @property
    def message(self) -> str:
        """All reasons, in plain words as the server wrote them."""
        return " ".join(m for reasons in self.errors.values() for m in reasons) or f"HTTP {self.status}"


class RawItems(Sequence[dict[str, Any]]):
    """Items kept as the JSON text the store holds (`json.dumps(item, sort_keys=True)`), sent as
    that text: a sync body of thousands of items is not decoded from the store only to be encoded
    again. The body is the same bytes as json.dumps of the decoded items would write. Reading an
    item decodes it (tests and fakes look at what was sent)."""

    def __init__(self, texts: Iterable[str]) -> None:
        self.texts = list(texts)

    def __len__(self) -> int:
        return len(self.texts)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, RawItems):
            return self.texts == other.texts
        return isinstance(other, Sequence) and not isinstance(other, str) and list(self) == list(other)

    __hash__ = None  # type: ignore[assignment]  # mutable, like the list it stands for

    def __repr__(self) -> str:
        return f"RawItems({self.texts!r})"

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...
    @overload
    def __getitem__(self, index: slice) -> list[dict[str, Any]]: ...
    def __getitem__(self, index: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        if isinstance(index, slice):
            return [json.loads(t) for t in self.texts[index]]
        loaded: dict[str, Any] = json.loads(self.texts[index])
        return loaded


def body_encode(body: Mapping[str, Any]) -> bytes:
    """json.dumps(body), with RawItems written as the text they hold."""
    if not any(isinstance(v, RawItems) for v in body.values()):
        return json.dumps(body).encode()
    parts = (
        f"{json.dumps(key)}: {'[' + ', '.join(value.texts) + ']' if isinstance(value, RawItems) else json.dumps(value)}"
        for key, value in body.items()
    )
    return ("{" + ", ".join(parts) + "}").encode()


def rows(answer: Any) -> list[dict[str, Any]]:
    """A list answer, paginated (`{"results": [...], "next": ...}`) or plain (contract §2)."""
    found = answer.get("results", []) if isinstance(answer, Mapping) else answer
    return [r for r in found if isinstance(r, dict)] if isinstance(found, list) else []


def _error_fields(body: Any) -> dict[str, list[str]]:
    """`{"errors": {field: [..]}}`, `{"errors": [..]}` or DRF's `{"detail": ".."}`, flattened."""
    errors = body.get("errors") if isinstance(body, Mapping) else None
    if isinstance(errors, Mapping):
        out: dict[str, list[str]] = {}
        for field, reasons in errors.items():
            if isinstance(reasons, list):
                out[str(field)] = [r if isinstance(r, str) else json.dumps(r) for r in reasons]
            else:
                out[str(field)] = [str(reasons)]
        return out
    if isinstance(errors, list):
        return {"non_field_errors": [str(e) for e in errors]}
    if isinstance(body, Mapping) and "detail" in body:
        return {"detail": [str(body["detail"])]}
    return {}


class ApiClient:
    def __init__(self, base_url: str, token: str | None = None, *, timeout: float = HTTP_TIMEOUT_S) -> None:
        self.base_url = base_url
        self.token = token
        self.timeout = timeout

    @property
    def base_url(self) -> str:
        return self._base_url

    @base_url.setter
    def base_url(self, value: str) -> None:
        # Only http(s): urlopen would also open file:// and ftp:// URLs.
        if urlsplit(value).scheme not in ("http", "https"):
            raise ValueError(f"CARELOOP_API must be an http:// or https:// URL, not {value!r}")
        self._base_url = value.rstrip("/")

    # ---- the calls ------------------------------------------------------------------------------

    def enroll(self, *, code: str, device_name: str) -> dict[str, Any]:
        """→ {token, role, patient: {id, display_name, timezone, regimen}, clinic: {name, phone}}."""
        return self._json("POST", "/auth/enroll/", {"code": code, "device_name": device_name}, auth=False)

    def logout(self) -> None:
        self._call("POST", "/auth/logout/", None)

    def sync(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """Contract §3: → {accepted, rejected: [{id, section, errors}], cursor, alerts, regimen, ...}."""
        return self._json("POST", "/sync/", body)

    def readings(
        self, kind: str, *, cursor: str | None = None, page_size: int = 200
    ) -> tuple[list[dict[str, Any]], str | None]:
        """One page of the patient's own past readings of one kind (`lab`, `symptom`, `dose`),
        newest first, each in the item shape sync sends (+ `grade`). → (rows, the cursor of the
        next page or None at the end)."""
        query = {"kind": kind, "page_size": str(page_size), **({"cursor": cursor} if cursor else {})}
        answer = self._call("GET", f"/readings/?{urlencode(query)}", None)
        following = answer.get("next") if isinstance(answer, Mapping) else None
        found = parse_qs(urlsplit(following).query).get("cursor") if isinstance(following, str) else None
        return rows(answer), (found[0] if found else None)

    def alerts(self) -> list[dict[str, Any]]:
        return rows(self._call("GET", "/alerts/", None))

    def notifications(self) -> list[dict[str, Any]]:
        """Own inbox, newest first: {id, kind, title, body, created_at, read}."""
        return rows(self._call("GET", "/notifications/", None))

    def notifications_read_all(self) -> None:
        """The patient has seen the inbox."""
        self._call("POST", "/notifications/read-all/", None)

    def reminders(self) -> list[dict[str, Any]]:
        return rows(self._call("GET", "/reminders/", None))

    def reminder_plan(self) -> dict[str, Any]:
        """The wall-clock reminder times the server uses (shared.reminders.ReminderPlan's fields)."""
        return self._json("GET", "/reminders/plan/", None)

    def reminder_plan_update(self, changes: Mapping[str, Any]) -> dict[str, Any]:
        """PATCH: the fields sent change, the others keep their value."""
        return self._json("PATCH", "/reminders/plan/", changes)

    def response(self, patient_id: str) -> dict[str, Any]:
        """Contract §5: the patient's IMWG response {measurable_by, current, best, assessments, ...}."""
        return self._json("GET", f"/patients/{patient_id}/response/", None)

    def me(self) -> dict[str, Any]:
        """The patient's own profile: {id, display_name, timezone, regimen, ...}."""
        return self._json("GET", "/me/", None)

    def me_update(self, *, timezone: str | None = None, language: str | None = None) -> dict[str, Any]:
        """PATCH the patient's time zone (an IANA name; the server re-times the reminders to the
        same wall-clock times in it) and/or language ("en", "es"). → the profile, as me()."""
        body = {k: v for k, v in (("timezone", timezone), ("language", language)) if v is not None}
        return self._json("PATCH", "/me/", body)

    def caregiver_invite_create(self, scopes: Sequence[str]) -> dict[str, Any]:
        """→ 201 {code, ...}; scopes ⊆ critical_alerts, all_alerts, missed_doses, daily_summary."""
        return self._json("POST", "/caregiver-invites/", {"scopes": list(scopes)})

    def caregiver_invites(self) -> list[dict[str, Any]]:
        return rows(self._call("GET", "/caregiver-invites/", None))

    def caregivers(self) -> list[dict[str, Any]]:
        return rows(self._call("GET", "/caregivers/", None))

    def caregiver_revoke(self, caregiver_id: str) -> None:
        # Not in the contract yet: the shape follows alerts/{id}/acknowledge/. Adjust here only.
        self._call("POST", f"/caregivers/{caregiver_id}/revoke/", None)

    # ---- plumbing -------------------------------------------------------------------------------

    def _json(self, method: str, path: str, body: Mapping[str, Any] | None, *, auth: bool = True) -> dict[str, Any]:
        answer = self._call(method, path, body, auth=auth)
        if not isinstance(answer, dict):
            raise Unreachable(f"{path}: the server's answer was not a JSON object")
        return answer

    def _call(self, method: str, path: str, body: Mapping[str, Any] | None, *, auth: bool = True) -> Any:
        data = None if body is None else body_encode(body)
        headers = {"Accept": "application/json"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        if auth and self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        url = f"{self.base_url}{API}{path}"  # base_url's scheme is checked to be http(s)
        request = urllib.request.Request(url, data=data, headers=headers, method=method)  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 - scheme checked
                raw = response.read()
        except urllib.error.HTTPError as exc:
            raise self._http_error(exc, path) from None
        except (TimeoutError, urllib.error.URLError, OSError, HTTPException) as exc:
            raise Unreachable(f"{path}: {getattr(exc, 'reason', exc)}") from None
        if not raw:
            return None
        try:
            return json.loads(raw)
        except ValueError:
            raise Unreachable(f"{path}: the server's answer was not JSON") from None

    @staticmethod
    def _http_error(exc: urllib.error.HTTPError, path: str) -> Exception:
        try:
            body = json.loads(exc.read() or b"null")
        except (ValueError, OSError):
            body = None
        if exc.code >= 500 or exc.code == 429:
            return Unreachable(f"{path}: HTTP {exc.code}", exc.code)
        if exc.code == 404 and not _error_fields(body):
            return NotAvailable(path)
        return ApiError(exc.code, _error_fields(body))
