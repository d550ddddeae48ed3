"""The phone's side of bench 7, in a process of its own so that its memory is the phone's alone (no
Django, no server): make `entries` offline through the phone's store, then sync them with the app's
own runner (mobile.sync.SyncRunner.run_once: rounds until drained, as the sync thread does).

Reads {"base_url", "token", "patient_id", "entries", "dir"} as JSON on stdin; prints one JSON line:
the ids made, the seconds offline and to synced, the runs and what is left pending, and the peak RSS.
BENCH_TRACEMALLOC=1 prints the largest Python allocations to stderr (where memory goes, if it grows)."""

from __future__ import annotations

import json
import os
import random
import resource
import sys
import time
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

from bench.fixtures import dose_item, lab_item, symptom_item
from mobile.api import ApiClient
from mobile.store import Store
from mobile.sync import SyncEngine, SyncRunner


def _peak_rss_kib() -> int:
    """This process's own peak resident set (VmHWM). Not getrusage's ru_maxrss: Linux carries that
    across fork and exec, so a child of the bench (Django and the server's launcher) would report the
    parent's size."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # not Linux: the best there is


def main() -> None:
    if os.environ.get("BENCH_TRACEMALLOC"):
        tracemalloc.start()
    job = json.load(sys.stdin)
    rng = random.Random(7)
    now = datetime.now(UTC)
    store = Store(Path(job["dir"]) / "phone.sqlite3")
    store.save_enrollment(
        token=job["token"],
        patient={"id": job["patient_id"], "display_name": "Phone patient"},
        clinic={"name": "Phone Clinic"},
    )
    makers = [
        ("lab_results", lab_item, "collected_at"),
        ("symptom_reports", symptom_item, "reported_at"),
        ("dose_logs", dose_item, "taken_at"),
    ]
    ids: list[str] = []
    # Making the backlog is not what is measured: without an fsync per entry it takes a second, not
    # minutes on a busy disk. Syncing runs with the phone's own setting again (synchronous=FULL).
    store._db.execute("PRAGMA synchronous=OFF")
    t0 = time.perf_counter()
    for i in range(job["entries"]):
        section, make, at_key = makers[i % 3]
        item = make(rng, now)
        store.add_entry(
            entry_id=item["id"], section=section, item=item, at=item[at_key], created_at=datetime.now(UTC).isoformat()
        )
        ids.append(item["id"])
    offline_s = time.perf_counter() - t0
    store._db.execute("PRAGMA synchronous=FULL")
    runner = SyncRunner(SyncEngine(store, ApiClient(job["base_url"])), on_status=lambda status: None)
    runs = 0
    t0 = time.perf_counter()
    while store.pending_count() and runs < 10:
        runner.run_once()  # what the sync thread does when woken: rounds until the outbox is empty
        runs += 1
    synced_s = time.perf_counter() - t0
    pending = store.pending_count()
    store.close()
    if os.environ.get("BENCH_TRACEMALLOC"):
        for stat in tracemalloc.take_snapshot().statistics("lineno")[:12]:
            print(stat, file=sys.stderr)
        print("traced peak MB", tracemalloc.get_traced_memory()[1] / 2**20, file=sys.stderr)
    peak_kib = _peak_rss_kib()
    print(
        json.dumps(
            {
                "ids": ids,
                "offline_s": offline_s,
                "synced_s": synced_s,
                "runs": runs,
                "pending": pending,
                "peak_rss_mb": peak_kib / 1024,
            }
        )
    )


if __name__ == "__main__":
    main()
