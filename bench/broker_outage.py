"""Sync speed while Redis is away: 50 phones syncing one grade-4 platelet reading per request for
BENCH_OUTAGE_SECONDS (10) each with Redis up, stopped and hung (SIGSTOP: connections accepted,
nothing answered), on the Procfile's web, worker, notifier and beat. Then how long after Redis
returns every reading synced during the outage is graded (by the sweeper: production's 20 s
CARELOOP_SWEEP_AFTER_SECONDS and 10 s period).

Standalone (it stops the stack's Redis): `.venv/bin/python -m bench.broker_outage`. Prints figures,
never fails. Before the publishing circuit (backend/core/publishing.py) a sync held a web worker
2 s (Redis stopped) or 5 s (hung) and successful syncs fell from 474 to 10 per 10 s.
"""

from __future__ import annotations

import json
import os
import signal
import time
import uuid
from collections.abc import Iterator
from typing import Any

from bench.fixtures import clinic_make
from bench.http_load import build_request, run_load
from bench.stack import Env, Proc, procfile_line, scale, wait_until

PHONES = 50
SECONDS = max(3.0, float(os.environ.get("BENCH_OUTAGE_SECONDS", "10")) * scale())


def _syncs(token: str, sent: list[str]) -> Iterator[bytes]:
    while True:
        reading_id = str(uuid.uuid4())
        sent.append(reading_id)
        body = {
            "lab_results": [
                {
                    "id": reading_id,
                    "analyte": "platelets",
                    "value": 15,
                    "unit": "10^9/L",
                    "collected_at": "2026-11-20T08:30:00-05:00",
                }
            ]
        }
        yield build_request("POST", "/api/v1/sync/", token=token, body=body)


def _ungraded(ids: list[str]) -> int:
    """Stored and not yet graded (the last request each phone built when time ran out was never sent)."""
    from backend.records.models import LabResult

    return sum(
        LabResult.objects.filter(id__in=ids[i : i + 5000], graded_at__isnull=True).count()
        for i in range(0, len(ids), 5000)
    )


def _phase(env: Env, tokens: list[str], label: str) -> tuple[dict[str, Any], list[str]]:
    sent: list[str] = []
    result = run_load("127.0.0.1", env.web_port, [_syncs(t, sent) for t in tokens], duration=SECONDS)
    row = {"redis": label, **result.summary(), "ok_200": result.statuses.get(200, 0), "statuses": result.statuses}
    return row, sent


def _graded_within(ids: list[str], since: float, timeout: float = 90) -> float | None:
    try:
        wait_until(lambda: _ungraded(ids) == 0, timeout, "every reading graded", interval=0.5)
    except TimeoutError:
        return None
    return time.perf_counter() - since


def run(env: Env) -> dict[str, Any]:
    env.web()
    env.worker()
    env.worker(line="notifier")
    beat = Proc("beat", procfile_line("beat"), env.env, env.log_dir).start()
    redis = env._redis
    assert redis is not None and redis.process is not None
    try:
        tokens = [p.token for p in clinic_make(f"Outage {uuid.uuid4().hex[:6]}", PHONES).patients]
        rows = []
        row, _ = _phase(env, tokens, "up")
        rows.append(row)

        redis.stop()
        row, sent = _phase(env, tokens, "stopped")
        redis.start()
        wait_until(env._redis_ping, 10, "redis to answer")
        row["all_graded_s_after_return"] = _graded_within(sent, time.perf_counter())
        rows.append(row)

        redis_pid = redis.process.pid
        os.killpg(redis_pid, signal.SIGSTOP)
        try:
            row, sent = _phase(env, tokens, "hung")
        finally:
            os.killpg(redis_pid, signal.SIGCONT)
        row["all_graded_s_after_return"] = _graded_within(sent, time.perf_counter())
        rows.append(row)
    finally:
        beat.stop()

    print(f"\nSyncs while Redis is away: {PHONES} phones, {SECONDS:g} s per phase, one grade-4 reading per sync")
    print(f"{'redis':8} {'200s':>6} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'graded after return':>20}")
    for r in rows:
        after = r.get("all_graded_s_after_return", "")
        graded = f"{after:.1f} s" if isinstance(after, float) else ("" if after == "" else "not in 90 s")
        print(
            f"{r['redis']:8} {r['ok_200']:>6} {r['rps']:>7.1f} {r['p50_ms']:>8.1f} {r['p95_ms']:>8.1f} "
            f"{r['p99_ms']:>8.1f} {graded:>20}"
        )
    record = {"bench": "broker_outage", "phones": PHONES, "seconds": SECONDS, "rows": rows}
    print("BENCH_JSON " + json.dumps(record, default=str))
    return record


if __name__ == "__main__":
    with Env("outage") as running:
        run(running)
