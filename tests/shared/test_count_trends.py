"""Early warning on a falling count: half gone since the cycle's first value, or a straight line
that crosses the label's hold threshold before the next ixazomib day."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from shared.count_trends import Count, early_warning
from shared.regimen import CycleDay

START = date(2026, 1, 5)
PLATELET_HOLD = Decimal(30)
ANC_HOLD = Decimal("0.5")


def day(cycle: int, n: int) -> date:
    return START + timedelta(days=(cycle - 1) * 28 + n - 1)


def warn(
    counts: list[tuple[date, str]], hold: Decimal = PLATELET_HOLD, today: date | None = None, analyte: str = "platelets"
):  # type: ignore[no-untyped-def]
    series = [Count(on, Decimal(v)) for on, v in counts]
    return early_warning(
        analyte=analyte, start_date=START, counts=series, hold_below=hold, today=today or max(on for on, _ in counts)
    )


@pytest.mark.parametrize(("latest", "warns"), [("100.1", False), ("100", True), ("99.9", True)])
def test_a_fall_of_half_from_the_cycles_first_value_warns(latest: str, warns: bool) -> None:
    # Day 1 and day 14: the line through them (100 in 13 days) stays above 30 on day 15.
    result = warn([(day(2, 1), "200"), (day(2, 14), latest)])
    assert (result is not None and result.fell_by is not None) is warns


@pytest.mark.parametrize(("latest", "warns"), [("0.61", False), ("0.6", True), ("0.59", True)])
def test_the_anc_fall_counts_the_same_way(latest: str, warns: bool) -> None:
    result = warn([(day(4, 1), "1.2"), (day(4, 15), latest)], hold=ANC_HOLD, analyte="anc")
    assert (result is not None and result.fell_by is not None) is warns


def test_the_count_the_cycle_started_on_is_its_first_value() -> None:
    # Drawn two days before day 1: the cycle started on it, not on a lower count a week earlier.
    result = warn([(day(2, 22), "80"), (day(3, 1) - timedelta(days=2), "240"), (day(3, 14), "118")])
    assert result is not None
    assert result.first == Count(day(3, 1) - timedelta(days=2), Decimal(240))
    assert result.fell_by == (Decimal(240) - Decimal(118)) / Decimal(240)


def test_without_a_count_at_the_start_the_cycles_first_count_is_the_reference() -> None:
    result = warn([(day(2, 3), "150"), (day(2, 16), "70")])
    assert result is not None and result.first.on == day(2, 3)


@pytest.mark.parametrize(("day8", "warns"), [("50", False), ("49.99", True)])
def test_a_straight_line_below_the_hold_threshold_by_the_next_ixazomib_day_warns(day8: str, warns: bool) -> None:
    # 70 on day 1, then day 8: the line goes on to day 15 (7 more days). 70 -> 50 reaches 30 on day
    # 15 exactly (not below: the label holds below 30); 49.99 goes below.
    result = warn([(day(5, 1), "70"), (day(5, 8), day8)])
    assert (result is not None and result.projected is not None) is warns
    if result is not None:
        assert result.recheck_before == day(5, 15)
        assert result.recheck_day == CycleDay(5, 15)
        assert result.fell_by is None


def test_the_line_runs_through_the_last_two_counts() -> None:
    # A fall, then a rise: the last two say it is recovering, so no projection warns.
    assert warn([(day(2, 1), "80"), (day(2, 5), "45"), (day(2, 8), "60")]) is None


def test_after_day_15_the_next_ixazomib_day_is_the_next_cycles_day_1() -> None:
    result = warn([(day(2, 16), "90"), (day(2, 20), "60")])
    assert result is not None and result.projected is not None
    assert result.recheck_before == day(3, 1)
    assert result.recheck_day == CycleDay(3, 1)


def test_a_late_reading_asks_for_a_recheck_before_the_next_dose_from_today() -> None:
    result = warn([(day(2, 1), "200"), (day(2, 6), "90")], today=day(2, 10))
    assert result is not None and result.recheck_before == day(2, 15)


def test_below_the_hold_threshold_already_the_labels_alert_speaks_instead() -> None:
    assert warn([(day(2, 1), "200"), (day(2, 14), "29.9")]) is None
    assert warn([(day(2, 1), "200"), (day(2, 14), "30")]) is not None


def test_one_count_alone_never_warns() -> None:
    assert warn([(day(2, 14), "31")]) is None


def test_counts_before_the_regimen_never_warn() -> None:
    assert warn([(START - timedelta(days=9), "200"), (START - timedelta(days=2), "60")]) is None


def test_one_warning_per_analyte_and_cycle() -> None:
    first = warn([(day(2, 1), "200"), (day(2, 10), "90")])
    second = warn([(day(2, 1), "200"), (day(2, 10), "90"), (day(2, 12), "80")])
    assert first is not None and second is not None and first.episode == second.episode == "platelets:2"


@pytest.mark.parametrize(("age", "warns"), [(6, True), (7, True), (8, False)])
def test_a_latest_count_older_than_a_week_warns_of_nothing(age: int, warns: bool) -> None:
    result = warn([(day(2, 1), "200"), (day(2, 6), "90")], today=day(2, 6) + timedelta(days=age))
    assert (result is not None) is warns
