"""The checks between labs on real components (issue 13 §3): beat runs them every second on a real
Redis, a Celery worker and notifier run them and announce what they raise, the test database keeps
it. Each alert is raised once however many times beat runs its check, and a restarted beat raises
nothing again."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from backend.accounts.services import staff_create
from backend.alerts.models import Alert
from backend.notifications.models import Notification
from tests.integration.conftest import running_stack
from tests.integration.stack import Stack, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

ZONE = ZoneInfo("America/New_York")
PASSWORD = "a-long-password"
EVERY_SECOND = {
    "CARELOOP_STALE_LABS_EVERY_SECONDS": "1",
    "CARELOOP_TRENDS_EVERY_SECONDS": "1",
    "CARELOOP_CYCLE_LABS_EVERY_SECONDS": "1",
}


@pytest.fixture(scope="module")
def stack(django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with running_stack(django_db_blocker, tmp_path_factory, "checks-stack", extra_env=EVERY_SECOND) as running:
        yield running


def enrolled(stack: Stack, nurse: str, name: str, started_days_ago: int) -> tuple[str, str]:
    start = (datetime.now(ZONE) - timedelta(days=started_days_ago)).date().isoformat()
    status, body = stack.call(
        "POST",
        "/api/v1/patients/",
        {"display_name": name, "timezone": "America/New_York", "regimen": {"start_date": start}},
        token=nurse,
    )
    assert status == 201, body
    status, phone = stack.call("POST", "/api/v1/auth/enroll/", {"code": body["enrollment_code"]})
    assert status == 201, phone
    return phone["token"], phone["patient"]["id"]


def counts(stack: Stack, phone: str, days_ago: int, **values: float) -> None:
    collected = (datetime.now(ZONE) - timedelta(days=days_ago)).replace(hour=8, minute=0, second=0, microsecond=0)
    items = [
        {"id": str(uuid.uuid4()), "analyte": a, "value": v, "unit": "10^9/L", "collected_at": collected.isoformat()}
        for a, v in values.items()
    ]
    status, body = stack.call("POST", "/api/v1/sync/", {"cursor": None, "lab_results": items}, token=phone)
    assert status == 200 and body["rejected"] == [], body


def kinds(patient_id: str) -> list[str]:
    return sorted(Alert.objects.filter(patient_id=patient_id).values_list("kind", flat=True))


def test_beat_raises_each_check_alert_once_and_announces_it(stack: Stack) -> None:
    username = f"nurse-{uuid.uuid4().hex[:8]}"
    staff_create(username=username, password=PASSWORD, role="nurse", clinic_name=f"Checks Clinic {username}")
    status, body = stack.call("POST", "/api/v1/auth/token/", {"username": username, "password": PASSWORD})
    assert status == 200, body
    nurse = body["token"]
    # Ann: day 26 of cycle 1, her last counts 12 days ago: overdue (weekly), and none for day 1 in 3 days.
    ann_phone, ann = enrolled(stack, nurse, "Ann Overdue", started_days_ago=25)
    counts(stack, ann_phone, 12, anc=2.0, platelets=180)
    # Bea: day 11, platelets 200 -> 90 since day 2: fallen by more than half.
    bea_phone, bea = enrolled(stack, nurse, "Bea Falling", started_days_ago=10)
    counts(stack, bea_phone, 9, platelets=200)
    counts(stack, bea_phone, 1, platelets=90)

    wait_until(lambda: kinds(ann) == ["cycle_labs_missing", "stale_labs"], timeout=30, what="Ann's two alerts")
    wait_until(lambda: kinds(bea) == ["early_warning"], timeout=30, what="Bea's early warning")
    wait_until(
        lambda: not Alert.objects.filter(patient_id__in=[ann, bea], announced_at__isnull=True).exists(),
        timeout=30,
        what="the announcements",
    )
    time.sleep(4)  # a few more beat ticks: they must find nothing new

    assert kinds(ann) == ["cycle_labs_missing", "stale_labs"]
    assert kinds(bea) == ["early_warning"]
    assert Notification.objects.filter(dedupe_key__startswith=f"cycle-labs:{ann}:").count() == 1
    status, listed = stack.call("GET", "/api/v1/alerts/", token=nurse)
    assert status == 200
    rows = listed["results"] if isinstance(listed, dict) else listed
    assert {(r["kind"], r["severity"], r["dose_hold"]) for r in rows} == {
        ("stale_labs", "urgent", False),
        ("cycle_labs_missing", "urgent", False),
        ("early_warning", "urgent", False),
    }

    stack.beat.stop()
    stack.beat.start()
    wait_until(lambda: "check_stale_labs" in stack.beat.log().split("beat: Starting...")[-1], 20, "beat again")
    time.sleep(3)
    assert len(kinds(ann)) == 2 and len(kinds(bea)) == 1
