"""Bench 1, sync ingest: 500-item mixed batches (labs, symptoms, doses) POSTed to /api/v1/sync/ by 4
concurrent phones, through gunicorn with 2 workers as the Procfile runs it.

Baselines in the same run, storing the same kind of rows:
  (a) a stock DRF `ModelSerializer(many=True)` endpoint that saves row by row (bench/baseline_views.py);
  (b) raw psycopg `executemany` of prebuilt rows in one transaction: the database's own ceiling.
Targets: ≥ 12× (a) and ≥ 75% of (b) (issue 17; round 1's were 8× and 20%).

Then the curve: the sync and (b) side by side at batch sizes of 50, 150 and 500 items (1×, 3×, 10×),
the same number of items at each, so a reader sees how the per-item cost falls with the batch.

The Celery worker is not running here: grading is queued on commit (so the publish is counted) but
graded elsewhere (benches 2 and 5), so that the server's two cores serve only the sync.
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from bench import report
from bench.fixtures import Clinic, clinic_make, mixed_batch
from bench.http_load import build_request, run_load
from bench.stack import Env, scaled

BATCH = 500
CLIENTS = 4
ROUNDS = 3
CURVE = (1, 3, 10)  # × CURVE_BATCH items per sync
CURVE_BATCH = 50
TARGET_VS_NAIVE = 12
TARGET_VS_RAW = 0.75


def _streams(
    clinic: Clinic, path: str, batches_per_client: int, rng: random.Random, size: int = BATCH
) -> list[Iterator[bytes]]:
    """One stream of prebuilt POSTs per phone, each batch with fresh ids."""
    now = datetime.now(UTC)
    return [
        iter(
            [
                build_request("POST", path, token=enrolled.token, body=mixed_batch(rng, now, size))
                for _ in range(batches_per_client)
            ]
        )
        for enrolled in clinic.patients
    ]


def _http_round(
    env: Env, clinic: Clinic, path: str, batches_per_client: int, rng: random.Random, size: int = BATCH
) -> dict[str, Any]:
    streams = _streams(clinic, path, batches_per_client + 1, rng, size)  # +1: the warm-up batch
    result = run_load("127.0.0.1", env.web_port, streams, warmup=1)
    items = result.requests * size
    return {
        "items": items,
        "seconds": result.seconds,
        "errors": result.errors,
        "first_error": result.first_error,
        "p50_ms": result.ms(50),
        "p95_ms": result.ms(95),
        "client_cpu_share": result.client_cpu_seconds / result.seconds if result.seconds else 0,
    }


def _raw_rows(clinic: Clinic, batches: int, rng: random.Random, size: int = BATCH) -> dict[Any, list[tuple[Any, ...]]]:
    """The rows the sync path would store for `batches` batches, built by its own row builders."""
    from django.db import connection

    from backend.patients.models import Patient
    from backend.records import services

    patient = Patient.objects.get(pk=clinic.patients[0].patient_id)
    now = datetime.now(UTC)
    rows: dict[Any, list[tuple[Any, ...]]] = {}
    for _ in range(batches):
        body = mixed_batch(rng, now, size)
        for section in services._SECTIONS:
            fields = section.model._meta.concrete_fields
            for raw in body[section.name]:
                obj = section.build(section.parse(raw, now=now), patient, now)
                rows.setdefault(section.model, []).append(
                    tuple(f.get_db_prep_save(getattr(obj, f.attname), connection=connection) for f in fields)
                )
    return rows


def _raw_round(env: Env, clinic: Clinic, batches: int, rng: random.Random, size: int = BATCH) -> dict[str, Any]:
    import psycopg
    from psycopg import sql

    rows = _raw_rows(clinic, batches, rng, size)
    with psycopg.connect(env.db_url) as conn:
        t0 = time.perf_counter()
        with conn.transaction(), conn.cursor() as cur:
            for model, values in rows.items():
                fields = model._meta.concrete_fields
                statement = sql.SQL("INSERT INTO {} ({}) VALUES ({})").format(
                    sql.Identifier(model._meta.db_table),
                    sql.SQL(", ").join(sql.Identifier(f.column) for f in fields),
                    sql.SQL(", ").join(sql.Placeholder() * len(fields)),
                )
                cur.executemany(statement, values)
        seconds = time.perf_counter() - t0
    return {"items": sum(len(v) for v in rows.values()), "seconds": seconds, "errors": 0}


def _stored(clinic: Clinic) -> int:
    from backend.records.models import DoseLog, LabResult, SymptomReport

    ids = [p.patient_id for p in clinic.patients]
    return sum(m.objects.filter(patient_id__in=ids).count() for m in (LabResult, SymptomReport, DoseLog))


def _median_ratio(a: list[float], b: list[float]) -> float | None:
    ratios = [x / y for x, y in zip(a, b, strict=True) if y]
    return round(statistics.median(ratios), 3) if ratios else None


def run(env: Env) -> dict[str, Any]:
    env.web()
    rng = random.Random(1)
    lean = clinic_make("Ingest Lean", CLIENTS)
    naive = clinic_make("Ingest Naive", CLIENTS)
    raw = clinic_make("Ingest Raw", 1)
    lean_batches = scaled(4, 1)  # per client per round
    naive_batches = scaled(1, 1)
    raw_batches = scaled(16, 2)
    totals: dict[str, dict[str, Any]] = {
        k: {"items": 0, "seconds": 0.0, "errors": 0, "p50": [], "p95": [], "cpu": [], "rates": []}
        for k in ("lean", "naive", "raw")
    }
    first_error = ""
    for _ in range(ROUNDS):  # interleaved, so a busy moment on the machine hits all three alike
        for name, fn in (
            ("lean", lambda: _http_round(env, lean, "/api/v1/sync/", lean_batches, rng)),
            ("naive", lambda: _http_round(env, naive, "/bench/naive-sync/", naive_batches, rng)),
            ("raw", lambda: _raw_round(env, raw, raw_batches, rng)),
        ):
            out = fn()
            t = totals[name]
            t["items"] += out["items"]
            t["seconds"] += out["seconds"]
            t["errors"] += out["errors"]
            t["rates"].append(out["items"] / out["seconds"] if out["seconds"] else 0.0)
            first_error = first_error or out.get("first_error", "")
            if "p50_ms" in out:
                t["p50"].append(out["p50_ms"])
                t["p95"].append(out["p95_ms"])
                t["cpu"].append(out["client_cpu_share"])
    rate = {k: (v["items"] / v["seconds"] if v["seconds"] else 0.0) for k, v in totals.items()}
    # The figure: the median of each round's ratio (lean and its baselines run back to back within
    # a round, so a busy moment on the shared machine weighs on both sides alike).
    vs_naive = _median_ratio(totals["lean"]["rates"], totals["naive"]["rates"])
    vs_raw = _median_ratio(totals["lean"]["rates"], totals["raw"]["rates"])
    stored = {"lean": _stored(lean), "naive": _stored(naive)}
    expected = {
        "lean": (totals["lean"]["items"] + ROUNDS * CLIENTS * BATCH),
        "naive": (totals["naive"]["items"] + ROUNDS * CLIENTS * BATCH),
    }

    def lat(k: str, key: str) -> float | None:
        vals = totals[k][key]
        return max(vals) if vals else None

    rows = [
        [
            "CareLoop sync (gunicorn, 2 workers, 4 clients)",
            totals["lean"]["items"],
            rate["lean"],
            1.0,
            lat("lean", "p50"),
            lat("lean", "p95"),
        ],
        [
            "(a) DRF ModelSerializer(many=True), save per row",
            totals["naive"]["items"],
            rate["naive"],
            report.ratio(rate["naive"], rate["lean"]),
            lat("naive", "p50"),
            lat("naive", "p95"),
        ],
        [
            "(b) psycopg executemany, one transaction",
            totals["raw"]["items"],
            rate["raw"],
            report.ratio(rate["raw"], rate["lean"]),
            None,
            None,
        ],
    ]
    met_naive = bool(vs_naive and vs_naive >= TARGET_VS_NAIVE)
    met_raw = bool(vs_raw and vs_raw >= TARGET_VS_RAW)
    notes = [
        f"sync vs (a), median of {ROUNDS} rounds: {vs_naive}x   "
        f"target >= {TARGET_VS_NAIVE}x: {report.target(met_naive)}",
        f"sync vs (b), median of {ROUNDS} rounds: {vs_raw or 0:.0%}   "
        f"target >= {TARGET_VS_RAW:.0%}: {report.target(met_raw)}",
        f"rows stored: sync {stored['lean']:,} of {expected['lean']:,}, naive {stored['naive']:,} of "
        f"{expected['naive']:,} (warm-up batches included); HTTP errors: "
        f"{totals['lean']['errors'] + totals['naive']['errors']} {first_error}",
        f"load generator's CPU share of one core: {max(totals['lean']['cpu'] or [0]):.2f}",
    ]
    curve = _curve(env, lean, raw, rng)
    print(
        report.table(
            "1. Sync ingest at 1x, 3x, 10x the batch (the same items at each size)",
            ["batch", "items", "sync items/s", "sync ms/batch p50", "sync us/item", "(b) items/s", "sync / (b)"],
            [
                [
                    c["batch"],
                    c["items"],
                    c["sync_items_per_s"],
                    c["p50_ms"],
                    c["us_per_item"],
                    c["raw_items_per_s"],
                    c["ratio_vs_raw"],
                ]
                for c in curve
            ],
        )
    )
    return report.emit(
        "ingest",
        "1. Sync ingest: 500-item mixed batches (40% labs, 40% symptoms, 20% doses)",
        ["path", "items", "items/s", "x of sync", "p50 ms/batch", "p95 ms/batch"],
        rows,
        {
            "items_per_s": round(rate["lean"]),
            "naive_items_per_s": round(rate["naive"]),
            "raw_items_per_s": round(rate["raw"]),
            "ratio_vs_naive": vs_naive,
            "ratio_vs_raw": vs_raw,
            "target_vs_naive_met": met_naive,
            "target_vs_raw_met": met_raw,
            "batch_p95_ms": lat("lean", "p95"),
            "stored": stored,
            "expected": expected,
            "errors": totals["lean"]["errors"] + totals["naive"]["errors"],
            "curve": curve,
        },
        notes,
    )


def _curve(env: Env, lean: Clinic, raw: Clinic, rng: random.Random) -> list[dict[str, Any]]:
    """The sync and (b) at CURVE × CURVE_BATCH items per batch, the same items per client at each."""
    per_client = scaled(2000, 500)
    out = []
    for factor in CURVE:
        size = CURVE_BATCH * factor
        batches = max(1, per_client // size)
        sync = _http_round(env, lean, "/api/v1/sync/", batches, rng, size)
        base = _raw_round(env, raw, batches * CLIENTS, rng, size)
        sync_rate = sync["items"] / sync["seconds"] if sync["seconds"] else 0.0
        raw_rate = base["items"] / base["seconds"] if base["seconds"] else 0.0
        out.append(
            {
                "factor": factor,
                "batch": size,
                "items": sync["items"],
                "sync_items_per_s": round(sync_rate),
                "p50_ms": round(sync["p50_ms"], 2),
                "us_per_item": round(1e6 / sync_rate, 1) if sync_rate else None,
                "raw_items_per_s": round(raw_rate),
                "ratio_vs_raw": report.ratio(sync_rate, raw_rate),
                "errors": sync["errors"],
            }
        )
    return out


def main() -> None:
    with Env("ingest") as env:
        run(env)


if __name__ == "__main__":
    main()
