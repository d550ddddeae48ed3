"""In-process timing of the clinic's figures (backend.metrics.selectors.clinic_metrics) on a
database bench 11 left seeded (`BENCH_KEEP_DB=1 BENCH_DB_NAME=NAME python -m bench.metrics_at_scale`):

    BENCH_PROFILE_DB=NAME python -m bench.metrics_profile     # median wall, SQL and Python time
    BENCH_PROFILE_CPROFILE=1 ...                              # and cProfile's top functions

No HTTP, no authentication: what the figures themselves cost, the SQL apart from the Python."""

from __future__ import annotations

import cProfile
import os
import pstats
import statistics
import time
from datetime import UTC, datetime

ROUNDS = int(os.environ.get("BENCH_PROFILE_ROUNDS", "15"))


def main() -> None:
    name = os.environ.get("BENCH_PROFILE_DB", "careloop_bench")
    os.environ.setdefault("DATABASE_URL", f"postgres://postgres@127.0.0.1:5432/{name}")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.config.settings")
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from backend.accounts.models import Clinic
    from backend.metrics.period import period_parse
    from backend.metrics.selectors import clinic_metrics

    clinic_id = Clinic.objects.get(name="Metrics Clinic").pk
    now = datetime.now(UTC)
    period = period_parse({}, today=now.date())
    walls, sqls = [], []
    for _ in range(ROUNDS):
        with CaptureQueriesContext(connection) as queries:
            t0 = time.perf_counter()
            m = clinic_metrics(clinic_id=clinic_id, period=period, now=now)
            walls.append(time.perf_counter() - t0)
        sqls.append(sum(float(q["time"]) for q in queries.captured_queries))
    wall, sql = statistics.median(walls) * 1000, statistics.median(sqls) * 1000
    print(
        f"clinic_metrics: median {wall:.0f} ms (min {min(walls) * 1000:.0f}), SQL {sql:.0f} ms, "
        f"Python {wall - sql:.0f} ms, {len(queries.captured_queries)} queries, {ROUNDS} rounds, "
        f"load average {os.getloadavg()[0]:.2f}"
    )
    print(
        f"figures: {m.patients} patients, {m.alerts} alerts, doses {m.doses_taken}/{m.doses_due}, "
        f"tests {m.response_tests_done}/{m.response_tests_due}, draws {m.lab_draws_done}/{m.lab_draws_reminded}"
    )
    for q in sorted(queries.captured_queries, key=lambda q: -float(q["time"]))[:4]:
        print(f"   {float(q['time']) * 1000:.0f} ms  {q['sql'][:110]}")
    if os.environ.get("BENCH_PROFILE_CPROFILE"):
        profile = cProfile.Profile()
        profile.runcall(clinic_metrics, clinic_id=clinic_id, period=period, now=now)
        pstats.Stats(profile).sort_stats("cumulative").print_stats(25)


if __name__ == "__main__":
    main()
