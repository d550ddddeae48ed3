"""Bench 9, the patients list with its response columns (issue 14 §5, issue 17 target 7): one clinic
of 100, then 1,000, then 10,000 patients, each with an IMWG response (one `PatientResponse` row, the
list's response column and "response test due") and six stored assessments, seeded with COPY into
the real tables (PostgreSQL), then

  GET /patients/           (the dashboard's patients list, signed in: its first page of 50)
  GET /patients/?page=N    (its last page: OFFSET over the whole ordered clinic)
  GET /patients/?sort=-last  (sorted by the latest reading: a subquery per patient of the clinic)
  GET /api/v1/patients/    (the API's list, Bearer token; it has no response field, for reference)

each counted in SQL queries and timed in process (Django's test client, median of a few requests
after a warm-up), side by side at each size. No pass or fail: the figures are printed.

`python -m bench.patients_list` runs it alone on its own database; `BENCH_SCALE` scales the sizes.
"""

from __future__ import annotations

import statistics
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

from bench import report
from bench.queue_at_scale import Seeder, _uid
from bench.stack import Env, scaled

SIZES = (100, 1_000, 10_000)
ROUNDS = 5
ROUND_BUDGET_S = 30.0  # a slow page must not stall the run: fewer rounds at the largest size
# Per patient: a baseline, then one assessment a cycle (IRd from 5 Jan 2026, 28-day cycles).
ASSESSMENTS = 6
COURSES = [  # (category per assessment after the baseline, confirmed, measurable by)
    (["PR", "PR", "VGPR", "VGPR", "VGPR"], "serum"),
    (["SD", "SD", "MR", "PR", "PR"], "urine"),
    (["PR", "PR", "SD", "PD", "PD"], "serum"),
    (["PR", "PR", "VGPR", "VGPR", "CR"], "flc"),
    (["NE", "NE", "NE", "NE", "NE"], ""),
]
RANK = {"NE": 0, "PD": 0, "SD": 1, "MR": 2, "PR": 3, "VGPR": 4, "CR": 5, "sCR": 6}
START = date(2026, 1, 5)


def _course(i: int) -> tuple[list[str], str]:
    return COURSES[i % len(COURSES)]


def _day(n: int) -> date:
    return START - timedelta(days=1) if n == 0 else START + timedelta(days=28 * n)


def _response_line(pp: int, now: str) -> Any:
    def line(i: int) -> str:
        categories, by = _course(i)
        confirmed = [n > 0 and RANK[c] <= RANK[categories[n - 1]] for n, c in enumerate(categories)]
        best = max(
            (c for c, ok in zip(categories, confirmed, strict=True) if ok and c not in ("PD", "NE")),
            key=RANK.__getitem__,
            default="",
        )
        best_since = next((_day(n + 1) for n, c in enumerate(categories) if c == best), None) if best else None
        first = next((n for n, ok in enumerate(confirmed) if ok and RANK[categories[n]] >= RANK["PR"]), None)
        responded = first is not None
        # Half the clinic was last tested a cycle ago (due), half long ago (overdue).
        last = _day(ASSESSMENTS - 1) if i % 2 else _day(ASSESSMENTS - 3)
        return "\t".join(
            [
                _uid(pp, i),
                by,
                categories[-1],
                "t" if confirmed[-1] else "f",
                _day(ASSESSMENTS - 1).isoformat(),
                best,
                best_since.isoformat() if best_since else "\\N",
                str((_day(first + 1) - START).days) if first is not None else "\\N",
                "1" if categories[-1] == "PD" and confirmed[-1] else "0",
                last.isoformat(),
                "t" if responded else "f",
                now,
            ]
        )

    return line


def _assessment_line(pp: int, now: str) -> Any:
    def line(k: int) -> str:
        i, n = divmod(k, ASSESSMENTS - 1)
        categories, _ = _course(i)
        confirmed = n > 0 and RANK[categories[n]] <= RANK[categories[n - 1]]
        values = '{"serum_m_protein": "1.2", "urine_m_protein": "150"}'
        progression = '["serum"]' if categories[n] == "PD" else "[]"
        return "\t".join(
            [_uid(pp, i), _day(n + 1).isoformat(), categories[n], "t" if confirmed else "f", values, progression, now]
        )

    return line


