"""Bench 6, authenticated reads: GET /api/v1/alerts/ with a patient's Bearer token (the patient has
a handful of alerts), 16 connections, gunicorn with 2 workers as the Procfile runs it.

Baseline in the same run: a plain Django view returning a constant, through the same middleware.
Between the two, bench-only views add one layer at a time, so the table shows where the time goes:
DRF alone; DRF + the Bearer check in the database on every request (before) and with the token
cache (after: a Redis GET per request, what every other endpoint pays); the alert list as it was
(token in the database, the ORM, audit_record's INSERT); the first page with the remembered token
checked inside the page's prepared statement but no audit; the production alert list (the audit
written by that same statement). Each row's "+ms" is against the row it adds
to ("vs"). Then pyinstrument splits one in-process alert list into layers, and the audit is timed
on its own, both ways.
Target: alert list ≥ 60% of the plain view's requests/s.
"""

from __future__ import annotations

import os
import statistics
from typing import Any

from bench import report
from bench.fixtures import alerts_for, clinic_make
from bench.http_load import build_request, repeat, run_load
from bench.profiling import print_layers, profile, timed
from bench.stack import Env, scale

CONNECTIONS = 16
ROUNDS = 3


def run(env: Env) -> dict[str, Any]:
    env.web()
    clinic = clinic_make("Reads Clinic", 1)
    patient = clinic.patients[0]
    alerts_for(patient.patient_id, 5)
    token = patient.token
    # (name, path, token, the row it adds a layer to)
    variants = [
        ("plain Django view, constant (baseline)", "/bench/plain/", None, None),
        ("DRF APIView, no auth, constant", "/bench/drf-open/", None, 0),
        ("before: DRF + Bearer check in the database", "/bench/drf-auth-db/", token, 1),
        ("DRF + Bearer check, cached token", "/bench/drf-auth/", token, 1),
        ("before: alert list (token in DB, ORM, audit INSERT)", "/bench/alerts-before/", token, 1),
        ("alert list: token checked in its statement, prepared query, no audit", "/bench/alerts-no-audit/", token, 1),
        ("GET /api/v1/alerts/ (production: + audit in the same statement)", "/api/v1/alerts/", token, 5),
    ]
    seconds = max(1.0, 2.0 * min(scale(), 1.0))
    results: dict[str, list[Any]] = {name: [] for name, *_ in variants}
    for r in range(ROUNDS):
        order = variants if r % 2 == 0 else list(reversed(variants))  # alternate, so drift hits all alike
        for name, path, tok, _ in order:
            raw = build_request("GET", path, token=tok)
            results[name].append(
                run_load(
                    "127.0.0.1", env.web_port, [repeat(raw) for _ in range(CONNECTIONS)], duration=seconds, warmup=2
                )
            )
    base_name = variants[0][0]

    def merged(name: str) -> dict[str, Any]:
        runs = results[name]
        lat = [x for r in runs for x in r.latencies]
        # Each round's ratio to the plain view of the same round; the median of those is the figure
        # (the machine is shared: a busy moment lowers both sides of one round alike).
        ratios = [r.rps / b.rps for r, b in zip(runs, results[base_name], strict=True) if b.rps]
        return {
            "rps": statistics.median(r.rps for r in runs),
            "ratio": statistics.median(ratios) if ratios else 0.0,
            "p50": report.percentile(lat, 50) * 1000,
            "p95": report.percentile(lat, 95) * 1000,
            "errors": sum(r.errors for r in runs),
            "first_error": next((r.first_error for r in runs if r.first_error), ""),
            "client_cpu": max(r.client_cpu_seconds / r.seconds for r in runs if r.seconds),
        }

    m = {name: merged(name) for name, *_ in variants}
    base = m[base_name]["rps"]
    rows = []
    wall_ms: list[float | None] = []
    for i, (name, _, _, vs) in enumerate(variants):
        x = m[name]
        ms = 1000 / x["rps"] if x["rps"] else None  # wall ms per request for the 2-worker server
        wall_ms.append(ms)
        other = wall_ms[vs] if vs is not None else None
        rows.append(
            [
                f"{i}. {name}",
                x["rps"],
                round(x["ratio"], 3),
                x["p50"],
                x["p95"],
                ms,
                "" if vs is None else str(vs),
                (ms - other) if (ms is not None and other is not None) else None,
                x["errors"],
            ]
        )
    prod = m[variants[-1][0]]
    before = m[variants[4][0]]
    share = round(prod["ratio"], 3)
    met = bool(share and share >= 0.6)

    # Where the time goes, in-process.
    from django.test import Client

    from backend.accounts.models import User
    from backend.alerts.first_page import first_page
    from backend.audit.services import audit_record

    client = Client()
    auth = {"Authorization": f"Bearer {token}"}
    prof = profile(
        lambda: client.get("/api/v1/alerts/", headers=auth), max(100, int(500 * min(scale(), 1))), env.log_dir, "alerts"
    )
    user = User.objects.get(pk=patient.user_id)
    audit_ms = timed(
        lambda: audit_record(
            actor=user, action="read", resource="alert", patient_ids=[patient.patient_id], detail="alert list"
        ),
        300,
    )
    page_ms = timed(lambda: first_page(user, {}, audit=False), 300)
    page_audited_ms = timed(lambda: first_page(user, {}), 300)
    notes = [
        f"{CONNECTIONS} connections, {ROUNDS} rounds of {seconds:.0f}s per row (alternating order); req/s is the "
        f"median round, 'x of plain' the median of each round's ratio; "
        f"gunicorn sync workers close each connection, so every request is a new TCP connection",
        f"alert list = {share:.0%} of the plain view (before, same run: {before['ratio']:.0%}); "
        f"target >= 60%: {report.target(met)}",
        f"audit, in-process: audit_record alone (its own INSERT, the before) {audit_ms:.2f} ms per call; "
        f"the prepared page {page_ms:.2f} ms without its audit, {page_audited_ms:.2f} ms with it in the same statement",
        f"load generator's CPU share of one core: up to {max(x['client_cpu'] for x in m.values()):.2f}",
        f"machine load average (1 min) at the end: {os.getloadavg()[0]:.2f}",
    ]
    if any(x["errors"] for x in m.values()):
        notes.append("errors: " + "; ".join(f"{k}: {v['first_error']}" for k, v in m.items() if v["errors"]))
    record = report.emit(
        "auth_reads",
        "6. Authenticated reads, 16 connections (requests/s; latency ms)",
        ["endpoint", "req/s", "x of plain", "p50", "p95", "ms/req", "vs", "+ms vs that row", "errors"],
        rows,
        {
            "alerts_rps": round(prod["rps"]),
            "alerts_p95_ms": round(prod["p95"], 2),
            "plain_rps": round(base),
            "ratio_vs_plain": share,
            "before_ratio_vs_plain": round(before["ratio"], 3),
            "target_met": met,
            "layers_rps": {name: round(m[name]["rps"]) for name, *_ in variants},
            "audit_record_ms": round(audit_ms, 3),
            "prepared_page_ms": round(page_ms, 3),
            "prepared_page_with_audit_ms": round(page_audited_ms, 3),
            "profile_ms_per_request": round(prof["ms_per_request"], 3),
            "profile_layers_ms": {layer: round(ms, 3) for layer, ms, _ in prof["layers"]},
        },
        notes,
    )
    print_layers("GET /api/v1/alerts/ in-process", prof)
    return record


def main() -> None:
    with Env("auth_reads") as env:
        run(env)


if __name__ == "__main__":
    main()
