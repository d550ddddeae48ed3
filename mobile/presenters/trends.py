"""Trends: the geometry of the lab charts and the symptom-by-day grid, computed without Kivy.

A lab chart is drawn in a unit square (x: time, left to right; y: value, bottom to top); the
widget only scales it. It carries the CTCAE grade bands at the cut-points of
`shared.lab_grading.CRITERIA` (grade 1 below the usual lower limit of `shared.analytes`), the
readings, the ixazomib dose days and lenalidomide days from `shared.regimen`, and the nadir
window (days 14–21).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from mobile import strings as S
from mobile.journal import stored_lab_context
from mobile.presenters.context import load_context
from mobile.store import Store
from shared import regimen
from shared.analytes import ANALYTES
from shared.lab_grading import CRITERIA, Direction
from shared.lab_values import LabValueError, parse_lab_value
from shared.symptoms import SymptomError, grade_symptom, validate_answers

CHART_ANALYTES = ("platelets", "anc", "hemoglobin")
CHART_DAYS = 42  # a cycle and a half: the last nadir and the recovery after it
GRID_DAYS = 14
FEVER_C = Decimal("38.0")


@dataclass(frozen=True)
class Band:
    lo: float
    hi: float
    grade: int  # 0: the usual range
    label: str


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    label: str
    grade: int


@dataclass(frozen=True)
class Span:
    x0: float
    x1: float


@dataclass(frozen=True)
class Tick:
    at: float
    label: str


@dataclass(frozen=True)
class LabChart:
    analyte: str
    title: str
    unit_label: str
    bands: list[Band]
    points: list[Point]
    ixazomib_days: list[float]
    lenalidomide_days: list[Span]
    nadir: list[Span]
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    latest: str
    empty: str


@dataclass(frozen=True)
class Cell:
    text: str  # "" no report, "0".."4" the worst grade, "°" a fever of 38 °C or more
    level: int  # 0..4, for shading (the text says the same thing)


@dataclass(frozen=True)
class GridRow:
    name: str
    cells: list[Cell]


@dataclass(frozen=True)
class SymptomGrid:
    day_labels: list[str]
    rows: list[GridRow]
    empty: str


def nice_ceiling(value: float) -> float:
    """The next 'round' axis top at or above `value`: 1, 2, 2.5, 5 × 10^k."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power + 1e-9:
            return step * power
    return 10 * power  # pragma: no cover - the loop always returns


def _fmt(value: Decimal | float) -> str:
    if isinstance(value, float):
        value = Decimal(repr(value))
    text = format(value.normalize(), "f")
    return text


