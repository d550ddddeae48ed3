"""The grading worker stalled, then SIGKILLed mid-batch, on the Procfile's processes (a grading
worker, a separate notifier, beat, gunicorn; real PostgreSQL and Redis).

While a grading task waits in the queue, syncs queue no other: the waiting task grades their
readings when it starts (one task per free moment of the worker, not one per sync).

The worker dies holding a grading task it has received but not finished (acknowledged late, so the
message is still Redis's) with more queued behind it, as the OOM killer or a host failure would
leave it. After a restart (what a supervisor does) every reading is graded and raises its alert
exactly once, and every alert is announced to the nurse exactly once: the queued tasks run, the
sweeper grades what the lost task held, and a task that runs twice finds its readings graded."""

from __future__ import annotations

import re
import signal
from collections import Counter
from collections.abc import Iterator
from typing import Any

import psutil
import pytest
import redis

from backend.alerts.models import Alert
from backend.notifications.models import Notification
from tests.integration.clinic import enroll, enrolled_patient, platelets
from tests.integration.conftest import running_stack
from tests.integration.stack import Stack, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

PATIENTS = 6  # one grade-4 platelet count each, in a sync of its own: one grading task each


@pytest.fixture(scope="module")
def stack(django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    # Readings waiting up to 5 s are a task's (2 s elsewhere): a loaded machine's six syncs fit.
    extra_env = {"CARELOOP_SWEEP_AFTER_SECONDS": "5"}
    with running_stack(
        django_db_blocker, tmp_path_factory, "grading-kill", notifier=True, extra_env=extra_env
    ) as running:
        yield running


def _received(stack: Stack) -> int:
    """Grading tasks the worker received (its log also names each when it ends)."""
    return len(re.findall(r"careloop\.alerts\.grade_readings\[[0-9a-f-]+\] received", stack.worker.log()))


def _idle(stack: Stack) -> bool:
    """Every task the worker received has ended: nothing holds its one prefetched slot."""
    log = stack.worker.log()
    ended = sum(log.count(word) for word in ("] succeeded in", "] raised", "] retry:"))
    return log.count("] received") == ended


def _stall(stack: Stack, sig: int) -> None:
    for child in psutil.Process(stack.worker.process.pid).children():  # type: ignore[union-attr]
        child.send_signal(sig)


def _synced(stack: Stack, phones: list[str], readings: list[dict[str, Any]]) -> None:
    """Each phone syncs its reading, one sync each."""
    for phone, reading in zip(phones, readings, strict=True):
        status, body = stack.call("POST", "/api/v1/sync/", {"lab_results": [reading]}, token=phone)
        assert status == 200, body


def _alerted(wanted: set[str]) -> bool:
    """Every reading of `wanted` has its alert."""
    return {str(s) for s in Alert.objects.filter(source_id__in=wanted).values_list("source_id", flat=True)} == wanted


def test_syncs_that_come_while_a_grading_task_waits_queue_none_and_that_task_grades_them(stack: Stack) -> None:
    nurse, _, _ = enroll(stack)
    phones = [enrolled_patient(stack, nurse, name="Quinn Queued")[0] for _ in range(PATIENTS)]
    stack.beat.stop()  # no sweeper: only the grading task can grade them
    wait_until(lambda: _idle(stack), 20, "the worker to finish beat's tasks", interval=0.2)
    broker = redis.Redis.from_url(stack.redis.url)
    _stall(stack, signal.SIGSTOP)
    try:
        received = _received(stack)
        readings = [platelets(12 + n) for n in range(PATIENTS)]
        _synced(stack, phones, readings)
        wait_until(lambda: _received(stack) > received, 20, "the worker to take the grading task")
        assert (_received(stack) - received, broker.llen("celery")) == (1, 0)  # one task for six syncs
    finally:
        _stall(stack, signal.SIGCONT)
    wanted = {r["id"] for r in readings}
    try:
        wait_until(lambda: _alerted(wanted), 20, "the one task to grade every sync's reading", interval=0.2)
    finally:
        stack.beat.start()
    assert _received(stack) - received == 1
    assert "sweeper graded" not in stack.worker.log()


def test_a_grading_worker_killed_mid_batch_loses_and_repeats_no_alert(stack: Stack) -> None:
    nurse, _, _ = enroll(stack)
    phones = [enrolled_patient(stack, nurse, name="Kai Killed")[0] for _ in range(PATIENTS)]

    # Beat sends the sweeper every second to the grading queue; with beat stopped and the worker
    # idle, the one message a stalled worker holds is a grading task, not a sweep (CI saw that race).
    stack.beat.stop()
    wait_until(lambda: _idle(stack), 20, "the worker to finish beat's tasks", interval=0.2)

    # Stall the pool so the worker holds the first grading task unfinished while the rest wait.
    _stall(stack, signal.SIGSTOP)
    received = _received(stack)
    readings = [platelets(12 + n) for n in range(PATIENTS)]
    _synced(stack, phones, readings)
    wait_until(lambda: _received(stack) > received, 20, "the worker to take a grading task")

    stack.worker.stop(signal.SIGKILL)  # the whole process group: the worker and its pool
    assert Alert.objects.filter(source_id__in=[r["id"] for r in readings]).count() == 0

    stack.beat.start()  # the sweeper grades what the killed worker held
    stack.worker.start()
    wait_until(lambda: stack.worker.log().count("ready.") >= 2, 60, "the worker to restart")
    wanted = {r["id"] for r in readings}
    wait_until(lambda: _alerted(wanted), 60, "every reading to be graded and alerted", interval=0.5)
    alerts = list(Alert.objects.filter(source_id__in=wanted))
    assert Counter(str(a.source_id) for a in alerts) == dict.fromkeys(wanted, 1)
    assert {a.grade for a in alerts} == {4}

    raised = {f"alert:{a.pk}:raised" for a in alerts}
    wait_until(
        lambda: set(Notification.objects.filter(dedupe_key__in=raised).values_list("dedupe_key", flat=True)) == raised,
        60,
        "every alert to be announced",
        interval=0.5,
    )
    announced = Counter(Notification.objects.filter(dedupe_key__in=raised).values_list("dedupe_key", flat=True))
    assert announced == dict.fromkeys(raised, 1)
