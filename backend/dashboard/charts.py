"""Server-rendered SVG charts for the patient page: lab trends over CTCAE grade bands, and symptom
grades over time, on one time axis with the nadir windows and dose days marked.

Pure Python (standard library only) and deterministic: a chart is a frozen description in, an SVG
string out, so it can be tested without a browser. Nothing is told by colour alone: grade 3 and 4
readings are drawn as squares and labelled diamonds, bands carry their grade as text, and every
chart has a <title>, a <desc> summary and a <title> on each mark for hover and screen readers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from xml.sax.saxutils import escape, quoteattr

from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

# ViewBox geometry; the SVG scales to its container's width (about 900 px on a 1366 px screen, never
# under 680 px: on a phone it scrolls sideways in its own box, dashboard.css .chart-scroll).
WIDTH = 900
LAB_HEIGHT = 260  # tall enough that the narrow grade bands (G2–G4) keep room for their labels
MARGIN_LEFT = 56
MARGIN_RIGHT = 40
MARGIN_TOP = 24
PLOT_BOTTOM_GAP = 62  # dose-day strip, then the dates and the cycles' names under the plot
CYCLE_ROW = 12  # the cycle's name, under its date
SYMPTOM_ROW = 30
SYMPTOM_LABEL_WIDTH = 230


@dataclass(frozen=True)
class Point:
    at: datetime
    value: float
    grade: int | None
    label: str  # how the value reads, with its unit as reported, e.g. "22 K/µL"


@dataclass(frozen=True)
class Band:
    """Values in [low, high) are CTCAE grade `grade`."""

    grade: int
    low: float
    high: float


@dataclass(frozen=True)
class Span:
    start: datetime
    end: datetime
    label: str


@dataclass(frozen=True)
class Marker:
    at: datetime
    filled: bool
    label: str


@dataclass(frozen=True)
class AxisLabel:
    """A date on the time axis; on a cycle's first day, the cycle's name ("C2") too, written under the
    date, and a line across the plot."""

    at: datetime
    text: str
    cycle: str = ""

    @property
    def cycle_start(self) -> bool:
        return bool(self.cycle)


# The x labels' font is 11 user units (dashboard.css .x-label); an estimate of a label's width on the
# generous side, so that two labels never overlap, whatever the font the browser picks.
X_LABEL_CHAR_WIDTH = 7.0
X_LABEL_GAP = 8.0


@dataclass(frozen=True)
class TimeFrame:
    """The shared x axis: the window, its zone, shaded spans, dose-day marks and cycle starts."""

    start: datetime
    end: datetime
    tz: tzinfo
    spans: tuple[Span, ...] = ()
    markers: tuple[Marker, ...] = ()
    axis_labels: tuple[AxisLabel, ...] = ()


@dataclass(frozen=True)
class LabChart:
    chart_id: str
    title: str
    unit: str  # canonical unit, as the y axis reads
    frame: TimeFrame
    points: tuple[Point, ...]
    bands: tuple[Band, ...]
    marker_name: str = ""  # what the triangles are; "" says the ixazomib dose days


@dataclass(frozen=True)
class SymptomMark:
    at: datetime
    grade: int | None
    text: str  # what the mark shows: the grade, or a temperature
    label: str  # the full reading, for the mark's <title>


@dataclass(frozen=True)
class SymptomRow:
    name: str
    marks: tuple[SymptomMark, ...]


@dataclass(frozen=True)
class SymptomChart:
    chart_id: str
    title: str
    frame: TimeFrame
    rows: tuple[SymptomRow, ...]


def fmt_number(value: float) -> str:
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text or "0"


def nice_ceiling(value: float) -> float:
    """The smallest round number (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 × 10^k) at or above `value`."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if value <= step * power + 1e-9:
            return step * power
    return 10 * power  # pragma: no cover - the loop always returns


class _XScale:
    def __init__(self, frame: TimeFrame, left: float, right: float) -> None:
        self.frame, self.left, self.right = frame, left, right
        self.seconds = max((frame.end - frame.start).total_seconds(), 1.0)

    def __call__(self, at: datetime) -> float:
        share = (at - self.frame.start).total_seconds() / self.seconds
        return round(self.left + min(max(share, 0.0), 1.0) * (self.right - self.left), 1)


# Month names in the reader's language (date_format), not strftime's C locale.
def _day(at: datetime, tz: tzinfo) -> str:
    return formats.date_format(at.astimezone(tz), "j M")


def _when(at: datetime, tz: tzinfo) -> str:
    return formats.date_format(at.astimezone(tz), "j M Y H:i")


