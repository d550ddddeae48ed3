"""The SVG chart module: well-formed, accessible, and nothing told by colour alone."""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

from backend.dashboard import charts

SVG = "{http://www.w3.org/2000/svg}"
T0 = datetime(2026, 10, 1, tzinfo=UTC)


def frame(**extra: object) -> charts.TimeFrame:
    return charts.TimeFrame(start=T0, end=T0 + timedelta(days=56), tz=UTC, **extra)  # type: ignore[arg-type]


def platelets(*points: charts.Point, **extra: object) -> charts.LabChart:
    return charts.LabChart(
        chart_id="chart-platelets",
        title="Platelets",
        unit="×10⁹/L",
        frame=frame(**extra),
        points=points,
        bands=charts.bands_below([(4, 25), (3, 50), (2, 75), (1, 150)]),
    )


def point(day: int, value: float, grade: int | None) -> charts.Point:
    return charts.Point(T0 + timedelta(days=day, hours=8), value, grade, f"{charts.fmt_number(value)} ×10⁹/L")


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 - our own output


def test_bands_run_from_each_cut_point_down_to_the_next() -> None:
    assert charts.bands_below([(4, 25), (3, 50), (2, 75), (1, 150)]) == (
        charts.Band(4, 0.0, 25),
        charts.Band(3, 25, 50),
        charts.Band(2, 50, 75),
        charts.Band(1, 75, 150),
    )


def test_axis_tops_are_round_numbers() -> None:
    assert [charts.nice_ceiling(v) for v in (209, 13.2, 3.5, 0.7, 0)] == [250, 15, 4, 0.8, 1.0]


def test_a_lab_chart_is_valid_svg_with_a_title_and_a_summary() -> None:
    root = parse(charts.render_lab_chart(platelets(point(3, 180, 0), point(20, 22, 4))))
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "chart-platelets-title chart-platelets-desc"
    assert root.find(f"{SVG}title").text == "Platelets"  # type: ignore[union-attr]
    desc = root.find(f"{SVG}desc").text or ""  # type: ignore[union-attr]
    assert "2 results from 1 Oct to 26 Nov" in desc
    assert "Latest 22 ×10⁹/L (grade 4) on 21 Oct" in desc and "Lowest 22 ×10⁹/L (grade 4)" in desc
    assert "grade 4 below 25" in desc and "grade 1 below 150" in desc


def test_grade_bands_carry_their_grade_as_text() -> None:
    svg = charts.render_lab_chart(platelets(point(3, 180, 0)))
    for grade in (1, 2, 3, 4):
        assert f'class="band band-g{grade}"' in svg
        assert f">G{grade}</text>" in svg
    assert "CTCAE grade 4: 0 to under 25 ×10⁹/L" in svg


def test_grade_3_and_4_readings_differ_in_shape_and_grade_4_is_labelled() -> None:
    svg = charts.render_lab_chart(platelets(point(3, 180, 0), point(10, 40, 3), point(20, 22, 4)))
    assert svg.count("<circle") == 1  # the grade 0 reading
    assert '<g class="pt pt-g3">' in svg and "<rect" in svg.split('<g class="pt pt-g3">', 1)[1].split("</g>", 1)[0]
    g4 = svg.split('<g class="pt pt-g4">', 1)[1].split("</g>", 1)[0]
    assert "<path" in g4 and ">G4 · 22</text>" in g4
    assert "<title>21 Oct 2026 08:00: 22 ×10⁹/L, grade 4</title>" in g4


def test_nadir_windows_are_shaded_and_dose_days_marked_taken_or_not() -> None:
    spans = (charts.Span(T0 + timedelta(days=13), T0 + timedelta(days=21), "Cycle 1 nadir window, days 14–21"),)
    markers = (
        charts.Marker(T0 + timedelta(hours=12), True, "Ixazomib cycle 1 day 1: taken"),
        charts.Marker(T0 + timedelta(days=7, hours=12), False, "Ixazomib cycle 1 day 8: not logged"),
    )
    svg = charts.render_lab_chart(platelets(point(3, 180, 0), spans=spans, markers=markers))
    assert svg.count('class="span"') == 1 and "<title>Cycle 1 nadir window, days 14–21</title>" in svg
    assert 'class="dose dose-taken"' in svg and 'class="dose dose-missed"' in svg
    assert 'fill="url(#chart-platelets-hatch)"' in svg  # a hatch, not only a tint


