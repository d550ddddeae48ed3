"""Bench 4's batches taken apart: one dispatcher in this process sends BENCH_REMINDER_BATCH_SIZE due
reminders (400,000 by default, seeded as bench.reminders seeds them) batch by batch, and every
statement of every batch is timed on its way to PostgreSQL (Django's execute wrapper), grouped by
what it does: the overdue skip, the claim (with the sent mark, one statement since round 3), the dose
logs, the held drugs, the preferences, the inbox INSERT. Prints min / median / max ms per group per
2,000-row batch, at the start and at the end of the run (the indexes grow as the run goes).
"""

from __future__ import annotations

import os
import statistics
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from bench import report
from bench.stack import Env

TOTAL = int(os.environ.get("BENCH_REMINDER_BATCH_SIZE", "400000"))
FIRST = 900_000  # patient and user numbers of their own (bench.reminders counts from 0)

# The first match names the statement (lower-cased SQL).
_GROUPS = (
    ("claim + mark sent", ("with picked as",)),  # one statement since round 3
    ("claim", ("for update",)),
    ("mark sent", ('"sent_at" =',)),
    ("skip overdue", ('update "reminders_reminderoccurrence"',)),
    ("dose logs", ("records_doselog",)),
    ("held drugs", ("holds_in_force",)),
    ("preferences", ("notifications_preference",)),
    ("inbox insert", ("insert into notifications_notification", 'insert into "notifications_notification"')),
    ("transaction", ("savepoint", "release")),
)


def _group(sql: str) -> str:
    low = sql.lower()
    for name, needles in _GROUPS:
        if any(needle in low for needle in needles):
            return name
    return "other: " + low[:40]


@contextmanager
def _timed(batch: dict[str, float]) -> Iterator[None]:
    from django.db import connection

    def wrapper(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            batch[_group(sql)] += (time.perf_counter() - t0) * 1000

    with connection.execute_wrapper(wrapper):
        yield


def run(env: Env) -> dict[str, Any]:
    from backend.reminders.dispatch import CLAIM_BATCH, reminders_dispatch_due
    from bench.fixtures import clinic_make
    from bench.reminders import PER_PATIENT, seed

    clinic = clinic_make("Reminder Batches Clinic", 0)
    now = datetime.now(UTC).replace(microsecond=0)
    seed(env, clinic.clinic_id, TOTAL // PER_PATIENT, FIRST, now)
    batches: list[dict[str, float]] = []
    walls: list[float] = []
    load = [round(os.getloadavg()[0], 2)]
    sent = 0
    while True:
        batch: dict[str, float] = defaultdict(float)
        t0 = time.perf_counter()
        with _timed(batch):
            outcome = reminders_dispatch_due()
        walls.append((time.perf_counter() - t0) * 1000)
        batches.append(batch)
        sent += outcome.sent
        if not outcome.full:
            break
    load.append(round(os.getloadavg()[0], 2))
    full = batches[:-1] or batches
    tenth = max(1, len(full) // 10)
    names = sorted({name for b in full for name in b})
    rows = []
    for name in [*names, "whole batch"]:
        for part, chosen in (("first tenth", slice(0, tenth)), ("last tenth", slice(-tenth, None))):
            per_batch = walls[: len(full)] if name == "whole batch" else [b[name] for b in full]
            values = per_batch[chosen]
            rows.append([name, part, round(min(values)), round(statistics.median(values)), round(max(values))])
    total_s = sum(walls) / 1000
    return report.emit(
        "reminder_batches",
        f"4b. One dispatcher in process: ms per statement group per {CLAIM_BATCH:,}-row batch",
        ["statements", "batches", "min ms", "median ms", "max ms"],
        rows,
        {"sent": sent, "batches": len(batches), "seconds": round(total_s, 2), "load_avg": load},
        [f"{sent:,} sent in {len(batches)} batches, {total_s:.1f} s ({sent / total_s:,.0f}/s); load average {load}"],
    )


def main() -> None:
    with Env("reminder_batches") as env:
        run(env)


if __name__ == "__main__":
    main()
