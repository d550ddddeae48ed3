"""Specification of adherence per cycle: every scheduled dose up to today is taken, vomited,
skipped, missed or pending; late counts the taken ones that came late."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from backend.reminders.materialise import reminder_plan_update
from backend.reminders.selectors import CycleAdherence, adherence_by_cycle
from tests.backend.reminders.support import at, enroll_at, log_dose
from tests.factories import EnrolledPatient, Person

pytestmark = pytest.mark.django_db

START = date(2026, 11, 1)
TODAY = date(2026, 11, 10)  # cycle 1 day 10


def day(n: int, start: date = START) -> date:
    return start + timedelta(days=n - 1)


def ny(on: date, hour: int, minute: int = 0) -> datetime:
    return at("America/New_York", on, hour, minute)


def by_drug(found: list[CycleAdherence], cycle: int = 1) -> dict[str, dict[str, Any]]:
    return {
        row.drug: {k: v for k, v in vars(row).items() if k not in ("cycle", "drug")}
        for row in found
        if row.cycle == cycle
    }


def test_every_dose_is_counted_once_in_one_category(pat: EnrolledPatient) -> None:
    log_dose(pat, "ixazomib", ny(day(1), 22, 10))
    log_dose(pat, "ixazomib", ny(day(8), 22, 30), "vomited")
    for n in range(1, 5):
        log_dose(pat, "lenalidomide", ny(day(n), 9, 5))
    log_dose(pat, "lenalidomide", ny(day(5), 13, 0))  # exactly 4 h after 09:00: on time
    log_dose(pat, "lenalidomide", ny(day(6), 13, 1))  # 4 h 01 after: late
    log_dose(pat, "lenalidomide", ny(day(7), 9, 0), "skipped")
    log_dose(pat, "lenalidomide", ny(day(9), 9, 0))  # day 8: nothing
    log_dose(pat, "dexamethasone", ny(day(1), 9, 0))
    log_dose(pat, "dexamethasone", ny(day(9), 10, 0))  # day 8's dose, a day late (day 9 has none)
    for n in range(1, 10):
        log_dose(pat, "antiviral", ny(day(n), 8, 0))  # mornings only
    found = adherence_by_cycle(pat.patient, TODAY)
    assert [(row.cycle, row.drug) for row in found] == [
        (1, "ixazomib"),
        (1, "lenalidomide"),
        (1, "dexamethasone"),
        (1, "antiviral"),
    ]
    assert by_drug(found) == {
        "ixazomib": dict(scheduled=2, taken=1, late=0, missed=0, vomited=1, skipped=0, pending=0),
        "lenalidomide": dict(scheduled=10, taken=7, late=1, missed=1, vomited=0, skipped=1, pending=1),
        "dexamethasone": dict(scheduled=2, taken=2, late=1, missed=0, vomited=0, skipped=0, pending=0),
        "antiviral": dict(scheduled=20, taken=9, late=0, missed=9, vomited=0, skipped=0, pending=2),
    }
    for row in found:
        assert row.scheduled == row.taken + row.vomited + row.skipped + row.missed + row.pending


@pytest.mark.parametrize(
    ("taken_on", "hour", "late"),
    [(day(10), 10, True), (day(12), 10, True), (day(12), 22, True), (day(13), 10, False)],
    ids=["two-days-later", "before-the-72h-limit", "exactly-72h-before", "past-the-72h-limit"],
)
def test_a_late_ixazomib_dose_counts_until_72_hours_before_the_next(
    pat: EnrolledPatient, taken_on: date, hour: int, late: bool
) -> None:
    """Day 8's dose; the next is day 15 at 22:00, so the label allows it until day 12 at 22:00
    (next dose "≥ 72 hours away": exactly 72 hours still counts)."""
    log_dose(pat, "ixazomib", ny(day(1), 22, 0))
    log_dose(pat, "ixazomib", ny(taken_on, hour, 0))
    row = by_drug(adherence_by_cycle(pat.patient, day(14)))["ixazomib"]
    assert (row["taken"], row["late"], row["missed"]) == ((2, 1, 0) if late else (1, 0, 1))


def test_a_dose_logged_on_the_next_scheduled_day_does_not_make_up_for_the_missed_one(pat: EnrolledPatient) -> None:
    log_dose(pat, "lenalidomide", ny(day(2), 9, 0))
    row = by_drug(adherence_by_cycle(pat.patient, day(2)))["lenalidomide"]
    assert (row["taken"], row["late"], row["missed"]) == (1, 0, 1)


def test_late_is_measured_from_the_patients_own_time(pat: EnrolledPatient) -> None:
    reminder_plan_update(patient=pat.patient, actor=pat.user, changes={"lenalidomide_time": "07:00"})
    log_dose(pat, "lenalidomide", ny(day(1), 11, 1))
    row = by_drug(adherence_by_cycle(pat.patient, day(1)))["lenalidomide"]
    assert (row["taken"], row["late"]) == (1, 1)


def test_it_splits_by_cycle(nurse: Person, clock: Callable[[datetime], None]) -> None:
    early = enroll_at(nurse, clock, "America/New_York", date(2026, 10, 1), name="Early")
    log_dose(early, "ixazomib", ny(date(2026, 10, 1), 22, 0))
    log_dose(early, "ixazomib", ny(date(2026, 10, 29), 22, 0))  # cycle 2 day 1
    found = adherence_by_cycle(early.patient, date(2026, 11, 10))  # cycle 2 day 13
    assert by_drug(found, 1)["ixazomib"] == dict(
        scheduled=3, taken=1, late=0, missed=2, vomited=0, skipped=0, pending=0
    )
    assert by_drug(found, 2)["ixazomib"] == dict(
        scheduled=2, taken=1, late=0, missed=1, vomited=0, skipped=0, pending=0
    )
    assert by_drug(found, 2)["lenalidomide"]["scheduled"] == 13


def test_an_antiviral_log_answers_its_nearest_time(pat: EnrolledPatient) -> None:
    log_dose(pat, "antiviral", ny(day(1), 20, 15))  # the evening dose, on time; the morning one missed
    log_dose(pat, "antiviral", ny(day(2), 7, 50))
    log_dose(pat, "antiviral", ny(day(2), 13, 0))  # the evening dose, taken early: taken, not late
    row = by_drug(adherence_by_cycle(pat.patient, day(3)))["antiviral"]
    assert (row["scheduled"], row["taken"], row["late"], row["missed"], row["pending"]) == (6, 3, 0, 1, 2)


def test_nothing_before_the_start(pat: EnrolledPatient) -> None:
    assert adherence_by_cycle(pat.patient, START - timedelta(days=1)) == []


def test_no_antiviral_times_means_no_antiviral_row(pat: EnrolledPatient) -> None:
    reminder_plan_update(patient=pat.patient, actor=pat.user, changes={"antiviral_times": []})
    assert "antiviral" not in by_drug(adherence_by_cycle(pat.patient, TODAY))


def test_it_reads_in_a_constant_number_of_queries(
    nurse: Person, clock: Callable[[datetime], None], django_assert_num_queries: Any
) -> None:
    long = enroll_at(nurse, clock, "America/New_York", date(2026, 3, 1), name="Long")
    for n in range(0, 200, 3):
        log_dose(long, "lenalidomide", ny(date(2026, 3, 1) + timedelta(days=n), 9, 0))
    with django_assert_num_queries(3):  # the plan, the dose logs, the cycle delays (its calendar)
        found = adherence_by_cycle(long.patient, date(2026, 11, 10))
    assert len(found) == 10 * 4  # cycle 10 day 3: ten cycles, four drugs


# --- Only doses due since enrollment ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("hour", "minute", "day_8_counts"),
    [(21, 59, True), (22, 0, True), (22, 1, False)],
    ids=["enrolled-before-the-dose", "enrolled-at-its-time", "enrolled-after-it"],
)
def test_a_patient_enrolled_mid_cycle_missed_nothing_due_before_enrollment(
    nurse: Person, clock: Callable[[datetime], None], hour: int, minute: int, day_8_counts: bool
) -> None:
    """Enrolled on cycle 1 day 8 around ixazomib's 22:00: day 1's dose was never due in CareLoop,
    and day 8's is due only if it was planned at or after the enrollment; lenalidomide's 09:00 dose
    of day 8 was already past."""
    late = enroll_at(nurse, clock, "America/New_York", START, name="Late", enrolled=ny(day(8), hour, minute))
    found = by_drug(adherence_by_cycle(late.patient, day(10)))
    assert found["ixazomib"] == dict(
        scheduled=int(day_8_counts), taken=0, late=0, missed=int(day_8_counts), vomited=0, skipped=0, pending=0
    )
    assert found["lenalidomide"] == dict(scheduled=2, taken=0, late=0, missed=1, vomited=0, skipped=0, pending=1)


def test_a_dose_logged_before_enrollment_is_not_counted_either(
    nurse: Person, clock: Callable[[datetime], None]
) -> None:
    late = enroll_at(nurse, clock, "America/New_York", START, name="Late", enrolled=ny(day(8), 12, 0))
    log_dose(late, "ixazomib", ny(day(1), 22, 0))  # told to the phone afterwards
    log_dose(late, "ixazomib", ny(day(8), 22, 0))
    row = by_drug(adherence_by_cycle(late.patient, day(10)))["ixazomib"]
    assert (row["scheduled"], row["taken"], row["missed"]) == (1, 1, 0)


def test_the_cycles_before_the_enrollments_are_left_out(nurse: Person, clock: Callable[[datetime], None]) -> None:
    """Day 1 of cycle 2 is 29 Oct; enrolled on 30 Oct, cycle 2 day 2: only cycle 2, from day 8 on."""
    late = enroll_at(
        nurse, clock, "America/New_York", date(2026, 10, 1), name="Late", enrolled=ny(date(2026, 10, 30), 9)
    )
    found = adherence_by_cycle(late.patient, date(2026, 11, 10))
    assert {row.cycle for row in found} == {2}
    assert by_drug(found, 2)["ixazomib"]["scheduled"] == 1  # day 8 (5 Nov); day 1 was before enrollment


def test_enrolled_in_the_zone_of_the_patient_not_the_server(nurse: Person, clock: Callable[[datetime], None]) -> None:
    """Enrolled at 23:30 in New York on day 8, already day 9 in UTC: day 8's 22:00 dose was before it."""
    late = enroll_at(nurse, clock, "America/New_York", START, name="Late", enrolled=ny(day(8), 23, 30))
    found = by_drug(adherence_by_cycle(late.patient, day(9)))
    assert found["ixazomib"]["scheduled"] == 0
    assert found["lenalidomide"]["scheduled"] == 1  # day 9's, pending
