"""Early warning on a falling blood count, before it reaches the label's hold threshold.

Within one 28-day cycle, a platelet count or ANC that

* has fallen by half or more from the cycle's first value, or
* on a straight line through its last two values, would be below the hold threshold on the next
  ixazomib day,

is worth a re-check before that dose. Platelets fall to a nadir on days 14-21 and recover by the
next cycle (NINLARO USPI §5.1, reference.md §1.7); the hold thresholds are the label's (Table 3:
platelets < 30 ×10⁹/L, ANC < 0.5 ×10⁹/L; ``shared.alert_policy.DEFAULT_POLICY``). The 50 % fall
and the straight line are CareLoop's early-warning rule (issue 13 §3), not the label's: they hold
no drug, they ask for a count.

Pure standard library; never reads the clock (``today`` is an argument).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Final

from shared.regimen import CycleDay, Drug, Start, cycle_day, cycle_start_date, next_dose_date

__all__ = [
    "CYCLE_START_LAB_WINDOW_DAYS",
    "FALL_FRACTION",
    "MAX_AGE_DAYS",
    "Count",
    "TrendWarning",
    "early_warning",
]

#: A fall by this fraction of the cycle's first value or more warns (exactly half included).
FALL_FRACTION: Final[Decimal] = Decimal("0.5")

#: A count drawn this many days before day 1 (the rest week, days 22-28 of the cycle before, when
#: no lenalidomide is taken) up to day 1 is the count the cycle starts on (NINLARO USPI §2.2: a
#: blood count before each new cycle). Shared with ``shared.cycle_readiness``.
CYCLE_START_LAB_WINDOW_DAYS: Final[int] = 7


#: A latest count older than this before ``today`` warns of nothing: a week-old trend is no reason to
#: re-check, and a missing count is the stale-labs check's business (``shared.lab_monitoring``).
MAX_AGE_DAYS: Final[int] = 7


@dataclass(frozen=True)
class Count:
    """One count on a local date, in ×10⁹/L."""

    on: date
    value: Decimal


@dataclass(frozen=True)
class TrendWarning:
    analyte: str
    cycle: int
    first: Count  # the cycle's first value: the count it started on, else its first count
    latest: Count
    fell_by: Decimal | None  # the fraction fallen from `first` when that is what warns
    projected: Decimal | None  # the straight line's value on `recheck_before`, when that warns
    recheck_before: date  # the next ixazomib day
    recheck_day: CycleDay  # the same, as cycle and day

    @property
    def episode(self) -> str:
        """One warning per analyte and cycle, whatever runs twice."""
        return f"{self.analyte}:{self.cycle}"


def early_warning(
    *, analyte: str, start_date: Start, counts: Sequence[Count], hold_below: Decimal, today: date
) -> TrendWarning | None:
    """The warning the latest count gives, or None.

    The latest count (on a date with two, the lower) decides the cycle. None when it is already
    below ``hold_below`` (the label's hold alert speaks then), older than ``MAX_AGE_DAYS`` before
    ``today``, or before the regimen starts.
    ``recheck_before`` is the next ixazomib day after the latest count and not before ``today``.
    """
    if not counts:
        return None
    latest = min(counts, key=lambda c: (-c.on.toordinal(), c.value))
    cd = cycle_day(start_date, latest.on)
    if cd is None or latest.value < hold_below or (today - latest.on).days > MAX_AGE_DAYS:
        return None
    day1 = cycle_start_date(start_date, cd.cycle)
    window_start = day1 - timedelta(days=CYCLE_START_LAB_WINDOW_DAYS)
    series = sorted((c for c in counts if window_start <= c.on <= latest.on), key=lambda c: (c.on, c.value))
    before_day1 = [c for c in series if c.on <= day1]
    first = before_day1[-1] if before_day1 else series[0]
    after = max(latest.on, today - timedelta(days=1))
    recheck = next_dose_date(start_date, Drug.IXAZOMIB, after)

    fell_by: Decimal | None = None
    if first.value > 0 and first.on < latest.on:
        fraction = (first.value - latest.value) / first.value
        if fraction >= FALL_FRACTION:
            fell_by = fraction
    projected: Decimal | None = None
    earlier = [c for c in series if first.on <= c.on < latest.on]
    if earlier:
        previous = min((c for c in earlier if c.on == earlier[-1].on), key=lambda c: c.value)
        slope = (latest.value - previous.value) / (latest.on - previous.on).days
        line = latest.value + slope * (recheck - latest.on).days
        if slope < 0 and line < hold_below:
            projected = line
    if fell_by is None and projected is None:
        return None
    recheck_day = cycle_day(start_date, recheck)
    assert recheck_day is not None  # after the latest count, itself on or after the start
    return TrendWarning(analyte, cd.cycle, first, latest, fell_by, projected, recheck, recheck_day)
