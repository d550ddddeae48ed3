"""The figures of the service (issue 16 §5): the arithmetic behind the clinic's metrics page and
`GET /api/v1/metrics/`, apart from the queries that feed it (backend/metrics/selectors.py).

Percentiles interpolate linearly between the two nearest values (Hyndman & Fan 1996, definition 7:
the default of R, NumPy and PostgreSQL's `percentile_cont`), so the median of an even count is the
mean of the two middle values, as `statistics.median` gives.

Benchmarks the page is read against: in the PRO-TECT trial about 0.3 alerts were raised per
patient-week and about 59% of alerts led to a nurse action (Basch et al., JAMA 2022; issue 16).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

from shared.regimen import CYCLE_LENGTH_DAYS, Drug, cycle_day, scheduled_dates
from shared.response_tests import EARLY_CYCLES

__all__ = [
    "ACTION_OUTCOMES",
    "DAYS_PER_WEEK",
    "LAB_DRAW_AFTER",
    "LAB_DRAW_BEFORE",
    "NO_ACTION_OUTCOME",
    "Spread",
    "cycle_starts",
    "doses_due",
    "enrolled_days",
    "per_patient_week",
    "percentile",
    "rate",
    "response_test_cycle",
    "spread",
]

DAYS_PER_WEEK = 7
# The resolve outcomes (backend.alerts.services.OUTCOMES) that are a nurse's action on the patient's
# care; "other" needs a note saying what was done, so it counts as one. "no_action_needed" does not.
ACTION_OUTCOMES = ("called_patient", "dose_held", "sent_to_ed", "other")
NO_ACTION_OUTCOME = "no_action_needed"
# A reminded blood draw is completed by any lab result collected from a day before the reminder (a
# draw the evening before, or the reminder sent late) to three days after it (a draw on the next
# clinic day after a weekend). CareLoop's own definition, shown on the page.
LAB_DRAW_BEFORE = timedelta(days=1)
LAB_DRAW_AFTER = timedelta(days=3)


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-quantile (0 <= q <= 1) of `values` by linear interpolation; None for no values."""
    if not 0 <= q <= 1:
        raise ValueError("q must be within 0..1")
    if not values:
        return None
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass(frozen=True)
class Spread:
    """How long something took: how many there were, the median and the 90th percentile (seconds)."""

    count: int
    median: float | None
    p90: float | None


def spread(seconds: Sequence[float]) -> Spread:
    return Spread(len(seconds), percentile(seconds, 0.5), percentile(seconds, 0.9))


def rate(part: int, whole: int) -> float | None:
    """part / whole, or None when there is nothing to divide (an empty period is not 0%)."""
    return part / whole if whole else None


def per_patient_week(count: int, patient_days: int) -> float | None:
    return count * DAYS_PER_WEEK / patient_days if patient_days else None


def enrolled_days(enrolled_on: date, first: date, last: date) -> int:
    """Days of first..last (inclusive) from the enrollment day on: the patient-days of a period."""
    return max(0, (last - max(first, enrolled_on)).days + 1)


@lru_cache(maxsize=4096)
def _due_in_cycle_window(drug: Drug, offset: int, days: int) -> int:
    # The IRd calendar repeats every cycle, so the count depends only on where the window starts in
    # the cycle and how long it is: 10,000 patients share a few hundred of these.
    anchor = date(2000, 1, 3)
    first = anchor + timedelta(days=offset)
    return len(scheduled_dates(anchor, drug, first, first + timedelta(days=days - 1)))


def doses_due(start: date, drug: Drug, first: date, last: date, per_day: int = 1) -> int:
    """Doses of `drug` scheduled on first..last (inclusive) for a regimen whose cycle 1 day 1 is
    `start`; the antiviral is daily, `per_day` times a day."""
    first = max(first, start)
    if last < first or per_day <= 0:
        return 0
    days = (last - first).days + 1
    if drug is Drug.ANTIVIRAL:
        return days * per_day
    return _due_in_cycle_window(drug, (first - start).days % CYCLE_LENGTH_DAYS, days) * per_day


def response_test_cycle(cycle: int, *, responded: bool, every_cycles: int) -> bool:
    """Whether CareLoop's schedule (shared.response_tests) asks for SPEP/UPEP/FLC at this cycle's day 1:
    every cycle for cycles 1-6 and for a patient without a confirmed PR or better; after that every
    `every_cycles` cycles, counted from cycle 6."""
    if cycle < 1:
        return False
    return cycle <= EARLY_CYCLES or not responded or (cycle - EARLY_CYCLES) % every_cycles == 0


def cycle_starts(start: date, first: date, last: date) -> list[tuple[int, date]]:
    """(cycle, day 1) of every cycle whose day 1 falls on first..last."""
    found = []
    position = cycle_day(start, max(first, start))
    if position is None:
        return []
    cycle = position.cycle if position.day == 1 else position.cycle + 1
    on = start + timedelta(days=(cycle - 1) * CYCLE_LENGTH_DAYS)
    while on <= last:
        found.append((cycle, on))
        cycle += 1
        on += timedelta(days=CYCLE_LENGTH_DAYS)
    return found
