"""Specification of shared.response: the IMWG response of a patient's marker history (contract §5).

Each threshold is tested just below, at and just above, in every unit a lab prints it in; then the
four worked sequences of issue 14; then properties that hold for any history."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.markers import parse_marker_value
from shared.response import (
    RANK,
    Category,
    Reading,
    ResponseSettings,
    ResponseSummary,
    Track,
    assessments_by_day,
    evaluate,
    progression_threshold,
)

START = date(2026, 1, 5)
ZONE = ZoneInfo("America/New_York")
# A marker: a number with its unit, or a word; {"mrd": ("negative", "NGS", "1e-6")} for MRD.
Day = dict[str, object]


def _readings(day: date, markers: Day) -> list[Reading]:
    at = datetime(day.year, day.month, day.day, 9, 0, tzinfo=ZONE)
    found = []
    for key, spec in markers.items():
        if key == "mrd":
            status, method, sensitivity = spec  # type: ignore[misc]
            v = parse_marker_value("mrd", status, method=method, sensitivity=sensitivity)
        elif isinstance(spec, tuple):
            v = parse_marker_value(key, Decimal(str(spec[0])), spec[1])
        else:
            v = parse_marker_value(key, spec)
        found.append(Reading(key, at, v.canonical, v.text, v.method, v.sensitivity))
    return found


def history(baseline: Day, *follow: Day, every: int = 28, **setting: Decimal) -> ResponseSummary:
    """Baseline on the day before cycle 1 day 1, then one assessment every `every` days."""
    readings = _readings(START - timedelta(days=1), baseline)
    for n, markers in enumerate(follow, start=1):
        readings += _readings(START + timedelta(days=every * n), markers)
    return evaluate(assessments_by_day(readings, ZONE), START, ResponseSettings(**setting))


def categories(baseline: Day, *follow: Day, **setting: Decimal) -> list[tuple[str, bool]]:
    return [(a.category.value, a.confirmed) for a in history(baseline, *follow, **setting).assessments]


def last(baseline: Day, *follow: Day, **setting: Decimal) -> str:
    return history(baseline, *follow, **setting).assessments[-1].category.value


def g_dl(x: str) -> tuple[str, str]:
    return (x, "g/dL")


# ---------------------------------------------------------------------------
# The four worked sequences of issue 14
# ---------------------------------------------------------------------------


def test_serum_and_urine_both_measurable_partial_response_then_confirmed() -> None:
    s = history(
        {"serum_m_protein": g_dl("3.0"), "urine_m_protein": (350, "mg/24h")},
        {"serum_m_protein": g_dl("1.4"), "urine_m_protein": (150, "mg/24h")},
        {"serum_m_protein": g_dl("1.3"), "urine_m_protein": (140, "mg/24h")},
    )
    assert s.measurable.by is Track.SERUM and s.measurable.urine
    assert [(a.category, a.confirmed) for a in s.assessments] == [(Category.PR, False), (Category.PR, True)]
    assert s.current is not None and s.current.since == START + timedelta(days=28)


def test_a_rise_smaller_than_half_a_gram_is_not_progression_then_progression_is_confirmed() -> None:
    s = history(*({"serum_m_protein": g_dl(x)} for x in ("3.0", "0.8", "1.1", "1.35", "1.5")))
    assert [(a.category.value, a.confirmed) for a in s.assessments] == [
        ("PR", False),
        ("PR", True),  # 1.1 is +0.3 from the nadir 0.8: not PD
        ("PD", False),
        ("PD", True),
    ]
    assert len(s.episodes) == 1 and s.episodes[0].confirmed and s.episodes[0].reasons == ("serum",)
    assert s.best is not None and (s.best.category, s.best.since) == (Category.PR, START + timedelta(days=28))
    assert s.nadir == (START + timedelta(days=28), Decimal("0.8"))
    assert s.first_response == START + timedelta(days=28) and s.time_to_response_days == 28
    assert s.progression == START + timedelta(days=84)
    assert s.duration_of_response_days == 56 and not s.response_ongoing


def test_flc_only_disease_partial_then_very_good_partial_response() -> None:
    baseline = {
        "kappa_flc": (620, "mg/L"),
        "lambda_flc": (12, "mg/L"),
        "serum_m_protein": g_dl("0.4"),
        "urine_m_protein": (100, "mg/24h"),
    }
    follow = [{"kappa_flc": (12 + dflc, "mg/L"), "lambda_flc": (12, "mg/L")} for dflc in (270, 260, 40, 38)]
    s = history(baseline, *follow)
    assert (s.measurable.by, s.measurable.involved) == (Track.FLC, "kappa")
    assert [(a.category.value, a.confirmed) for a in s.assessments] == [
        ("PR", False),
        ("PR", True),
        ("VGPR", False),
        ("VGPR", True),
    ]
    assert s.assessments[0].values["dflc"] == Decimal(270)


def test_serum_and_urine_the_lower_category_wins_and_confirms_the_better_one_before() -> None:
    assert categories(
        {"serum_m_protein": g_dl("3.0")},
        {"serum_m_protein": g_dl("0.25"), "urine_m_protein": (50, "mg/24h")},
        {"serum_m_protein": g_dl("0.5"), "urine_m_protein": (50, "mg/24h")},
    ) == [("VGPR", False), ("PR", True)]


# ---------------------------------------------------------------------------
# Measurable disease at baseline, at each threshold, in each unit
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "unit", "by"),
    [
        ("0.99", "g/dL", None),
        ("1.0", "g/dL", Track.SERUM),
        ("1.01", "g/dL", Track.SERUM),
        ("9.9", "g/L", None),
        ("10", "g/L", Track.SERUM),
        ("10.1", "g/L", Track.SERUM),
    ],
)
def test_serum_m_protein_is_measurable_from_1_g_per_dl(value: str, unit: str, by: Track | None) -> None:
    assert history({"serum_m_protein": (value, unit)}).measurable.by is by


@pytest.mark.parametrize(("value", "by"), [("0.49", None), ("0.5", Track.SERUM), ("0.51", Track.SERUM)])
def test_a_clinic_may_measure_serum_from_half_a_gram(value: str, by: Track | None) -> None:
    assert history({"serum_m_protein": g_dl(value)}, serum_measurable=Decimal("0.5")).measurable.by is by


@pytest.mark.parametrize(
    ("value", "unit", "by"),
    [
        ("199", "mg/24h", None),
        ("200", "mg/24h", Track.URINE),
        ("201", "mg/24h", Track.URINE),
        ("0.199", "g/24h", None),
        ("0.2", "g/24h", Track.URINE),
        ("0.201", "g/24h", Track.URINE),
    ],
)
def test_urine_m_protein_is_measurable_from_200_mg_a_day(value: str, unit: str, by: Track | None) -> None:
    assert history({"urine_m_protein": (value, unit), "serum_m_protein": g_dl("0.6")}).measurable.by is by


@pytest.mark.parametrize(
    ("kappa", "unit", "by"),
    [
        ("99.9", "mg/L", None),
        ("100", "mg/L", Track.FLC),
        ("100.1", "mg/L", Track.FLC),
        ("9.99", "mg/dL", None),
        ("10", "mg/dL", Track.FLC),
        ("10.01", "mg/dL", Track.FLC),
    ],
)
def test_an_involved_light_chain_is_measurable_from_100_mg_per_l(kappa: str, unit: str, by: Track | None) -> None:
    assert history({"kappa_flc": (kappa, unit), "lambda_flc": ("10", "mg/L")}).measurable.by is by


@pytest.mark.parametrize(
    ("kappa", "by"),
    [("164.9", None), ("165", None), ("165.1", Track.FLC)],
)
def test_the_flc_ratio_must_be_above_1_65_for_kappa(kappa: str, by: Track | None) -> None:
    assert history({"kappa_flc": (kappa, "mg/L"), "lambda_flc": ("100", "mg/L")}).measurable.by is by


@pytest.mark.parametrize(("kappa", "involved"), [("25.9", "lambda"), ("26", None), ("26.1", None)])
def test_the_flc_ratio_must_be_below_0_26_for_lambda(kappa: str, involved: str | None) -> None:
    measurable = history({"kappa_flc": (kappa, "mg/L"), "lambda_flc": ("100", "mg/L")}).measurable
    assert measurable.involved == involved


def test_flc_counts_only_when_neither_serum_nor_urine_is_measurable() -> None:
    both = {"serum_m_protein": g_dl("1.0"), "kappa_flc": ("620", "mg/L"), "lambda_flc": ("12", "mg/L")}
    assert history(both).measurable.by is Track.SERUM


@pytest.mark.parametrize(("marrow", "by"), [("29.9", None), ("30", Track.MARROW), ("30.1", Track.MARROW)])
def test_marrow_is_measurable_from_30_percent_only_when_nothing_else_is(marrow: str, by: Track | None) -> None:
    assert history({"marrow_plasma_cells": (marrow, "%")}).measurable.by is by


def test_without_baseline_or_measurable_disease_every_assessment_is_not_evaluable() -> None:
    assert categories({"serum_m_protein": g_dl("0.9")}, {"serum_m_protein": g_dl("0.1")}) == [("NE", False)]
    readings = _readings(START + timedelta(days=28), {"serum_m_protein": g_dl("2.0")})
    s = evaluate(assessments_by_day(readings, ZONE), START)
    assert s.baseline is None and [a.category for a in s.assessments] == [Category.NE]


def test_the_baseline_is_the_last_assessment_on_or_before_cycle_1_day_1() -> None:
    readings = _readings(START - timedelta(days=20), {"serum_m_protein": g_dl("4.0")})
    readings += _readings(START, {"serum_m_protein": g_dl("2.0")})
    readings += _readings(START + timedelta(days=1), {"serum_m_protein": g_dl("1.0")})
    s = evaluate(assessments_by_day(readings, ZONE), START)
    assert s.baseline is not None and s.baseline.day == START
    assert [a.category for a in s.assessments] == [Category.PR]  # 1.0 is -50% of 2.0, not -75% of 4.0


# ---------------------------------------------------------------------------
# Response from baseline, at each threshold
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "unit", "category"),
    [
        ("0.19", "g/dL", "VGPR"),
        ("0.2", "g/dL", "VGPR"),  # -90%
        ("0.21", "g/dL", "PR"),
        ("2", "g/L", "VGPR"),
        ("2.1", "g/L", "PR"),
        ("0.99", "g/dL", "PR"),
        ("1.0", "g/dL", "PR"),  # -50%
        ("1.01", "g/dL", "MR"),
        ("10", "g/L", "PR"),
        ("10.1", "g/L", "MR"),
        ("1.49", "g/dL", "MR"),
        ("1.5", "g/dL", "MR"),  # -25%
        ("1.51", "g/dL", "SD"),
        ("15", "g/L", "MR"),
        ("15.1", "g/L", "SD"),
    ],
)
def test_serum_falls_of_90_50_and_25_percent(value: str, unit: str, category: str) -> None:
    assert last({"serum_m_protein": g_dl("2.0")}, {"serum_m_protein": (value, unit)}) == category


@pytest.mark.parametrize(
    ("urine", "unit", "category"),
    [
        ("99", "mg/24h", "VGPR"),
        ("100", "mg/24h", "PR"),  # VGPR needs urine below 100
        ("0.099", "g/24h", "VGPR"),
        ("0.1", "g/24h", "PR"),
        ("199", "mg/24h", "PR"),
        ("200", "mg/24h", "MR"),  # PR needs urine below 200 (or down 90%)
        ("0.2", "g/24h", "MR"),
    ],
)
def test_a_urine_result_with_serum_only_disease_must_agree(urine: str, unit: str, category: str) -> None:
    assert (
        last(
            {"serum_m_protein": g_dl("3.0")},
            {"serum_m_protein": g_dl("0.1"), "urine_m_protein": (urine, unit)},
        )
        == category
    )


@pytest.mark.parametrize(
    ("urine", "category"),
    [("99", "VGPR"), ("100", "PR"), ("199", "PR"), ("200", "PR"), ("201", "MR"), ("1000", "MR"), ("1001", "SD")],
)
def test_urine_only_disease_ladder(urine: str, category: str) -> None:
    # Baseline 2000 mg/24 h: -90% is 200, -50% is 1000.
    assert last({"urine_m_protein": ("2000", "mg/24h")}, {"urine_m_protein": (urine, "mg/24h")}) == category


def _flc(dflc: str, unit: str = "mg/L") -> Day:
    lam = Decimal(10) if unit == "mg/L" else Decimal(1)
    return {"kappa_flc": (str(Decimal(dflc) + lam), unit), "lambda_flc": (str(lam), unit)}


@pytest.mark.parametrize(
    ("dflc", "unit", "category"),
    [
        ("99.9", "mg/L", "VGPR"),
        ("100", "mg/L", "VGPR"),  # -90% of 1000
        ("100.1", "mg/L", "PR"),
        ("10", "mg/dL", "VGPR"),
        ("10.01", "mg/dL", "PR"),
        ("500", "mg/L", "PR"),
        ("500.1", "mg/L", "SD"),  # FLC-only disease has no MR
        ("50", "mg/dL", "PR"),
        ("50.01", "mg/dL", "SD"),
    ],
)
def test_flc_only_disease_ladder(dflc: str, unit: str, category: str) -> None:
    assert last(_flc("1000"), _flc(dflc, unit)) == category


@pytest.mark.parametrize(("marrow", "category"), [("19.9", "PR"), ("20", "PR"), ("20.1", "SD")])
def test_marrow_only_disease_partial_response_at_half(marrow: str, category: str) -> None:
    assert last({"marrow_plasma_cells": ("40", "%")}, {"marrow_plasma_cells": (marrow, "%")}) == category


CR_DAY: Day = {
    "serum_m_protein": g_dl("0"),
    "serum_ife": "negative",
    "urine_ife": "negative",
    "marrow_plasma_cells": ("4.9", "%"),
}


@pytest.mark.parametrize(("marrow", "category"), [("4.9", "CR"), ("5", "VGPR"), ("5.1", "VGPR")])
def test_complete_response_needs_marrow_plasma_cells_below_5_percent(marrow: str, category: str) -> None:
    assert last({"serum_m_protein": g_dl("3.0")}, {**CR_DAY, "marrow_plasma_cells": (marrow, "%")}) == category


def test_complete_response_needs_both_immunofixations_negative() -> None:
    assert last({"serum_m_protein": g_dl("3.0")}, {**CR_DAY, "urine_ife": "positive"}) == "VGPR"
    assert last({"serum_m_protein": g_dl("3.0")}, {**CR_DAY, "serum_ife": "positive"}) == "VGPR"


def test_the_marrow_need_not_be_repeated_to_confirm_a_complete_response() -> None:
    without_marrow = {k: v for k, v in CR_DAY.items() if k != "marrow_plasma_cells"}
    assert categories({"serum_m_protein": g_dl("3.0")}, CR_DAY, without_marrow) == [("CR", False), ("CR", True)]


@pytest.mark.parametrize(
    ("kappa", "clonal", "category"),
    [("16.5", "absent", "sCR"), ("16.6", "absent", "CR"), ("16.5", "present", "CR"), ("2.6", "absent", "sCR")],
)
def test_stringent_complete_response_adds_a_normal_ratio_and_no_clonal_cells(
    kappa: str, clonal: str, category: str
) -> None:
    day = {**CR_DAY, "kappa_flc": (kappa, "mg/L"), "lambda_flc": ("10", "mg/L"), "marrow_clonal_cells": clonal}
    assert last({"serum_m_protein": g_dl("3.0")}, day) == category


def test_flc_only_complete_response_needs_a_normal_ratio() -> None:
    cr = {"serum_ife": "negative", "urine_ife": "negative", "marrow_plasma_cells": ("2", "%")}
    assert last(_flc("1000"), {**cr, **_flc("0")}) == "CR"
    assert last(_flc("1000"), {**cr, **_flc("20")}) == "VGPR"  # ratio 3.0: abnormal


# ---------------------------------------------------------------------------
# Progression from the nadir, at each threshold
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("nadir", "value", "unit", "progression"),
    [
        ("2.0", "2.49", "g/dL", False),
        ("2.0", "2.5", "g/dL", True),  # +25% and +0.5
        ("2.0", "2.51", "g/dL", True),
        ("2.0", "24.9", "g/L", False),
        ("2.0", "25", "g/L", True),
        ("1.0", "1.49", "g/dL", False),  # +49% but only +0.49 g/dL
        ("1.0", "1.5", "g/dL", True),
        ("4.0", "4.99", "g/dL", False),  # +0.99 but only +24.75%
        ("4.0", "5.0", "g/dL", True),
        ("5.0", "6.24", "g/dL", False),  # nadir >= 5: +1 g/dL, and +25%
        ("5.0", "6.25", "g/dL", True),
        ("0", "0.49", "g/dL", False),  # an M-spike that comes back
        ("0", "0.5", "g/dL", True),
    ],
)
def test_serum_progression_is_25_percent_and_half_a_gram_above_the_nadir(
    nadir: str, value: str, unit: str, progression: bool
) -> None:
    s = history({"serum_m_protein": g_dl("8.0")}, {"serum_m_protein": g_dl(nadir)}, {"serum_m_protein": (value, unit)})
    assert (s.assessments[-1].category is Category.PD) is progression


def test_the_nadir_is_the_lowest_value_so_far_not_the_latest() -> None:
    s = history(*({"serum_m_protein": g_dl(x)} for x in ("3.0", "1.0", "1.2", "1.5")))
    assert [a.category.value for a in s.assessments] == ["PR", "PR", "PD"]


@pytest.mark.parametrize(
    ("value", "unit", "progression"),
    [("599", "mg/24h", False), ("600", "mg/24h", True), ("0.599", "g/24h", False), ("0.6", "g/24h", True)],
)
def test_urine_progression_is_25_percent_and_200_mg_above_the_nadir(value: str, unit: str, progression: bool) -> None:
    s = history(
        {"urine_m_protein": ("2000", "mg/24h")},
        {"urine_m_protein": ("400", "mg/24h")},
        {"urine_m_protein": (value, unit)},
    )
    assert (s.assessments[-1].category is Category.PD) is progression


@pytest.mark.parametrize(
    ("nadir", "value", "unit", "progression"),
    [
        ("200", "300", "mg/L", False),  # +100 is not more than 100
        ("200", "300.1", "mg/L", True),
        ("200", "30", "mg/dL", False),
        ("200", "30.01", "mg/dL", True),
        ("600", "749.9", "mg/L", False),  # +149.9 but only +24.98%
        ("600", "750", "mg/L", True),
    ],
)
def test_flc_only_progression_is_25_percent_and_more_than_100_mg_per_l(
    nadir: str, value: str, unit: str, progression: bool
) -> None:
    s = history(_flc("2000"), _flc(nadir), _flc(value, unit))
    assert (s.assessments[-1].category is Category.PD) is progression


@pytest.mark.parametrize(("value", "progression"), [("29.9", False), ("30", True), ("30.1", True)])
def test_marrow_only_progression_is_25_percent_and_10_points(value: str, progression: bool) -> None:
    s = history(
        {"marrow_plasma_cells": ("60", "%")},
        {"marrow_plasma_cells": ("20", "%")},
        {"marrow_plasma_cells": (value, "%")},
    )
    assert (s.assessments[-1].category is Category.PD) is progression


def test_a_new_lesion_is_progression_confirmed_at_once() -> None:
    s = history({"serum_m_protein": g_dl("3.0")}, {"serum_m_protein": g_dl("1.0"), "new_lesion": "yes"})
    assert [(a.category.value, a.confirmed) for a in s.assessments] == [("PD", True)]
    assert s.episodes[0].reasons == ("new_lesion",)


def test_progression_thresholds_for_the_chart() -> None:
    assert progression_threshold(Track.SERUM, Decimal("0.8")) == (Decimal("1.3"), False)
    assert progression_threshold(Track.URINE, Decimal(400)) == (Decimal(600), False)
    assert progression_threshold(Track.FLC, Decimal(200)) == (Decimal(300), True)


def test_each_run_of_progression_is_one_episode() -> None:
    s = history(*({"serum_m_protein": g_dl(x)} for x in ("3.0", "1.0", "1.6", "1.0", "1.6", "1.7")))
    assert [a.category.value for a in s.assessments] == ["PR", "PD", "PR", "PD", "PD"]
    assert [(e.confirmed, e.start) for e in s.episodes] == [
        (False, START + timedelta(days=56)),
        (True, START + timedelta(days=112)),
    ]


# ---------------------------------------------------------------------------
# Confirmation, best response, relapse from CR, MRD
# ---------------------------------------------------------------------------


def test_the_first_assessment_is_never_confirmed_and_sd_is_confirmed_by_any_response_before() -> None:
    assert categories(
        {"serum_m_protein": g_dl("2.0")}, {"serum_m_protein": g_dl("1.4")}, {"serum_m_protein": g_dl("1.6")}
    ) == [("MR", False), ("SD", True)]


def test_best_is_the_highest_confirmed_and_current_dates_from_the_start_of_its_run() -> None:
    s = history(*({"serum_m_protein": g_dl(x)} for x in ("4.0", "1.9", "0.3", "0.35", "0.7")))
    assert [(a.category.value, a.confirmed) for a in s.assessments] == [
        ("PR", False),
        ("VGPR", False),
        ("VGPR", True),
        ("PR", True),
    ]
    assert s.best is not None and (s.best.category, s.best.since) == (Category.VGPR, START + timedelta(days=56))
    assert s.current is not None and (s.current.category, s.current.since) == (Category.PR, START + timedelta(days=28))
    assert s.response_ongoing and s.duration_of_response_days == 84


def test_relapse_from_complete_response_is_reported_apart_from_progression() -> None:
    s = history({"serum_m_protein": g_dl("3.0")}, CR_DAY, CR_DAY, {**CR_DAY, "serum_ife": "positive"})
    assert [a.category.value for a in s.assessments] == ["CR", "CR", "VGPR"]
    assert s.relapse_from_cr == START + timedelta(days=84)
    assert not s.episodes


def test_mrd_is_reported_only_in_complete_response_and_sustained_a_year_apart() -> None:
    negative = ("negative", "NGS", "1e-6")
    days = [{**CR_DAY, "mrd": negative}] + [CR_DAY] * 13 + [{**CR_DAY, "mrd": negative}]
    s = history({"serum_m_protein": g_dl("3.0")}, *days, every=28)
    assert s.mrd is not None and s.mrd.sustained and s.mrd.sensitivity == "1e-6"
    assert s.assessments[0].mrd is not None and not s.assessments[0].mrd.sustained
    short = history({"serum_m_protein": g_dl("3.0")}, *days[-3:])
    assert short.mrd is not None and not short.mrd.sustained
    not_cr = history({"serum_m_protein": g_dl("3.0")}, {"serum_m_protein": g_dl("1.0"), "mrd": negative})
    assert not_cr.mrd is None and not_cr.assessments[0].mrd is None


# ---------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------

_serum = st.decimals(min_value=0, max_value=10, places=2)


@settings(max_examples=60, deadline=None)
@given(st.lists(_serum, min_size=2, max_size=8), st.randoms(use_true_random=False))
def test_the_order_results_arrive_in_never_matters(values: list[Decimal], rnd: object) -> None:
    readings = []
    for n, value in enumerate(values):
        at = datetime(2025, 12, 20, 12, tzinfo=UTC) + timedelta(days=28 * n)
        readings.append(Reading("serum_m_protein", at, value))
        readings.append(Reading("urine_m_protein", at + timedelta(hours=1), value * 100))
    shuffled = list(readings)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    one = evaluate(assessments_by_day(readings, ZONE), START)
    other = evaluate(assessments_by_day(shuffled, ZONE), START)
    assert one == other


@settings(max_examples=60, deadline=None)
@given(st.lists(_serum, min_size=1, max_size=10))
def test_a_confirmed_assessment_always_follows_one_as_good(values: list[Decimal]) -> None:
    s = history({"serum_m_protein": g_dl("3.0")}, *({"serum_m_protein": (str(v), "g/dL")} for v in values))
    for before, after in zip(s.assessments, s.assessments[1:], strict=False):
        if after.confirmed and after.category is not Category.PD:
            assert after.category is not Category.NE
            assert before.category not in (Category.PD, Category.NE)
    assert not s.assessments[0].confirmed
    if s.best is not None and s.best.category is not Category.PD:
        # Two consecutive assessments both met the best category (or better).
        assert any(
            RANK[a.category] >= RANK[s.best.category] and RANK[b.category] >= RANK[s.best.category]
            for a, b in zip(s.assessments, s.assessments[1:], strict=False)
            if Category.PD not in (a.category, b.category)
        )


@settings(max_examples=60, deadline=None)
@given(_serum.filter(lambda v: v > 0), st.sampled_from(["g/dL", "g/L"]))
def test_a_value_means_the_same_in_either_unit(value: Decimal, unit: str) -> None:
    shown = value if unit == "g/dL" else value * 10
    a = last({"serum_m_protein": g_dl("3.0")}, {"serum_m_protein": g_dl(str(value))})
    b = last({"serum_m_protein": g_dl("3.0")}, {"serum_m_protein": (str(shown), unit)})
    assert a == b


_any_reading = st.one_of(
    st.builds(
        lambda k, v: (k, v, None),
        st.sampled_from(["serum_m_protein", "urine_m_protein", "kappa_flc", "lambda_flc", "marrow_plasma_cells"]),
        st.decimals(min_value=0, max_value=800, places=2),
    ),
    st.builds(
        lambda k, w: (k, None, w),
        st.sampled_from(["serum_ife", "urine_ife", "marrow_clonal_cells", "new_lesion", "mrd"]),
        st.sampled_from(["positive", "negative", "present", "absent", "yes", "no"]),
    ),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(min_value=-60, max_value=400), _any_reading), max_size=40))
def test_any_history_is_assessed_without_error_one_entry_per_day_after_the_baseline(
    history_: list[tuple[int, tuple[str, Decimal | None, str | None]]],
) -> None:
    readings = [
        Reading(key, datetime(2026, 1, 5, 12, tzinfo=UTC) + timedelta(days=offset), value, text)
        for offset, (key, value, text) in history_
    ]
    s = evaluate(assessments_by_day(readings, ZONE), START)
    after = {r.collected_at.astimezone(ZONE).date() for r in readings} - {
        d for d in (r.collected_at.astimezone(ZONE).date() for r in readings) if d <= START
    }
    assert [a.day for a in s.assessments] == sorted(after)
    if s.assessments:
        assert s.current is not None and s.current.category is s.assessments[-1].category
    if s.measurable.by is None:
        assert all(a.category is Category.NE for a in s.assessments)
    for episode in s.episodes:
        assert episode.start <= episode.latest


def test_a_partial_response_followed_by_a_very_good_one_confirms_the_partial_response() -> None:
    s = history(*({"serum_m_protein": g_dl(x)} for x in ("3.0", "1.4", "0.25")))
    assert [(a.category.value, a.confirmed) for a in s.assessments] == [("PR", False), ("VGPR", False)]
    assert s.best is not None and (s.best.category, s.best.since) == (Category.PR, START + timedelta(days=28))
    assert s.first_response == START + timedelta(days=28) and s.time_to_response_days == 28
    assert s.current is not None and (s.current.category, s.current.confirmed) == (Category.VGPR, False)


def test_relapse_from_cr_counts_from_a_cr_confirmed_by_an_scr() -> None:
    scr = {**CR_DAY, "kappa_flc": ("10", "mg/L"), "lambda_flc": ("10", "mg/L"), "marrow_clonal_cells": "absent"}
    s = history({"serum_m_protein": g_dl("3.0")}, CR_DAY, scr, {**CR_DAY, "urine_ife": "positive"})
    assert [a.category.value for a in s.assessments] == ["CR", "sCR", "VGPR"]
    assert s.best is not None and s.best.category is Category.CR
    assert s.relapse_from_cr == START + timedelta(days=84)
