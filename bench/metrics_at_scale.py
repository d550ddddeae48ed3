"""Bench 11, the clinic's service figures at scale (issue 16 §5, issue 17 target 9): one synthetic
clinic of 10,000 patients and 500,000 alerts over 180 days (with 1,000,000 readings, 60,000 sent
blood-draw reminders and 25,000 escalation steps), seeded with COPY by bench 3's seeder, then

  GET /api/v1/metrics/          (the default 28 days, Bearer token)
  GET /clinic/metrics/          (the dashboard's Service figures page, signed in)

timed over HTTP (gunicorn, 2 workers, one connection) and counted in SQL queries (in-process), on
1% of the data and then on all of it. Target: < 200 ms (p95) at full size; queries flat.

The seeded alerts were acknowledged and resolved the moment they were raised (bench 3's rows):
what is measured is the cost of reading them, not their figures.
"""

from __future__ import annotations

import os
import time
from datetime import timedelta
from typing import Any

from bench import report
from bench.queue_at_scale import Seeder, _latency, _queries, _uid
from bench.stack import Env, scaled

TARGET_MS = 200.0
# How far back the 500,000 alerts go: at PRO-TECT's rate of about 0.3 alerts per patient-week, 10,000
# patients raise them in 1,167 days (3.2 years), so the default 28 days hold about 12,000. Bench 3's
# own spread (180 days: 2 alerts per patient-week, 126,000 in 28 days) is BENCH_METRICS_HISTORY_DAYS=180.
HISTORY_DAYS = float(os.environ.get("BENCH_METRICS_HISTORY_DAYS", "1167"))
DRAWS_PER_PATIENT = 6  # blood-draw reminders over the 180 days
ESCALATED_SHARE = 20  # one alert in 20 has an escalation step
MORE = {"reminders": 0xBE000006}
SEED_SPACE = 2  # ids apart from bench 3's and patients_list's (bench/queue_at_scale.Seeder)
# Sizes as fractions of the full 10,000 patients / 500,000 alerts: BENCH_METRICS_STEPS=0.1,0.3,1 for
# the 1k / 3k / 10k patients curve.
STAGES = [
    (f"{float(x):.0%}", float(x)) for x in os.environ.get("BENCH_METRICS_STEPS", "0.01,1").split(",") if x.strip()
]


def _seed_more(seeder: Seeder, patients: tuple[int, int], alerts: tuple[int, int]) -> None:
    """Sent blood-draw reminders for the new patients and escalation steps for the new alerts."""
    import psycopg

    from backend.alerts.models import EscalationStep
    from backend.reminders.models import ReminderOccurrence

    stamps, ns = seeder.stamps, len(seeder.stamps)
    pp, pa = seeder.prefix["patients"], seeder.prefix["alerts"]
    n_patients, n_alerts = patients[1], alerts[1]
    for key in (*MORE, "steps"):
        seeder.counts.setdefault(key, 0)
    with psycopg.connect(seeder.env.db_url, autocommit=True) as conn:

        def reminder(i: int) -> str:
            patient = i // DRAWS_PER_PATIENT  # i counts every reminder seeded so far
            at = stamps[(i * 1361) % ns]
            return (
                f"{_uid(pp, patient)}\tlab_draw\tlab_draw:{i:08d}\t{at[:10]}\t{at}\tBlood test today\t\tsent\t"
                f"{at}\t{at}\t{at}"
            )

        seeder._copy(
            conn,
            ReminderOccurrence,
            [
                "patient_id",
                "kind",
                "key",
                "local_date",
                "due_at",
                "title",
                "text",
                "status",
                "claimed_at",
                "sent_at",
                "created_at",
            ],
            n_patients * DRAWS_PER_PATIENT,
            reminder,
            "reminders",
        )

        def step(i: int) -> str:
            alert = i * ESCALATED_SHARE  # i counts every step seeded so far
            at = stamps[alert % ns]
            return f"{_uid(pa, alert)}\t1\t{at}\t{at}\t[]\t\t0"

        seeder._copy(
            conn,
            EscalationStep,
            ["alert_id", "level", "due_at", "at", "recipients", "note", "ladder"],
            n_alerts // ESCALATED_SHARE,
            step,
            "steps",
        )
        conn.execute("ANALYZE reminders_reminderoccurrence")
        conn.execute("ANALYZE alerts_escalationstep")
        # What autovacuum does within a minute of a COPY this size (and, with alerts 0013's setting,
        # after 1% of the alerts changed): the visibility map that lets the figures' alert count be
        # answered from an index alone. Without it every page is read from the table.
        conn.execute("VACUUM (ANALYZE) alerts_alert")


