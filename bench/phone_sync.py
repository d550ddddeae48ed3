"""Bench 7, phone sync: 1,000 entries made offline on the phone, then synced end to end against a live
server (gunicorn from the Procfile, 2 workers), by the phone's own code: its SQLite outbox
(mobile.store.Store), its sync engine (mobile.sync.SyncEngine, SYNC_BATCH entries per round) and its
HTTP client (mobile.api.ApiClient). Timed from the first round to an empty outbox, then checked on
the server: every entry stored once.
Target: < 5 s.

Skipped (with the reason printed) while the phone app's sync code is not there.
"""

from __future__ import annotations

import random
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import report
from bench.fixtures import dose_item, lab_item, symptom_item
from bench.stack import REPO, Env, scaled

ENTRIES = 1000


def run(env: Env) -> dict[str, Any]:
    if not (REPO / "mobile" / "sync.py").exists():
        return report.skipped("phone_sync", "the phone app has not landed (no mobile/sync.py)")
    try:
        from mobile.api import ApiClient
        from mobile.config import SYNC_BATCH
        from mobile.store import Store
        from mobile.sync import SyncEngine
    except ImportError as exc:
        return report.skipped("phone_sync", f"the phone app's sync code does not import: {exc}")

    from backend.records.models import DoseLog, LabResult, SymptomReport
    from bench.fixtures import clinic_make

    env.web()
    clinic = clinic_make("Phone Clinic", 1)
    enrolled = clinic.patients[0]
    n = scaled(ENTRIES, 50)
    rng = random.Random(7)
    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "phone.sqlite3")
        store.save_enrollment(
            token=enrolled.token,
            patient={"id": str(enrolled.patient_id), "display_name": "Phone patient"},
            clinic={"name": "Phone Clinic"},
        )
        makers = [
            ("lab_results", lab_item, "collected_at"),
            ("symptom_reports", symptom_item, "reported_at"),
            ("dose_logs", dose_item, "taken_at"),
        ]
        ids: list[str] = []
        t0 = time.perf_counter()
        for i in range(n):
            section, make, at_key = makers[i % 3]
            item = make(rng, now)
            store.add_entry(
                entry_id=item["id"],
                section=section,
                item=item,
                at=item[at_key],
                created_at=datetime.now(UTC).isoformat(),
            )
            ids.append(item["id"])
        offline_s = time.perf_counter() - t0
        engine = SyncEngine(store, ApiClient(env.base_url))
        rounds = 0
        t0 = time.perf_counter()
        while store.pending_count() and rounds < 100:
            engine.sync_once()
            rounds += 1
        synced_s = time.perf_counter() - t0
        pending = store.pending_count()
        store.close()
    stored = sum(m.objects.filter(id__in=ids).count() for m in (LabResult, SymptomReport, DoseLog))
    met = synced_s < 5 and pending == 0 and stored == n
    rows = [
        ["entries made offline (phone SQLite outbox)", n, offline_s, None],
        [f"offline -> synced ({rounds} rounds of up to {SYNC_BATCH})", n, synced_s, n / synced_s if synced_s else None],
    ]
    return report.emit(
        "phone_sync",
        "7. Phone sync: entries made offline, then synced by the phone's own code (s)",
        ["what", "entries", "seconds", "entries/s"],
        rows,
        {
            "entries": n,
            "seconds_to_synced": round(synced_s, 3),
            "rounds": rounds,
            "pending_after": pending,
            "stored_on_server": stored,
            "target_met": met,
        },
        [
            f"stored on the server: {stored} of {n}; left pending on the phone: {pending}",
            f"< 5 s: {report.target(met)}",
        ],
    )


def main() -> None:
    with Env("phone_sync") as env:
        run(env)


if __name__ == "__main__":
    main()
