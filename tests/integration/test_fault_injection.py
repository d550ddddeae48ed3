"""Fault injection on real processes: Redis restarts under a worker busy grading a reading. It must
cost seconds, not the worker (backend/config/worker_consumer.py). A worker killed under `make run`'s
supervisor: test_launcher_supervision.py."""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from typing import Any

import psutil
import pytest

from tests.integration.clinic import alerted_readings, enroll, platelets
from tests.integration.conftest import running_stack
from tests.integration.stack import Stack, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

# Beat only sends what a test causes: a periodic task landing in the pool while it is stalled
# would change the state the Redis restart finds the worker in.
QUIET_BEAT = {
    "CARELOOP_SWEEP_EVERY_SECONDS": "3600",
    "CARELOOP_ESCALATION_EVERY_SECONDS": "3600",
    "CARELOOP_REMINDERS_EVERY_SECONDS": "3600",
}


@pytest.fixture(scope="module")
def stack(django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    # Two pool processes, as in the Procfile: the worker keeps asking Redis for more work while
    # one task is in progress, which is the state a Redis restart used to kill it in.
    with running_stack(django_db_blocker, tmp_path_factory, "faults", concurrency=2, extra_env=QUIET_BEAT) as running:
        yield running


def _received(stack: Stack) -> int:
    return stack.worker.log().count("careloop.alerts.grade_readings[")


def test_a_redis_restart_while_a_reading_is_being_graded_costs_seconds_not_the_worker(stack: Stack) -> None:
    nurse, phone, _ = enroll(stack)
    first, second = platelets(15), platelets(19)
    pool = psutil.Process(stack.worker.process.pid).children()  # type: ignore[union-attr]
    for child in pool:  # a slow task: the worker holds the reading's message unacknowledged
        child.send_signal(signal.SIGSTOP)
    try:
        received = _received(stack)
        status, body = stack.call("POST", "/api/v1/sync/", {"lab_results": [first]}, token=phone)
        assert status == 200, body
        wait_until(lambda: _received(stack) > received, 10, "the worker to take the grading task")

        stack.redis.stop()
        time.sleep(0.5)
        stack.redis.start()
    finally:
        for child in pool:
            child.send_signal(signal.SIGCONT)

    status, body = stack.call("POST", "/api/v1/sync/", {"lab_results": [second]}, token=phone)
    assert status == 200, body
    wait_until(
        lambda: alerted_readings(stack, nurse) == {first["id"], second["id"]},
        30,
        "both readings to be graded by the worker that lived through the restart",
    )
    assert stack.worker.alive()
    assert "Unrecoverable error" not in stack.worker.log()