def run(env: Env) -> dict[str, Any]:
    from django.test import Client

    from backend.accounts.models import User
    from bench.fixtures import clinic_make

    env.web()
    clinic = clinic_make("Metrics Clinic", 0)
    nurse = User.objects.get(pk=clinic.nurse_id)
    patients, readings, alerts = scaled(10_000, 100), scaled(1_000_000, 1000), scaled(500_000, 1000)
    seeder = Seeder(env, clinic.clinic_id, space=SEED_SPACE)
    step = HISTORY_DAYS * 86400 / len(seeder.stamps)
    seeder.stamps = [
        (seeder.now - timedelta(seconds=step * k + 7)).isoformat(sep=" ") for k in range(len(seeder.stamps))
    ]
    client = Client()
    client.force_login(nurse)
    cookie = f"sessionid={client.cookies['sessionid'].value}"
    targets = [
        ("GET /api/v1/metrics/", "/api/v1/metrics/", {"Authorization": f"Bearer {clinic.nurse_token}"}),
        ("GET /clinic/metrics/ (dashboard)", "/clinic/metrics/", {"Cookie": cookie}),
    ]
    n = scaled(40, 10)
    measured: dict[str, dict[str, Any]] = {}
    seeded = {"patients": 0, "readings": 0, "alerts": 0}
    seed_seconds = 0.0
    for stage, fraction in STAGES:
        want = {
            "patients": int(patients * fraction),
            "readings": int(readings * fraction),
            "alerts": int(alerts * fraction),
        }
        print(f"   stage {stage}: seeding up to {want['patients']:,} patients, {want['alerts']:,} alerts", flush=True)
        t0 = time.perf_counter()
        seeder.seed(*(want[k] - seeded[k] for k in ("patients", "readings", "alerts")))
        _seed_more(
            seeder,
            (seeded["patients"], want["patients"] - seeded["patients"]),
            (seeded["alerts"], want["alerts"] - seeded["alerts"]),
        )
        seed_seconds += time.perf_counter() - t0
        seeded = want
        for label, path, headers in targets:
            in_process = client if "Cookie" in headers else Client()
            auth = {"Authorization": headers["Authorization"]} if "Authorization" in headers else {}
            status, count, sqls = _queries(path, auth, in_process)
            times, statuses, _ = _latency(env, path, headers, n)
            measured[f"{label}@{stage}"] = report.measurement(status, count, sqls, statuses, times)
    from backend.alerts.models import Alert

    window = Alert.objects.filter(created_at__gte=seeder.now - timedelta(days=28)).count()
    keys = [(label, "api" if path.startswith("/api/") else "dashboard") for label, path, _ in targets]
    stages = [stage for stage, _ in STAGES]
    rows, data, met_all = report.scale_steps(keys, stages, measured, TARGET_MS)
    data |= {
        "patients": patients,
        "alerts": alerts,
        "history_days": HISTORY_DAYS,
        "alerts_in_28_days": window,
        "load_avg": round(os.getloadavg()[0], 2),
    }
    notes = [
        f"seeded {patients:,} patients, {readings:,} readings, {alerts:,} alerts over {HISTORY_DAYS:g} days "
        f"({window:,} in the default 28 days), "
        f"{patients * DRAWS_PER_PATIENT:,} sent blood-draw reminders, {alerts // ESCALATED_SHARE:,} escalation steps "
        f"in {seed_seconds:.1f}s",
        f"latency: up to {n} sequential requests per row, one connection, after 10 warm-up",
        f"p95 < {TARGET_MS:.0f} ms and queries flat: {report.target(met_all)}   load average (1 min) "
        f"{data['load_avg']}",
        *report.slowest_sql(keys, stages[-1], measured),
    ]
    return report.emit(
        "metrics_at_scale",
        "11. Service figures at scale (default 28 days; ms; queries per request)",
        report.SCALE_HEADERS,
        rows,
        data,
        notes,
    )


def main() -> None:
    with Env("metrics_at_scale") as env:
        run(env)


if __name__ == "__main__":
    main()
