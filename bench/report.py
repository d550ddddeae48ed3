"""How every benchmark prints: a human table, then one `BENCH_JSON {...}` line."""

from __future__ import annotations

import json
import math
import os
import platform
import subprocess
from collections.abc import Sequence
from typing import Any


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100); 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def ratio(a: float, b: float) -> float | None:
    return round(a / b, 3) if b else None


def fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if value == 0:
            return "0"
        if abs(value) >= 100:
            return f"{value:,.0f}"
        if abs(value) >= 10:
            return f"{value:.1f}"
        return f"{value:.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def table(title: str, headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    cells = [[fmt(c) for c in row] for row in rows]
    numeric = [[isinstance(c, (int, float)) and not isinstance(c, bool) for c in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) if cells else len(h) for i, h in enumerate(headers)]
    line = "  ".join("-" * w for w in widths)
    out = [f"\n== {title}", "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)), line]
    for row, nums in zip(cells, numeric, strict=True):
        out.append(
            "  ".join((c.rjust(w) if num else c.ljust(w)) for c, w, num in zip(row, widths, nums, strict=True)).rstrip()
        )
    return "\n".join(out)


def emit(
    name: str,
    title: str,
    headers: Sequence[str],
    rows: Sequence[Sequence[Any]],
    data: dict[str, Any],
    notes: Sequence[str] = (),
) -> dict[str, Any]:
    print(table(title, headers, rows))
    for note in notes:
        print(f"   {note}")
    record = {"bench": name, **data}
    print("BENCH_JSON " + json.dumps(record, sort_keys=True, default=str), flush=True)
    return record


SCALE_HEADERS = ["request", "data", "status", "queries", "p50", "p95", "p95 x of first"]


def measurement(
    status: int, queries: int, sql: list[str], statuses: dict[int, int], times: Sequence[float], **more: Any
) -> dict[str, Any]:
    """One request measured at one data size (benches 3 and 11): its in-process status, queries
    and slowest SQL, and its latencies over HTTP."""
    return {
        "status": status,
        "queries": queries,
        "sql": sql,
        "statuses": statuses,
        "p50": percentile(times, 50),
        "p95": percentile(times, 95),
        "n": len(times),
        **more,
    }


def scale_steps(
    keys: Sequence[tuple[str, str]], stages: Sequence[str], measured: dict[str, dict[str, Any]], target_ms: float
) -> tuple[list[list[Any]], dict[str, Any], bool]:
    """The table rows, the JSON figures and the verdict of requests measured at growing data sizes
    (`measured["<label>@<stage>"]`, from `measurement`): per request, one row per size with the p95
    as a multiple of the first size's; met when the largest size's p95 is under `target_ms`, its
    queries no more than at the first size, and it answered 200. `keys` pairs each label with its
    key in the JSON (e.g. "api", "dashboard")."""
    rows: list[list[Any]] = []
    data: dict[str, Any] = {"stages": list(stages)}
    met_all = True
    for label, key in keys:
        first, last = measured[f"{label}@{stages[0]}"], measured[f"{label}@{stages[-1]}"]
        met = last["p95"] < target_ms and last["queries"] <= first["queries"] and last["status"] == 200
        met_all = met_all and met
        for i, stage in enumerate(stages):
            m = measured[f"{label}@{stage}"]
            growth = ratio(m["p95"], first["p95"]) if i else None
            rows.append([label, stage, m["status"], m["queries"], m["p50"], m["p95"], growth])
        data[key] = {
            "p50_ms": round(last["p50"], 2),
            "p95_ms": round(last["p95"], 2),
            "queries": last["queries"],
            "small_p95_ms": round(first["p95"], 2),
            "small_queries": first["queries"],
            "p95_growth": ratio(last["p95"], first["p95"]),
            "n": last["n"],
            "target_met": met,
            "statuses": last["statuses"],
            "curve": {
                stage: {
                    "p50_ms": round(measured[f"{label}@{stage}"]["p50"], 2),
                    "p95_ms": round(measured[f"{label}@{stage}"]["p95"], 2),
                    "queries": measured[f"{label}@{stage}"]["queries"],
                }
                for stage in stages
            },
        }
    data["target_met"] = met_all
    return rows, data, met_all


def slowest_sql(keys: Sequence[tuple[str, str]], stage: str, measured: dict[str, dict[str, Any]]) -> list[str]:
    return [
        f"slowest SQL for {label} at {stage}: " + " | ".join(measured[f"{label}@{stage}"]["sql"]) for label, _ in keys
    ]


def skipped(name: str, reason: str) -> dict[str, Any]:
    print(f"\n== {name}\nskipped: {reason}")
    record = {"bench": name, "skipped": reason}
    print("BENCH_JSON " + json.dumps(record, sort_keys=True), flush=True)
    return record


def target(met: bool | None) -> str:
    return "n/a" if met is None else ("MET" if met else "NOT MET")


def machine() -> dict[str, Any]:
    model = ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem_gib = 0.0
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal"):
                    mem_gib = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    pg = ""
    try:
        pg = subprocess.run(["psql", "--version"], capture_output=True, text=True, check=False).stdout.strip()
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "cpu": model,
        "mem_gib": mem_gib,
        "python": platform.python_version(),
        "load_avg_1m": round(os.getloadavg()[0], 2),
        "psql": pg,
    }
