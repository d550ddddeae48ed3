"""Alerts between labs (issue 13 §3): a fever in the nadir window with no recent ANC, and the
checks' alerts, all in the contract §4 shape."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from shared.alert_policy import (
    DEFAULT_POLICY,
    AlertCandidate,
    Severity,
    cycle_labs_missing_alert,
    early_warning_alert,
    evaluate_symptom,
    stale_labs_alert,
)
from shared.count_trends import Count, early_warning
from shared.cycle_readiness import cycle_readiness
from shared.lab_monitoring import blood_count_overdue
from shared.symptoms import grade_symptom


def fever(
    temperature: str, *, latest_anc: Decimal | None = None, nadir_day: int | None = None
) -> AlertCandidate | None:
    grade = grade_symptom("fever", {"temperature_c": Decimal(temperature)})
    return evaluate_symptom(DEFAULT_POLICY, "fever", grade, latest_anc=latest_anc, nadir_day=nadir_day)


@pytest.mark.parametrize(("temperature", "kind"), [("37.9", None), ("38.0", "fever"), ("38.1", "fever")])
def test_a_fever_in_the_nadir_window_with_no_recent_anc_says_febrile_neutropenia_cannot_be_ruled_out(
    temperature: str, kind: str | None
) -> None:
    alert = fever(temperature, nadir_day=16)
    assert (alert.kind if alert else None) == kind
    if alert is not None:
        assert (alert.severity, alert.hold_drugs, alert.grade) == (Severity.URGENT, (), None)  # contract §4
        assert "cannot be ruled out" in alert.message and "Get an ANC now" in alert.message
        assert "day 16" in alert.message
        assert "blood count today" in alert.patient_advice


@pytest.mark.parametrize("anc", ["1.0", "1.01", "3.2"])
def test_a_fever_in_the_nadir_window_with_a_recent_normal_anc_stays_a_fever(anc: str) -> None:
    alert = fever("38.5", latest_anc=Decimal(anc), nadir_day=18)
    assert alert is not None and (alert.kind, alert.severity) == ("fever", Severity.URGENT)


def test_a_fever_in_the_nadir_window_with_a_recent_low_anc_is_febrile_neutropenia_as_before() -> None:
    alert = fever("38.5", latest_anc=Decimal("0.99"), nadir_day=18)
    assert alert is not None and alert.kind == "febrile_neutropenia" and alert.title == "Febrile neutropenia"


def test_outside_the_nadir_window_a_fever_with_no_recent_anc_stays_a_fever() -> None:
    alert = fever("38.5")
    assert alert is not None and (alert.kind, alert.severity) == ("fever", Severity.URGENT)


START = date(2026, 1, 5)


def test_the_early_warning_says_re_check_before_day_n_and_holds_nothing() -> None:
    warning = early_warning(
        analyte="platelets",
        start_date=START,
        counts=[Count(START, Decimal(200)), Count(START + timedelta(days=12), Decimal(90))],
        hold_below=Decimal(30),
        today=START + timedelta(days=12),
    )
    assert warning is not None
    alert = early_warning_alert(warning, Decimal(30))
    assert (alert.kind, alert.severity, alert.hold_drugs, alert.grade) == ("early_warning", Severity.URGENT, (), None)
    assert alert.title == "Platelets falling: re-check before day 15"
    assert "fell 55% from 200" in alert.message
    assert "No dose is held" in alert.message


def test_the_stale_labs_alert_names_the_gap() -> None:
    overdue = blood_count_overdue(start_date=START, last_on=START, since=START, today=START + timedelta(days=10))
    assert overdue is not None
    alert = stale_labs_alert(overdue)
    assert (alert.kind, alert.severity, alert.hold_drugs) == ("stale_labs", Severity.URGENT, ())
    assert "2026-01-12" in alert.message and "every 7 days" in alert.message


def test_the_missing_labs_task_names_what_is_missing() -> None:
    readiness = cycle_readiness(
        cycle=2,
        day1=START + timedelta(days=28),
        anc=None,
        platelets=Count(START + timedelta(days=26), Decimal(90)),
        toxicities=(),
    )
    alert = cycle_labs_missing_alert(readiness)
    assert (alert.kind, alert.severity, alert.hold_drugs) == ("cycle_labs_missing", Severity.URGENT, ())
    assert "no ANC in the 7 days" in alert.message
    assert len(alert.kind) <= 32 and len(alert.title) <= 120
