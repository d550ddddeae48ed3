"""Reminder plans: what a patient on IRd is reminded of, and when, on their own wall clock.

A `ReminderPlan` holds wall-clock times (antiviral prophylaxis, ixazomib, lenalidomide,
dexamethasone, blood draws). `occurrences()` turns it into dated `Occurrence`s for a window of
real time, in the patient's IANA zone, from the IRd calendar of `shared.regimen`.

Design rules (as for the rest of `shared/`): standard library only, never reads the clock, one
domain exception (`ReminderPlanError`).

Time zones and DST
    Times are wall-clock in the patient's zone and are turned into instants with `zoneinfo`.
    A wall time that does not exist (the spring-forward gap) is moved forward past the gap by
    the gap's length (02:30 on a night that jumps 02:00 → 03:00 fires at 03:30); an ambiguous
    one (the fall-back hour) means its first occurrence (PEP 495 `fold=0`). Both are what
    `datetime.combine(day, t, tzinfo=zone)` means, taken through UTC.

Occurrence keys, and why they are what they are
    A key names a dose, not an instant: `"<kind>:<local date>"` for the once-a-day kinds
    (ixazomib, lenalidomide, dexamethasone, lab_draw) and `"antiviral:<local date>:<HH:MM>"`
    for antiviral doses, which may come several times a day. A server keeps one reminder per
    key, so:

    * a patient who moves to another zone keeps their wall-clock times, and the day that was
      already reminded in the old zone is not reminded again in the new one (same local date,
      same key), while the days still ahead simply get the new zone's instants: no duplicate,
      no missed day;
    * changing an IRd drug's time on a day whose reminder already went out does not remind twice
      for the same dose. Doubling an ixazomib or lenalidomide dose is the harm to avoid; a
      duplicate antiviral reminder after a same-day time change is the accepted cost of keying
      antiviral doses by their time.

Ixazomib and dexamethasone
    Ixazomib is taken on an empty stomach (at least 1 hour before or 2 hours after food), and
    dexamethasone with food, so the label says not to take them together (NINLARO USPI §2.1).
    Both fall on days 1, 8 and 15, so a plan whose ixazomib time is less than 1 hour before or
    less than 2 hours after its dexamethasone time is refused (`ReminderPlanError` on
    `ixazomib_time`) rather than silently moved: the patient or nurse picks the times, CareLoop
    says why a pair cannot work. The defaults (ixazomib at bedtime, dexamethasone with
    breakfast) are the phone's defaults (`mobile/reminders.py`).

Blood draws
    * The cycle-start gate (NINLARO USPI §2.2: ANC and platelets are checked before day 1 of a
      cycle): the day before each day 1 (`GATE_DRAW_DAYS_BEFORE`), so the result is back before
      the first dose of the cycle. Cycle 1 included: the baseline count before treatment starts.
    * Revlimid's own monitoring (Revlimid USPI §5.3, `shared.regimen.REVLIMID_CBC_DAYS`): weekly
      in cycles 1-2 (days 8, 15, 22) and day 15 of cycle 3 ("monitoring"), with the default
      `nadir_draw_cycles` of 3 (0: day-1 draws only, for a team that orders counts itself).
    * The platelet nadir (NINLARO USPI §5.1: nadir on days 14-21): day 15 of cycles 4 to
      `nadir_draw_cycles` when a clinic sets it above 3 ("nadir").

Myeloma response tests
    SPEP, UPEP and free light chains (shared.response_tests): one reminder per due test, on
    `response_tests.reminder_day` (two days before its day 1, so a 24-hour urine collection can
    start the morning before the cycle-start draw) at the blood-draw time, keyed
    `"response_test:<local date>"`. The caller says which test is next (`NextTest`): it comes from
    the patient's markers, which this module does not see.

These are reminders, not prescribing decisions: the treating team's instructions win.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from types import MappingProxyType
from typing import Final
from zoneinfo import ZoneInfo

from shared import regimen, rems, response_tests

__all__ = [
    "DEFAULT_ANTIVIRAL_TIMES",
    "FOOD_RULES",
    "GATE_DRAW_DAYS_BEFORE",
    "IXAZOMIB_AFTER_FOOD",
    "IXAZOMIB_BEFORE_FOOD",
    "MAX_ANTIVIRAL_TIMES",
    "MAX_NADIR_DRAW_CYCLES",
    "LabDraw",
    "Occurrence",
    "ReminderKind",
    "ReminderPlan",
    "ReminderPlanError",
    "format_day",
    "format_wall_time",
    "lab_draws",
    "local_instant",
    "occurrences",
    "parse_wall_time",
    "response_test_text",
]


class ReminderKind(StrEnum):
    ANTIVIRAL = "antiviral"
    IXAZOMIB = "ixazomib"
    LENALIDOMIDE = "lenalidomide"
    DEXAMETHASONE = "dexamethasone"
    LAB_DRAW = "lab_draw"
    REMS = "rems"  # lenalidomide REMS: pregnancy test, birth control, survey, no donation (shared.rems)
    RESPONSE_TEST = "response_test"  # SPEP, UPEP and free light chains (shared.response_tests)


#: The order occurrences at the same instant are listed in (the IRd display order, then the rest).
_KIND_ORDER: Final[MappingProxyType[ReminderKind, int]] = MappingProxyType(
    {kind: index for index, kind in enumerate(ReminderKind)}
)

#: NINLARO USPI §2.1: ixazomib at least 1 hour before or at least 2 hours after food.
IXAZOMIB_BEFORE_FOOD: Final[timedelta] = timedelta(hours=1)
IXAZOMIB_AFTER_FOOD: Final[timedelta] = timedelta(hours=2)

#: What a reminder says about food, in plain words (the long forms: `regimen.IRD_SCHEDULE`).
FOOD_RULES: Final[MappingProxyType[ReminderKind, str]] = MappingProxyType(
    {
        ReminderKind.IXAZOMIB: (
            "Take on an empty stomach: at least 1 hour before or 2 hours after food. "
            "Not at the same time as dexamethasone."
        ),
        ReminderKind.LENALIDOMIDE: "With or without food, at about the same time each day.",
        ReminderKind.DEXAMETHASONE: "Take with food.",
        ReminderKind.ANTIVIRAL: "Take it as prescribed, every day, also between cycles.",
    }
)
_DEXAMETHASONE_WITH_IXAZOMIB: Final = "Take with food, not at the same time as ixazomib."

#: The gate draw is this many days before day 1 of each cycle.
GATE_DRAW_DAYS_BEFORE: Final[int] = 1
MAX_ANTIVIRAL_TIMES: Final[int] = 4
MAX_NADIR_DRAW_CYCLES: Final[int] = 24
#: A clinic that sets no antiviral times gets these (acyclovir twice daily).
DEFAULT_ANTIVIRAL_TIMES: Final[tuple[time, ...]] = (time(8, 0), time(20, 0))

_TITLES: Final[MappingProxyType[ReminderKind, str]] = MappingProxyType(
    {
        ReminderKind.IXAZOMIB: "Time for your ixazomib (NINLARO)",
        ReminderKind.LENALIDOMIDE: "Time for your lenalidomide",
        ReminderKind.DEXAMETHASONE: "Time for your dexamethasone",
        ReminderKind.ANTIVIRAL: "Time for your antiviral",
        ReminderKind.LAB_DRAW: "Blood test today",
        ReminderKind.REMS: "Treatment program",  # each REMS reminder has its own title (shared.rems)
        ReminderKind.RESPONSE_TEST: "Myeloma tests due",
    }
)


class ReminderPlanError(ValueError):
    """A plan that cannot work; `field` names the plan field to fix."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def parse_wall_time(text: str, field: str = "time") -> time:
    """'HH:MM' (24-hour) → a naive time; ReminderPlanError otherwise."""
    if not isinstance(text, str) or len(text) != 5 or text[2] != ":":
        raise ReminderPlanError(field, f"Use a 24-hour time such as 08:00, not {str(text)[:20]!r}.")
    try:
        value = time.fromisoformat(text)
    except ValueError:
        raise ReminderPlanError(field, f"Use a 24-hour time such as 08:00, not {text!r}.") from None
    return value


