"""`make bench`: every benchmark, in one run, against one stack (PostgreSQL database `careloop_bench`,
a private redis-server, gunicorn and a Celery worker from the Procfile). Prints each benchmark's
table and `BENCH_JSON` line, then a summary of targets, and writes bench/results/latest.json.

BENCH_SCALE=0.1 for a quick run (every size scales; latency targets still apply).
BENCH_ONLY=ingest,auth_reads runs a subset.
"""

from __future__ import annotations

import json
import os
import sys
import time
import traceback
from collections.abc import Callable
from typing import Any

from bench import report
from bench.stack import REPO, RESULTS, Env, scale


def _reminders(env: Env) -> dict[str, Any]:
    from bench import reminders

    return reminders.run(env)


def _phone_sync(env: Env) -> dict[str, Any]:
    from bench import phone_sync

    return phone_sync.run(env)


def _response(env: Env) -> dict[str, Any]:
    from bench import response

    return response.run(env)


def _patients_list(env: Env) -> dict[str, Any]:
    from bench import patients_list

    return patients_list.run(env)


def _metrics(env: Env) -> dict[str, Any]:
    from bench import metrics_at_scale

    return metrics_at_scale.run(env)


def _soak(env: Env) -> dict[str, Any]:
    from bench import soak

    return soak.run(env)


def _fhir(env: Env) -> dict[str, Any]:
    from bench import fhir

    return fhir.run(env)