def _attrs(**attrs: object) -> str:
    return " ".join(f"{name.rstrip('_').replace('_', '-')}={quoteattr(str(value))}" for name, value in attrs.items())


def _open_svg(chart_id: str, height: float, title: str, desc: str, css_class: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" {_attrs(viewBox=f"0 0 {WIDTH} {height}", class_=css_class)} '
        f'role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" id="{chart_id}">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(desc)}</desc>',
        "<defs>"
        f'<pattern id="{chart_id}-hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><rect width="6" height="6" class="span-fill"/>'
        '<line x1="0" y1="0" x2="0" y2="6" class="span-hatch"/></pattern>'
        "</defs>",
    ]


def _frame_layers(chart_id: str, frame: TimeFrame, x: _XScale, top: float, bottom: float) -> list[str]:
    """Shaded spans and cycle-start lines, drawn under the data."""
    out = ['<g class="spans">']
    for span in frame.spans:
        x0, x1 = x(span.start), x(span.end)
        if x1 <= x0:
            continue
        out.append(
            f"<rect {_attrs(x=x0, y=top, width=round(x1 - x0, 1), height=round(bottom - top, 1))} "
            f'fill="url(#{chart_id}-hatch)" class="span"><title>{escape(span.label)}</title></rect>'
        )
    out.append("</g>")
    out.append('<g class="cycle-lines">')
    for label in frame.axis_labels:
        lx = x(label.at)
        css = "cycle-line" if label.cycle_start else "week-line"
        out.append(f"<line {_attrs(x1=lx, y1=top, x2=lx, y2=bottom, class_=css)}/>")
    out.append("</g>")
    return out


def axis_labels_placed(frame: TimeFrame, x: _XScale) -> list[tuple[float, AxisLabel]]:
    """The labels that fit, left to right: cycle starts first, then each week that overlaps none of
    them nor runs past the chart's edge. On a long period the weeks thin out; labels never overlap."""
    taken: list[tuple[float, float]] = []
    placed: list[tuple[float, AxisLabel]] = []
    for label in sorted(frame.axis_labels, key=lambda label: not label.cycle_start):
        left = x(label.at) + 3
        right = left + len(label.text) * X_LABEL_CHAR_WIDTH
        if right > WIDTH - 2 or any(left < end + X_LABEL_GAP and begin < right + X_LABEL_GAP for begin, end in taken):
            continue
        taken.append((left, right))
        placed.append((left, label))
    return sorted(placed, key=lambda item: item[0])


def _axis_labels(frame: TimeFrame, x: _XScale, y: float) -> list[str]:
    out = ['<g class="x-labels">']
    for left, label in axis_labels_placed(frame, x):
        out.append(f"<text {_attrs(x=left, y=y, class_='x-label', text_anchor='start')}>{escape(label.text)}</text>")
        if label.cycle:
            out.append(
                f"<text {_attrs(x=left, y=y + CYCLE_ROW, class_='x-cycle', text_anchor='start')}>"
                f"{escape(label.cycle)}</text>"
            )
    out.append("</g>")
    return out


def _point_mark(px: float, py: float, point: Point, tz: tzinfo) -> str:
    grade = point.grade
    graded = _("grade %(grade)s") % {"grade": grade} if grade is not None else _("not graded")
    title = f"{_when(point.at, tz)}: {point.label}, {graded}"

    tip = f"<title>{escape(title)}</title>"
    if grade is not None and grade >= 4:
        s = 8
        path = f"M{px},{py - s} L{px + s},{py} L{px},{py + s} L{px - s},{py} Z"
        # Well above the point, clear of a neighbouring reading; below it if that leaves the chart.
        label_y = py - s - 12 if py - s - 12 > MARGIN_TOP - 8 else py + s + 14
        # Near the right edge the label ends at the point instead of running off the chart.
        anchor, label_x = ("end", px + s) if px > WIDTH - MARGIN_RIGHT - 60 else ("middle", px)
        return (
            f'<g class="pt pt-g4">{tip}<path d="{path}"/>'
            f"<text {_attrs(x=label_x, y=round(label_y, 1), class_='pt-label', text_anchor=anchor)}>"
            f"G4 · {fmt_number(point.value)}</text></g>"
        )
    if grade == 3:
        s = 5
        return f'<g class="pt pt-g3">{tip}<rect {_attrs(x=px - s, y=py - s, width=2 * s, height=2 * s)}/></g>'
    css = f"pt pt-g{grade}" if grade is not None else "pt pt-ungraded"
    return f'<g class="{css}">{tip}<circle {_attrs(cx=px, cy=py, r=4)}/></g>'