def format_wall_time(value: time) -> str:
    return f"{value:%H:%M}"


def format_day(on: date) -> str:
    """'Sun 8 Mar': English, independent of the process locale (as shared.regimen's texts)."""
    return f"{regimen._WEEKDAYS[on.weekday()]} {on.day} {regimen._MONTHS[on.month - 1]}"


def _minutes(value: time) -> int:
    return value.hour * 60 + value.minute


@dataclass(frozen=True)
class ReminderPlan:
    """Wall-clock reminder times for one patient, valid by construction.

    `antiviral_times` is kept sorted; an empty tuple means no antiviral reminders.
    `nadir_draw_cycles` is how many first cycles get a day-14 blood draw (0 for none).
    """

    antiviral_times: tuple[time, ...] = DEFAULT_ANTIVIRAL_TIMES
    ixazomib_time: time = time(22, 0)
    lenalidomide_time: time = time(9, 0)
    dexamethasone_time: time = time(9, 0)
    lab_draw_time: time = time(8, 0)
    nadir_draw_cycles: int = regimen.LAB_DRAW_NADIR_CYCLES
    antiviral_drug: str = field(default="")

    def __post_init__(self) -> None:
        named = {
            "ixazomib_time": self.ixazomib_time,
            "lenalidomide_time": self.lenalidomide_time,
            "dexamethasone_time": self.dexamethasone_time,
            "lab_draw_time": self.lab_draw_time,
        }
        for name, value in named.items():
            _check_wall_time(name, value)
        times = tuple(self.antiviral_times)
        for value in times:
            _check_wall_time("antiviral_times", value)
        if len(set(times)) != len(times):
            raise ReminderPlanError("antiviral_times", "The same time is listed twice.")
        if len(times) > MAX_ANTIVIRAL_TIMES:
            raise ReminderPlanError("antiviral_times", f"At most {MAX_ANTIVIRAL_TIMES} times a day.")
        object.__setattr__(self, "antiviral_times", tuple(sorted(times)))
        if isinstance(self.nadir_draw_cycles, bool) or not isinstance(self.nadir_draw_cycles, int):
            raise ReminderPlanError("nadir_draw_cycles", "Must be a whole number of cycles.")
        if not 0 <= self.nadir_draw_cycles <= MAX_NADIR_DRAW_CYCLES:
            raise ReminderPlanError("nadir_draw_cycles", f"Must be between 0 and {MAX_NADIR_DRAW_CYCLES}.")
        # Same day (days 1, 8, 15), so a plain difference of wall-clock minutes is the gap.
        gap = _minutes(self.ixazomib_time) - _minutes(self.dexamethasone_time)
        before_food = int(IXAZOMIB_BEFORE_FOOD.total_seconds() // 60)
        after_food = int(IXAZOMIB_AFTER_FOOD.total_seconds() // 60)
        if -before_food < gap < after_food:
            raise ReminderPlanError(
                "ixazomib_time",
                "Ixazomib is taken on an empty stomach and dexamethasone with food, so they cannot be "
                "taken together: set ixazomib at least 1 hour before or 2 hours after dexamethasone "
                f"(now {format_wall_time(self.ixazomib_time)} and {format_wall_time(self.dexamethasone_time)}).",
            )


def _check_wall_time(name: str, value: object) -> None:
    if not isinstance(value, time):
        raise ReminderPlanError(name, "Must be a time of day.")
    if value.tzinfo is not None:
        raise ReminderPlanError(name, "Must be a wall-clock time without a zone.")
    if value.second or value.microsecond:
        raise ReminderPlanError(name, "Whole minutes only (e.g. 08:00).")


@dataclass(frozen=True)
class Occurrence:
    """One reminder: what, on which local day, at which planned wall time, and when in real time."""

    kind: ReminderKind
    local_date: date
    wall_time: time  # as planned; `local_due` differs from it only inside a spring-forward gap
    due_at: datetime  # aware, UTC
    local_due: datetime  # aware, in the patient's zone
    key: str
    title: str
    text: str
    cycle: int | None  # position of local_date in the regimen (None before the start date)
    day: int | None


@dataclass(frozen=True)
class LabDraw:
    on: date
    cycle: int  # the cycle the draw is for
    reason: str  # "cycle_start", "monitoring" or "nadir"


def local_instant(on: date, at: time, zone: ZoneInfo) -> datetime:
    """The real instant (UTC) of wall time `at` on `on` in `zone`: a nonexistent time moves past
    the gap, an ambiguous one is its first occurrence."""
    if at.tzinfo is not None:
        raise ValueError("at must be a naive wall-clock time")
    return datetime.combine(on, at.replace(fold=0), tzinfo=zone).astimezone(UTC)


def lab_draws(start_date: regimen.Start, first: date, last: date, nadir_draw_cycles: int) -> list[LabDraw]:
    """Blood-draw days in `first..last` (inclusive), in date order (see the module docstring).

    "cycle_start": the day before each day 1. In cycles 1..`nadir_draw_cycles` (default 3) also
    "monitoring": Revlimid's own schedule (`regimen.lab_draw_days`: weekly in cycles 1-2, day 15
    of cycle 3), and "nadir": day 15 of any later cycle the clinic adds. 0: day-1 draws only, for
    a team that orders the counts itself.
    """
    found: list[LabDraw] = []
    nadir_day = regimen.REVLIMID_CBC_DAYS[3][-1]
    day = first
    while day <= last:
        upcoming = regimen.cycle_day(start_date, day + timedelta(days=GATE_DRAW_DAYS_BEFORE))
        if upcoming is not None and upcoming.day == 1:
            found.append(LabDraw(day, upcoming.cycle, "cycle_start"))
        here = regimen.cycle_day(start_date, day)
        if here is not None and here.day != 1 and here.cycle <= nadir_draw_cycles:
            if here.cycle in regimen.REVLIMID_CBC_DAYS:
                if here.day in regimen.lab_draw_days(here.cycle):
                    found.append(LabDraw(day, here.cycle, "monitoring"))
            elif here.day == nadir_day:
                found.append(LabDraw(day, here.cycle, "nadir"))
        day += timedelta(days=1)
    return found


def _lab_text(draw: LabDraw) -> str:
    if draw.reason == "cycle_start":
        return (
            f"Blood count before cycle {draw.cycle}: your care team checks it before day 1 "
            f"{'of treatment' if draw.cycle == 1 else 'of the next cycle'}."
        )
    if draw.reason == "monitoring":
        return (
            f"Blood count in cycle {draw.cycle}: in the first cycles your care team checks your "
            "counts often, as the lenalidomide label asks."
        )
    first, last = regimen.NADIR_WINDOW_DAYS
    return (
        f"Blood count in cycle {draw.cycle}: counts are usually lowest on days "
        f"{first}-{last}, so your care team checks them now."
    )


def response_test_text(test: response_tests.NextTest) -> str:
    """What the response-test reminder says: which tests, with which draw, and the urine collection."""
    return (
        f"Your myeloma tests (M-protein and free light chains) are due with tomorrow's blood test, before "
        f"cycle {test.cycle} starts on {format_day(test.due)}. If your care team asked for a 24-hour urine "
        "sample, start collecting it today."
    )


def _antiviral_text(plan: ReminderPlan) -> str:
    drug = plan.antiviral_drug.strip()
    if not drug:
        return FOOD_RULES[ReminderKind.ANTIVIRAL]
    return f"Take your {drug} as prescribed, every day, also between cycles."


def _drug_time(plan: ReminderPlan, kind: ReminderKind) -> time:
    return {
        ReminderKind.IXAZOMIB: plan.ixazomib_time,
        ReminderKind.LENALIDOMIDE: plan.lenalidomide_time,
        ReminderKind.DEXAMETHASONE: plan.dexamethasone_time,
    }[kind]


def occurrences(
    plan: ReminderPlan,
    start_date: regimen.Start,
    zone: ZoneInfo,
    window_start: datetime,
    window_end: datetime,
    stopped: frozenset[regimen.Drug] = frozenset(),
    rems_profile: rems.RemsProfile | None = None,
    response_test: response_tests.NextTest | None = None,
) -> list[Occurrence]:
    """Every reminder whose real time is in `[window_start, window_end)`, in time order.

    Both bounds must be timezone-aware. Antiviral reminders run every day from `start_date`; the IRd
    drugs follow `regimen.drugs_due`, less the `stopped` ones (the care team stopped them);
    blood draws follow `lab_draws`. With a `rems_profile`, the lenalidomide REMS reminders
    (`shared.rems`) come at the blood-draw time, keyed `"rems:<what>:<local date>"`. With a
    `response_test` (the patient's next SPEP/UPEP/FLC draw), its reminder comes at the blood-draw
    time on `response_tests.reminder_day`.
    """
    for name, bound in (("window_start", window_start), ("window_end", window_end)):
        if bound.tzinfo is None or bound.utcoffset() is None:
            raise ValueError(f"{name} must be a timezone-aware datetime")
    if window_end <= window_start:
        return []
    # One day either side: a local day's instants can fall outside its UTC date by up to 26 h.
    first = window_start.astimezone(zone).date() - timedelta(days=1)
    last = window_end.astimezone(zone).date() + timedelta(days=1)
    draws = {draw.on: draw for draw in lab_draws(start_date, first, last, plan.nadir_draw_cycles)}
    program: dict[date, list[rems.RemsReminder]] = {}
    if rems_profile is not None:
        for item in rems.rems_reminders(
            start_date=regimen.cycle_start_date(start_date, 1),
            first=first,
            last=last,
            can_become_pregnant=rems_profile.can_become_pregnant,
            last_dose=rems_profile.last_dose,
        ):
            program.setdefault(item.on, []).append(item)
    found: list[Occurrence] = []
    day = first
    while day <= last:
        position = regimen.cycle_day(start_date, day)
        due = tuple(d for d in regimen.drugs_due(start_date, day) if d not in stopped)
        planned: list[tuple[ReminderKind, time, str, str]] = []  # kind, wall time, key, text
        if position is not None:
            for at in plan.antiviral_times:
                key = f"antiviral:{day.isoformat()}:{format_wall_time(at)}"
                planned.append((ReminderKind.ANTIVIRAL, at, key, _antiviral_text(plan)))
        for drug in due:
            kind = ReminderKind(drug.value)
            text = FOOD_RULES[kind]
            if kind is ReminderKind.DEXAMETHASONE and regimen.Drug.IXAZOMIB in due:
                text = _DEXAMETHASONE_WITH_IXAZOMIB
            planned.append((kind, _drug_time(plan, kind), f"{kind.value}:{day.isoformat()}", text))
        draw = draws.get(day)
        if draw is not None:
            planned.append((ReminderKind.LAB_DRAW, plan.lab_draw_time, f"lab_draw:{day.isoformat()}", _lab_text(draw)))
        if response_test is not None and response_tests.reminder_day(response_test) == day:
            key = f"{ReminderKind.RESPONSE_TEST.value}:{day.isoformat()}"
            planned.append((ReminderKind.RESPONSE_TEST, plan.lab_draw_time, key, response_test_text(response_test)))
        titles = {}
        for item in program.get(day, []):
            key = f"rems:{item.kind.value}:{day.isoformat()}"
            planned.append((ReminderKind.REMS, plan.lab_draw_time, key, item.text))
            titles[key] = item.title
        for kind, at, key, text in planned:
            due_at = local_instant(day, at, zone)
            if window_start <= due_at < window_end:
                found.append(
                    Occurrence(
                        kind=kind,
                        local_date=day,
                        wall_time=at,
                        due_at=due_at,
                        local_due=due_at.astimezone(zone),
                        key=key,
                        title=titles.get(key, _TITLES[kind]),
                        text=text,
                        cycle=position.cycle if position else None,
                        day=position.day if position else None,
                    )
                )
        day += timedelta(days=1)
    return sorted(found, key=lambda o: (o.due_at, _KIND_ORDER[o.kind], o.key))
