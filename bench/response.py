"""Bench 8, disease response: recomputing one patient's IMWG response (shared.response) from five
years of monthly assessments (61 days, 5 markers each: serum and urine M-protein, both free light
chains, serum immunofixation), from stored readings to the summary, in process.
Target: < 5 ms per recompute (issue 14).

`python -m bench.response` runs it alone; it needs no server or database.
"""

from __future__ import annotations

import statistics
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from bench import report
from shared.response import Reading, assessments_by_day, evaluate

TARGET_MS = 5.0
MONTHS = 60
ROUNDS = 7
PER_ROUND = 50


def five_years() -> list[Reading]:
    readings: list[Reading] = []
    for n in range(MONTHS + 1):
        at = datetime(2021, 1, 4, 13, tzinfo=UTC) + timedelta(days=30 * n)
        serum = Decimal("3.2") if n == 0 else Decimal("0.3") + Decimal(n % 7) / 100
        readings += [
            Reading("serum_m_protein", at, serum),
            Reading("urine_m_protein", at + timedelta(minutes=5), Decimal(420 if n == 0 else 80)),
            Reading("kappa_flc", at, Decimal(480 if n == 0 else 30)),
            Reading("lambda_flc", at, Decimal("9.1")),
            Reading("serum_ife", at, text="positive"),
        ]
    return readings


def run(env: Any = None) -> dict[str, Any]:
    readings = five_years()
    zone = ZoneInfo("America/New_York")
    start = date(2021, 1, 5)
    for _ in range(20):  # warm up
        evaluate(assessments_by_day(readings, zone), start)
    per_round = []
    for _ in range(ROUNDS):
        t0 = time.perf_counter()
        for _ in range(PER_ROUND):
            evaluate(assessments_by_day(readings, zone), start)
        per_round.append((time.perf_counter() - t0) / PER_ROUND * 1000)
    median = statistics.median(per_round)
    return report.emit(
        "response",
        "Bench 8: recompute one patient's IMWG response, five years of monthly assessments",
        ["readings", "assessments", "median ms", "worst round ms", "target"],
        [[len(readings), MONTHS, f"{median:.2f}", f"{max(per_round):.2f}", report.target(median < TARGET_MS)]],
        {"readings": len(readings), "median_ms": round(median, 3), "target_met": median < TARGET_MS},
    )


if __name__ == "__main__":
    run()