def main() -> int:
    only = {s.strip() for s in os.environ.get("BENCH_ONLY", "").split(",") if s.strip()}
    started = time.perf_counter()
    machine = report.machine()
    print(f"CareLoop benchmarks, BENCH_SCALE={scale():g}")
    print(
        f"machine: {machine['nproc']} cores, {machine['cpu']}, {machine['mem_gib']} GiB, Python {machine['python']}, "
        f"{machine['psql']}, load average {machine['load_avg_1m']}"
    )
    records: dict[str, dict[str, Any]] = {}
    env = Env("run")
    try:
        env.start()
        from bench import alert_latency, auth_reads, grading, ingest, queue_at_scale

        steps: list[tuple[str, Callable[[], dict[str, Any]]]] = [
            ("ingest", lambda: ingest.run(env)),
            ("grading", lambda: grading.run(env, records.get("ingest", {}).get("items_per_s"))),
            ("auth_reads", lambda: auth_reads.run(env)),
            ("alert_latency", lambda: alert_latency.run(env)),
            ("queue_at_scale", lambda: queue_at_scale.run(env)),
            ("reminders", lambda: _reminders(env)),
            ("phone_sync", lambda: _phone_sync(env)),
            ("response", lambda: _response(env)),
            ("patients_list", lambda: _patients_list(env)),
            ("fhir", lambda: _fhir(env)),
            ("metrics_at_scale", lambda: _metrics(env)),
            ("soak", lambda: _soak(env)),
        ]
        for name, step in steps:
            if only and name not in only:
                continue
            t0 = time.perf_counter()
            try:
                records[name] = step()
            except Exception as exc:  # a benchmark prints figures; one that breaks must not hide the others
                traceback.print_exc()
                records[name] = report.skipped(name, f"error: {exc!r}")
            records[name]["seconds"] = round(time.perf_counter() - t0, 1)
    finally:
        env.stop()
    total = time.perf_counter() - started
    _summary(records, total)
    out = {
        "machine": machine,
        "scale": scale(),
        "seconds": round(total, 1),
        "results": records,
        "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "latest.json").write_text(json.dumps(out, indent=2, sort_keys=True, default=str))
    print(
        f"\nlogs and profiles: {env.log_dir.relative_to(REPO)}   figures: {(RESULTS / 'latest.json').relative_to(REPO)}"
    )
    print(
        "BENCH_JSON "
        + json.dumps(
            {"bench": "summary", "seconds": round(total, 1), "scale": scale(), "machine": machine}, sort_keys=True
        )
    )
    return 0


def _summary(records: dict[str, dict[str, Any]], total: float) -> None:
    rows: list[list[Any]] = []

    def add(name: str, what: str, figure: str, met: bool | None) -> None:
        rows.append([name, what, figure, report.target(met)])

    r = records.get("ingest", {})
    if "items_per_s" in r:
        add(
            "1 ingest",
            ">= 12x (a) naive DRF",
            f"{r['items_per_s']:,} items/s = {r['ratio_vs_naive']}x",
            r["target_vs_naive_met"],
        )
        add(
            "1 ingest",
            ">= 75% of (b) executemany",
            f"{r['ratio_vs_raw']:.0%} of {r['raw_items_per_s']:,}/s",
            r["target_vs_raw_met"],
        )
    r = records.get("alert_latency", {})
    if "p95_ms" in r:
        add(
            "2 alert latency",
            "p95 < 50 ms",
            f"p95 {r['p95_ms']} ms ({r['ratio_p95_vs_noop']}x no-op)",
            r["target_p95_met"],
        )
        add("2 alert latency", "p99 < 200 ms", f"p99 {r['p99_ms']} ms", r["target_p99_met"])
        if "target_ratio_met" in r:
            add(
                "2 alert latency",
                "p95 <= 2x the no-op",
                f"{r['ratio_p95_vs_noop']}x (no-op p95 {r['noop_p95_ms']} ms)",
                r["target_ratio_met"],
            )
            add(
                "2 alert latency",
                "p95 < 50 ms beside 50 phones",
                f"p95 {r['loaded_p95_ms']} ms, p99 {r['loaded_p99_ms']} ms",
                r["target_loaded_met"],
            )
    r = records.get("queue_at_scale", {})
    if "api" in r:
        add(
            "3 nurse queue (API)",
            "p95 < 50 ms at 10x, queries flat",
            f"p95 {r['api']['p95_ms']} ms, {r['api']['queries']} queries (1%: {r['api']['small_queries']})",
            r["api"]["target_met"],
        )
        d = r.get("dashboard", {})
        if "p95_ms" in d:
            add(
                "3 nurse queue (dashboard)",
                "p95 < 50 ms, queries flat",
                f"p95 {d['p95_ms']} ms, {d['queries']} queries (1%: {d['small_queries']})",
                d["target_met"],
            )
        else:
            add("3 nurse queue (dashboard)", "p95 < 50 ms", f"skipped: {d.get('skipped', '')}", None)
    r = records.get("reminders", {})
    add(
        "4 reminders",
        "1M < 60 s, 2 processes, exactly once",
        " / ".join(f"{s['reminders']:,}: {s['wall_s']} s" for s in r["steps"])
        + ("" if r.get("exactly_once") else ", NOT exactly once")
        if "steps" in r
        else f"skipped: {r.get('skipped', '-')}",
        r.get("target_met"),
    )
    r = records.get("grading", {})
    if "mixed_per_s" in r:
        add(
            "5 grading (shared/)",
            "never the bottleneck",
            f"{r['mixed_per_s']:,} readings/s"
            + (f" = {r['ratio_vs_ingest']}x ingest" if r.get("ratio_vs_ingest") else ""),
            None,
        )
    r = records.get("auth_reads", {})
    if "alerts_rps" in r:
        add(
            "6 authenticated reads",
            ">= 60% of plain view",
            f"{r['alerts_rps']:,} req/s = {r['ratio_vs_plain']:.0%} of {r['plain_rps']:,}"
            + (f" (before: {r['before_ratio_vs_plain']:.0%})" if "before_ratio_vs_plain" in r else ""),
            r["target_met"],
        )
    r = records.get("phone_sync", {})
    add(
        "7 phone sync",
        "< 1.5 s and < 100 MB for 10,000 entries",
        f"{r['seconds_to_synced']} s, {r['phone_peak_rss_mb']} MB"
        if "seconds_to_synced" in r
        else f"skipped: {r.get('skipped', '-')}",
        r.get("target_met"),
    )
    r = records.get("patients_list", {})
    if "results" in r:
        counts = [r["results"][str(n)]["dashboard"]["queries"] for n in r["sizes"]]
        add(
            "9 patients list",
            "queries flat with patients",
            " / ".join(f"{n:,}: {q} q" for n, q in zip(r["sizes"], counts, strict=True)),
            None,
        )
    r = records.get("fhir", {})
    if "everything_p95_ms" in r:
        add("8 FHIR $everything", "p95 < 150 ms", f"p95 {r['everything_p95_ms']} ms", r["everything_target_met"])
        add("8 FHIR lab feed", "<= 3x sync", f"{r['ratio_vs_sync']}x", r["ingest_target_met"])
    r = records.get("metrics_at_scale", {})
    for key, label in (("api", "9 service figures (API)"), ("dashboard", "9 service figures (page)")):
        if key in r:
            figure = f"p95 {r[key]['p95_ms']} ms, {r[key]['queries']} queries (1%: {r[key]['small_queries']})"
            add(label, "< 200 ms, queries flat", figure, r[key]["target_met"])
    r = records.get("soak", {})
    if "processes" in r:
        grown = [p["process"] for p in r["processes"] if p.get("flat") is False]
        add(
            "12 soak",
            "RSS flat ±10%, 0 errors",
            f"{r['measured_seconds'] / 60:.0f} min after {r['warm_at_s'] / 60:.0f} min warm-up, "
            f"{r['phones']['requests']:,} syncs + {r['nurses']['requests']:,} polls, "
            f"{r['errors']} errors, " + (f"grew: {', '.join(grown)}" if grown else "every process flat"),
            r["target_met"],
        )
    print(
        report.table(
            f"Summary ({total / 60:.1f} min, BENCH_SCALE={scale():g})", ["bench", "target", "figure", "status"], rows
        )
    )


if __name__ == "__main__":
    sys.exit(main())
