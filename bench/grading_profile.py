"""Where one grading task's time goes (bench 2's task, issue 17 target 2), in-process.

Bench 2's set-up in miniature: ten patients, each sync one grade-4 platelet count (stored as the
sync stores it), then the grading task run as the worker runs it (Celery's own tracer, not eager:
the task_prerun/postrun connection checks, the task, the announcement's publish to Redis). Per
task, wall time split into: the health check's `SELECT 1`, each statement (the driver's execute:
round trips and server time; psycopg's implicit BEGIN rides in the first one), COMMIT, the
announcement's publish (when a task has one), and the rest (Python: Celery's tracer, the ORM,
grading); and this process's CPU time per task. Then a cProfile of as many tasks, by function.

`python -m bench.grading_profile` (BENCH_PROFILE_TASKS: tasks per part, default 300).
"""

from __future__ import annotations

import cProfile
import io
import os
import pstats
import statistics
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.stack import Env

TASKS = int(os.environ.get("BENCH_PROFILE_TASKS", "300"))
PATIENTS = 10


def _store(patient: Any, at: datetime) -> str:
    from backend.records.services import payload_sections, sync_ingest

    lab_id = str(uuid.uuid4())
    item = {"id": lab_id, "analyte": "platelets", "value": 20, "unit": "10^9/L", "collected_at": at.isoformat()}
    sync_ingest(patient=patient, sections=payload_sections({"lab_results": [item]}), now=datetime.now(UTC))
    return lab_id


def _statement_kind(sql: str) -> str:
    head = sql.lstrip()[:60]
    if head.startswith('WITH "own"') or head.startswith('WITH "claimed"'):
        return "claim (+ psycopg's BEGIN: lock, mark graded, read)"
    if head.startswith('WITH "graded"'):
        return "history (and write the grades)"
    if head.startswith('SELECT "alerts_alert"'):
        return "episodes locked"
    if head.startswith('UPDATE "alerts_alert"'):
        return "episode UPDATE (join)"
    if head.startswith('INSERT INTO "alerts_alert"'):
        return "episode INSERT"
    return "other: " + head[:40]


class Timings:
    def __init__(self) -> None:
        self.parts: dict[str, list[float]] = defaultdict(list)
        self.current: dict[str, float] = defaultdict(float)

    def add(self, part: str, seconds: float) -> None:
        self.current[part] += seconds

    def close(self, total: float) -> None:
        accounted = sum(self.current.values())
        self.current["Python (tracer, ORM, grading)"] = total - accounted
        self.current["task total (tracer)"] = total
        for part, seconds in self.current.items():
            self.parts[part].append(seconds * 1000)
        self.current = defaultdict(float)


@contextmanager
def _instrumented(timings: Timings) -> Iterator[None]:
    from django.db import connection
    from kombu import Producer

    def wrapper(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            timings.add(_statement_kind(sql), time.perf_counter() - t0)

    original_commit = connection._commit
    original_publish = Producer.publish

    def commit() -> Any:
        t0 = time.perf_counter()
        try:
            return original_commit()
        finally:
            timings.add("COMMIT (fsync)", time.perf_counter() - t0)

    def publish(self: Any, *args: Any, **kwargs: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return original_publish(self, *args, **kwargs)
        finally:
            timings.add("announce: publish to Redis", time.perf_counter() - t0)

    original_usable = connection.is_usable

    def is_usable() -> Any:
        t0 = time.perf_counter()
        try:
            return original_usable()
        finally:
            timings.add("health check SELECT 1 (each task's first statement)", time.perf_counter() - t0)

    connection._commit, connection.is_usable = commit, is_usable
    Producer.publish = publish  # type: ignore[method-assign]
    try:
        with connection.execute_wrapper(wrapper):
            yield
    finally:
        del connection._commit, connection.is_usable
        Producer.publish = original_publish  # type: ignore[method-assign]


def run(env: Env) -> None:
    from celery.app.trace import build_tracer

    from backend.alerts.tasks import grade_readings
    from backend.config.celery import app
    from backend.patients.models import Patient
    from bench.fixtures import clinic_make

    patients = list(Patient.objects.filter(pk__in=[p.patient_id for p in clinic_make("Profile", PATIENTS).patients]))
    tracer = build_tracer(grade_readings.name, grade_readings, app=app, eager=False, hostname="profile")
    start = datetime.now(UTC) - timedelta(days=1)
    n = 0

    cpu: list[float] = []

    def one_task() -> float:
        nonlocal n
        n += 1
        lab_id = _store(patients[n % PATIENTS], start + timedelta(seconds=n))
        task_id = str(uuid.uuid4())
        request = {"id": task_id, "delivery_info": {"routing_key": "celery"}, "is_eager": False}
        c0, t0 = time.process_time(), time.perf_counter()
        tracer(task_id, [], {"lab_ids": [lab_id]}, request)
        cpu.append(time.process_time() - c0)
        return time.perf_counter() - t0

    for _ in range(30):  # warm-up: connections, prepared queries, every patient's episode open
        one_task()
    timings = Timings()
    with _instrumented(timings):
        for _ in range(TASKS):
            timings.close(one_task())
    print(f"\nOne grading task, {TASKS} tasks (one alerting platelet count joining its episode), wall ms:")
    print(f"{'part':60} {'median':>8} {'mean':>8} {'p95':>8}")
    for part, values in sorted(timings.parts.items(), key=lambda kv: -statistics.mean(kv[1])):
        values = sorted(values + [0.0] * (TASKS - len(values)))
        p95 = values[int(0.95 * (len(values) - 1))]
        print(f"{part:60} {statistics.median(values):8.2f} {statistics.mean(values):8.2f} {p95:8.2f}")
    cpu.clear()
    walls = sorted(one_task() * 1000 for _ in range(TASKS))
    print(
        f"\nuninstrumented, {TASKS} tasks: wall median {statistics.median(walls):.2f} ms, "
        f"p95 {walls[int(0.95 * (TASKS - 1))]:.2f} ms; this process's CPU median "
        f"{statistics.median(cpu) * 1000:.2f} ms, mean {statistics.mean(cpu) * 1000:.2f} ms"
    )

    profile = cProfile.Profile()
    for _ in range(TASKS):
        n += 1
        lab_id = _store(patients[n % PATIENTS], start + timedelta(seconds=n))
        task_id = str(uuid.uuid4())
        request = {"id": task_id, "delivery_info": {"routing_key": "celery"}, "is_eager": False}
        profile.enable()
        tracer(task_id, [], {"lab_ids": [lab_id]}, request)
        profile.disable()
    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out)
    stats.sort_stats("cumulative").print_stats(60)
    stats.sort_stats("tottime").print_stats(30)
    (env.log_dir / "grading_profile.txt").write_text(out.getvalue())
    print(out.getvalue())


def main() -> None:
    with Env("grading_profile") as env:
        run(env)


if __name__ == "__main__":
    main()
