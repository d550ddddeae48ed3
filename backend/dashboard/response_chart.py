"""The patient page's response chart: the tracked marker (serum or urine M-protein, dFLC or marrow
plasma cells) over time, with the baseline, the -50% (PR) and -90% (VGPR) lines, the nadir and the
value from which a rise is progression, and each assessment's category written at its point.

Pure Python and deterministic, like backend/dashboard/charts.py (whose helpers it uses): a frozen
description in, an SVG string out. Nothing is told by colour alone: every line is labelled in text,
progression points are drawn as squares and labelled, and the chart has a <title> and <desc>.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from xml.sax.saxutils import escape

from django.utils import formats
from django.utils.translation import gettext, ngettext

from backend.dashboard.charts import MARGIN_LEFT, MARGIN_TOP, WIDTH, _attrs, _open_svg, fmt_number, nice_ceiling

HEIGHT = 240
MARGIN_RIGHT = 150  # room for the reference lines' labels
BOTTOM_GAP = 30


@dataclass(frozen=True)
class ResponsePoint:
    day: date
    value: float
    category: str
    confirmed: bool


@dataclass(frozen=True)
class ReferenceLine:
    value: float
    label: str
    css: str


@dataclass(frozen=True)
class ResponseChart:
    chart_id: str
    title: str
    unit: str
    points: tuple[ResponsePoint, ...]
    lines: tuple[ReferenceLine, ...]


def summary(chart: ResponseChart) -> str:
    if not chart.points:
        return gettext("No %(title)s results since the baseline.") % {"title": chart.title.lower()}
    first, last = chart.points[0], chart.points[-1]
    said = ngettext(
        "%(title)s from %(first)s to %(last)s, %(count)d result; latest %(value)s %(unit)s (%(category)s).",
        "%(title)s from %(first)s to %(last)s, %(count)d results; latest %(value)s %(unit)s (%(category)s).",
        len(chart.points),
    )
    category = gettext("%(category)s, confirmed") % {"category": last.category} if last.confirmed else last.category
    return (
        said
        % {
            "title": chart.title,
            "first": formats.date_format(first.day, "d M Y"),
            "last": formats.date_format(last.day, "d M Y"),
            "count": len(chart.points),
            "value": fmt_number(last.value),
            "unit": chart.unit,
            "category": category,
        }
        + " "
        + "; ".join(f"{line.label} {fmt_number(line.value)} {chart.unit}" for line in chart.lines)
        + "."
    )


def render_response_chart(chart: ResponseChart) -> str:
    top, bottom = MARGIN_TOP, HEIGHT - BOTTOM_GAP
    left, right = MARGIN_LEFT, WIDTH - MARGIN_RIGHT
    highest = max([p.value for p in chart.points] + [line.value for line in chart.lines] + [0.0])
    y_max = nice_ceiling(highest * 1.1)
    days = [p.day for p in chart.points]
    first = min(days) if days else date(2000, 1, 1)  # an empty chart draws no x axis
    last = max(days) if days else first
    span = max((last - first).days, 1)
    pad = timedelta(days=max(span // 20, 1))
    first, last = first - pad, last + pad
    total = max((last - first).days, 1)

    def x(day: date) -> float:
        return round(left + (day - first).days / total * (right - left), 1)

    def y(value: float) -> float:
        return round(bottom - min(max(value, 0.0), y_max) / y_max * (bottom - top), 1)

    out = _open_svg(chart.chart_id, HEIGHT, chart.title, summary(chart), "chart chart-response")
    out.append(f"<rect {_attrs(x=left, y=top, width=right - left, height=bottom - top, class_='plot-frame')}/>")
    out.append('<g class="y-axis">')
    for tick in (0.0, y_max / 2, y_max):
        ty = y(tick)
        out.append(f"<line {_attrs(x1=left, y1=ty, x2=right, y2=ty, class_='grid')}/>")
        out.append(
            f"<text {_attrs(x=left - 6, y=round(ty + 4, 1), class_='y-label', text_anchor='end')}>"
            f"{fmt_number(tick)}</text>"
        )
    out.append(
        f"<text {_attrs(x=left - 6, y=top - 10, class_='unit-label', text_anchor='end')}>{escape(chart.unit)}</text>"
    )
    out.append("</g>")
    out.append('<g class="reference-lines">')
    placed: list[float] = []
    for line in sorted(chart.lines, key=lambda ln: -ln.value):
        ly = y(line.value)
        out.append(
            f"<line {_attrs(x1=left, y1=ly, x2=right, y2=ly, class_=f'ref {line.css}')}>"
            f"<title>{escape(line.label)}: {fmt_number(line.value)} {escape(chart.unit)}</title></line>"
        )
        label_y = ly + 4
        while any(abs(label_y - other) < 11 for other in placed):
            label_y += 11
        placed.append(label_y)
        out.append(
            f"<text {_attrs(x=right + 6, y=round(label_y, 1), class_=f'ref-label {line.css}')}>"
            f"{escape(line.label)} {fmt_number(line.value)}</text>"
        )
    out.append("</g>")
    if chart.points:
        coords = [(x(p.day), y(p.value)) for p in chart.points]
        out.append(f"<polyline {_attrs(points=' '.join(f'{cx},{cy}' for cx, cy in coords), class_='trend')}/>")
        out.append('<g class="points">')
        for (cx, cy), p in zip(coords, chart.points, strict=True):
            state = gettext("confirmed") if p.confirmed else gettext("not confirmed")
            day = formats.date_format(p.day, "d M Y")
            tip = f"<title>{day}: {fmt_number(p.value)} {escape(chart.unit)}, {p.category} ({state})</title>"
            if p.category == "PD":
                mark = f"<rect {_attrs(x=cx - 5, y=cy - 5, width=10, height=10)}/>"
                css = "pt pt-pd"
            else:
                mark = f"<circle {_attrs(cx=cx, cy=cy, r=4)}/>"
                css = "pt" if p.confirmed else "pt pt-ungraded"
            label_y = cy - 9 if cy - 9 > top + 6 else cy + 16
            text = p.category + ("" if p.confirmed else "?")
            out.append(
                f'<g class="{css}">{tip}{mark}'
                f"<text {_attrs(x=cx, y=round(label_y, 1), class_='cat-label', text_anchor='middle')}>"
                f"{escape(text)}</text></g>"
            )
        out.append("</g>")
        out.append('<g class="x-labels">')
        for p, (cx, _) in zip(chart.points, coords, strict=True):
            out.append(
                f"<text {_attrs(x=cx, y=HEIGHT - 10, class_='x-label', text_anchor='middle')}>"
                f"{formats.date_format(p.day, 'j M')}</text>"
            )
        out.append("</g>")
    else:
        out.append(
            f"<text {_attrs(x=(left + right) / 2, y=(top + bottom) / 2, class_='empty', text_anchor='middle')}>"
            + escape(gettext("No %(title)s results since the baseline") % {"title": chart.title.lower()})
            + "</text>"
        )
    out.append("</svg>")
    return "".join(out)
