"""The path everything hangs on, on real components: a reading reaches the server over HTTP, a
real Celery worker grades it, and the right alert appears once, within seconds, even when Redis
is down for a while."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest

from backend.alerts.models import Alert
from backend.records.models import LabResult, SymptomReport
from tests.backend.support import CONTRACT_ALERT_KEYS
from tests.integration.clinic import enroll, platelets
from tests.integration.stack import Stack, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def _enroll(stack: Stack) -> tuple[str, str, str]:
    """(nurse token, patient token, patient id), made through the public API."""
    return enroll(
        stack, clinic="Integration Clinic", name="Ivy Integration", tz="America/New_York", device="integration phone"
    )


def _platelets(value: float) -> dict[str, Any]:
    return platelets(value, collected_at="2026-11-20T08:30:00-05:00")


def _open_alerts(stack: Stack, token: str) -> list[dict[str, Any]]:
    status, body = stack.call("GET", "/api/v1/alerts/?status=open", token=token)
    assert status == 200, body
    return body["results"] if isinstance(body, dict) else body


def test_a_grade_4_platelet_sync_raises_one_critical_alert_within_seconds(stack: Stack) -> None:
    nurse, phone, patient_id = _enroll(stack)
    reading = _platelets(18)

    started = time.monotonic()
    status, body = stack.call("POST", "/api/v1/sync/", {"cursor": None, "lab_results": [reading]}, token=phone)
    assert status == 200, body
    assert body["accepted"] == [reading["id"]]
    alerts = wait_until(lambda: _open_alerts(stack, nurse), timeout=10, what="the alert to reach the nurse")
    print(f"sync → alert visible to the nurse in {(time.monotonic() - started) * 1000:.0f} ms")

    assert len(alerts) == 1
    alert = alerts[0]
    assert CONTRACT_ALERT_KEYS <= set(alert)
    assert (alert["kind"], alert["grade"], alert["severity"], alert["status"]) == (
        "thrombocytopenia",
        4,
        "critical",
        "open",
    )
    assert alert["hold_drugs"] == ["ixazomib", "lenalidomide"] and alert["dose_hold"] is True
    assert alert["patient"] == patient_id
    assert alert["source"]["id"] == reading["id"]
    assert [a["id"] for a in _open_alerts(stack, phone)] == [alert["id"]]  # the patient sees it too


def test_replaying_the_same_batch_five_times_raises_no_second_alert(stack: Stack) -> None:
    nurse, phone, patient_id = _enroll(stack)
    batch = {
        "lab_results": [_platelets(21), _platelets(140)],
        "symptom_reports": [
            {
                "id": str(uuid.uuid4()),
                "symptom": "diarrhea",
                "answers": {"stools_above_usual": 8},
                "reported_at": "2026-11-20T20:00:00-05:00",
            }
        ],
    }
    status, _ = stack.call("POST", "/api/v1/sync/", batch, token=phone)
    assert status == 200
    wait_until(lambda: len(_open_alerts(stack, nurse)) == 2, timeout=10, what="two alerts")

    for _ in range(5):
        status, body = stack.call("POST", "/api/v1/sync/", batch, token=phone)
        assert status == 200
        assert sorted(body["accepted"]) == sorted(i["id"] for s in batch.values() for i in s)
        assert body["rejected"] == []
    # Give the worker and the sweeper (every second here) time to do anything they would do.
    mine = {"patient_id": patient_id}
    wait_until(lambda: not LabResult.objects.filter(graded_at__isnull=True, **mine).exists(), 10, "all graded")
    time.sleep(3)

    assert len(_open_alerts(stack, nurse)) == 2
    assert Alert.objects.filter(**mine).count() == 2
    assert LabResult.objects.filter(**mine).count() == 2 and SymptomReport.objects.filter(**mine).count() == 1


def test_with_redis_down_the_sync_still_answers_and_the_sweeper_raises_the_alert_when_redis_returns(
    stack: Stack,
) -> None:
    nurse, phone, patient_id = _enroll(stack)
    reading = _platelets(12)
    stack.redis.stop()
    try:
        started = time.monotonic()
        status, body = stack.call("POST", "/api/v1/sync/", {"lab_results": [reading]}, token=phone)
        print(f"sync with Redis down answered in {(time.monotonic() - started) * 1000:.0f} ms")
        assert status == 200, body
        assert body["accepted"] == [reading["id"]]
        stored = LabResult.objects.get(id=reading["id"])
        assert stored.graded_at is None  # saved, not yet graded
        assert not Alert.objects.filter(patient_id=patient_id).exists()
    finally:
        stack.redis.start()

    alerts = wait_until(lambda: _open_alerts(stack, nurse), timeout=45, what="the sweeper to raise the alert")
    assert [(a["kind"], a["grade"], a["source"]["id"]) for a in alerts] == [("thrombocytopenia", 4, reading["id"])]
    time.sleep(2)  # another sweep or a late task must not raise it again
    assert Alert.objects.filter(patient_id=patient_id).count() == 1
