"""Bench 7, phone sync: 10,000 entries made offline on the phone (weeks without signal), then synced
end to end against a live server (gunicorn from the Procfile, 2 workers), by the phone's own code in
a process of its own (bench/phone_side.py): its SQLite outbox (mobile.store.Store), its sync thread's
step (mobile.sync.SyncRunner.run_once: rounds of SYNC_BATCH, grown on a fast link, until the outbox
is drained) and its HTTP client (mobile.api.ApiClient). Timed from the first round to an empty
outbox, then checked on the server: every entry stored once. The phone side's peak RSS is its process's alone.
Target (issue 17, target 6): < 1.5 s to synced, phone-side memory < 100 MB.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from typing import Any

from bench import report
from bench.stack import REPO, Env, scaled

ENTRIES = 10_000
TARGET_S = 1.5
TARGET_MB = 100


def run(env: Env) -> dict[str, Any]:
    from backend.records.models import DoseLog, LabResult, SymptomReport
    from bench.fixtures import clinic_make
    from mobile.config import SYNC_BATCH
    from mobile.sync import SYNC_BATCH_MAX

    env.web()
    clinic = clinic_make("Phone Clinic", 1)
    enrolled = clinic.patients[0]
    n = scaled(ENTRIES, 50)
    with tempfile.TemporaryDirectory() as tmp:
        job = {
            "base_url": env.base_url,
            "token": enrolled.token,
            "patient_id": str(enrolled.patient_id),
            "entries": n,
            "dir": tmp,
        }
        done = subprocess.run(
            [sys.executable, "-m", "bench.phone_side"],
            input=json.dumps(job),
            capture_output=True,
            text=True,
            cwd=REPO,
            check=True,
        )
    sys.stderr.write(done.stderr)
    phone = json.loads(done.stdout.strip().splitlines()[-1])
    ids = phone["ids"]
    synced_s, pending, peak_mb = phone["synced_s"], phone["pending"], phone["peak_rss_mb"]
    stored = sum(m.objects.filter(id__in=ids).count() for m in (LabResult, SymptomReport, DoseLog))
    met = synced_s < TARGET_S and peak_mb < TARGET_MB and pending == 0 and stored == n
    rows = [
        ["entries made offline (phone SQLite outbox, no fsync)", n, phone["offline_s"], None],
        [
            f"offline -> synced ({phone['runs']} sync run(s), rounds of {SYNC_BATCH} to {SYNC_BATCH_MAX})",
            n,
            synced_s,
            n / synced_s if synced_s else None,
        ],
    ]
    return report.emit(
        "phone_sync",
        "7. Phone sync: entries made offline, then synced by the phone's own code (s)",
        ["what", "entries", "seconds", "entries/s"],
        rows,
        {
            "entries": n,
            "seconds_to_synced": round(synced_s, 3),
            "runs": phone["runs"],
            "phone_peak_rss_mb": round(peak_mb, 1),
            "pending_after": pending,
            "stored_on_server": stored,
            "target_met": met,
        },
        [
            f"stored on the server: {stored} of {n}; left pending on the phone: {pending}",
            f"phone-side peak RSS: {peak_mb:.1f} MB (its own process: store, sync engine, HTTP client)",
            f"< {TARGET_S} s and < {TARGET_MB} MB: {report.target(met)}",
        ],
    )


def main() -> None:
    with Env("phone_sync") as env:
        run(env)


if __name__ == "__main__":
    main()
