"""Bench 2's grading task against the length of the episode it joins (issue 17, target 2).

Since episodes (contract §4), every grade-4 count of a patient joins one open episode, whose
`readings` list grows by one each time. In-process, one patient: store a grade-4 platelet count,
run the grading task's service on it (`readings_grade`, as the per-sync task does), again and
again; per episode length, the task's CPU time (this process: Python, the driver, JSON) and wall
time (with PostgreSQL's share), medians of the last `WINDOW` tasks up to that length, and the
statements the task sent. The cost should not grow with the episode's length.
"""

from __future__ import annotations

import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from bench import report
from bench.stack import Env, scaled

LENGTHS = (10, 30, 100, 300)
WINDOW = 10
_TRANSACTION = ("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE")  # not counted as the task's statements


def _store(patient: Any, at: datetime) -> uuid.UUID:
    """One grade-4 platelet count, stored as a sync stores it (without queueing its task)."""
    from backend.records.services import payload_sections, sync_ingest

    lab_id = uuid.uuid4()
    item = {"id": str(lab_id), "analyte": "platelets", "value": 20, "unit": "10^9/L", "collected_at": at.isoformat()}
    sync_ingest(patient=patient, sections=payload_sections({"lab_results": [item]}), now=datetime.now(UTC))
    return lab_id


def run(env: Env) -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from backend.alerts.grading import readings_grade
    from backend.alerts.models import Alert
    from backend.patients.models import Patient
    from bench.fixtures import clinic_make

    lengths = sorted({scaled(n) for n in LENGTHS})
    patient = Patient.objects.get(pk=clinic_make("Episode Clinic", 1).patients[0].patient_id)
    start = datetime.now(UTC) - timedelta(days=1)
    cpu: list[float] = []
    wall: list[float] = []
    rows: list[list[Any]] = []
    data: dict[str, Any] = {}
    for n in range(1, lengths[-1] + 1):
        lab_id = _store(patient, start + timedelta(seconds=n))
        if n in lengths:  # the statements, on this length's task (capturing costs time: not timed)
            with CaptureQueriesContext(connection) as ctx:
                readings_grade(lab_ids=[lab_id])
            statements = len([q for q in ctx.captured_queries if not q["sql"].startswith(_TRANSACTION)])
            window_cpu, window_wall = cpu[-WINDOW:] or [0.0], wall[-WINDOW:] or [0.0]
            listed = len(Alert.objects.get(patient=patient, status="open").readings)
            cpu_ms, wall_ms = statistics.median(window_cpu) * 1000, statistics.median(window_wall) * 1000
            rows.append([n, listed, statements, cpu_ms, wall_ms])
            data[f"len_{n}"] = {"statements": statements, "cpu_ms": round(cpu_ms, 2), "wall_ms": round(wall_ms, 2)}
            continue
        c0, w0 = time.process_time(), time.perf_counter()
        readings_grade(lab_ids=[lab_id])
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - w0)
    return report.emit(
        "grading_episodes",
        "2b. Grading task vs episode length (one grade-4 count joining the open episode)",
        ["episode length", "readings listed", "statements", "task CPU ms (median)", "task wall ms (median)"],
        rows,
        data,
        [f"medians of {WINDOW} tasks before each length, in-process; statements: that length's task, no BEGIN/COMMIT"],
    )


def main() -> None:
    with Env("grading_episodes") as env:
        run(env)


if __name__ == "__main__":
    main()
