"""Alerts between labs (issue 13 §3): an overdue blood count (`stale_labs`, one per gap) and a
count falling fast (`early_warning`, one per analyte and cycle), both urgent and holding nothing.

Pat (the `patient` fixture) is in New York; cycle 1 day 1 was Sun 1 Nov 2026, so blood counts are
due weekly in cycles 1 and 2 (Revlimid USPI §5.3)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model

from backend.alerts.checks import early_warning_check, stale_labs_check
from backend.alerts.models import Alert
from backend.alerts.services import alert_resolve
from backend.patients.models import Patient
from tests.backend.support import ALERTS_URL, rows, sync
from tests.factories import EnrolledPatient, Person, lab_item, make_patient

NY = ZoneInfo("America/New_York")


def at(day: int, hour: int = 12, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=NY)


def counts(patient: EnrolledPatient, day: int, platelets: Any = 150, anc: Any = 2.0, unit: str = "10^9/L") -> None:
    collected = at(day, 8).isoformat()
    items = [
        lab_item("platelets", platelets, unit, collected_at=collected),
        lab_item("anc", anc, collected_at=collected),
    ]
    response = sync(patient, lab_results=items)
    assert response.json()["rejected"] == [], response.json()


def kinds(patient: EnrolledPatient) -> list[str]:
    return list(Alert.objects.filter(patient=patient.patient).order_by("created_at").values_list("kind", flat=True))


# --- stale labs ------------------------------------------------------------------------------


@pytest.mark.parametrize(("day", "alerts"), [(19, 0), (20, 1)], ids=["2-days-late", "3-days-late"])
def test_a_weekly_count_overdue_by_more_than_two_days_raises_one_alert(
    patient: EnrolledPatient, day: int, alerts: int
) -> None:
    counts(patient, 10)  # due again on 17 Nov

    stale_labs_check(now=at(day))

    assert kinds(patient) == ["stale_labs"] * alerts


def test_one_alert_per_gap_however_often_the_check_runs(patient: EnrolledPatient) -> None:
    counts(patient, 10)

    first = stale_labs_check(now=at(20))
    again = stale_labs_check(now=at(20, 13))
    later = stale_labs_check(now=at(24))

    assert len(first) == 1 and again == [] and later == []
    (alert,) = Alert.objects.filter(patient=patient.patient)
    assert (alert.kind, alert.severity, alert.hold_drugs, alert.source_type) == ("stale_labs", "urgent", [], "check")
    assert "since 2026-11-17" in alert.message and "the last on 2026-11-10" in alert.message


def test_a_new_count_closes_the_gap_and_the_next_gap_raises_its_own_alert(
    nurse: Person, patient: EnrolledPatient
) -> None:
    counts(patient, 10)
    (first,) = stale_labs_check(now=at(20))
    alert_resolve(user=nurse.user, alert_id=first, note="drawn on the 21st")
    counts(patient, 21)

    assert stale_labs_check(now=at(30)) == []  # due 28 Nov, 2 days late
    assert len(stale_labs_check(now=at(1, month=12))) == 1

    assert kinds(patient) == ["stale_labs", "stale_labs"]


def test_a_patient_with_no_count_at_all_is_overdue_from_enrollment(patient: EnrolledPatient) -> None:
    get_user_model().objects.filter(pk=patient.user.pk).update(date_joined=at(2))

    assert stale_labs_check(now=at(4)) == []
    stale_labs_check(now=at(5))

    (alert,) = Alert.objects.filter(patient=patient.patient)
    assert "none received yet" in alert.message


def test_patients_without_a_phone_or_not_yet_started_are_not_checked(nurse: Person, patient: EnrolledPatient) -> None:
    Patient.objects.filter(pk=patient.patient.pk).update(start_date=at(1, month=12).date())
    get_user_model().objects.filter(pk=patient.user.pk).update(date_joined=at(1, month=10))

    assert stale_labs_check(now=at(20)) == []


def test_the_alert_has_the_contract_shape_in_the_api(nurse: Person, patient: EnrolledPatient) -> None:
    counts(patient, 10)
    stale_labs_check(now=at(20))

    (row,) = rows(nurse.client().get(ALERTS_URL))

    assert (row["kind"], row["grade"], row["severity"], row["dose_hold"], row["hold_drugs"]) == (
        "stale_labs",
        None,
        "urgent",
        False,
        [],
    )
    assert row["source"]["type"] == "check"


# --- early warning ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("platelets", "unit", "warns"),
    [
        (100.1, "10^9/L", False),
        (100, "10^9/L", True),
        (100000, "/uL", True),
        (100100, "cells/mm3", False),
        (99.9, "K/uL", True),
    ],
)
def test_platelets_fallen_by_half_since_day_1_warn_in_any_unit(
    patient: EnrolledPatient, platelets: float, unit: str, warns: bool
) -> None:
    counts(patient, 1, platelets=200)
    counts(patient, 14, platelets=platelets, unit=unit)

    early_warning_check(now=at(14, 18))

    assert kinds(patient) == (["early_warning"] if warns else [])


def test_the_early_warning_asks_for_a_recheck_before_the_next_ixazomib_day_and_holds_nothing(
    patient: EnrolledPatient,
) -> None:
    counts(patient, 1, platelets=200)
    counts(patient, 12, platelets=90)

    early_warning_check(now=at(12, 18))
    early_warning_check(now=at(12, 19))
    counts(patient, 13, platelets=80)
    early_warning_check(now=at(13, 18))

    (alert,) = Alert.objects.filter(patient=patient.patient)
    assert (alert.severity, alert.hold_drugs, alert.grade) == ("urgent", [], None)
    assert alert.title == "Platelets falling: re-check before day 15"


def test_a_straight_line_below_the_anc_hold_threshold_before_day_8_warns(patient: EnrolledPatient) -> None:
    counts(patient, 1, anc=1.5)
    counts(patient, 4, anc=1.0)  # -1/6 a day: 0.33 on day 8, below the label's 0.5

    early_warning_check(now=at(4, 18))

    (alert,) = Alert.objects.filter(patient=patient.patient)
    assert alert.title == "ANC falling: re-check before day 8"
    assert "below the label's hold threshold of 0.5" in alert.message


def test_each_patients_series_is_read_whole_however_their_counts_interleave(
    nurse: Person, patient: EnrolledPatient
) -> None:
    sam = make_patient(nurse, name="Sam Roe")
    for day in (1, 12):  # stored alternately: Pat, Sam, Pat, Sam
        counts(patient, day, platelets=200 if day == 1 else 90)
        counts(sam, day, platelets=200 if day == 1 else 190)

    early_warning_check(now=at(12, 18))

    assert (kinds(patient), kinds(sam)) == (["early_warning"], [])


def test_counts_received_before_the_lookback_are_not_read_again(patient: EnrolledPatient) -> None:
    counts(patient, 1, platelets=200)
    counts(patient, 12, platelets=90)

    assert early_warning_check(now=datetime.now(tz=NY) + timedelta(days=2), received_since=timedelta(days=1)) == []


def test_the_checks_run_on_beat() -> None:
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"careloop.alerts.check_stale_labs", "careloop.alerts.check_count_trends"} <= tasks


def test_while_the_last_gap_is_unresolved_a_new_gap_waits_for_it(nurse: Person, patient: EnrolledPatient) -> None:
    counts(patient, 10)
    (first,) = stale_labs_check(now=at(20))
    counts(patient, 21)

    assert stale_labs_check(now=at(1, month=12)) == []  # the nurse has not resolved the first yet
    alert_resolve(user=nurse.user, alert_id=first, note="")
    assert len(stale_labs_check(now=at(1, 13, month=12))) == 1
