"""Relative dose intensity (RDI) per drug and cycle: delivered ÷ planned.

Planned is the starting (prescribed) dose on every scheduled day of the cycle (ixazomib days 1,
8, 15; lenalidomide days 1-21; `shared.regimen`); delivered is the dose in force that day (from
the dose history) on the days the patient logged it taken. A hold or a reduction lowers the RDI;
a delayed cycle starts later and does not count. Preserving dose intensity is why side effects
are managed early (issue 13 §5).

The usual definition (delivered ÷ planned dose intensity, both over the same period) follows
Hryniuk W, Bush H. J Clin Oncol 1984;2:1281-8.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from shared.regimen import CYCLE_LENGTH_DAYS, Drug, Start, cycle_start_date, drugs_due

__all__ = ["CycleIntensity", "cycle_intensity"]


@dataclass(frozen=True)
class CycleIntensity:
    drug: Drug
    cycle: int
    planned_mg: Decimal
    delivered_mg: Decimal
    days_scheduled: int  # scheduled days already past (up to `until`)

    @property
    def rdi(self) -> Decimal | None:
        """Delivered ÷ planned, to 0.01; None before any scheduled day has passed."""
        if self.planned_mg == 0:
            return None
        return (self.delivered_mg / self.planned_mg).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def cycle_intensity(
    *,
    drug: Drug,
    cycle: int,
    start_date: Start,
    planned_mg: Decimal,
    dose_on: Callable[[date], Decimal],
    taken_days: Collection[date],
    until: date,
) -> CycleIntensity:
    """RDI of `drug` in `cycle`, counting scheduled days up to and including `until`.

    `dose_on(day)` is the dose in force that day (0 when stopped or on hold); `taken_days` the
    local dates the patient logged the drug as taken.
    """
    if cycle < 1:
        raise ValueError(f"cycle must be >= 1, got {cycle}")
    first = cycle_start_date(start_date, cycle)
    planned = Decimal(0)
    delivered = Decimal(0)
    scheduled = 0
    for offset in range(CYCLE_LENGTH_DAYS):
        day = first + timedelta(days=offset)
        if day > until:
            break
        if drug not in drugs_due(start_date, day):
            continue
        scheduled += 1
        planned += planned_mg
        if day in taken_days:
            delivered += dose_on(day)
    return CycleIntensity(drug, cycle, planned, delivered, scheduled)
