"""The nurse's "Cycle start" list (issue 13 §3): every patient whose day 1 is at most 3 days away,
with the label's criteria (NINLARO USPI §2.2) each met or not, with the value and its date.

Pat (the `patient` fixture) is in New York, cycle 1 day 1 on 1 Nov 2026: cycle 2 starts on Sun 29
Nov. The clock stands at noon on 26 Nov in New York unless a test moves it."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.backend.support import grade_all, sync
from tests.factories import EnrolledPatient, Person, lab_item, make_patient, symptom_item

NY = ZoneInfo("America/New_York")
URL = "/cycle-start/"


def at(day: int, hour: int = 12) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=NY)


@pytest.fixture
def clock(time_machine: time_machine.TimeMachineFixture) -> time_machine.TimeMachineFixture:
    time_machine.move_to(at(26), tick=False)
    return time_machine


def drawn(patient: EnrolledPatient, day: int, **values: Any) -> None:
    items = [lab_item(analyte, value, collected_at=at(day, 8).isoformat()) for analyte, value in values.items()]
    assert sync(patient, lab_results=items).json()["rejected"] == []
    grade_all()


def page(browser: Client) -> str:
    response = browser.get(URL)
    assert response.status_code == 200
    return response.content.decode()


def criterion(html: str, key: str) -> str:
    start = html.index(f'data-key="{key}"')
    return html[start : html.index("</li>", start)]


def test_a_patient_3_days_before_day_1_is_listed_with_each_criterion_its_value_and_date(
    clock: Any, nurse_browser: Client, patient: EnrolledPatient
) -> None:
    drawn(patient, 24, anc=1.0, platelets=74.9)

    html = page(nurse_browser)

    assert "Pat Doe" in html and "C2 D1 · Sun 29 Nov" in html and "in 3 days" in html
    assert "<strong>Met</strong> · ANC ≥ 1.0 ×10⁹/L: 1 ×10⁹/L (24 Nov)" in criterion(html, "anc")
    platelets = criterion(html, "platelets")
    assert "<strong>Not met</strong>" in platelets and "74.9 ×10⁹/L (24 Nov)" in platelets and "below 75" in platelets


@pytest.mark.parametrize(("anc", "met"), [(0.99, False), (1.0, True), (1.01, True)])
def test_the_anc_criterion_is_met_from_1_0(
    clock: Any, nurse_browser: Client, patient: EnrolledPatient, anc: float, met: bool
) -> None:
    drawn(patient, 25, anc=anc, platelets=150)

    assert ("<strong>Met</strong>" in criterion(page(nurse_browser), "anc")) is met


def test_counts_per_microlitre_are_judged_in_10_9_per_litre(
    clock: Any, nurse_browser: Client, patient: EnrolledPatient
) -> None:
    items = [
        lab_item("platelets", 75000, "/uL", collected_at=at(25, 8).isoformat()),
        lab_item("anc", 999, "cells/uL", collected_at=at(25, 8).isoformat()),
    ]
    assert sync(patient, lab_results=items).json()["rejected"] == []

    html = page(nurse_browser)

    assert "<strong>Met</strong> · Platelets ≥ 75 ×10⁹/L: 75 ×10⁹/L" in criterion(html, "platelets")
    assert "<strong>Not met</strong> · ANC ≥ 1.0 ×10⁹/L: 0.999 ×10⁹/L" in criterion(html, "anc")


def test_missing_counts_and_unresolved_toxicity_are_not_met(
    clock: Any, nurse_browser: Client, patient: EnrolledPatient
) -> None:
    sync(patient, symptom_reports=[symptom_item("diarrhea", {"stools_above_usual": 5}, reported_at=at(20).isoformat())])
    grade_all()

    html = page(nurse_browser)

    assert "none in the 7 days before day 1" in criterion(html, "anc")
    other = criterion(html, "non_hematologic")
    assert "<strong>Not met</strong>" in other and "Diarrhea grade 2" in other and "(20 Nov)" in other
    assert "Check" in html


def test_all_met_reads_ready(clock: Any, nurse_browser: Client, patient: EnrolledPatient) -> None:
    drawn(patient, 25, anc=1.8, platelets=140)

    html = page(nurse_browser)

    assert "none above grade 1 reported" in criterion(html, "non_hematologic")
    assert '<span class="tag">Ready</span>' in html


@pytest.mark.parametrize(("day", "listed"), [(25, False), (26, True), (29, True), (30, False)])
def test_only_day_1_within_3_days_is_listed(
    time_machine: time_machine.TimeMachineFixture,
    nurse_browser: Client,
    patient: EnrolledPatient,
    day: int,
    listed: bool,
) -> None:
    time_machine.move_to(at(day), tick=False)

    assert ("Pat Doe" in page(nurse_browser)) is listed


def test_another_clinics_patients_are_not_listed(clock: Any, other_browser: Client, patient: EnrolledPatient) -> None:
    assert "Pat Doe" not in page(other_browser)


def test_the_list_is_in_the_navigation(clock: Any, nurse_browser: Client) -> None:
    assert f'href="{URL}" aria-current="page">Cycle start' in page(nurse_browser)


def test_the_list_costs_the_same_queries_for_1_and_4_patients(
    clock: Any, nurse: Person, nurse_browser: Client, patient: EnrolledPatient
) -> None:
    drawn(patient, 25, anc=1.8, platelets=140)
    nurse_browser.get(URL)  # warm: a session renewal is not what is measured
    with CaptureQueriesContext(connection) as one:
        page(nurse_browser)
    for n in range(3):
        other = make_patient(nurse, name=f"Patient {n}")
        drawn(other, 25, anc=0.8, platelets=60)
    with CaptureQueriesContext(connection) as four:
        html = page(nurse_browser)

    assert html.count("data-patient=") == 4
    assert len(four.captured_queries) == len(one.captured_queries)
