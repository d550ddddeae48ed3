"""Bench 2, alert latency: 1,000 readings that each raise an alert (platelets 20 ×10^9/L, grade 4),
one per sync, at a steady rate, with one grading worker (the Procfile's `worker:` line, concurrency 1)
and, beside it as in production, one `notifier:` process that announces the alerts.

Latency is from the commit of the sync's transaction to the commit of the alert row that lists the
reading: a new episode, or the patient's open episode it joined (contract §4: further low counts
join it, an UPDATE rather than a new row). Both instants are observed by the database itself:
bench-only triggers (created here, in the bench database only) `pg_notify` on each lab row and on
each alert row for every reading it newly lists, and PostgreSQL delivers a notification exactly
when its transaction commits. One listener process timestamps both on one clock.

Baseline in the same run: a no-op Celery round trip on the same Redis and the same worker (publish,
the worker runs a task that RPUSHes a token, the client's BLPOP returns).
Targets: p95 < 50 ms, p99 < 200 ms.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import re
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from bench import report
from bench.fixtures import clinic_make
from bench.http_load import Connection, build_request
from bench.soak import PhoneStream
from bench.stack import Env, scaled

RATE_PER_S = float(os.environ.get("BENCH_ALERT_RATE", "20"))
PATIENTS = 10
SENDERS = 4
LOAD_PHONES = 50  # the under-load run: bench 12's phones, each syncing 1–3 items every second

TRIGGERS = """
CREATE OR REPLACE FUNCTION bench_notify_lab() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN PERFORM pg_notify('bench_lab', NEW.id::text); RETURN NULL; END $$;
CREATE OR REPLACE FUNCTION bench_notify_alert() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE reading text;
BEGIN
  -- Every reading the row lists that it did not list before: a new episode's first reading, and a
  -- reading that joined the patient's open episode (an UPDATE, no new row).
  FOR reading IN
    SELECT e->>'id' FROM jsonb_array_elements(NEW.readings) e
    EXCEPT SELECT e->>'id' FROM jsonb_array_elements(
      CASE WHEN TG_OP = 'UPDATE' THEN OLD.readings ELSE '[]'::jsonb END) e
  LOOP PERFORM pg_notify('bench_alert', reading); END LOOP;
  RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS bench_lab ON records_labresult;
DROP TRIGGER IF EXISTS bench_alert ON alerts_alert;
CREATE TRIGGER bench_lab AFTER INSERT ON records_labresult FOR EACH ROW EXECUTE FUNCTION bench_notify_lab();
CREATE TRIGGER bench_alert AFTER INSERT OR UPDATE ON alerts_alert FOR EACH ROW EXECUTE FUNCTION bench_notify_alert();
"""
DROP_TRIGGERS = """
DROP TRIGGER IF EXISTS bench_lab ON records_labresult;
DROP TRIGGER IF EXISTS bench_alert ON alerts_alert;
DROP FUNCTION IF EXISTS bench_notify_lab();
DROP FUNCTION IF EXISTS bench_notify_alert();
"""


def _listen(dsn: str, ready: Any, out: Any) -> None:
    """Runs in its own process: timestamp every notification until told to stop."""
    import psycopg

    seen: dict[str, dict[str, float]] = {"bench_lab": {}, "bench_alert": {}}
    with psycopg.connect(dsn, autocommit=True) as conn:
        for channel in ("bench_lab", "bench_alert", "bench_ctl"):
            conn.execute(f"LISTEN {channel}")
        ready.set()
        for note in conn.notifies():
            now = time.perf_counter()
            if note.channel == "bench_ctl":
                break
            seen[note.channel].setdefault(note.payload, now)
    out.put(seen)


def worker_task_times(log: str) -> dict[str, tuple[int, float]]:
    """Per task name: (count, mean ms), from the worker's own 'succeeded in' log lines."""
    found: dict[str, list[float]] = {}
    for m in re.finditer(r"Task ([\w.]+)\[[^\]]+\] succeeded in ([0-9.]+)s", log):
        found.setdefault(m.group(1), []).append(float(m.group(2)) * 1000)
    return {k: (len(v), sum(v) / len(v)) for k, v in found.items()}


