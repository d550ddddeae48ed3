"""Episodes on real components (contract §4): two syncs of low platelets, each graded by a real Celery
worker, give one alert whose grade, severity and holds become the worst of its readings, announced
again to the nurse when it got worse."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from backend.alerts.models import Alert
from backend.notifications.models import Notification
from tests.integration.stack import Stack, wait_until
from tests.integration.test_lab_to_alert_pipeline import _enroll, _open_alerts

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def _platelets(value: float, collected_at: str) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "analyte": "platelets",
        "value": value,
        "unit": "10^9/L",
        "collected_at": collected_at,
    }


def test_two_syncs_of_low_platelets_give_one_alert_whose_grade_becomes_the_worst(stack: Stack) -> None:
    nurse, phone, patient_id = _enroll(stack)
    first, second = _platelets(45, "2026-11-20T08:30:00-05:00"), _platelets(20, "2026-11-21T08:30:00-05:00")

    status, body = stack.call("POST", "/api/v1/sync/", {"lab_results": [first]}, token=phone)
    assert status == 200 and body["accepted"] == [first["id"]], body
    (raised,) = wait_until(lambda: _open_alerts(stack, nurse), timeout=10, what="the grade 3 alert")
    assert (raised["grade"], raised["severity"], raised["hold_drugs"]) == (3, "urgent", [])

    status, body = stack.call("POST", "/api/v1/sync/", {"lab_results": [second]}, token=phone)
    assert status == 200 and body["accepted"] == [second["id"]], body
    alerts = wait_until(
        lambda: [a for a in _open_alerts(stack, nurse) if a["grade"] == 4], timeout=10, what="the alert to worsen"
    )

    (alert,) = alerts
    assert alert["id"] == raised["id"] and len(_open_alerts(stack, nurse)) == 1
    assert (alert["severity"], alert["hold_drugs"], alert["dose_hold"]) == (
        "critical",
        ["ixazomib", "lenalidomide"],
        True,
    )
    assert alert["title"] == "Grade 4 thrombocytopenia"
    assert [(r["id"], r["value"]) for r in alert["readings"]] == [
        (first["id"], "Platelets 45 ×10⁹/L"),
        (second["id"], "Platelets 20 ×10⁹/L"),
    ]
    assert Alert.objects.filter(patient_id=patient_id).count() == 1

    def titles() -> list[str]:
        alerted = Notification.objects.filter(kind="alert", patient_id=patient_id)
        return sorted(alerted.values_list("title", flat=True))

    wait_until(lambda: len(titles()) == 2, timeout=10, what="the worse reading's announcement")
    assert titles() == ["Grade 3 thrombocytopenia: Ivy Integration", "Worse: Grade 4 thrombocytopenia: Ivy Integration"]
