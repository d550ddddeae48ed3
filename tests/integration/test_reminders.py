"""Reminders on real components: TWO Celery workers and beat on a real Redis server, gunicorn, the
test database. A reminder due now is delivered exactly once (one inbox item, one recorded push)
while beat ticks every second and a burst of extra dispatch tasks makes the workers race; a beat
restart sends nothing again."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from celery import Celery

from backend.accounts.services import staff_create
from backend.notifications.models import Notification, RecordedMessage
from backend.reminders.models import OccurrenceStatus, ReminderOccurrence
from tests.integration.conftest import running_stack
from tests.integration.stack import Stack, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

ZONE = "America/New_York"
PASSWORD = "a-long-password"


@pytest.fixture(scope="module")
def stack(django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """This module's own stack: two workers, and beat making and sending reminders every second."""
    with running_stack(
        django_db_blocker,
        tmp_path_factory,
        "reminder-stack",
        workers=2,
        extra_env={"CARELOOP_REMINDERS_EVERY_SECONDS": "1"},
    ) as running:
        yield running


def _enrolled_patient_with_push(stack: Stack) -> tuple[str, str, str]:
    """(patient token, patient id, today's local date): cycle 1 day 1 today, push on, all through the API."""
    username = f"nurse-{uuid.uuid4().hex[:8]}"
    staff_create(username=username, password=PASSWORD, role="nurse", clinic_name=f"Reminder Clinic {username}")
    status, body = stack.call("POST", "/api/v1/auth/token/", {"username": username, "password": PASSWORD})
    assert status == 200, body
    nurse = body["token"]
    today = datetime.now(ZoneInfo(ZONE)).date().isoformat()
    status, body = stack.call(
        "POST",
        "/api/v1/patients/",
        {"display_name": "Rita Reminder", "timezone": ZONE, "regimen": {"start_date": today}},
        token=nurse,
    )
    assert status == 201, body
    status, enrolled = stack.call("POST", "/api/v1/auth/enroll/", {"code": body["enrollment_code"]})
    assert status == 201, enrolled
    phone = enrolled["token"]
    status, body = stack.call(
        "PUT", "/api/v1/notification-preferences/", {"channels": ["push"], "push_token": "itest-push"}, token=phone
    )
    assert status == 200, body
    return phone, enrolled["patient"]["id"], today


def test_a_reminder_due_now_is_delivered_once_with_two_workers_racing(stack: Stack) -> None:
    phone, patient_id, today = _enrolled_patient_with_push(stack)
    # Lenalidomide (day 1) at this very minute, on the patient's wall clock: due now.
    now_local = datetime.now(ZoneInfo(ZONE))
    status, plan = stack.call(
        "PUT", "/api/v1/reminders/plan/", {"lenalidomide_time": f"{now_local:%H:%M}"}, token=phone
    )
    assert status == 200, plan
    key = f"lenalidomide:{today}"
    dedupe_key = f"reminder:{patient_id}:{key}"

    # Beat ticks every second; on top, a burst of dispatch tasks for the two workers to race on.
    client = Celery("itest-reminders", broker=stack.redis.url)
    try:
        for _ in range(20):
            client.send_task("careloop.reminders.dispatch_due", kwargs={})
    finally:
        client.close()

    notification = wait_until(
        lambda: Notification.objects.filter(dedupe_key=dedupe_key).first(), timeout=20, what="the reminder"
    )
    wait_until(
        lambda: RecordedMessage.objects.filter(dedupe_key=f"careloop-{notification.pk}-push").exists(),
        timeout=30,
        what="the development transport to record the push",
    )
    time.sleep(4)  # let every queued task and a few more beat ticks run: they must find nothing to do

    assert Notification.objects.filter(dedupe_key=dedupe_key).count() == 1
    assert RecordedMessage.objects.filter(dedupe_key=f"careloop-{notification.pk}-push").count() == 1
    occurrence = ReminderOccurrence.objects.get(patient_id=patient_id, key=key)
    assert occurrence.status == OccurrenceStatus.SENT
    assert (notification.title, notification.kind) == ("Time for your lenalidomide", "reminder")
    for worker in stack.workers:  # both really took part
        assert "careloop.reminders" in worker.log(), worker.name

    status, body = stack.call("GET", "/api/v1/notifications/", token=phone)
    assert status == 200
    rows = body["results"] if isinstance(body, dict) else body
    assert [r["title"] for r in rows if r["kind"] == "reminder"].count("Time for your lenalidomide") == 1

    # A restarted beat starts its schedule afresh: still nothing is sent twice.
    stack.beat.stop()
    stack.beat.start()
    wait_until(lambda: "careloop.reminders.tick" in stack.beat.log().split("beat: Starting...")[-1], 20, "beat")
    time.sleep(3)
    assert Notification.objects.filter(dedupe_key=dedupe_key).count() == 1
    assert RecordedMessage.objects.filter(dedupe_key=f"careloop-{notification.pk}-push").count() == 1


def test_the_phone_gets_its_reminders_in_the_sync_answer(stack: Stack) -> None:
    phone, _, today = _enrolled_patient_with_push(stack)
    status, body = stack.call("POST", "/api/v1/sync/", {"cursor": None}, token=phone)
    assert status == 200, body
    upcoming = body["reminders"]
    assert upcoming and all(r["due_at"].endswith(("-05:00", "-04:00")) for r in upcoming)
    status, listed = stack.call("GET", "/api/v1/reminders/", token=phone)
    assert status == 200
    assert [r["key"] for r in listed] == [r["key"] for r in upcoming]
    assert any(r["key"] == f"ixazomib:{today}" for r in listed) or datetime.now(ZoneInfo(ZONE)).hour >= 22
