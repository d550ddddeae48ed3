"""Bench 4, reminder dispatch: 100,000 due reminder occurrences (10,000 enrolled patients, 10 each),
seeded with COPY, sent by one Celery worker with two processes (the Procfile's `notifier:` line at
its default concurrency) through the production task `careloop.reminders.dispatch_due` (batches claimed
with SKIP LOCKED; the first full batch brings in the other process).

Figures: wall time from the first task to no reminder left due, sends/s, and the proof that each
was sent exactly once: occurrences marked sent, inbox notifications made for them, and the
distinct (recipient, event) pairs among those notifications must all equal 100,000.
Target: < 60 s.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

from bench import report
from bench.stack import REPO, Env, scaled

PER_PATIENT = 10
PREFIX_PATIENT = 0xBE100001
FIRST_USER_ID = 50_000_000  # far above any id the sequence will hand out during a run
TIMEOUT_S = 600.0


def run(env: Env) -> dict[str, Any]:
    if not (REPO / "backend" / "reminders" / "tasks.py").exists():
        return report.skipped("reminders", "reminders have not landed (no backend/reminders)")
    import psycopg
    from django.db.models import Count

    from backend.accounts.models import User
    from backend.notifications.models import Notification
    from backend.patients.models import Patient
    from backend.reminders.models import ReminderOccurrence
    from bench.fixtures import clinic_make
    from bench.queue_at_scale import Seeder, _uid

    total = scaled(100_000, 100)
    patients = max(1, total // PER_PATIENT)
    total = patients * PER_PATIENT
    clinic = clinic_make("Reminder Clinic", 0)
    seeder = Seeder(env, clinic.clinic_id)
    seeder.counts.update({"users": 0, "patients": 0, "reminders": 0})
    now = datetime.now(UTC).replace(microsecond=0)
    due = (now - timedelta(seconds=30)).isoformat(sep=" ")
    stamp = now.isoformat(sep=" ")
    today = now.date().isoformat()
    cid = clinic.clinic_id
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
        kinds = ["antiviral", "lenalidomide"]
        seeder._copy(
            conn,
            ReminderOccurrence,
            ["patient_id", "kind", "key", "local_date", "due_at", "title", "text", "status", "created_at"],
            total,
            lambda i: (
                f"{_uid(PREFIX_PATIENT, i // PER_PATIENT)}\t{kinds[i % 2]}\tbench:{i % PER_PATIENT}:{today}\t"
                f"{today}\t{due}\tTime for your {kinds[i % 2]}\tTake your {kinds[i % 2]} dose now.\tpending\t{stamp}"
            ),
            "reminders",
        )
        conn.execute("ANALYZE reminders_reminderoccurrence")
    seed_s = time.perf_counter() - t0

    from backend.config.celery import app  # noqa: F401 - configures Celery from the settings
    from backend.reminders.tasks import dispatch_due
    from bench.alert_latency import worker_task_times

    env.redis_flush()
    env.worker_stop()
    env.worker(concurrency=2, line="notifier")
    pending = ReminderOccurrence.objects.filter(status="pending", patient__clinic_id=cid)
    t0 = time.perf_counter()
    dispatch_due.delay()
    left = total
    while time.perf_counter() - t0 < TIMEOUT_S:
        left = pending.count()
        if not left:
            break
        time.sleep(0.25)
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
    once = sent == total and notifications == total and distinct == total
    met = once and wall < 60 and not left
    rows = [
        ["due reminders seeded (COPY)", total, seed_s, None],
        ["dispatched: first task -> none due (2 worker processes)", sent, wall, sent / wall if wall else None],
    ]
    notes = [
        f"occurrences by status: {by_status}; inbox notifications: {notifications:,}; distinct (recipient, event): "
        f"{distinct:,}; still due at the end: {left:,}",
        f"each sent exactly once: {report.target(once)}   < 60 s: {report.target(wall < 60 and not left)}",
        "worker time per task (its own log): "
        + ", ".join(f"{name.split('.')[-1]} {n}x {ms:.0f} ms" for name, (n, ms) in sorted(tasks.items())),
    ]
    return report.emit(
        "reminders",
        "4. Reminder dispatch: due occurrences sent by two worker processes",
        ["what", "reminders", "seconds", "sends/s"],
        rows,
        {
            "reminders": total,
            "wall_s": round(wall, 2),
            "sends_per_s": round(sent / wall) if wall else 0,
            "sent": sent,
            "notifications": notifications,
            "distinct_notifications": distinct,
            "by_status": by_status,
            "left_due": left,
            "exactly_once": once,
            "target_met": met,
            "seed_s": round(seed_s, 1),
        },
        notes,
    )


def main() -> None:
    with Env("reminders") as env:
        run(env)


if __name__ == "__main__":
    main()
