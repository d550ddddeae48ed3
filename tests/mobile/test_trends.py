"""The trend charts' geometry, computed without Kivy: grade bands at the CTCAE cut-points, the
readings in time order, the IRd dose days and the nadir window; and symptom grades by day."""

from __future__ import annotations

from datetime import timedelta

import pytest

from mobile import strings as S
from mobile.journal import Journal
from mobile.presenters.trends import TrendsPresenter, latest_label_side, nice_ceiling
from mobile.store import Store
from shared.lab_grading import CRITERIA
from tests.mobile.conftest import NOW


def test_the_bands_sit_at_the_ctcae_cut_points_and_the_usual_lower_limit(store: Store, journal: Journal) -> None:
    journal.record_lab("platelets", 180, "K/uL", NOW)
    chart = TrendsPresenter(store).lab_chart("platelets", NOW)
    top = 250.0  # 180 × 1.1 rounded up to a round number
    cuts = sorted(float(c) for _, c in CRITERIA["platelets"].cuts)  # 25, 50, 75
    assert [(b.grade, b.label) for b in chart.bands] == [(4, "G4"), (3, "G3"), (2, "G2"), (1, "G1"), (0, "Normal")]
    assert [round(b.hi * top, 6) for b in chart.bands] == [*cuts, 150.0, top]
    assert [t.label for t in chart.y_ticks] == ["0", "50", "100", "150", "200", "250"]
    assert chart.unit_label == "×10⁹/L"


def test_readings_in_any_unit_are_drawn_in_the_canonical_unit_in_time_order(store: Store, journal: Journal) -> None:
    journal.record_lab("platelets", 42000, "/uL", NOW - timedelta(days=2))
    journal.record_lab("platelets", 18, "10^9/L", NOW)
    journal.record_lab("platelets", 120, "K/uL", NOW - timedelta(days=9))
    chart = TrendsPresenter(store).lab_chart("platelets", NOW)
    assert [p.label for p in chart.points] == ["120", "42", "18"]
    assert [p.grade for p in chart.points] == [1, 3, 4]
    xs = [p.x for p in chart.points]
    assert xs == sorted(xs) and 0 < xs[0] and xs[-1] <= 1
    assert chart.latest == "Latest: 18 ×10⁹/L, today 19:30 · Grade 4 of 4 (life-threatening)"


def test_dose_days_and_the_nadir_window_are_marked(store: Store, journal: Journal) -> None:
    chart = TrendsPresenter(store).lab_chart("anc", NOW, days=28)  # Oct 19 .. Nov 15; treatment from Nov 1
    day = 1 / 28
    assert chart.ixazomib_days == pytest.approx([(13 + 0.5) * day, (20 + 0.5) * day, (27 + 0.5) * day])
    [lenalidomide] = chart.lenalidomide_days
    assert (lenalidomide.x0, lenalidomide.x1) == pytest.approx((13 * day, 1.0))
    [nadir] = chart.nadir
    assert (nadir.x0, nadir.x1) == pytest.approx((26 * day, 1.0))  # days 14 and 15 so far
    assert chart.empty == S.TRENDS_EMPTY and chart.points == []


def test_hemoglobin_bands_follow_its_own_criteria(store: Store, journal: Journal) -> None:
    journal.record_lab("hemoglobin", 96, "g/L", NOW)
    chart = TrendsPresenter(store).lab_chart("hemoglobin", NOW)
    assert [b.grade for b in chart.bands] == [3, 2, 1, 0]  # no grade 4 cut-point for anemia
    assert [p.label for p in chart.points] == ["9.6"]


def test_axis_tops_are_round() -> None:
    assert [nice_ceiling(v) for v in (0.9, 2.25, 15, 187.5, 345)] == [1, 2.5, 20, 200, 500]


def test_symptoms_by_day_show_the_worst_grade_and_a_fever(store: Store, journal: Journal) -> None:
    journal.record_symptom("nausea", {"severity": "mild"}, NOW - timedelta(days=1, hours=2))
    journal.record_symptom("nausea", {"severity": "severe"}, NOW - timedelta(days=1))
    journal.record_symptom("fever", {"temperature_c": 38.5}, NOW)
    journal.record_symptom("nausea", {"severity": "moderate"}, NOW - timedelta(days=20))  # outside the window
    grid = TrendsPresenter(store).symptom_grid(NOW)
    assert grid.day_labels[0] == "2" and grid.day_labels[-1] == "15"
    assert [r.name for r in grid.rows] == ["Fever", "Nausea"]
    fever, nausea = grid.rows
    assert [(c.text, c.level) for c in nausea.cells if c.text] == [("3", 3)]
    assert nausea.cells[-2].text == "3" and fever.cells[-1].text == "°"


def test_no_symptoms_says_so(store: Store) -> None:
    assert TrendsPresenter(store).symptom_grid(NOW).empty == S.TRENDS_SYMPTOMS_EMPTY


def test_the_latest_value_is_labelled_away_from_the_line_coming_into_it(store: Store, journal: Journal) -> None:
    journal.record_lab("platelets", 160, "K/uL", NOW - timedelta(days=9))
    journal.record_lab("platelets", 18, "K/uL", NOW)  # a fall to today, at the chart's right edge
    chart = TrendsPresenter(store).lab_chart("platelets", NOW)
    assert latest_label_side(chart.points) == ("below", "left")  # the line comes down from the upper left
    journal.record_lab("platelets", 120, "K/uL", NOW + timedelta(minutes=1))
    rising = TrendsPresenter(store).lab_chart("platelets", NOW + timedelta(minutes=1))
    assert latest_label_side(rising.points) == ("above", "left")
    journal.record_lab("platelets", 60, "K/uL", NOW + timedelta(minutes=2))
    falling = TrendsPresenter(store).lab_chart("platelets", NOW + timedelta(minutes=2))
    assert latest_label_side(falling.points) == ("below", "left")
