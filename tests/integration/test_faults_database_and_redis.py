"""The fault tier: the real processes lose PostgreSQL connections and Redis, as in a database
restart or failover and a Redis outage, while phones sync. Nothing synced is lost, nothing is graded
or alerted twice, and the API keeps answering without waiting on Redis."""

from __future__ import annotations

import os
import random
import re
import signal
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import pytest
from django.conf import settings
from django.db import connection

from backend.alerts.models import Alert
from backend.records.models import LabResult
from tests.integration.clinic import enrolled_patient, nurse_token, platelets
from tests.integration.conftest import running_stack
from tests.integration.stack import Stack, wait_until

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        "postgresql" not in settings.DATABASES["default"]["ENGINE"], reason="ends PostgreSQL server connections"
    ),
]


@pytest.fixture(scope="module")
def stack(django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The Procfile's processes: gunicorn, a grading worker, a notifier and beat."""
    with running_stack(django_db_blocker, tmp_path_factory, name="faults", notifier=True) as running:
        yield running


PUBLISH_FAILED = re.compile(r"careloop\.alerts\.grade_readings not queued \(")
PUBLISH_SKIPPED = re.compile(r"careloop\.alerts\.grade_readings not queued: the broker failed")
RECONNECT_WAIT = re.compile(r"Trying again in ([\d.]+) (second|minute)")


def _enroll(stack: Stack, patients: int = 1) -> list[tuple[str, str]]:
    """[(phone token, patient id)] for `patients` patients of a new clinic, through the public API."""
    nurse = nurse_token(stack, "Faults")
    return [enrolled_patient(stack, nurse, name=f"Faye Fault {n}") for n in range(patients)]


def _grade_4_platelets() -> dict[str, Any]:
    return platelets(15)


def _sync(stack: Stack, phone: str, reading: dict[str, Any], attempts: int = 1) -> list[int]:
    """Sync one reading as the phone does: again after a failed answer. The statuses received."""
    statuses = []
    for _ in range(attempts):
        status, body = stack.call("POST", "/api/v1/sync/", {"lab_results": [reading]}, token=phone)
        statuses.append(status)
        if status == 200:
            assert body["accepted"] == [reading["id"]], body
            break
        time.sleep(0.2)
    return statuses


def _own_connection() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return int(cursor.fetchone()[0])


def _end_every_connection(*, spare: int | None = None) -> int:
    """What a PostgreSQL restart or failover does to the web and Celery processes' connections (all
    but this thread's own and `spare`, the test's). How many were ended."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid() AND pid <> %s",
            [spare or 0],
        )
        return int(cursor.fetchone()[0])


def _listed(alerts: Any) -> Counter[str]:
    """How often each reading is listed on these alerts (an episode lists every reading that joined it)."""
    return Counter(str(reading["id"]) for alert in alerts for reading in alert.readings)


def _all_graded_and_alerted(reading_ids: list[str]) -> bool:
    """Every reading stored, graded, and listed on an alert announced to the clinic (contract §4:
    a patient's further low counts join their open thrombocytopenia episode)."""
    graded = LabResult.objects.filter(id__in=reading_ids, graded_at__isnull=False).count()
    patients = LabResult.objects.filter(id__in=reading_ids).values("patient_id")
    announced = _listed(Alert.objects.filter(patient_id__in=patients, announced_at__isnull=False))
    return graded == len(reading_ids) and all(announced[i] for i in reading_ids)


def _assert_once_each(reading_ids: list[str], patient_ids: list[str]) -> None:
    """Nothing lost, nothing duplicated: each reading stored once and listed on one alert, and one
    episode per patient."""
    assert LabResult.objects.filter(patient_id__in=patient_ids).count() == len(reading_ids)
    alerts = list(Alert.objects.filter(patient_id__in=patient_ids))
    assert _listed(alerts) == dict.fromkeys(map(str, reading_ids), 1)
    assert sorted(str(a.patient_id) for a in alerts) == sorted(map(str, patient_ids))
    assert {(a.kind, a.grade) for a in alerts} == {("thrombocytopenia", 4)}


def _worker_holds_a_connection(stack: Stack, phone: str) -> str:
    """Grade one reading first, so the worker has a live connection to lose."""
    warm_up = _grade_4_platelets()
    assert _sync(stack, phone, warm_up) == [200]
    wait_until(lambda: _all_graded_and_alerted([warm_up["id"]]), 15, "the warm-up reading's alert")
    return str(warm_up["id"])


def test_after_every_database_connection_is_ended_while_quiet_new_readings_are_graded(stack: Stack) -> None:
    [(phone, patient_id)] = _enroll(stack)
    warm_up = _worker_holds_a_connection(stack, phone)
    time.sleep(1.5)  # quiet: only beat's ticks

    ended = _end_every_connection()
    assert ended >= 2  # at least gunicorn's and the worker's
    readings = [_grade_4_platelets() for _ in range(5)]
    for reading in readings:
        assert _sync(stack, phone, reading) == [200]

    ids = [warm_up, *(r["id"] for r in readings)]
    wait_until(lambda: _all_graded_and_alerted(ids), 20, "every reading graded and alerted after the failover")
    _assert_once_each(ids, [patient_id])


def test_database_connections_ended_at_random_moments_under_load_lose_and_duplicate_nothing(
    stack: Stack,
) -> None:
    phones = _enroll(stack, patients=3)
    warm_up = _worker_holds_a_connection(stack, phones[0][0])
    work = [(phone, _grade_4_platelets()) for _ in range(20) for phone, _ in phones]
    random.shuffle(work)
    done = threading.Event()
    ended: list[int] = []
    test_connection = _own_connection()

    def chaos() -> None:
        while not done.is_set() or len(ended) < 3:  # a fast machine may sync everything in one round
            time.sleep(random.uniform(0.05, 0.3))
            ended.append(_end_every_connection(spare=test_connection))

    # The chaos thread needs its own database connection: Django's are per thread.
    chaos_thread = threading.Thread(target=_closing_connection(chaos))
    chaos_thread.start()
    try:
        with ThreadPoolExecutor(4) as pool:
            answers = list(pool.map(lambda job: _sync(stack, job[0], job[1], attempts=10), work))
    finally:
        done.set()
        chaos_thread.join()

    assert all(statuses[-1] == 200 for statuses in answers), answers  # every phone's sync went through
    assert sum(ended) > 0
    retried = sum(len(statuses) - 1 for statuses in answers)
    print(f"{len(ended)} rounds ended {sum(ended)} connections; {retried} of {len(work)} syncs needed a retry")
    ids = [reading["id"] for _, reading in work]
    wait_until(lambda: _all_graded_and_alerted(ids), 40, "every reading graded and alerted")
    _assert_once_each([warm_up, *ids], [p for _, p in phones])


def test_with_redis_stopped_syncs_answer_without_waiting_and_everything_is_graded_when_it_returns(
    stack: Stack,
) -> None:
    phones = _enroll(stack, patients=2)
    web_log, worker_log = len(stack.web.log()), len(stack.worker.log())
    readings = [(phone, _grade_4_platelets()) for _ in range(10) for phone, _ in phones]

    stack.redis.stop()
    try:
        with ThreadPoolExecutor(4) as pool:
            answers = list(pool.map(lambda job: _sync(stack, job[0], job[1]), readings))
        time.sleep(5)  # a long enough outage for kombu's default backoff to reach 6 s between attempts
    finally:
        stack.redis.start()

    assert answers == [[200]] * len(readings)
    ids = [reading["id"] for _, reading in readings]
    wait_until(lambda: _all_graded_and_alerted(ids), 30, "the sweeper to grade what was synced during the outage")
    _assert_once_each(ids, [p for _, p in phones])
    # The mechanism: each web process tried the dead broker once and then skipped publishing (the
    # circuit), so no sync waited on it; the worker retried connecting at most 2 s apart.
    log = stack.web.log()[web_log:]
    failed, skipped = len(PUBLISH_FAILED.findall(log)), len(PUBLISH_SKIPPED.findall(log))
    assert 1 <= failed < skipped, (failed, skipped)
    found = RECONNECT_WAIT.findall(stack.worker.log()[worker_log:])
    waits = [float(n) * (60 if unit == "minute" else 1) for n, unit in found]
    assert waits and max(waits) <= 2.0, waits


def test_with_redis_hung_syncs_answer_without_waiting_and_nothing_is_graded_twice(stack: Stack) -> None:
    phones = _enroll(stack, patients=2)
    web_log = len(stack.web.log())
    readings = [(phone, _grade_4_platelets()) for _ in range(10) for phone, _ in phones]

    with _redis_hung(stack):
        with ThreadPoolExecutor(4) as pool:
            answers = list(pool.map(lambda job: _sync(stack, job[0], job[1]), readings))

    assert answers == [[200]] * len(readings)
    ids = [reading["id"] for _, reading in readings]
    wait_until(lambda: _all_graded_and_alerted(ids), 30, "every reading synced while Redis hung graded")
    time.sleep(2)  # a publish that timed out may still arrive; grading it again must change nothing
    _assert_once_each(ids, [p for _, p in phones])
    log = stack.web.log()[web_log:]
    failed, skipped = len(PUBLISH_FAILED.findall(log)), len(PUBLISH_SKIPPED.findall(log))
    assert 1 <= failed < skipped, (failed, skipped)


@contextmanager
def _redis_hung(stack: Stack) -> Iterator[None]:
    """Redis stops answering but keeps its connections open (a stalled VM, a network partition)."""
    process = stack.redis.proc.process
    assert process is not None
    os.kill(process.pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(process.pid, signal.SIGCONT)


def _closing_connection(function: Any) -> Any:
    def run() -> None:
        try:
            function()
        finally:
            connection.close()

    return run
