"""A contract-shaped stand-in for the CareLoop API (contract §2–4), served over real HTTP on a
local port, for the app's API and UI tests. It checks sync items with the same `shared/` parsers
as the real server and raises alerts at once with the same policy, standing in for the worker.
The real server is exercised by tests/mobile/test_end_to_end.py."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from shared.alert_policy import AlertCandidate, evaluate_lab, evaluate_symptom, policy_from_wire
from shared.lab_context import context_from_wire
from shared.markers import parse_marker_item
from shared.symptoms import grade_symptom
from shared.sync_schema import ItemError, parse_dose_item, parse_lab_item, parse_symptom_item

CODE = "GOOD-CODE"
TOKEN = "token-for-the-test-phone"
CODE_INVALID = "This code is not valid. Check it, or ask your care team for a new one."


@dataclass
class FakeState:
    start_date: date
    now: Callable[[], datetime]
    timezone: str = "America/New_York"
    language: str = ""  # the person's language at the clinic ("" for none chosen)
    clinic_phone: str = "+1 555 0100"
    items: dict[str, dict[str, Any]] = field(default_factory=dict)
    alerts: list[dict[str, Any]] = field(default_factory=list)
    notifications: list[dict[str, Any]] | None = field(default_factory=list)  # None: endpoint missing (404)
    caregivers: list[dict[str, Any]] | None = field(default_factory=list)
    invites: list[dict[str, Any]] = field(default_factory=list)
    reminders: list[dict[str, Any]] = field(default_factory=list)
    sync_bodies: list[dict[str, Any]] = field(default_factory=list)
    fail_sync_with: int | None = None  # answer every sync with this status (e.g. 503, 401)
    reject: dict[str, dict[str, list[str]]] = field(default_factory=dict)  # section → reasons for its new items
    requests: list[tuple[str, str, str | None]] = field(default_factory=list)  # method, path, auth header
    readings: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # kind → past readings, newest first
    fail_readings_with: int | None = None  # answer GET /readings/ with this status (e.g. 503)
    response: dict[str, Any] | None = None  # GET /patients/p-1/response/ (contract §5); None: 404
    alert_policy: dict[str, Any] = field(
        default_factory=dict
    )  # the clinic's overrides, as the sync answer carries them
    lab_context: dict[str, Any] = field(default_factory=dict)  # the patient's sex and baselines, likewise

    def regimen(self) -> dict[str, Any]:
        return {
            "start_date": self.start_date.isoformat(),
            "ixazomib_mg": "4",
            "lenalidomide_mg": "25",
            "dexamethasone_mg": "40",
            "timezone": self.timezone,
        }

    def raise_alert(self, candidate: AlertCandidate, source_id: str, observed_at: datetime) -> None:
        stamp = self.now().isoformat()
        self.alerts.insert(
            0,
            {
                "id": str(uuid.uuid4()),
                "patient": "p-1",
                "kind": candidate.kind,
                "grade": candidate.grade,
                "severity": candidate.severity.value,
                "dose_hold": candidate.dose_hold,
                "hold_drugs": list(candidate.hold_drugs),
                "status": "open",
                "title": candidate.title,
                "message": candidate.message,
                "patient_advice": candidate.patient_advice,
                "created_at": stamp,
                "updated_at": stamp,
                "observed_at": observed_at.isoformat(),
                "source": {"type": "lab_result", "id": source_id, "rule": candidate.source},
            },
        )


class FakeServer:
    def __init__(self, state: FakeState) -> None:
        self.state = state
        handler = _handler(state)
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> FakeServer:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _handler(state: FakeState) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_: Any) -> None:  # keep test output clean
            pass

        def _send(self, status: int, body: Any = None, *, html: bool = False) -> None:
            raw = b"<h1>Not Found</h1>" if html else (b"" if body is None else json.dumps(body).encode())
            self.send_response(status)
            self.send_header("Content-Type", "text/html" if html else "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def _body(self) -> Any:
            length = int(self.headers.get("Content-Length") or 0)
            return json.loads(self.rfile.read(length) or b"null")

        def _authed(self) -> bool:
            if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                self._send(401, {"errors": {"detail": ["Authentication credentials were not provided."]}})
                return False
            return True

        def do_GET(self) -> None:
            state.requests.append(("GET", self.path, self.headers.get("Authorization")))
            if not self._authed():
                return
            path = self.path.split("?")[0]
            if path == "/api/v1/notifications/":
                if state.notifications is None:
                    self._send(404, html=True)
                else:
                    self._send(200, {"results": state.notifications, "next": None})
            elif path == "/api/v1/caregivers/":
                if state.caregivers is None:
                    self._send(404, html=True)
                else:
                    self._send(200, state.caregivers)
            elif path == "/api/v1/alerts/":
                self._send(200, {"results": state.alerts, "next": None})
            elif path == "/api/v1/reminders/":
                self._send(200, state.reminders)
            elif path == "/api/v1/me/":
                self._send(200, self._me())
            elif path == "/api/v1/readings/":
                self._readings()
            elif path == "/api/v1/patients/p-1/response/" and state.response is not None:
                self._send(200, state.response)
            else:
                self._send(404, html=True)

        def _readings(self) -> None:
            """Cursor-paginated like the server's `ReadingPages`; here the cursor is an offset."""
            if state.fail_readings_with is not None:
                self._send(state.fail_readings_with, {"errors": {"detail": ["Try again later."]}})
                return
            query = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
            if query.get("kind") not in ("lab", "symptom", "dose"):
                self._send(400, {"errors": {"kind": ["Say which readings to list."]}})
                return
            found = state.readings.get(query["kind"], [])
            start, size = int(query.get("cursor") or 0), int(query.get("page_size") or 100)
            end = start + size
            following = f"http://testserver/api/v1/readings/?cursor={end}&kind={query['kind']}"
            self._send(200, {"results": found[start:end], "next": following if end < len(found) else None})

        def do_PATCH(self) -> None:
            state.requests.append(("PATCH", self.path, self.headers.get("Authorization")))
            body = self._body()
            if not self._authed():
                return
            if self.path != "/api/v1/me/":
                self._send(404, html=True)
                return
            if state.fail_sync_with is not None:  # the server is down for everything
                self._send(state.fail_sync_with, {"errors": {"detail": ["Try again later."]}})
                return
            extra = sorted(k for k in body if k not in ("timezone", "language")) if isinstance(body, dict) else []
            if extra:
                refusal = "Cannot be changed here: send only the time zone or the language."
                self._send(400, {"errors": {k: [refusal] for k in extra}})
                return
            if isinstance(body, dict) and body.get("language") in ("", "en", "es"):
                state.language = body["language"]
                if "timezone" not in body:
                    self._send(200, self._me())
                    return
            name = body.get("timezone") if isinstance(body, dict) else None
            try:
                ZoneInfo(str(name))
                known = isinstance(name, str) and "/" in name
            except (ZoneInfoNotFoundError, ValueError):
                known = False
            if not known:
                self._send(400, {"errors": {"timezone": ["Must be an IANA time zone name, e.g. America/New_York."]}})
                return
            state.timezone = str(name)
            self._send(200, self._me())

        def _me(self) -> dict[str, Any]:
            return {
                "id": "p-1",
                "display_name": "Pat Doe",
                "timezone": state.timezone,
                "regimen": state.regimen(),
                "language": state.language,
            }

        def do_POST(self) -> None:
            state.requests.append(("POST", self.path, self.headers.get("Authorization")))
            body = self._body()
            if self.path == "/api/v1/auth/enroll/":
                self._enroll(body)
                return
            if not self._authed():
                return
            if self.path == "/api/v1/sync/":
                self._sync(body)
            elif self.path == "/api/v1/auth/logout/":
                self._send(204)
            elif self.path == "/api/v1/notifications/read-all/":
                for row in state.notifications or []:
                    row["read"] = True
                self._send(200, {"marked": len(state.notifications or [])})
            elif self.path == "/api/v1/caregiver-invites/":
                if state.caregivers is None:
                    self._send(404, html=True)
                    return
                invite = {"code": "K7QX-4PMA", "scopes": body.get("scopes", []), "expires_at": state.now().isoformat()}
                state.invites.append(invite)
                self._send(201, invite)
            elif self.path.startswith("/api/v1/caregivers/") and self.path.endswith("/revoke/"):
                caregiver_id = self.path.split("/")[4]
                state.caregivers = [c for c in state.caregivers or [] if c["id"] != caregiver_id]
                self._send(204)
            else:
                self._send(404, html=True)

        def _enroll(self, body: dict[str, Any]) -> None:
            code = str(body.get("code") or "").upper().replace("-", "").replace(" ", "")
            if code != CODE.replace("-", ""):
                self._send(400, {"errors": {"code": [CODE_INVALID]}})
                return
            self._send(
                201,
                {
                    "token": TOKEN,
                    "role": "patient",
                    "patient": {
                        "id": "p-1",
                        "display_name": "Pat Doe",
                        "timezone": state.timezone,
                        "regimen": state.regimen(),
                        "language": state.language,
                    },
                    "clinic": {"name": "Riverside Oncology", "phone": state.clinic_phone},
                },
            )

        def _sync(self, body: dict[str, Any]) -> None:
            state.sync_bodies.append(body)
            if state.fail_sync_with is not None:
                self._send(state.fail_sync_with, {"errors": {"detail": ["Try again later."]}})
                return
            accepted: list[str] = []
            rejected: list[dict[str, Any]] = []
            parsers = {
                "lab_results": parse_lab_item,
                "symptom_reports": parse_symptom_item,
                "dose_logs": parse_dose_item,
                "marker_results": parse_marker_item,
            }
            for section, parse in parsers.items():
                for raw in body.get(section) or []:
                    if section in state.reject and raw.get("id") not in state.items:
                        rejected.append({"id": raw.get("id"), "section": section, "errors": state.reject[section]})
                        continue
                    try:
                        item = parse(raw, now=state.now())
                    except ItemError as exc:
                        rejected.append({"id": exc.item_id, "section": section, "errors": exc.errors})
                        continue
                    accepted.append(raw["id"])
                    if raw["id"] in state.items:
                        continue  # a replay: accepted, nothing new
                    state.items[raw["id"]] = raw
                    self._grade(section, item, raw)
            self._send(
                200,
                {
                    "accepted": accepted,
                    "rejected": rejected,
                    "cursor": f"c1.{int(state.now().timestamp() * 1e6)}",
                    "alerts": state.alerts,
                    "regimen": state.regimen(),
                    "reminders": state.reminders,
                    "alert_policy": state.alert_policy,
                    "lab_context": state.lab_context,
                    "server_time": datetime.now(UTC).isoformat(),
                    "language": state.language,
                },
            )

        def _grade(self, section: str, item: Any, raw: dict[str, Any]) -> None:
            if section == "lab_results":
                grade = context_from_wire(state.lab_context).grade(item.lab)
                candidate = evaluate_lab(policy_from_wire(state.alert_policy), item.lab, grade)
                observed = item.collected_at
            elif section == "symptom_reports":
                grade = grade_symptom(item.symptom, item.answers)
                candidate = evaluate_symptom(policy_from_wire(state.alert_policy), item.symptom, grade)
                observed = item.reported_at
            else:
                return
            if candidate is not None:
                state.raise_alert(candidate, raw["id"], observed)

    return Handler