def test_an_empty_chart_says_so() -> None:
    svg = charts.render_lab_chart(platelets())
    assert "No platelets results in this period" in svg
    assert "Platelets: no results from 1 Oct to 26 Nov." in svg
    parse(svg)


def test_text_is_escaped() -> None:
    chart = charts.LabChart("c", "<b>x</b>", "u&v", frame(), (point(1, 5, 0),), ())
    svg = charts.render_lab_chart(chart)
    assert "<b>" not in svg and "&lt;b&gt;x&lt;/b&gt;" in svg and "u&amp;v" in svg
    parse(svg)


def test_a_symptom_chart_writes_each_grade_in_its_mark() -> None:
    rows = (
        charts.SymptomRow("Diarrhea", (charts.SymptomMark(T0 + timedelta(days=2), 3, "3", "Diarrhea, grade 3"),)),
        charts.SymptomRow("Temperature (°C)", (charts.SymptomMark(T0 + timedelta(days=4), None, "38.4", "38.4 °C"),)),
    )
    svg = charts.render_symptom_chart(charts.SymptomChart("chart-symptoms", "Symptom grades", frame(), rows))
    root = parse(svg)
    assert root.get("role") == "img"
    assert '<g class="sym sym-g3">' in svg and ">3</text>" in svg and ">38.4</text>" in svg
    assert "Diarrhea: 1 report, worst Diarrhea, grade 3 on 3 Oct" in svg


def week_labels(days: int) -> tuple[charts.AxisLabel, ...]:
    """A date every week of `days`, every fourth week starting a cycle."""
    return tuple(
        charts.AxisLabel(T0 + timedelta(days=d), f"{d} Oct", f"C{d // 28 + 1}" if d % 28 == 0 else "")
        for d in range(0, days, 7)
    )


def x_labels(svg: str, css: str = "x-label") -> list[tuple[float, str]]:
    texts = parse(svg).iter(f"{SVG}text")
    return [(float(t.get("x", 0)), t.text or "") for t in texts if t.get("class") == css]


def test_every_week_has_a_date_under_the_axis_and_each_cycle_start_its_name_and_a_line() -> None:
    svg = charts.render_lab_chart(platelets(axis_labels=week_labels(56)))
    dates = x_labels(svg)
    assert [shown for _, shown in dates] == [f"{day} Oct" for day in range(0, 56, 7)]
    assert x_labels(svg, "x-cycle") == [(dates[0][0], "C1"), (dates[4][0], "C2")]  # under their dates
    lines = [line.get("class") for line in parse(svg).iter(f"{SVG}line") if line.get("class", "").endswith("-line")]
    assert lines.count("cycle-line") == 2 and lines.count("week-line") == 6


def test_on_a_long_period_weeks_thin_out_and_no_two_labels_overlap_nor_pass_the_edge() -> None:
    long = charts.TimeFrame(start=T0, end=T0 + timedelta(days=196), tz=UTC, axis_labels=week_labels(196))
    svg = charts.render_lab_chart(
        charts.LabChart("chart-platelets", "Platelets", "×10⁹/L", long, (), charts.bands_below([(4, 25), (1, 150)]))
    )
    shown = x_labels(svg)
    assert len(x_labels(svg, "x-cycle")) == 7  # every cycle start kept
    assert 7 < len(shown) < 28  # some weeks, not all
    for (x0, text0), (x1, _) in itertools.pairwise(shown):
        assert x0 + len(text0) * charts.X_LABEL_CHAR_WIDTH + charts.X_LABEL_GAP <= x1
    x_last, text_last = shown[-1]
    assert x_last + len(text_last) * charts.X_LABEL_CHAR_WIDTH <= charts.WIDTH