def _queue_drain(env: Env, timeout: float = 60.0) -> float:
    """Wait until the worker's queue is empty (grading and whatever alerts set off, e.g. their
    announcements); return how long that took."""
    import redis

    client = redis.Redis.from_url(env.redis_url)
    t0 = time.perf_counter()
    while (client.llen("celery") or client.llen("notify")) and time.perf_counter() - t0 < timeout:
        time.sleep(0.1)
    return time.perf_counter() - t0


def _noop_round_trips(env: Env, count: int, rate: float) -> tuple[list[float], int]:
    import redis

    from backend.config.celery import app  # noqa: F401 - configures Celery from the settings
    from bench.tasks import noop

    client = redis.Redis.from_url(env.redis_url, socket_timeout=None)
    key = f"bench:noop:{uuid.uuid4().hex}"
    times: list[float] = []
    lost = 0
    for i in range(count + 20):  # 20 warm-up trips
        start = time.perf_counter()
        noop.apply_async(args=[key, str(i)])
        if client.blpop([key], timeout=10) is None:
            lost += 1
            continue
        elapsed = time.perf_counter() - start
        if i >= 20:
            times.append(elapsed)
        time.sleep(max(0.0, 1 / rate - elapsed))
    return times, lost


def _measure(env: Env, requests: list[tuple[str, bytes]]) -> tuple[list[float], list[float], dict[int, int], float]:
    """Send the readings at RATE_PER_S and return (commit -> alert ms per reading, sync ms,
    statuses, seconds spent sending), timed by the database's own notifications."""
    import psycopg

    with psycopg.connect(env.db_url, autocommit=True) as db:
        db.execute(TRIGGERS)
    ctx = mp.get_context("spawn")
    ready, out = ctx.Event(), ctx.Queue()
    listener = ctx.Process(target=_listen, args=(env.db_url, ready, out), daemon=True)
    listener.start()
    ready.wait(30)

    # Open loop: reading i is due at start + i/rate whatever the previous answers took; 4 senders
    # (one connection each) so that a slow answer does not hold back the next reading.
    sync_ms: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    start = time.perf_counter() + 0.2

    def sender(k: int) -> None:
        own = Connection("127.0.0.1", env.web_port)
        for i in range(k, len(requests), SENDERS):
            delay = start + i / RATE_PER_S - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            t0 = time.perf_counter()
            status, _ = own.request(requests[i][1])
            with lock:
                sync_ms.append((time.perf_counter() - t0) * 1000)
                statuses[status] = statuses.get(status, 0) + 1
        own.close()

    threads = [threading.Thread(target=sender, args=(k,)) for k in range(SENDERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    sent_seconds = time.perf_counter() - start

    ids = [lab_id for lab_id, _ in requests]
    from backend.records.models import LabResult

    # Graded in the transaction that writes the alert row (a new episode or the one it joined).
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and LabResult.objects.filter(id__in=ids, graded_at__isnull=False).count() < len(
        ids
    ):
        time.sleep(0.2)
    time.sleep(0.3)
    with psycopg.connect(env.db_url, autocommit=True) as db:
        db.execute("NOTIFY bench_ctl, 'stop'")
        seen = out.get(timeout=30)
        db.execute(DROP_TRIGGERS)
    listener.join(10)
    labs, alerts = seen["bench_lab"], seen["bench_alert"]
    latencies = [(alerts[i] - labs[i]) * 1000 for i in ids if i in labs and i in alerts]
    return latencies, sync_ms, statuses, sent_seconds


def _orphans_aged() -> float:
    """Wait until the readings earlier benches left ungraded (bench 1 stores tens of thousands with
    no worker, and the flush drops their tasks) are older than the sweeper's age: a grading task
    also takes the waiting readings received within it, oldest first (grading.Waiting), so for up
    to 20 s ours would queue behind bench 1's, as a production reading queues behind those whose
    tasks are ahead of it. This figure is about ours. → seconds waited."""
    from django.conf import settings
    from django.db.models import Max

    from backend.records.models import LabResult, SymptomReport

    newest = [
        m.objects.filter(graded_at__isnull=True).aggregate(at=Max("received_at"))["at"]
        for m in (LabResult, SymptomReport)
    ]
    found = [at for at in newest if at is not None]
    if not found:
        return 0.0
    wait = (
        max(found) + timedelta(seconds=settings.CARELOOP_SWEEP_AFTER_SECONDS + 1) - datetime.now(UTC)
    ).total_seconds()
    if wait > 0:
        time.sleep(wait)
    return max(wait, 0.0)


def run(env: Env) -> dict[str, Any]:
    env.web()
    env.redis_flush()  # tasks left by earlier benches must not queue ahead of ours
    waited = _orphans_aged()
    if waited:
        print(f"   waited {waited:.1f} s for earlier benches' ungraded readings to pass the sweeper's age", flush=True)
    env.worker(concurrency=1)  # grading: the one worker the figure is about
    env.worker(concurrency=1, line="notifier")  # announcements, as production runs them beside it
    clinic = clinic_make("Latency Clinic", PATIENTS)
    readings = scaled(1000, 20)
    collected = (datetime.now(UTC) - timedelta(hours=1)).isoformat(timespec="seconds")

    def body(i: int) -> tuple[str, bytes]:
        lab_id = str(uuid.uuid4())
        token = clinic.patients[i % PATIENTS].token
        item = {"id": lab_id, "analyte": "platelets", "value": 20, "unit": "10^9/L", "collected_at": collected}
        return lab_id, build_request("POST", "/api/v1/sync/", token=token, body={"cursor": None, "lab_results": [item]})

    requests = [body(i) for i in range(readings)]
    # Warm-up: a few syncs through the whole pipeline before the triggers exist.
    conn = Connection("127.0.0.1", env.web_port)
    for i in range(10):
        conn.request(body(i)[1])
    conn.close()
    time.sleep(1)

    latencies, sync_ms, statuses, sent_seconds = _measure(env, requests)
    missing = len(requests) - len(latencies)
    (env.log_dir / "alert_latency_ms.json").write_text(json.dumps(latencies))

    quiet_tasks = worker_task_times(env.worker_log())
    # The same, while 50 phones sync small batches every second (bench 12's phone stream).
    loaded_requests = [body(i) for i in range(scaled(300, 20))]
    phones = PhoneStream(env.web_port, [p.token for p in clinic_make("Latency Load Clinic", LOAD_PHONES).patients])
    phones.start()
    time.sleep(3)  # the phones' first round is in before the first measured reading
    loaded, loaded_sync_ms, loaded_statuses, loaded_seconds = _measure(env, loaded_requests)
    phone_stream = phones.stop().summary()
    loaded_missing = len(loaded_requests) - len(loaded)

    drain_s = _queue_drain(env)
    noop_count = scaled(500, 20)
    noop_s, noop_lost = _noop_round_trips(env, noop_count, RATE_PER_S * 2)
    noop_ms = [t * 1000 for t in noop_s]
    tasks = quiet_tasks
    env.worker_stop()

    p = {q: report.percentile(latencies, q) for q in (50, 95, 99)}
    b = {q: report.percentile(noop_ms, q) for q in (50, 95, 99)}
    q = {k: report.percentile(loaded, k) for k in (50, 95, 99)}
    measured = bool(latencies) and missing == 0  # a reading with no alert row is no figure at all
    met95, met99 = measured and p[95] < 50, measured and p[99] < 200
    ratio95 = report.ratio(p[95], b[95])
    met_ratio = measured and ratio95 is not None and ratio95 <= 2
    met_loaded = bool(loaded) and q[95] < 50 and loaded_missing == 0
    rows = [
        ["sync commit -> alert row committed", len(latencies), p[50], p[95], p[99], max(latencies or [0])],
        ["baseline: no-op Celery round trip", len(noop_ms), b[50], b[95], b[99], max(noop_ms or [0])],
        [
            "ratio (alert / no-op)",
            None,
            report.ratio(p[50], b[50]),
            report.ratio(p[95], b[95]),
            report.ratio(p[99], b[99]),
            None,
        ],
        [
            "(for reference) the sync request itself",
            len(sync_ms),
            report.percentile(sync_ms, 50),
            report.percentile(sync_ms, 95),
            report.percentile(sync_ms, 99),
            max(sync_ms or [0]),
        ],
        [
            f"under load: {LOAD_PHONES} phones syncing every second",
            len(loaded),
            q[50],
            q[95],
            q[99],
            max(loaded or [0]),
        ],
        [
            "(under load) the sync request itself",
            len(loaded_sync_ms),
            report.percentile(loaded_sync_ms, 50),
            report.percentile(loaded_sync_ms, 95),
            report.percentile(loaded_sync_ms, 99),
            max(loaded_sync_ms or [0]),
        ],
    ]
    notes = [
        f"{readings} readings at {readings / sent_seconds:.1f}/s, one grading worker (concurrency 1) + one notifier; "
        f"alerts missing: {missing}; HTTP statuses: {statuses}",
        f"p95 < 50 ms: {report.target(met95)}   p99 < 200 ms: {report.target(met99)}   "
        f"p95 <= 2x the no-op: {report.target(met_ratio)}",
        f"under load: {len(loaded_requests)} readings at {len(loaded_requests) / loaded_seconds:.1f}/s beside "
        f"{LOAD_PHONES} phones ({phone_stream['requests']:,} syncs, {phone_stream['errors']} errors, p95 "
        f"{phone_stream['p95_ms']} ms); alerts missing: {loaded_missing}; HTTP statuses: {loaded_statuses}; "
        f"p95 < 50 ms: {report.target(met_loaded)}",
        f"worker queue drained {drain_s:.1f}s after the last sync; no-op trips lost: {noop_lost}",
        "worker time per task, quiet run (its own log): "
        + ", ".join(f"{name.split('.')[-1]} {n}x {ms:.1f} ms" for name, (n, ms) in sorted(tasks.items())),
    ]
    return report.emit(
        "alert_latency",
        "2. Alert latency: commit of the sync -> commit of the alert (ms)",
        ["what", "n", "p50", "p95", "p99", "max"],
        rows,
        {
            "readings": readings,
            "rate_per_s": round(readings / sent_seconds, 1),
            "missing": missing,
            "p50_ms": round(p[50], 2),
            "p95_ms": round(p[95], 2),
            "p99_ms": round(p[99], 2),
            "noop_p50_ms": round(b[50], 2),
            "noop_p95_ms": round(b[95], 2),
            "noop_p99_ms": round(b[99], 2),
            "ratio_p95_vs_noop": ratio95,
            "loaded_readings": len(loaded_requests),
            "loaded_missing": loaded_missing,
            "loaded_p50_ms": round(q[50], 2),
            "loaded_p95_ms": round(q[95], 2),
            "loaded_p99_ms": round(q[99], 2),
            "loaded_phones": phone_stream,
            "target_ratio_met": met_ratio,
            "target_loaded_met": met_loaded,
            "queue_drain_s": round(drain_s, 2),
            "noop_lost": noop_lost,
            "worker_task_ms": {k: round(ms, 2) for k, (_, ms) in tasks.items()},
            "target_p95_met": met95,
            "target_p99_met": met99,
        },
        notes,
    )


def main() -> None:
    with Env("alert_latency") as env:
        run(env)


if __name__ == "__main__":
    main()
