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
