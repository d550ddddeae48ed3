"""When the next myeloma response test is due: serum and urine protein electrophoresis and free
light chains (SPEP, UPEP, FLC), drawn at the start of a cycle.

IMWG practice, as the reference notes put it (../shared/clinical/imwg-and-codes.md, "Testing"):
the tests are repeated every cycle early on, then every one to three cycles in patients who
respond (Kumar et al., Lancet Oncol 2016; Rajkumar et al., Blood 2011 for response assessment
at each cycle in trials). CareLoop's default: every cycle for cycles 1-6, and every cycle for a
patient without a confirmed partial response or better; after that, every `every_cycles` cycles
(a clinic setting, 1 to 3; default 2). A test is overdue a week after its cycle's day 1.

Who may be tested less often (`may_space_tests`): a confirmed PR or better that still holds. Not
after a progression, confirmed or not (an unconfirmed PD is repeated soon to confirm or refute it:
Kumar 2016 asks for two consecutive assessments), and not where the free light chains are the only
measurable disease: the reference notes (imwg-and-codes.md, "Testing") keep FLC every cycle then.

A draw in the week before a day 1 stands for that day 1's draw: in the last week of a cycle for the
next cycle, and a baseline in the week before cycle 1 day 1 for cycle 1 (IMWG measures response
from the baseline, the last assessment on or before cycle 1 day 1, so drawing again on day 1 would
measure nothing). An older baseline asks for cycle 1's draw.

The patient is reminded `REMIND_DAYS_BEFORE` days before the day 1: the day before the cycle-start
blood draw (shared.reminders.GATE_DRAW_DAYS_BEFORE), because the urine test (UPEP) needs a 24-hour
urine collection, started the morning before the draw and brought to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from shared.regimen import Start, cycle_day, cycle_start_date
from shared.response import Category, ResponseSummary, Track

__all__ = [
    "DEFAULT_EVERY_CYCLES",
    "EARLY_CYCLES",
    "EVERY_CYCLES_CHOICES",
    "OVERDUE_AFTER",
    "REMIND_DAYS_BEFORE",
    "NextTest",
    "may_space_tests",
    "next_test",
    "reminder_day",
]

EARLY_CYCLES = 6  # every cycle while the response settles
EVERY_CYCLES_CHOICES = (1, 2, 3)
DEFAULT_EVERY_CYCLES = 2
OVERDUE_AFTER = timedelta(days=7)  # drawn around day 1: a week's leeway either side
COUNTS_FOR_NEXT = timedelta(days=7)  # a draw this close before a day 1 is that day 1's draw
REMIND_DAYS_BEFORE = 2  # the day before the day-before-day-1 blood draw: a 24-hour urine collection


@dataclass(frozen=True)
class NextTest:
    cycle: int
    due: date
    overdue: bool


def may_space_tests(summary: ResponseSummary) -> bool:
    """Whether the clinic's longer interval applies after cycle 6 (module docstring): `responded`
    for `next_test`."""
    current = summary.current
    return (
        summary.response_ongoing
        and current is not None
        and current.category is not Category.PD
        and summary.measurable.by is not Track.FLC
    )


def next_test(
    *, start: Start, last_test: date | None, responded: bool, today: date, every_cycles: int = DEFAULT_EVERY_CYCLES
) -> NextTest:
    """The cycle whose day 1 the next SPEP/UPEP/FLC draw belongs to, its date, and whether it is
    overdue on `today`. `last_test`: the last day any of them was drawn (a baseline drawn more
    than a week before cycle 1 counts as cycle 0); `responded`: a confirmed PR or better that
    holds (`may_space_tests`)."""
    if every_cycles not in EVERY_CYCLES_CHOICES:
        raise ValueError(f"every_cycles must be one of {EVERY_CYCLES_CHOICES}")
    # A draw in the week before a day 1 stands for that day 1's (module docstring): a week later
    # it lies in that very cycle.
    position = cycle_day(start, last_test + COUNTS_FOR_NEXT) if last_test is not None else None
    last_cycle = 0 if position is None else position.cycle
    following = last_cycle + 1
    if responded and following > EARLY_CYCLES:
        following = last_cycle + every_cycles
    due = cycle_start_date(start, max(following, 1))
    return NextTest(max(following, 1), due, today > due + OVERDUE_AFTER)


def reminder_day(test: NextTest) -> date:
    """The local day the patient is reminded of `test` (module docstring)."""
    return test.due - timedelta(days=REMIND_DAYS_BEFORE)
