"""Bench 4, reminder dispatch at 100,000, 300,000 and 1,000,000 due reminder occurrences (10 per
enrolled patient, each size in a clinic of its own), seeded with COPY, sent by one Celery worker with
two processes (the Procfile's `notifier:` line at its default concurrency) through the production
task `careloop.reminders.dispatch_due` (batches claimed with SKIP LOCKED; the first full batch
brings in the other process).

Figures per size: wall time from the first task to no reminder left due, sends/s, and the proof that
each was sent exactly once: occurrences marked sent, inbox notifications made for them, and the
distinct (recipient, event) pairs among those notifications must all equal the size.
Target (issue 17, target 4): 1,000,000 in < 60 s, exactly once. BENCH_REMINDER_SIZES=100000,300000
picks the sizes (before BENCH_SCALE).
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from bench import report
from bench.stack import REPO, Env, scaled

PER_PATIENT = 10
PREFIX_PATIENT = 0xBE100001
FIRST_USER_ID = 50_000_000  # far above any id the sequence will hand out during a run
TIMEOUT_S = 600.0
TARGET_S = 60.0
SIZES = [int(s) for s in os.environ.get("BENCH_REMINDER_SIZES", "100000,300000,1000000").split(",") if s.strip()]


def seed(env: Env, clinic_id: int, patients: int, first: int, now: datetime) -> float:
    """`patients` users and patients (numbered from `first`) with PER_PATIENT reminders each, due
    30 s ago, by COPY; returns the seconds it took."""
    import psycopg

    from backend.accounts.models import User
    from backend.patients.models import Patient
    from backend.reminders.models import ReminderOccurrence
    from bench.queue_at_scale import Seeder, _uid

    seeder = Seeder(env, clinic_id)
    seeder.counts.update({"users": first, "patients": first, "reminders": first * PER_PATIENT})
    due = (now - timedelta(seconds=30)).isoformat(sep=" ")
    stamp = now.isoformat(sep=" ")
    today = now.date().isoformat()
    cid = clinic_id
    kinds = ["antiviral", "lenalidomide"]
    t0 = time.perf_counter()
    with psycopg.connect(env.db_url, autocommit=True) as conn:
        seeder._copy(
            conn,
            User,
            [
                "id",
                "password",
                "is_superuser",
                "username",
                "first_name",
                "last_name",
                "email",
                "is_staff",
                "is_active",
                "date_joined",
                "role",
                "clinic_id",
            ],
            patients,
            lambda i: f"{FIRST_USER_ID + i}\t!\tf\tbench-reminder-{i}\t\t\t\tf\tt\t{stamp}\tpatient\t{cid}",
            "users",
        )
        seeder._copy(
            conn,
            Patient,
            [
                "id",
                "clinic_id",
                "user_id",
                "display_name",
                "timezone",
                "phone",
                "start_date",
                "ixazomib_mg",
                "lenalidomide_mg",
                "dexamethasone_mg",
                "created_at",
            ],
            patients,
            lambda i: (
                f"{_uid(PREFIX_PATIENT, i)}\t{cid}\t{FIRST_USER_ID + i}\tReminder patient {i}\t"
                f"America/New_York\t\t2026-01-05\t4.0\t25.0\t40.0\t{stamp}"
            ),
            "patients",
        )
        seeder._copy(
            conn,
            ReminderOccurrence,
            ["patient_id", "kind", "key", "local_date", "due_at", "title", "text", "status", "created_at"],
            patients * PER_PATIENT,
            lambda i: (
                f"{_uid(PREFIX_PATIENT, i // PER_PATIENT)}\t{kinds[i % 2]}\tbench:{i % PER_PATIENT}:{today}\t"
                f"{today}\t{due}\tTime for your {kinds[i % 2]}\tTake your {kinds[i % 2]} dose now.\tpending\t{stamp}"
            ),
            "reminders",
        )
        conn.execute("ANALYZE reminders_reminderoccurrence")
        conn.execute("ANALYZE patients_patient")
        conn.execute("ANALYZE accounts_user")
    return time.perf_counter() - t0


def _one_size(env: Env, total: int, first: int) -> dict[str, Any]:
    from django.db.models import Count

    from backend.notifications.models import Notification
    from backend.reminders.models import ReminderOccurrence
    from backend.reminders.tasks import dispatch_due
    from bench.alert_latency import worker_task_times
    from bench.fixtures import clinic_make

    patients = max(1, total // PER_PATIENT)
    total = patients * PER_PATIENT
    clinic = clinic_make(f"Reminder Clinic {total}", 0)
    cid = clinic.clinic_id
    now = datetime.now(UTC).replace(microsecond=0)
    seed_s = seed(env, cid, patients, first, now)

    env.redis_flush()
    env.worker_stop()
    env.worker(concurrency=2, line="notifier")

    # Earlier sizes are all sent, so any pending row is this size's. The probe reads the first entry
    # of the dispatch's own partial index (a join on the clinic, or a count, made PostgreSQL scan the
    # table past every row already sent, several times a second: the probe cost more than the work).
    # A fresh query each time: a QuerySet kept across the loop caches its first result, and then
    # the probe never sees the rows go and waits out TIMEOUT_S.
    def still_due() -> bool:
        return ReminderOccurrence.objects.filter(status="pending").order_by("due_at").values_list("pk")[:1].exists()

    t0 = time.perf_counter()
    dispatch_due.delay()
    left = True
    while time.perf_counter() - t0 < TIMEOUT_S:
        left = still_due()
        if not left:
            break
        time.sleep(0.2)
    pending = ReminderOccurrence.objects.filter(status="pending", patient__clinic_id=cid)
    wall = time.perf_counter() - t0
    time.sleep(1)  # let a straggling batch commit before counting
    tasks = worker_task_times(env.worker_log())
    env.worker_stop()

    mine = ReminderOccurrence.objects.filter(patient__clinic_id=cid)
    by_status = dict(mine.values_list("status").annotate(n=Count("id")).order_by())
    notes_qs = Notification.objects.filter(recipient__clinic_id=cid, dedupe_key__startswith="reminder:")
    notifications = notes_qs.count()
    distinct = notes_qs.values("recipient_id", "dedupe_key").distinct().count()
    sent = by_status.get("sent", 0)
    return {
        "reminders": total,
        "patients": patients,
        "seed_s": round(seed_s, 1),
        "wall_s": round(wall, 2),
        "sends_per_s": round(sent / wall) if wall else 0,
        "sent": sent,
        "notifications": notifications,
        "distinct_notifications": distinct,
        "by_status": by_status,
        "left_due": pending.count() if left else 0,
        "exactly_once": sent == total and notifications == total and distinct == total,
        "tasks": {name.split(".")[-1]: [n, round(ms)] for name, (n, ms) in sorted(tasks.items())},
    }


def run(env: Env) -> dict[str, Any]:
    if not (REPO / "backend" / "reminders" / "tasks.py").exists():
        return report.skipped("reminders", "reminders have not landed (no backend/reminders)")
    from backend.config.celery import app  # noqa: F401 - configures Celery from the settings

    sizes = [scaled(n, 100) for n in SIZES]
    results: list[dict[str, Any]] = []
    first = 0
    load = [round(os.getloadavg()[0], 2)]
    for size in sizes:
        print(f"   {size:,} due reminders", flush=True)
        results.append(_one_size(env, size, first))
        first += results[-1]["patients"]
        load.append(round(os.getloadavg()[0], 2))
    base = results[0]
    rows = []
    for r in results:
        rows.append(
            [
                r["reminders"],
                r["seed_s"],
                r["wall_s"],
                r["sends_per_s"],
                report.ratio(r["wall_s"], base["wall_s"]),
                report.ratio(r["reminders"], base["reminders"]),
                r["exactly_once"],
            ]
        )
    largest = results[-1]
    once = all(r["exactly_once"] and not r["left_due"] for r in results)
    met = once and largest["wall_s"] < TARGET_S and largest["reminders"] >= 1_000_000
    notes = [
        *(
            f"{r['reminders']:,}: by status {r['by_status']}; inbox items {r['notifications']:,}; distinct "
            f"(recipient, event) {r['distinct_notifications']:,}; still due {r['left_due']:,}; worker per task "
            + ", ".join(f"{name} {n}x {ms} ms" for name, (n, ms) in r["tasks"].items())
            for r in results
        ),
        f"load average (1 min) before each size and at the end: {load}",
        f"each sent exactly once: {report.target(once)}   1,000,000 in < {TARGET_S:.0f} s: {report.target(met)}",
    ]
    return report.emit(
        "reminders",
        "4. Reminder dispatch: due occurrences sent by two worker processes (1x, 3x, 10x)",
        ["due", "seed s", "dispatch s", "sends/s", "time x of 1x", "work x of 1x", "exactly once"],
        rows,
        {
            "sizes": [r["reminders"] for r in results],
            "steps": results,
            "reminders": largest["reminders"],
            "wall_s": largest["wall_s"],
            "sends_per_s": largest["sends_per_s"],
            "exactly_once": once,
            "target_met": met,
            "load_avg": load,
        },
        notes,
    )


def main() -> None:
    with Env("reminders") as env:
        run(env)


if __name__ == "__main__":
    main()
