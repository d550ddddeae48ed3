"""The dashboard after "delay the next cycle": the patient page and the cycle-start list read the
patient's calendar, delays included (issue 13).

Pat (the `patient` fixture) is in New York, cycle 1 day 1 on 1 Nov 2026; cycle 2 would start on Sun
29 Nov. On 27 Nov (cycle 1 day 27) the nurse delays it 7 days: cycle 2 day 1 is Sun 6 Dec."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from tests.backend.support import sync
from tests.dashboard.conftest import signed_in
from tests.dashboard.support import text
from tests.factories import EnrolledPatient, Person, dose_item

pytestmark = pytest.mark.django_db
NY = ZoneInfo("America/New_York")


@pytest.fixture
def delayed(time_machine: time_machine.TimeMachineFixture, nurse: Person, patient: EnrolledPatient) -> None:
    time_machine.move_to(datetime(2026, 11, 27, 12, tzinfo=NY), tick=False)
    response = signed_in(nurse).post(
        f"/patients/{patient.patient.pk}/doses/", {"action": "delay_cycle", "delay_days": "7", "reason": "ANC 0.8"}
    )
    assert response.status_code == 302


def on(time_machine: time_machine.TimeMachineFixture, day: int, nurse: Person) -> Client:
    """The clock at noon on `day` December in New York, and the nurse signed in then (a session
    left idle for days has expired)."""
    time_machine.move_to(datetime(2026, 12, day, 12, tzinfo=NY), tick=False)
    return signed_in(nurse)


def patient_page(browser: Client, patient: EnrolledPatient) -> str:
    return text(browser.get(f"/patients/{patient.patient.pk}/"))


def test_in_the_delay_the_page_shows_day_32_of_cycle_1_and_the_delayed_day_1(
    delayed: None, time_machine: time_machine.TimeMachineFixture, nurse: Person, patient: EnrolledPatient
) -> None:
    shown = patient_page(on(time_machine, 2, nurse), patient)

    assert "C1 · D32" in shown and "Delayed: C2 +7 d · next day 1 Sun 6 Dec" in shown
    assert "No IRd drug today" in shown and "Next ixazomib Sun 6 Dec" in shown


def test_the_delay_is_not_counted_as_missed_doses(
    delayed: None, time_machine: time_machine.TimeMachineFixture, nurse: Person, patient: EnrolledPatient
) -> None:
    sync(patient, dose_logs=[dose_item("ixazomib", taken_at=f"2026-11-{d:02d}T22:00:00-05:00") for d in (1, 8, 15)])

    shown = patient_page(on(time_machine, 5, nurse), patient)

    # Only cycle 1 so far: all 3 ixazomib doses of 4 mg delivered; the planned 29 Nov is no dose.
    assert "Drug Cycle 1 Ixazomib 1.00 12 of 12 mg" in shown


@pytest.mark.parametrize(("day", "listed"), [(2, False), (3, True), (6, True), (7, False)])
def test_the_cycle_start_list_counts_down_to_the_delayed_day_1(
    delayed: None, time_machine: time_machine.TimeMachineFixture, nurse: Person, day: int, listed: bool
) -> None:
    shown = text(on(time_machine, day, nurse).get("/cycle-start/"))

    assert ("C2 D1 · Sun 6 Dec" in shown) == listed