class TrendsPresenter:
    def __init__(self, store: Store) -> None:
        self.store = store

    # ---- lab charts -----------------------------------------------------------------------------

    def lab_chart(self, analyte: str, now: datetime, days: int = CHART_DAYS) -> LabChart:
        ctx = load_context(self.store)
        tz = ctx.tz
        today = now.astimezone(tz).date()
        first = today - timedelta(days=days - 1)
        origin = datetime.combine(first, time(0), tzinfo=tz)

        def x_of(moment: datetime) -> float:
            return (moment - origin).total_seconds() / (days * 86400)

        def x_of_day(day: date) -> float:
            return ((day - first).days + 0.5) / days

        target = ANALYTES[analyte]
        canonical = target.unit(target.canonical_unit)
        unit_label = canonical.display if canonical else target.canonical_unit
        readings: list[tuple[datetime, Decimal, int]] = []
        lab_context = stored_lab_context(self.store)
        for entry in self.store.entries("lab_results", since=origin):
            if entry.item.get("analyte") != analyte:
                continue
            try:
                lab = parse_lab_value(analyte, entry.item.get("value"), entry.item.get("unit"))
            except LabValueError:
                continue
            at = datetime.fromisoformat(entry.at).astimezone(tz)
            readings.append((at, lab.canonical_value, lab_context.grade(lab, at.date()).grade))

        criterion = CRITERIA[analyte]
        lln = target.limits(lab_context.sex)[0] or Decimal(0)  # the patient's sex, as grading uses
        highest = max([float(v) for _, v, _ in readings] + [float(lln) * 1.25, 0.0])
        top = nice_ceiling(highest * 1.1 if readings else highest)

        def y_of(value: float) -> float:
            return max(0.0, min(1.0, value / top))

        bands: list[Band] = []
        if criterion.direction is Direction.LOW:
            edges = sorted(((float(cut), g) for g, cut in criterion.cuts), key=lambda p: p[0])
            lower = 0.0
            for cut, grade in edges:
                bands.append(Band(y_of(lower), y_of(cut), grade, S.band_label(grade)))
                lower = cut
            if lln and float(lln) > lower:
                bands.append(Band(y_of(lower), y_of(float(lln)), 1, S.band_label(1)))
                lower = float(lln)
            bands.append(Band(y_of(lower), 1.0, 0, S.TRENDS_NORMAL))

        points = [Point(x_of(at), y_of(float(v)), _fmt(v), g) for at, v, g in readings]
        latest = ""
        if readings:
            at, value, grade = readings[-1]
            latest = S.latest_value(_fmt(value), unit_label, S.when(at, today))
            latest += f" · {S.grade_line(grade)}" if grade else ""

        ixazomib: list[float] = []
        lenalidomide: list[Span] = []
        nadir: list[Span] = []
        if ctx.regimen is not None:
            start = ctx.regimen.calendar
            ixazomib = [x_of_day(d) for d in regimen.scheduled_dates(start, regimen.Drug.IXAZOMIB, first, today)]
            lenalidomide = _spans(regimen.scheduled_dates(start, regimen.Drug.LENALIDOMIDE, first, today), first, days)
            nadir_days = [
                first + timedelta(i) for i in range(days) if regimen.is_in_nadir_window(start, first + timedelta(i))
            ]
            nadir = _spans(nadir_days, first, days)

        x_ticks = [
            Tick(x_of_day(first + timedelta(i)), S.day_short(first + timedelta(i)).split(" ", 1)[1])
            for i in range(0, days, 14)
        ]
        x_ticks.append(Tick(x_of_day(today), S.TODAY))
        y_ticks = [Tick(y_of(v), _fmt(Decimal(str(v)))) for v in _y_values(top)]
        return LabChart(
            analyte=analyte,
            title=S.ANALYTE_NAMES.get(analyte, target.name),
            unit_label=unit_label,
            bands=bands,
            points=points,
            ixazomib_days=ixazomib,
            lenalidomide_days=lenalidomide,
            nadir=nadir,
            x_ticks=x_ticks,
            y_ticks=y_ticks,
            latest=latest,
            empty="" if readings else S.TRENDS_EMPTY,
        )

    # ---- symptoms by day ------------------------------------------------------------------------

    def symptom_grid(self, now: datetime, days: int = GRID_DAYS) -> SymptomGrid:
        tz: ZoneInfo = load_context(self.store).tz
        today = now.astimezone(tz).date()
        first = today - timedelta(days=days - 1)
        worst: dict[str, dict[int, Cell]] = {}
        since = datetime.combine(first, time(0), tzinfo=tz)
        for entry in self.store.entries("symptom_reports", since=since):
            day_index = (datetime.fromisoformat(entry.at).astimezone(tz).date() - first).days
            if not 0 <= day_index < days:
                continue
            try:
                symptom, answers = validate_answers(entry.item.get("symptom"), entry.item.get("answers"))
            except SymptomError:
                continue
            grade = grade_symptom(symptom.key, answers)
            if grade.temperature_c is not None:
                cell = Cell("°", 3) if grade.temperature_c >= FEVER_C else Cell("0", 0)
            else:
                cell = Cell(str(grade.grade or 0), grade.grade or 0)
            row = worst.setdefault(symptom.key, {})
            if day_index not in row or cell.level > row[day_index].level:
                row[day_index] = cell
        rows = [
            GridRow(S.SYMPTOM_NAMES.get(key, key), [worst[key].get(i, Cell("", 0)) for i in range(days)])
            for key in S.SYMPTOM_NAMES
            if key in worst
        ]
        labels = [str((first + timedelta(i)).day) for i in range(days)]
        return SymptomGrid(labels, rows, "" if rows else S.TRENDS_SYMPTOMS_EMPTY)


def latest_label_side(points: list[Point]) -> tuple[str, str]:
    """Where the latest value's label goes, (vertical, horizontal), so that it covers neither the
    line coming into the latest point nor the point itself: below the point when the line comes
    down to it, above when it comes up; left of the point in the right half of the chart (the
    latest reading is usually today, at the right edge), right of it otherwise. The widget keeps
    the label inside the plot: a label "below" a value near zero rests on the axis, still beside
    the point rather than on it."""
    if not points:
        return ("above", "right")
    last = points[-1]
    previous = points[-2] if len(points) > 1 else None
    vertical = "below" if previous is not None and previous.y > last.y else "above"
    horizontal = "left" if last.x > 0.5 else "right"
    return (vertical, horizontal)


def _spans(days: list[date], first: date, total: int) -> list[Span]:
    """Runs of consecutive days as spans in the unit square."""
    spans: list[Span] = []
    run_start: date | None = None
    previous: date | None = None
    for day in [*days, date.max]:
        if run_start is not None and previous is not None and (day == date.max or (day - previous).days != 1):
            spans.append(Span((run_start - first).days / total, ((previous - first).days + 1) / total))
            run_start = None
        if day != date.max and run_start is None:
            run_start = day
        previous = day if day != date.max else previous
    return spans


def _is_round(step: float) -> bool:
    """1, 2, 2.5 or 5 times a power of ten."""
    mantissa = step / 10 ** math.floor(math.log10(step))
    return any(abs(mantissa - m) < 1e-9 for m in (1, 2, 2.5, 5))


def _y_values(top: float) -> list[float]:
    """Axis values from 0 to `top` at a round step: 0, 50, 100 … rather than 0, 62.5, 125 …"""
    for parts in (5, 4, 2):
        step = top / parts
        if _is_round(step):
            return [round(step * i, 6) for i in range(parts + 1)]
    return [0.0, top]
