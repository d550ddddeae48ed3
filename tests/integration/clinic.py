"""A clinic made through the public API of a running stack, for the integration tests: a nurse,
patients with enrolled phones, and platelet readings to sync."""

from __future__ import annotations

import uuid
from typing import Any

from backend.accounts.services import staff_create
from tests.integration.stack import Stack

PASSWORD = "a-long-password"


def nurse_token(stack: Stack, clinic: str = "Fault Clinic") -> str:
    """A signed-in nurse of a clinic of her own."""
    username = f"nurse-{uuid.uuid4().hex[:8]}"
    staff_create(username=username, password=PASSWORD, role="nurse", clinic_name=f"{clinic} {username}")
    status, body = stack.call("POST", "/api/v1/auth/token/", {"username": username, "password": PASSWORD})
    assert status == 200, body
    return str(body["token"])


def enrolled_patient(
    stack: Stack, nurse: str, *, name: str = "Fay Fault", tz: str = "Europe/London", device: str = "fault phone"
) -> tuple[str, str]:
    """(phone token, patient id) of a new patient of the nurse's clinic, enrolled on a phone."""
    status, body = stack.call(
        "POST",
        "/api/v1/patients/",
        {
            "display_name": name,
            "timezone": tz,
            "regimen": {"start_date": "2026-11-01", "ixazomib_mg": 4, "lenalidomide_mg": 25, "dexamethasone_mg": 40},
        },
        token=nurse,
    )
    assert status == 201, body
    status, enrolled = stack.call(
        "POST", "/api/v1/auth/enroll/", {"code": body["enrollment_code"], "device_name": device}
    )
    assert status == 201, enrolled
    return str(enrolled["token"]), str(enrolled["patient"]["id"])


def enroll(stack: Stack, *, clinic: str = "Fault Clinic", **patient: str) -> tuple[str, str, str]:
    """(nurse token, patient token, patient id) in a clinic of their own."""
    nurse = nurse_token(stack, clinic)
    phone, patient_id = enrolled_patient(stack, nurse, **patient)
    return nurse, phone, patient_id


def platelets(value: float, collected_at: str = "2026-11-20T08:30:00+00:00") -> dict[str, Any]:
    """A platelet count (10^9/L) to sync; below 25 it is grade 4 (a critical alert)."""
    return {
        "id": str(uuid.uuid4()),
        "analyte": "platelets",
        "value": value,
        "unit": "10^9/L",
        "collected_at": collected_at,
    }


def alerted_readings(stack: Stack, token: str) -> set[str]:
    """The ids of the readings listed on the open alerts the token may see (an episode lists every
    reading that joined it, contract §4)."""
    status, body = stack.call("GET", "/api/v1/alerts/?status=open", token=token)
    assert status == 200, body
    alerts = body["results"] if isinstance(body, dict) else body
    return {reading["id"] for alert in alerts for reading in alert["readings"]}