def lab_summary(chart: LabChart) -> str:
    """The chart in words, for <desc>: period, count, lowest and latest, and what is marked."""
    tz = chart.frame.tz
    period = _("%(first)s to %(last)s") % {"first": _day(chart.frame.start, tz), "last": _day(chart.frame.end, tz)}
    if not chart.points:
        return _("%(title)s: no results from %(period)s.") % {"title": chart.title, "period": period}

    def reading(p: Point) -> str:
        grade = _("grade %(grade)s") % {"grade": p.grade} if p.grade is not None else _("not graded")
        return _("%(value)s (%(grade)s) on %(day)s") % {"value": p.label, "grade": grade, "day": _day(p.at, tz)}

    lowest = min(chart.points, key=lambda p: p.value)
    latest = chart.points[-1]
    cuts = ", ".join(
        _("grade %(grade)s below %(value)s") % {"grade": b.grade, "value": fmt_number(b.high)} for b in chart.bands
    )
    count = ngettext(
        "%(title)s, %(count)d result from %(period)s.",
        "%(title)s, %(count)d results from %(period)s.",
        len(chart.points),
    ) % {"title": chart.title, "count": len(chart.points), "period": period}
    markers = chart.marker_name or _("ixazomib dose days")
    return " ".join(
        (
            count,
            _("Latest %(reading)s.") % {"reading": reading(latest)},
            _("Lowest %(reading)s.") % {"reading": reading(lowest)},
            _("CTCAE bands: %(cuts)s %(unit)s.") % {"cuts": cuts, "unit": chart.unit},
            _("Hatched: nadir window, days 14 to 21 of each cycle. Triangles: %(markers)s, filled when taken.")
            % {"markers": markers},
        )
    )


def render_lab_chart(chart: LabChart) -> str:
    frame = chart.frame
    top, bottom = MARGIN_TOP, LAB_HEIGHT - PLOT_BOTTOM_GAP
    left, right = MARGIN_LEFT, WIDTH - MARGIN_RIGHT
    x = _XScale(frame, left, right)
    highest = max([p.value for p in chart.points] + [b.high for b in chart.bands] + [0.0])
    y_max = nice_ceiling(highest * 1.1)

    def y(value: float) -> float:
        return round(bottom - min(max(value, 0.0), y_max) / y_max * (bottom - top), 1)

    out = _open_svg(chart.chart_id, LAB_HEIGHT, chart.title, lab_summary(chart), "chart chart-lab")
    out.append('<g class="bands">')
    for band in chart.bands:
        y_top, y_bottom = y(band.high), y(band.low)
        out.append(
            f"<rect {_attrs(x=left, y=y_top, width=right - left, height=round(y_bottom - y_top, 1))} "
            f'class="band band-g{band.grade}"><title>'
            + escape(
                _("CTCAE grade %(grade)s: %(low)s to under %(high)s %(unit)s")
                % {"grade": band.grade, "low": fmt_number(band.low), "high": fmt_number(band.high), "unit": chart.unit}
            )
            + "</title></rect>"
        )
        if y_bottom - y_top >= 11:
            out.append(
                f"<text {_attrs(x=right + 6, y=round((y_top + y_bottom) / 2 + 4, 1), class_='band-label')}>"
                f"G{band.grade}</text>"
            )
    out.append("</g>")
    out.extend(_frame_layers(chart.chart_id, frame, x, top, bottom))
    # y axis: the grade cut-points are the ticks that matter, then zero, the top and the LLN (the
    # grade 1 band's top); a label that would overlap one already placed is left out, not its line.
    cut_points = [b.high for b in sorted(chart.bands, key=lambda b: -b.grade)]
    placed: list[float] = []
    out.append('<g class="y-axis">')
    for tick in dict.fromkeys([0.0, *cut_points, y_max]):
        ty = y(tick)
        out.append(f"<line {_attrs(x1=left, y1=ty, x2=right, y2=ty, class_='grid')}/>")
        if all(abs(ty - other) >= 11 for other in placed):
            placed.append(ty)
            out.append(
                f"<text {_attrs(x=left - 6, y=round(ty + 4, 1), class_='y-label', text_anchor='end')}>"
                f"{fmt_number(tick)}</text>"
            )
    out.append(
        f"<text {_attrs(x=left - 6, y=top - 10, class_='unit-label', text_anchor='end')}>{escape(chart.unit)}</text>"
    )
    out.append("</g>")
    out.append(f"<rect {_attrs(x=left, y=top, width=right - left, height=bottom - top, class_='plot-frame')}/>")
    if chart.points:
        coords = [(x(p.at), y(p.value)) for p in chart.points]
        path = " ".join(f"{cx},{cy}" for cx, cy in coords)
        out.append(f"<polyline {_attrs(points=path, class_='trend')}/>")
        out.append('<g class="points">')
        out.extend(_point_mark(cx, cy, p, frame.tz) for (cx, cy), p in zip(coords, chart.points, strict=True))
        out.append("</g>")
    else:
        out.append(
            f"<text {_attrs(x=(left + right) / 2, y=(top + bottom) / 2, class_='empty', text_anchor='middle')}>"
            + escape(_("No %(title)s results in this period") % {"title": chart.title.lower()})
            + "</text>"
        )
    out.extend(_dose_strip(frame, x, bottom + 6))
    out.extend(_axis_labels(frame, x, LAB_HEIGHT - 8 - CYCLE_ROW))
    out.append("</svg>")
    return "".join(out)


