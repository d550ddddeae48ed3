"""How often a patient on IRd needs a blood count, and when one is overdue.

Sources:

* Revlimid (lenalidomide) USPI §5.3 "Hematologic Toxicity", multiple myeloma: blood counts every
  7 days (weekly) for the first 2 cycles, on days 1 and 15 of cycle 3, and every 28 days (4 weeks)
  thereafter. [P]: the label's section was read in a public copy (120ty.net, Revlimid USPI §5.3,
  whose MCL sentence sits beside the MM one); the MM sentence itself was not retrieved verbatim,
  so the schedule is as reference.md and ``shared.regimen.lab_draw_days`` state it.
* NINLARO USPI §5.1: monitor platelet counts at least monthly, more often in the first three
  cycles (reference.md §1.4, [V]); the monthly floor above meets it.

Pure standard library; never reads the clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final

from shared.regimen import Start, cycle_day, cycle_start_date

__all__ = [
    "BLOOD_COUNT_ANALYTES",
    "STALE_GRACE_DAYS",
    "OverdueCount",
    "blood_count_interval_days",
    "blood_count_overdue",
]

#: What counts as a blood count here: the two values the label's gates and holds read.
BLOOD_COUNT_ANALYTES: Final[tuple[str, ...]] = ("anc", "platelets")

#: Days a count may come after its due day before it is called overdue. CareLoop's choice, not the
#: label's: a draw a day or two late (a weekend, a lab's hours) is ordinary and not worth an alert.
STALE_GRACE_DAYS: Final[int] = 2


def blood_count_interval_days(cycle: int) -> int:
    """The longest the Revlimid label lets pass between two counts in ``cycle`` (1-based): 7 in
    cycles 1-2, 14 in cycle 3 (days 1 and 15), 28 from cycle 4 on."""
    if cycle < 1:
        raise ValueError(f"cycle must be >= 1, got {cycle}")
    if cycle <= 2:
        return 7
    if cycle == 3:
        return 14
    return 28


@dataclass(frozen=True)
class OverdueCount:
    """A gap in the monitoring: ``last_on`` is the last count (None: none yet), and it names the
    gap, so a check that runs again finds the same gap until a new count closes it."""

    last_on: date | None
    due_on: date
    days_overdue: int  # days past due_on (grace included)
    interval_days: int


def blood_count_overdue(*, start_date: Start, last_on: date | None, since: date, today: date) -> OverdueCount | None:
    """Whether the patient's blood count is overdue on ``today`` (all local dates).

    The next count is due ``blood_count_interval_days`` after the last one, the interval being the
    one of the cycle the last count fell in (a count before cycle 1 counts as cycle 1's). With no
    count at all, one is due on ``since`` (the later of the regimen start and the day CareLoop
    began to follow the patient). It is overdue once ``today`` is more than ``STALE_GRACE_DAYS``
    past the due day; before the regimen starts nothing is due.
    """
    first_day = cycle_start_date(start_date, 1)  # later than the start when cycle 1 was delayed
    if today < first_day:
        return None
    if last_on is None:
        due = max(since, first_day)
        interval = blood_count_interval_days(_cycle_of(start_date, due))
    else:
        interval = blood_count_interval_days(_cycle_of(start_date, last_on))
        due = last_on + timedelta(days=interval)
    late = (today - due).days
    if late <= STALE_GRACE_DAYS:
        return None
    return OverdueCount(last_on=last_on, due_on=due, days_overdue=late, interval_days=interval)


def _cycle_of(start_date: Start, on: date) -> int:
    cd = cycle_day(start_date, on)
    return 1 if cd is None else cd.cycle