def seed_responses(seeder: Seeder, first: int, count: int) -> float:
    """Patients first..first+count-1 (already seeded) get their response row and assessments."""
    import psycopg
    from psycopg import sql

    from backend.response.models import PatientResponse, ResponseAssessment

    t0 = time.perf_counter()
    pp = seeder.prefix["patients"]
    now = datetime.now(UTC).isoformat(sep=" ")
    seeder.counts.setdefault("responses", 0)
    seeder.counts.setdefault("assessments", 0)
    assessment = _assessment_line(pp, now)
    with psycopg.connect(seeder.env.db_url, autocommit=True) as conn:
        seeder._copy(
            conn,
            PatientResponse,
            [
                "patient_id",
                "measurable_by",
                "current_category",
                "current_confirmed",
                "current_since",
                "best_category",
                "best_since",
                "first_response_days",
                "progression_events",
                "last_test_on",
                "responded",
                "computed_at",
            ],
            count,
            _response_line(pp, now),
            "responses",
        )
        per = ASSESSMENTS - 1
        seeder._copy(
            conn,
            ResponseAssessment,
            ["patient_id", "day", "category", "confirmed", "values", "progression", "computed_at"],
            count * per,
            assessment,
            "assessments",
        )
        for model in (PatientResponse, ResponseAssessment):
            conn.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(model._meta.db_table)))
    assert seeder.counts["responses"] == first + count
    return time.perf_counter() - t0


def measure(client: Any, path: str, headers: dict[str, str]) -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(path, headers=headers)  # warm: a session renewal or a first-use cache is not measured
    with CaptureQueriesContext(connection) as ctx:
        answer = client.get(path, headers=headers)
    queries = len(ctx.captured_queries)  # now: the next request's start empties the log it reads
    times = []
    deadline = time.perf_counter() + ROUND_BUDGET_S
    for _ in range(ROUNDS):
        t0 = time.perf_counter()
        client.get(path, headers=headers)
        times.append((time.perf_counter() - t0) * 1000)
        if time.perf_counter() > deadline:
            break
    return {
        "status": answer.status_code,
        "queries": queries,
        "median_ms": round(statistics.median(times), 1),
        "bytes": len(answer.content),
        "n": len(times),
    }


def run(env: Env) -> dict[str, Any]:
    from django.test import Client

    from backend.accounts.models import User
    from bench.fixtures import clinic_make

    clinic = clinic_make("List Clinic", 0)
    nurse = User.objects.get(pk=clinic.nurse_id)
    browser = Client()
    browser.force_login(nurse)
    api = Client()
    bearer = {"Authorization": f"Bearer {clinic.nurse_token}"}
    seeder = Seeder(env, clinic.clinic_id, space=1)  # ids apart from bench 3's
    sizes = [scaled(n, 10) for n in SIZES]
    seeded = 0
    seed_seconds = 0.0
    results: dict[int, dict[str, dict[str, Any]]] = {}
    for size in sizes:
        print(f"   seeding up to {size:,} patients with their responses", flush=True)
        seed_seconds += seeder.seed(size - seeded, 0, 0)
        seed_seconds += seed_responses(seeder, seeded, size - seeded)
        seeded = size
        results[size] = {
            "dashboard": measure(browser, "/patients/", {}),
            "dashboard_last": measure(browser, "/patients/?page=1000000", {}),  # past the end: the last
            # Sorted by the latest reading: the one column that is a subquery over the whole clinic.
            "dashboard_by_reading": measure(browser, "/patients/?sort=-last", {}),
            "api": measure(api, "/api/v1/patients/", bearer),
        }
    rows = []
    for size in sizes:
        d, last, a = results[size]["dashboard"], results[size]["dashboard_last"], results[size]["api"]
        by_reading = results[size]["dashboard_by_reading"]
        rows.append(
            [
                f"{size:,}",
                d["status"],
                d["queries"],
                d["median_ms"],
                round(d["bytes"] / 1000),
                last["queries"],
                last["median_ms"],
                by_reading["queries"],
                by_reading["median_ms"],
                a["status"],
                a["queries"],
                a["median_ms"],
            ]
        )
    machine = report.machine()
    return report.emit(
        "patients_list",
        "Bench 9: the patients list with its response columns, by clinic size (in process, median ms)",
        [
            "patients",
            "/patients/ status",
            "queries",
            "median ms",
            "KB",
            "last page queries",
            "median ms",
            "by last reading queries",
            "median ms",
            "/api/v1/patients/ status",
            "queries",
            "median ms",
        ],
        rows,
        {
            "sizes": sizes,
            "results": {str(k): v for k, v in results.items()},
            "seed_seconds": round(seed_seconds, 1),
            "load_avg_1m": machine["load_avg_1m"],
        },
        notes=[
            f"load average {machine['load_avg_1m']}; each patient has a response row and {ASSESSMENTS - 1} assessments",
            "the API list is paginated and has no response field: it is there for reference",
        ],
    )


if __name__ == "__main__":
    with Env("patients-list") as bench_env:
        run(bench_env)
