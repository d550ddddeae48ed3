"""A clinic made through the public API of a running stack, for the fault-injection tests: one
nurse, one enrolled patient, and platelet readings to sync."""

from __future__ import annotations

import uuid
from typing import Any

from backend.accounts.services import staff_create
from tests.integration.stack import Stack


def enroll(stack: Stack) -> tuple[str, str, str]:
    """(nurse token, patient token, patient id) in a clinic of their own."""
    username = f"nurse-{uuid.uuid4().hex[:8]}"
    staff_create(username=username, password="a-long-password", role="nurse", clinic_name=f"Fault Clinic {username}")
    status, body = stack.call("POST", "/api/v1/auth/token/", {"username": username, "password": "a-long-password"})
    assert status == 200, body
    nurse = body["token"]
    status, body = stack.call(
        "POST",
        "/api/v1/patients/",
        {
            "display_name": "Fay Fault",
            "timezone": "Europe/London",
            "regimen": {"start_date": "2026-11-01", "ixazomib_mg": 4, "lenalidomide_mg": 25, "dexamethasone_mg": 40},
        },
        token=nurse,
    )
    assert status == 201, body
    status, enrolled = stack.call(
        "POST", "/api/v1/auth/enroll/", {"code": body["enrollment_code"], "device_name": "fault phone"}
    )
    assert status == 201, enrolled
    return nurse, enrolled["token"], enrolled["patient"]["id"]


def platelets(value: float) -> dict[str, Any]:
    """A platelet count (10^9/L) to sync; below 25 it is grade 4 (a critical alert)."""
    return {
        "id": str(uuid.uuid4()),
        "analyte": "platelets",
        "value": value,
        "unit": "10^9/L",
        "collected_at": "2026-11-20T08:30:00+00:00",
    }


def alerted_readings(stack: Stack, token: str) -> set[str]:
    """The ids of the readings listed on the open alerts the token may see (an episode lists every
    reading that joined it, contract §4)."""
    status, body = stack.call("GET", "/api/v1/alerts/?status=open", token=token)
    assert status == 200, body
    alerts = body["results"] if isinstance(body, dict) else body
    return {reading["id"] for alert in alerts for reading in alert["readings"]}