def _dose_strip(frame: TimeFrame, x: _XScale, top: float) -> list[str]:
    out = ['<g class="doses">']
    for marker in frame.markers:
        mx = x(marker.at)
        path = f"M{mx},{top} L{mx + 5},{top + 10} L{mx - 5},{top + 10} Z"
        css = "dose dose-taken" if marker.filled else "dose dose-missed"
        out.append(f'<path d="{path}" class="{css}"><title>{escape(marker.label)}</title></path>')
    out.append("</g>")
    return out


def symptom_summary(chart: SymptomChart) -> str:
    tz = chart.frame.tz
    period = _("%(first)s to %(last)s") % {"first": _day(chart.frame.start, tz), "last": _day(chart.frame.end, tz)}
    if not chart.rows:
        return _("No symptom reports from %(period)s.") % {"period": period}
    parts = []
    for row in chart.rows:
        worst = max(row.marks, key=lambda m: m.grade if m.grade is not None else -1)
        said = ngettext(
            "%(name)s: %(count)d report, worst %(worst)s on %(day)s",
            "%(name)s: %(count)d reports, worst %(worst)s on %(day)s",
            len(row.marks),
        )
        parts.append(
            said % {"name": row.name, "count": len(row.marks), "worst": worst.label, "day": _day(worst.at, tz)}
        )
    return _("%(title)s from %(period)s.") % {"title": chart.title, "period": period} + " " + "; ".join(parts) + "."


def render_symptom_chart(chart: SymptomChart) -> str:
    frame = chart.frame
    rows = chart.rows or (SymptomRow(_("No reports"), ()),)

    top = 12
    bottom = top + SYMPTOM_ROW * len(rows)
    height = bottom + 30 + CYCLE_ROW
    left, right = SYMPTOM_LABEL_WIDTH, WIDTH - MARGIN_RIGHT
    x = _XScale(frame, left, right)
    out = _open_svg(chart.chart_id, height, chart.title, symptom_summary(chart), "chart chart-symptoms")
    out.extend(_frame_layers(chart.chart_id, frame, x, top, bottom))
    for index, row in enumerate(rows):
        cy = top + SYMPTOM_ROW * index + SYMPTOM_ROW / 2
        out.append(f"<line {_attrs(x1=left, y1=cy, x2=right, y2=cy, class_='grid')}/>")
        out.append(
            f"<text {_attrs(x=left - 10, y=cy + 4, class_='row-label', text_anchor='end')}>{escape(row.name)}</text>"
        )
        for mark in row.marks:
            css = f"sym sym-g{mark.grade}" if mark.grade is not None else "sym sym-value"
            out.append(
                f'<g class="{css}"><title>{escape(_when(mark.at, frame.tz))}: {escape(mark.label)}</title>'
                f"<circle {_attrs(cx=x(mark.at), cy=cy, r=11)}/>"
                f"<text {_attrs(x=x(mark.at), y=cy + 4, text_anchor='middle')}>{escape(mark.text)}</text></g>"
            )
    out.append(f"<rect {_attrs(x=left, y=top, width=right - left, height=bottom - top, class_='plot-frame')}/>")
    out.extend(_axis_labels(frame, x, height - 10 - CYCLE_ROW))
    out.append("</svg>")
    return "".join(out)


def bands_below(cuts: Sequence[tuple[int, float]]) -> tuple[Band, ...]:
    """Bands for a count that is worse as it falls: cuts are (grade, value) meaning "below value is at
    least this grade"; each band runs from the next lower cut (or zero) up to its own."""
    ordered = sorted(cuts, key=lambda c: c[1])
    return tuple(Band(grade, ordered[i - 1][1] if i else 0.0, value) for i, (grade, value) in enumerate(ordered))
