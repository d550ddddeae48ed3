"""Helpers for the response specifications: markers as the care team posts them, day by day."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from rest_framework.response import Response

from backend.alerts.models import Alert
from backend.response.recompute import RecomputeOutcome, unassessed_sweep
from tests.factories import Person

START = date(2026, 1, 5)  # cycle 1 day 1 of the patients made here
ZONE = ZoneInfo("America/New_York")


def markers_url(patient_id: object) -> str:
    return f"/api/v1/patients/{patient_id}/markers/"


def response_url(patient_id: object) -> str:
    return f"/api/v1/patients/{patient_id}/response/"


def item(marker: str, value: Any, unit: str | None = None, *, on: date, hour: int = 8, **extra: Any) -> dict[str, Any]:
    found: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "marker": marker,
        "value": value,
        "collected_at": datetime(on.year, on.month, on.day, hour, 30, tzinfo=ZONE).isoformat(),
        **extra,
    }
    if unit is not None:
        found["unit"] = unit
    return found


def day(n: int) -> date:
    """Assessment n: 0 is the baseline (the day before cycle 1 day 1), then one every 28 days."""
    return START - timedelta(days=1) if n == 0 else START + timedelta(days=28 * n)


def serum_and_urine(n: int, serum: float | None = None, urine: float | None = None) -> list[dict[str, Any]]:
    items = []
    if serum is not None:
        items.append(item("serum_m_protein", serum, "g/dL", on=day(n)))
    if urine is not None:
        items.append(item("urine_m_protein", urine, "mg/24h", on=day(n)))
    return items


def post_markers(nurse: Person, patient_id: object, items: Any) -> Response:
    return nurse.client().post(markers_url(patient_id), items, format="json")


def recompute_all() -> RecomputeOutcome:
    """What the recompute task and the sweeper do after markers commit."""
    return unassessed_sweep(older_than=timedelta(0))


def progression_alerts(patient_id: object) -> list[Alert]:
    return list(Alert.objects.filter(patient_id=patient_id, kind="disease_progression").order_by("created_at"))
