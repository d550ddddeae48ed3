"""Disease response on real components: markers synced by the phone reach the server over HTTP, a
real Celery worker recomputes the response, and one disease_progression alert reaches the nurse
within seconds (contract §5)."""

from __future__ import annotations

import time
import uuid
from datetime import date, timedelta
from typing import Any

import pytest

from backend.accounts.services import staff_create
from backend.response.models import MarkerResult, ResponseAssessment
from tests.backend.support import CONTRACT_ALERT_KEYS
from tests.integration.stack import Stack, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

START = date(2026, 1, 5)


def _enroll(stack: Stack) -> tuple[str, str, str]:
    """(nurse token, patient token, patient id), made through the public API."""
    username = f"nurse-{uuid.uuid4().hex[:8]}"
    staff_create(username=username, password="a-long-password", role="nurse", clinic_name=f"Response {username}")
    status, body = stack.call("POST", "/api/v1/auth/token/", {"username": username, "password": "a-long-password"})
    assert status == 200, body
    nurse = body["token"]
    regimen = {"start_date": START.isoformat(), "ixazomib_mg": 4, "lenalidomide_mg": 25, "dexamethasone_mg": 40}
    status, body = stack.call(
        "POST",
        "/api/v1/patients/",
        {"display_name": "Rex Response", "timezone": "UTC", "regimen": regimen},
        token=nurse,
    )
    assert status == 201, body
    status, enrolled = stack.call("POST", "/api/v1/auth/enroll/", {"code": body["enrollment_code"], "device_name": "p"})
    assert status == 201, enrolled
    return nurse, enrolled["token"], enrolled["patient"]["id"]


def _serum(n: int, value: float) -> dict[str, Any]:
    on = START - timedelta(days=1) if n == 0 else START + timedelta(days=28 * n)
    return {
        "id": str(uuid.uuid4()),
        "marker": "serum_m_protein",
        "value": value,
        "unit": "g/dL",
        "collected_at": f"{on.isoformat()}T08:30:00+00:00",
    }


def _progression_alerts(stack: Stack, token: str) -> list[dict[str, Any]]:
    status, body = stack.call("GET", "/api/v1/alerts/?status=open", token=token)
    assert status == 200, body
    found = body["results"] if isinstance(body, dict) else body
    return [a for a in found if a["kind"] == "disease_progression"]


def test_synced_markers_produce_the_response_and_one_progression_alert_within_seconds(stack: Stack) -> None:
    nurse, phone, patient_id = _enroll(stack)
    markers = [_serum(n, v) for n, v in enumerate((3.0, 0.8, 1.1, 1.35, 1.5))]

    started = time.monotonic()
    status, body = stack.call("POST", "/api/v1/sync/", {"cursor": None, "marker_results": markers}, token=phone)
    assert status == 200, body
    assert sorted(body["accepted"]) == sorted(m["id"] for m in markers)
    alerts = wait_until(lambda: _progression_alerts(stack, nurse), timeout=10, what="the progression alert")
    print(f"sync → progression alert visible to the nurse in {(time.monotonic() - started) * 1000:.0f} ms")

    (alert,) = alerts
    assert CONTRACT_ALERT_KEYS <= set(alert)
    assert (alert["severity"], alert["hold_drugs"], alert["dose_hold"], alert["patient"]) == (
        "urgent",
        [],
        False,
        patient_id,
    )
    mine = {"patient_id": patient_id}
    wait_until(lambda: not MarkerResult.objects.filter(assessed_at__isnull=True, **mine).exists(), 10, "all assessed")
    assert ResponseAssessment.objects.filter(**mine).count() == 4

    status, response = stack.call("GET", f"/api/v1/patients/{patient_id}/response/", token=nurse)
    assert status == 200, response
    assert [(a["category"], a["confirmed"]) for a in response["assessments"]] == [
        ("PR", False),
        ("PR", True),
        ("PD", False),
        ("PD", True),
    ]
    # Replays and the sweeper change nothing.
    status, _ = stack.call("POST", "/api/v1/sync/", {"marker_results": markers}, token=phone)
    assert status == 200
    time.sleep(3)
    assert len(_progression_alerts(stack, nurse)) == 1
