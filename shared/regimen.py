"""IRd regimen rules: schedule arithmetic, missed-dose advice, dose ladders, lab gates.

IRd = ixazomib (NINLARO) + lenalidomide (Revlimid) + dexamethasone, in 28-day
cycles, for multiple myeloma.

Design rules for this module:

* Pure Python 3.11 standard library. It is shared by the Django server, the
  Celery workers and the Kivy phone app, so it must never import Django,
  REST framework, Celery or Kivy.
* All clinical data is held in module-level constants and frozen dataclasses,
  each carrying its source.
* It never reads the clock: every function takes the relevant dates/datetimes
  as arguments, so results are reproducible and testable.

Sources: NINLARO (ixazomib) US prescribing information ("NINLARO USPI"),
section 2 "Dosage and Administration" (§2.1 regimen, administration, missed
doses and antiviral prophylaxis; §2.2 criteria for starting a new cycle; §2.4
dose reduction steps) and §5.1 (thrombocytopenia, platelet nadir). Facts taken
from the Revlimid (lenalidomide) USPI and not re-checked against it are marked
"[U] Revlimid USPI" (unverified).

Cycle arithmetic: cycle N starts ``(N - 1) * 28`` days after cycle 1 day 1, plus
every delay the care team recorded for cycles 1..N (a failed cycle-start gate,
NINLARO USPI §2.2). Every function taking ``start`` accepts either the plain
start date (no delays) or a ``Calendar`` (start date and delays). While a cycle
is delayed the previous one runs on past day 28 ("cycle 2, day 31"): no IRd
drug is due on those days and they are not in the nadir window.

These are reminders for patients and carers, not prescribing decisions: the
treating team's instructions always win.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType
from typing import Final
from zoneinfo import ZoneInfo

__all__ = [
    "ANTIVIRAL_PROPHYLAXIS",
    "CYCLE_LENGTH_DAYS",
    "CYCLE_START_MAX_PLAUSIBLE_ANC",
    "CYCLE_START_MAX_PLAUSIBLE_PLATELETS",
    "CYCLE_START_MIN_ANC",
    "CYCLE_START_MIN_PLATELETS",
    "IRD_SCHEDULE",
    "IXAZOMIB_DOSE_LEVELS_MG",
    "IXAZOMIB_MISSED_DOSE_MIN_GAP",
    "LAB_DRAW_NADIR_CYCLES",
    "LENALIDOMIDE_DOSE_LEVELS_MG",
    "NADIR_WINDOW_DAYS",
    "REVLIMID_CBC_DAYS",
    "Calendar",
    "CycleDay",
    "Drug",
    "DrugSchedule",
    "GateResult",
    "MissedDoseAdvice",
    "Start",
    "calendar_from_delays",
    "calendar_from_json",
    "cycle_day",
    "cycle_start_date",
    "cycle_start_gate",
    "drugs_due",
    "is_in_nadir_window",
    "ixazomib_missed_dose_advice",
    "lab_draw_days",
    "next_cycle_start",
    "next_dose_date",
    "next_lower_dose",
    "scheduled_dates",
    "stopped_drugs",
]

# ---------------------------------------------------------------------------
# Regimen
# ---------------------------------------------------------------------------

#: NINLARO USPI §2.1: IRd is given in 28-day cycles.
CYCLE_LENGTH_DAYS: Final[int] = 28


class Drug(StrEnum):
    IXAZOMIB = "ixazomib"
    LENALIDOMIDE = "lenalidomide"
    DEXAMETHASONE = "dexamethasone"
    ANTIVIRAL = "antiviral"  # acyclovir / valacyclovir prophylaxis


@dataclass(frozen=True)
class DrugSchedule:
    """On which days of each 28-day cycle a drug is taken, and how."""

    drug: Drug
    days: frozenset[int]
    food_rule: str
    source: str

    def __post_init__(self) -> None:
        if not self.days:
            raise ValueError(f"{self.drug}: a schedule needs at least one day")
        if not all(1 <= d <= CYCLE_LENGTH_DAYS for d in self.days):
            raise ValueError(f"{self.drug}: cycle days must be within 1..28")


#: The cycle-bound IRd drugs, in display order. Days 23-28 carry no IRd drug.
IRD_SCHEDULE: Final[tuple[DrugSchedule, ...]] = (
    DrugSchedule(
        drug=Drug.IXAZOMIB,
        days=frozenset({1, 8, 15}),
        food_rule=(
            "Empty stomach: at least 1 hour before or at least 2 hours after "
            "food. Swallow the capsule whole with water. Do not take it at the "
            "same time as dexamethasone."
        ),
        source="NINLARO USPI §2.1: 4 mg orally on days 1, 8 and 15",
    ),
    DrugSchedule(
        drug=Drug.LENALIDOMIDE,
        days=frozenset(range(1, 22)),
        # [U] Revlimid USPI: with or without food, about the same time daily.
        food_rule="With or without food, at about the same time each day.",
        source=("NINLARO USPI §2.1: 25 mg daily on days 1-21; food rule [U] Revlimid USPI"),
    ),
    DrugSchedule(
        drug=Drug.DEXAMETHASONE,
        days=frozenset({1, 8, 15, 22}),
        food_rule="With food. Not at the same time as ixazomib.",
        source="NINLARO USPI §2.1: 40 mg on days 1, 8, 15 and 22",
    ),
)

#: Antiviral prophylaxis is daily for the whole of therapy, not cycle-bound,
#: so it is kept out of IRD_SCHEDULE (and out of drugs_due()). It is modelled
#: as "every cycle day" so the date helpers below work for it too.
ANTIVIRAL_PROPHYLAXIS: Final[DrugSchedule] = DrugSchedule(
    drug=Drug.ANTIVIRAL,
    days=frozenset(range(1, CYCLE_LENGTH_DAYS + 1)),
    food_rule="As prescribed (acyclovir or valacyclovir), every day.",
    source=("NINLARO USPI §2.1: consider antiviral prophylaxis to decrease the risk of herpes zoster reactivation"),
)

_SCHEDULES: Final[MappingProxyType[Drug, DrugSchedule]] = MappingProxyType(
    {s.drug: s for s in (*IRD_SCHEDULE, ANTIVIRAL_PROPHYLAXIS)}
)


@dataclass(frozen=True)
class CycleDay:
    """Position of a calendar date in the regimen: cycle >= 1, day >= 1.

    Day is 1..28, or beyond 28 while the next cycle is delayed (Calendar)."""

    cycle: int
    day: int

    def __post_init__(self) -> None:
        if self.cycle < 1:
            raise ValueError(f"cycle must be >= 1, got {self.cycle}")
        if self.day < 1:
            raise ValueError(f"day must be >= 1, got {self.day}")


@dataclass(frozen=True)
class Calendar:
    """A patient's IRd calendar: cycle 1 day 1 as planned, and the care team's cycle delays.

    ``delays`` holds (cycle, days) pairs: day 1 of that cycle, and of every later one, moves
    ``days`` later. Built with ``calendar_from_delays`` (which merges and sorts them); the
    constructor checks the pairs are sorted, unique and positive.
    """

    start: date
    delays: tuple[tuple[int, int], ...] = ()

    def __post_init__(self) -> None:
        cycles = [c for c, _ in self.delays]
        if any(c < 1 for c in cycles) or any(d < 1 for _, d in self.delays):
            raise ValueError("cycle delays need a cycle >= 1 and days >= 1")
        if cycles != sorted(set(cycles)):
            raise ValueError("cycle delays must be sorted by cycle, one entry per cycle")

    @property
    def first_day(self) -> date:
        """Cycle 1 day 1 (the start date, later if cycle 1 itself was delayed)."""
        return self.cycle_start(1)

    def cycle_start(self, cycle: int) -> date:
        if cycle < 1:
            raise ValueError(f"cycle must be >= 1, got {cycle}")
        shift = sum(days for c, days in self.delays if c <= cycle)
        return _as_date(self.start) + timedelta(days=(cycle - 1) * CYCLE_LENGTH_DAYS + shift)

    def position(self, on: date) -> CycleDay | None:
        """Cycle and day of ``on``; None before cycle 1 day 1."""
        on = _as_date(on)
        if not self.delays:
            return _plain_position(self.start, on)
        cycle = 1
        shift = 0  # the delays of cycles <= cycle
        for delayed, days in self.delays:
            if delayed == 1:
                shift += days
                continue
            day1 = self.cycle_start(delayed)
            if on < day1:
                break
            cycle, shift = delayed, shift + days
        offset = (on - _as_date(self.start)).days - shift - (cycle - 1) * CYCLE_LENGTH_DAYS
        if offset < 0:
            return None  # only before cycle 1: a later cycle is entered only once on >= its day 1
        # Whole cycles after `cycle`, up to the next delayed one (whose day 1 `on` is before).
        following = [c for c, _ in self.delays if c > cycle]
        last_cycle = following[0] - 1 if following else None
        extra = offset // CYCLE_LENGTH_DAYS
        if last_cycle is not None:
            extra = min(extra, last_cycle - cycle)
        cycle += extra
        return CycleDay(cycle=cycle, day=offset - extra * CYCLE_LENGTH_DAYS + 1)

    def total_delay(self) -> int:
        return sum(days for _, days in self.delays)


#: What the functions below take as the regimen's start: a plain date (no delays) or a Calendar.
Start = date | Calendar


def calendar_from_delays(start: date, delays: Iterable[tuple[date, int]]) -> Calendar:
    """The calendar after the care team's "delay the next cycle" decisions, in the order made.

    Each decision is (the patient's local date it was made, days). It delays the cycle whose day 1
    (as the calendar stood then) is on or after that date: the cycle about to start, or the one
    already delayed when it is delayed again. A decision made on a day 1 delays that very cycle.
    """
    calendar = Calendar(_as_date(start))
    for made_on, days in delays:
        if days < 1:
            raise ValueError(f"a cycle delay needs days >= 1, got {days}")
        cycle = next_cycle_start(calendar, made_on).cycle
        merged = dict(calendar.delays)
        merged[cycle] = merged.get(cycle, 0) + days
        calendar = Calendar(calendar.start, tuple(sorted(merged.items())))
    return calendar


def calendar_from_json(start: date, raw: object) -> Calendar:
    """The calendar the sync answer's ``regimen`` describes: its ``start_date`` and its
    ``cycle_delays`` (``[{"cycle": 3, "delay_days": 7}, ...]``). An entry that is not a positive
    whole cycle and number of days is left out; a missing list means no delays (an older server)."""
    merged: dict[int, int] = {}
    for item in raw if isinstance(raw, list) else ():
        if not isinstance(item, Mapping):
            continue
        cycle, days = item.get("cycle"), item.get("delay_days")
        if type(cycle) is int and type(days) is int and cycle >= 1 and days >= 1:
            merged[cycle] = merged.get(cycle, 0) + days
    return Calendar(_as_date(start), tuple(sorted(merged.items())))


def _calendar(start: Start) -> Calendar:
    return start if isinstance(start, Calendar) else Calendar(_as_date(start))


def cycle_day(start_date: Start, on: date) -> CycleDay | None:
    """Cycle and day of ``on`` for a regimen whose cycle 1 day 1 is ``start_date`` (with its
    delays, if a Calendar). Returns None for dates before cycle 1 day 1.
    """
    if isinstance(start_date, Calendar):
        return start_date.position(on)
    return _plain_position(_as_date(start_date), _as_date(on))  # the common case, without a Calendar


def _plain_position(start: date, on: date) -> CycleDay | None:
    offset = (on - start).days
    if offset < 0:
        return None
    cycle, day_index = divmod(offset, CYCLE_LENGTH_DAYS)
    return CycleDay(cycle=cycle + 1, day=day_index + 1)


def drugs_due(start_date: Start, on: date) -> tuple[Drug, ...]:
    """IRd drugs due on ``on``, in IRD_SCHEDULE order; () before the start.

    Daily antiviral prophylaxis is not included (it is not cycle-bound).
    """
    cd = cycle_day(start_date, on)
    if cd is None:
        return ()
    return tuple(s.drug for s in IRD_SCHEDULE if cd.day in s.days)


def cycle_start_date(start_date: Start, cycle: int) -> date:
    """Calendar date of day 1 of ``cycle`` (1-based), after the calendar's delays."""
    return _calendar(start_date).cycle_start(cycle)


def next_cycle_start(start_date: Start, on: date) -> CycleDay:
    """The next day 1 on or after ``on``, as a cycle number (its day is always 1).

    Before the start it is cycle 1; on a day 1 it is that very cycle. The date
    is ``cycle_start_date(start_date, result.cycle)``.
    """
    cd = cycle_day(start_date, on)
    if cd is None:
        return CycleDay(cycle=1, day=1)
    return CycleDay(cycle=cd.cycle if cd.day == 1 else cd.cycle + 1, day=1)


#: NINLARO USPI §5.1: platelet nadirs typically occur on days 14-21 of each
#: 28-day cycle (inclusive), recovering by the start of the next cycle.
NADIR_WINDOW_DAYS: Final[tuple[int, int]] = (14, 21)


def is_in_nadir_window(start_date: Start, on: date) -> bool:
    """True on days 14..21 (inclusive) of any cycle; False before the start and in a delay."""
    cd = cycle_day(start_date, on)
    if cd is None:
        return False
    first, last = NADIR_WINDOW_DAYS
    return first <= cd.day <= last


def next_dose_date(start_date: Start, drug: Drug, after: date) -> date:
    """First scheduled date of ``drug`` strictly after ``after`` (and >= cycle 1 day 1)."""
    schedule = _schedule_for(drug)
    start = _calendar(start_date)
    candidate = max(_as_date(after) + timedelta(days=1), start.first_day)
    # Every schedule has at least one day per cycle, so one cycle (and any delays) suffices.
    for _ in range(CYCLE_LENGTH_DAYS + start.total_delay()):
        cd = cycle_day(start, candidate)
        if cd is not None and cd.day in schedule.days:
            return candidate
        candidate += timedelta(days=1)
    raise AssertionError("unreachable: every schedule has a day in each cycle")


def scheduled_dates(start_date: Start, drug: Drug, first: date, last: date) -> list[date]:
    """All scheduled dates of ``drug`` in ``first..last`` (inclusive), in order.

    Dates before cycle 1 day 1 and in a cycle delay are never scheduled; an empty range gives [].
    """
    schedule = _schedule_for(drug)
    start = _calendar(start_date)
    current = max(_as_date(first), start.first_day)
    end = _as_date(last)
    result: list[date] = []
    while current <= end:
        cd = cycle_day(start, current)
        if cd is not None and cd.day in schedule.days:
            result.append(current)
        current += timedelta(days=1)
    return result


# ---------------------------------------------------------------------------
# Missed / vomited ixazomib dose
# ---------------------------------------------------------------------------

#: NINLARO USPI §2.1 "Dosing and Administration Guidelines": "If a NINLARO dose
#: is delayed or missed, the dose should be taken only if the next scheduled
#: dose is ≥ 72 hours away. A missed dose should not be taken within 72 hours
#: of the next scheduled dose. A double dose should not be taken to make up for
#: the missed dose. If vomiting occurs after taking a dose, the patient should
#: not repeat the dose. The patient should resume dosing at the time of the
#: next scheduled dose." (label text as reproduced by MIMS and ninlarohcp.com;
#: reference.md §1.1). "≥ 72 hours away" includes exactly 72 hours: take it.
IXAZOMIB_MISSED_DOSE_MIN_GAP: Final[timedelta] = timedelta(hours=72)


@dataclass(frozen=True)
class MissedDoseAdvice:
    can_take: bool
    take_until: datetime | None  # aware, in the patient's zone; None if vomited
    next_dose: datetime  # aware, in the patient's zone
    reason: str  # short plain-English sentence(s) for the patient


def ixazomib_missed_dose_advice(
    *,
    start_date: Start,
    missed_on: date,
    now: datetime,
    dose_time: time,
    tz: ZoneInfo,
    vomited: bool = False,
) -> MissedDoseAdvice:
    """What to do about the ixazomib dose scheduled on ``missed_on``.

    ``missed_on`` must be a scheduled ixazomib day (ValueError otherwise).
    The next dose is the next scheduled ixazomib date after ``missed_on`` at
    ``dose_time`` on the local wall clock of ``tz``. A wall time that does not
    exist (spring-forward gap) is moved forward by the gap; an ambiguous one
    (fall-back) means its first occurrence. ``take_until`` is exactly 72 real
    (elapsed) hours before the next dose, so across a DST change its wall-clock
    time differs from ``dose_time`` by an hour. The dose may be taken while
    ``now <= take_until``: at exactly 72 hours the next dose is "≥ 72 hours
    away", so it may still be taken; a moment later it may not.

    ``now`` must be timezone-aware (ValueError otherwise); ``dose_time`` must be
    naive (it is interpreted in ``tz``).
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be a timezone-aware datetime")
    if dose_time.tzinfo is not None:
        raise ValueError("dose_time must be naive; it is read as wall time in tz")
    missed = _as_date(missed_on)
    if Drug.IXAZOMIB not in drugs_due(start_date, missed):
        raise ValueError(f"{missed.isoformat()} is not a scheduled ixazomib day")

    next_date = next_dose_date(start_date, Drug.IXAZOMIB, missed)
    next_utc = datetime.combine(next_date, dose_time, tzinfo=tz).astimezone(UTC)
    next_dose = next_utc.astimezone(tz)  # normalises a non-existent wall time
    if vomited:
        return MissedDoseAdvice(
            can_take=False,
            take_until=None,
            next_dose=next_dose,
            reason=(f"Do not take another capsule after vomiting; take the next dose on {_format_local(next_dose)}."),
        )

    take_until = (next_utc - IXAZOMIB_MISSED_DOSE_MIN_GAP).astimezone(tz)
    if now <= take_until:
        reason = (
            f"You can still take it until {_format_local(take_until)}. "
            f"Then take the next dose as usual on {_format_local(next_dose)}."
        )
        return MissedDoseAdvice(True, take_until, next_dose, reason)
    reason = f"Skip it: your next dose is on {_format_local(next_dose)}. Do not take two doses to make up for it."
    return MissedDoseAdvice(False, take_until, next_dose, reason)


# ---------------------------------------------------------------------------
# Dose ladders
# ---------------------------------------------------------------------------

#: NINLARO USPI §2.4 dose reduction steps: 4 mg -> 3 mg -> 2.3 mg -> discontinue.
IXAZOMIB_DOSE_LEVELS_MG: Final[tuple[Decimal, ...]] = (
    Decimal(4),
    Decimal(3),
    Decimal("2.3"),
)

#: [U] Revlimid USPI (multiple myeloma dose reduction steps, US):
#: 25 -> 20 -> 15 -> 10 -> 5 -> 2.5 mg. Below 2.5 mg the ladder ends.
LENALIDOMIDE_DOSE_LEVELS_MG: Final[tuple[Decimal, ...]] = (
    Decimal(25),
    Decimal(20),
    Decimal(15),
    Decimal(10),
    Decimal(5),
    Decimal("2.5"),
)

_DOSE_LADDERS: Final[MappingProxyType[Drug, tuple[Decimal, ...]]] = MappingProxyType(
    {
        Drug.IXAZOMIB: IXAZOMIB_DOSE_LEVELS_MG,
        Drug.LENALIDOMIDE: LENALIDOMIDE_DOSE_LEVELS_MG,
    }
)


def next_lower_dose(drug: Drug, current_mg: Decimal) -> Decimal | None:
    """The next step down the dose ladder; None means discontinue.

    Raises ValueError for a drug without a ladder (dexamethasone, antiviral)
    or for a dose that is not on the ladder. Equal values compare equal, so
    Decimal("4.0") is the 4 mg step.
    """
    ladder = _DOSE_LADDERS.get(drug)
    if ladder is None:
        raise ValueError(f"no dose reduction ladder is defined for {drug}")
    if not current_mg.is_finite():
        raise ValueError(f"{drug} dose must be a finite number, got {current_mg}")
    for index, level in enumerate(ladder):
        if level == current_mg:
            return ladder[index + 1] if index + 1 < len(ladder) else None
    steps = ", ".join(str(level) for level in ladder)
    raise ValueError(f"{current_mg} mg is not on the {drug} ladder ({steps} mg)")


# ---------------------------------------------------------------------------
# Labs
# ---------------------------------------------------------------------------

#: NINLARO USPI §2.2: before starting a new cycle, ANC >= 1.0 x10^9/L
#: (1,000/mm3) and platelets >= 75 x10^9/L (75,000/mm3). Values in x10^9/L.
CYCLE_START_MIN_ANC: Final[Decimal] = Decimal("1.0")
CYCLE_START_MIN_PLATELETS: Final[Decimal] = Decimal(75)

#: Plausibility ceilings (x10^9/L), not clinical limits. A value above them is
#: almost certainly entered in cells/mm3 (e.g. ANC 800 or platelets 60000),
#: which would otherwise wrongly pass the gate; such input raises ValueError.
CYCLE_START_MAX_PLAUSIBLE_ANC: Final[Decimal] = Decimal(100)
CYCLE_START_MAX_PLAUSIBLE_PLATELETS: Final[Decimal] = Decimal(2000)


@dataclass(frozen=True)
class GateResult:
    may_start: bool
    reasons: tuple[str, ...]  # why not; empty when may_start is True
    # Each count on its own: present and at or above its threshold.
    anc_met: bool = False
    platelets_met: bool = False


def cycle_start_gate(*, anc: Decimal | None, platelets: Decimal | None) -> GateResult:
    """Lab gate before day 1 of a new cycle (NINLARO USPI §2.2).

    Both values in x10^9/L; the thresholds are inclusive (ANC 1.0 and platelets
    75 pass). A missing value blocks the start. Only the blood-count part of
    the label's criteria is checked: recovery of non-haematological toxicity
    to baseline or grade <= 1 is the treating team's call.

    Raises ValueError for negative, non-finite or implausibly large values.
    """
    _check_lab("ANC", anc, CYCLE_START_MAX_PLAUSIBLE_ANC)
    _check_lab("platelets", platelets, CYCLE_START_MAX_PLAUSIBLE_PLATELETS)
    reasons: list[str] = []
    if anc is None:
        reasons.append("no recent ANC")
    elif anc < CYCLE_START_MIN_ANC:
        reasons.append(f"ANC {anc} x10^9/L is below {CYCLE_START_MIN_ANC} x10^9/L")
    if platelets is None:
        reasons.append("no recent platelet count")
    elif platelets < CYCLE_START_MIN_PLATELETS:
        reasons.append(f"platelets {platelets} x10^9/L are below {CYCLE_START_MIN_PLATELETS} x10^9/L")
    anc_met = anc is not None and anc >= CYCLE_START_MIN_ANC
    platelets_met = platelets is not None and platelets >= CYCLE_START_MIN_PLATELETS
    return GateResult(not reasons, tuple(reasons), anc_met=anc_met, platelets_met=platelets_met)


#: Cycles in which an extra blood count is drawn in the nadir window (the Revlimid schedule
#: below covers cycles 1-3; a clinic may extend the day-15 draw to later cycles).
LAB_DRAW_NADIR_CYCLES: Final[int] = 3

#: Revlimid USPI §5.3 (hematologic toxicity, multiple myeloma): complete blood counts every 7 days
#: (weekly) for the first 2 cycles, on days 1 and 15 of cycle 3, and every 28 days thereafter.
#: [P] The issue quotes this sentence; the retrieved US PI copy (120ty.net) shows the adjacent
#: MCL and MDS schedules and the MM dose table "follow CBC weekly", not the MM sentence itself.
REVLIMID_CBC_DAYS: Final[MappingProxyType[int, tuple[int, ...]]] = MappingProxyType(
    {1: (1, 8, 15, 22), 2: (1, 8, 15, 22), 3: (1, 15)}
)


def lab_draw_days(cycle: int) -> tuple[int, ...]:
    """Blood-count days within ``cycle`` on lenalidomide (REVLIMID_CBC_DAYS).

    * Day 1 of every cycle: the cycle-start gate (NINLARO USPI §2.2) and Revlimid's "every 28
      days". In practice the sample is taken the day before day 1.
    * Cycles 1-2 weekly (days 8, 15, 22) and day 15 of cycle 3 (Revlimid USPI §5.3). Day 15 is
      inside the platelet nadir window (NINLARO USPI §5.1: nadir days 14-21), so a falling count
      is seen while lenalidomide (days 1-21) can still be held.

    This is a reminder minimum, not a monitoring protocol: the treating team's orders win.
    """
    if cycle < 1:
        raise ValueError(f"cycle must be >= 1, got {cycle}")
    return REVLIMID_CBC_DAYS.get(cycle, (1,))


def stopped_drugs(doses_mg: Mapping[str, object]) -> frozenset[Drug]:
    """The IRd drugs whose dose is 0 mg: the care team stopped them (a dose decision), so they are
    no longer due or reminded. `doses_mg` maps a drug name to its dose (a number or its text, as
    in the sync answer's regimen); anything unreadable counts as still given."""
    found: set[Drug] = set()
    for drug in (Drug.IXAZOMIB, Drug.LENALIDOMIDE, Drug.DEXAMETHASONE):
        raw = doses_mg.get(drug.value)
        if raw is None or isinstance(raw, bool):
            continue
        try:
            dose = Decimal(str(raw))
        except ArithmeticError:
            continue
        if dose.is_finite() and dose == 0:
            found.add(drug)
    return frozenset(found)


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------

_WEEKDAYS: Final[tuple[str, ...]] = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS: Final[tuple[str, ...]] = (
    "Jan", "Feb", "Mar", "Apr", "May", "Jun",
    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
)  # fmt: skip


def _as_date(value: date) -> date:
    """Drop the time part if a datetime sneaks in (datetime is a date subclass)."""
    if isinstance(value, datetime):
        return value.date()
    return value


def _schedule_for(drug: Drug) -> DrugSchedule:
    try:
        return _SCHEDULES[Drug(drug)]
    except (KeyError, ValueError):
        raise ValueError(f"unknown drug: {drug!r}") from None


def _format_local(moment: datetime) -> str:
    """'Tue 1 Dec, 09:00' - English, independent of the process locale."""
    return f"{_WEEKDAYS[moment.weekday()]} {moment.day} {_MONTHS[moment.month - 1]}, {moment:%H:%M}"


def _check_lab(name: str, value: Decimal | None, ceiling: Decimal) -> None:
    if value is None:
        return
    if not value.is_finite() or value < 0:
        raise ValueError(f"{name} must be a finite, non-negative number, got {value}")
    if value > ceiling:
        raise ValueError(f"{name} {value} is implausible in x10^9/L (was it entered in cells/mm3?)")
