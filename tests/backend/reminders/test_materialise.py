"""Specification of reminder materialisation: the next ~48 hours of each enrolled patient's
reminders are stored once, and follow the plan, the zone and the start date when they change."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest

from backend.accounts.models import Clinic
from backend.reminders.dispatch import reminders_dispatch_due
from backend.reminders.materialise import reminder_plan_update, reminders_materialise
from backend.reminders.models import OccurrenceStatus, ReminderPlan
from tests.backend.reminders.support import at, enroll_at, keys, rows
from tests.factories import EnrolledPatient, Person, make_patient

pytestmark = pytest.mark.django_db

DAY_8 = date(2026, 11, 8)  # Pat's cycle 1 day 8 (ixazomib, lenalidomide, dexamethasone), EST (UTC-5)
NOON_UTC = datetime(2026, 11, 8, 12, tzinfo=UTC)  # 07:00 in New York, 13:00 in Berlin

DAY_8_AND_9 = [
    "antiviral:2026-11-08:08:00",
    "lab_draw:2026-11-08",  # cycle 1's weekly blood count (Revlimid USPI §5.3)
    "dexamethasone:2026-11-08",
    "lenalidomide:2026-11-08",
    "antiviral:2026-11-08:20:00",
    "ixazomib:2026-11-08",
    "antiviral:2026-11-09:08:00",
    "lenalidomide:2026-11-09",
    "antiviral:2026-11-09:20:00",
]


def test_it_stores_the_next_48_hours_once(pat: EnrolledPatient, clock: Callable[[datetime], None]) -> None:
    clock(NOON_UTC)
    assert reminders_materialise() == 9
    assert keys(pat) == DAY_8_AND_9
    assert {r.status for r in rows(pat)} == {OccurrenceStatus.PENDING}
    ixazomib = rows(pat, kind="ixazomib")[0]
    assert (ixazomib.due_at, ixazomib.local_date) == (at("America/New_York", DAY_8, 22), DAY_8)
    assert ixazomib.text.startswith("Take on an empty stomach")
    assert reminders_materialise() == 0  # nothing is stale
    plan = ReminderPlan.objects.get(pk=pat.patient.pk)
    plan.materialised_until = None  # forced: everything is computed again, nothing is stored twice
    plan.save()
    assert reminders_materialise() == 0
    assert keys(pat) == DAY_8_AND_9


def test_it_tops_up_when_half_the_horizon_is_left(pat: EnrolledPatient, clock: Callable[[datetime], None]) -> None:
    clock(NOON_UTC)
    reminders_materialise()
    clock(NOON_UTC + timedelta(hours=23, minutes=59))
    assert reminders_materialise() == 0
    clock(NOON_UTC + timedelta(hours=24, minutes=1))
    assert reminders_materialise() == 3  # Nov 10: antiviral 08:00 and 20:00, lenalidomide 09:00
    assert len(keys(pat)) == len(set(keys(pat))) == 12


def test_patients_without_a_phone_get_none(nurse: Person, clock: Callable[[datetime], None]) -> None:
    clock(NOON_UTC)
    enrolled = make_patient(nurse, name="Has Phone")
    enrolled.patient.user = None
    enrolled.patient.save()
    assert reminders_materialise() == 0


def test_it_makes_a_plan_for_an_enrolled_patient_who_has_none(
    pat: EnrolledPatient, clock: Callable[[datetime], None]
) -> None:
    ReminderPlan.objects.filter(pk=pat.patient.pk).delete()
    clock(NOON_UTC)
    assert reminders_materialise() == 9
    assert ReminderPlan.objects.filter(pk=pat.patient.pk).exists()


def test_a_new_patient_gets_the_clinics_antiviral_default(nurse: Person) -> None:
    Clinic.objects.filter(pk=nurse.user.clinic_id).update(
        antiviral_drug="valacyclovir 500 mg", antiviral_times=["07:30"]
    )
    plan = ReminderPlan.objects.get(pk=make_patient(nurse).patient.pk)
    assert (plan.antiviral_drug, plan.antiviral_times) == ("valacyclovir 500 mg", ["07:30"])


@pytest.mark.parametrize("times", [[], ["8 am"], "08:00"])
def test_a_clinic_without_readable_antiviral_times_gives_08_and_20(nurse: Person, times: object) -> None:
    Clinic.objects.filter(pk=nurse.user.clinic_id).update(antiviral_times=times)
    plan = ReminderPlan.objects.get(pk=make_patient(nurse).patient.pk)
    assert plan.antiviral_times == ["08:00", "20:00"]


def test_a_new_time_re_times_the_pending_reminders_in_place(
    pat: EnrolledPatient, clock: Callable[[datetime], None]
) -> None:
    clock(NOON_UTC)
    reminders_materialise()
    before = {r.key: r.pk for r in rows(pat)}
    reminder_plan_update(patient=pat.patient, actor=pat.user, changes={"lenalidomide_time": "10:30"})
    after = {r.key: r for r in rows(pat)}
    assert {k: r.pk for k, r in after.items()} == before  # same rows: still one reminder per dose
    assert after["lenalidomide:2026-11-08"].due_at == at("America/New_York", DAY_8, 10, 30)
    assert after["lenalidomide:2026-11-09"].due_at == at("America/New_York", DAY_8 + timedelta(days=1), 10, 30)


def test_fewer_antiviral_times_cancel_the_dropped_ones_and_more_bring_them_back(
    pat: EnrolledPatient, clock: Callable[[datetime], None]
) -> None:
    clock(NOON_UTC)
    reminders_materialise()
    reminder_plan_update(patient=pat.patient, actor=pat.user, changes={"antiviral_times": ["08:00"]})
    assert keys(pat, OccurrenceStatus.CANCELLED) == ["antiviral:2026-11-08:20:00", "antiviral:2026-11-09:20:00"]
    reminder_plan_update(patient=pat.patient, actor=pat.user, changes={"antiviral_times": ["08:00", "20:00"]})
    assert keys(pat, OccurrenceStatus.CANCELLED) == []
    assert keys(pat) == DAY_8_AND_9


def test_a_move_east_keeps_wall_times_and_sends_todays_passed_reminders_now(
    pat: EnrolledPatient, clock: Callable[[datetime], None]
) -> None:
    """New York → Berlin at 12:00 UTC: 07:00 in New York, but already 13:00 in Berlin."""
    clock(NOON_UTC)
    reminders_materialise()
    pat.patient.timezone = "Europe/Berlin"  # as any editor would (dashboard, admin): no call to us
    pat.patient.save()
    reminders_materialise()
    due = {r.key: r.due_at for r in rows(pat)}
    assert due["antiviral:2026-11-08:08:00"] == NOON_UTC  # 08:00 Berlin has passed: due now, not lost
    assert due["lenalidomide:2026-11-08"] == NOON_UTC
    assert due["ixazomib:2026-11-08"] == at("Europe/Berlin", DAY_8, 22)
    assert due["antiviral:2026-11-09:08:00"] == at("Europe/Berlin", DAY_8 + timedelta(days=1), 8)
    outcome = reminders_dispatch_due()
    assert (outcome.sent, outcome.skipped) == (4, 0)  # antiviral 08:00, blood count, lenalidomide, dexamethasone
    assert len(keys(pat)) == len(set(keys(pat)))


def test_a_move_west_does_not_remind_the_same_dose_twice(nurse: Person, clock: Callable[[datetime], None]) -> None:
    """Berlin → New York at 12:00 UTC, after the Berlin morning reminders went out."""
    berta = enroll_at(nurse, clock, "Europe/Berlin", date(2026, 11, 1), name="Berta")
    clock(at("Europe/Berlin", DAY_8, 9))
    reminders_materialise()
    assert reminders_dispatch_due().sent == 4  # antiviral, blood count, dexamethasone, lenalidomide
    clock(NOON_UTC)
    berta.patient.timezone = "America/New_York"
    berta.patient.save()
    reminders_materialise()
    clock(at("America/New_York", DAY_8, 9))
    assert reminders_dispatch_due().sent == 0  # 08:00 and 09:00 of Nov 8 were sent in Berlin
    assert {r.key: r.due_at for r in rows(berta)}["antiviral:2026-11-08:20:00"] == at("America/New_York", DAY_8, 20)
    clock(at("America/New_York", DAY_8, 20))
    assert reminders_dispatch_due().sent == 1


def test_a_re_anchored_start_date_cancels_doses_that_are_no_longer_due(
    pat: EnrolledPatient, clock: Callable[[datetime], None]
) -> None:
    clock(NOON_UTC)
    reminders_materialise()
    pat.patient.start_date = date(2026, 11, 3)  # cycle start delayed two days: Nov 8 becomes day 6
    pat.patient.save()
    reminders_materialise()
    # Nov 8 is no longer day 8: its doses and its weekly blood count are cancelled.
    assert keys(pat, OccurrenceStatus.CANCELLED) == [
        "lab_draw:2026-11-08",
        "dexamethasone:2026-11-08",
        "ixazomib:2026-11-08",
    ]
    assert "lenalidomide:2026-11-08" in keys(pat, OccurrenceStatus.PENDING)


def test_an_outage_longer_than_the_grace_period_skips_instead_of_sending_late(
    pat: EnrolledPatient, clock: Callable[[datetime], None]
) -> None:
    clock(NOON_UTC)
    reminders_materialise()
    clock(at("America/New_York", DAY_8, 11, 30))  # 2 h 30 after 09:00, 3 h 30 after 08:00
    reminders_materialise()  # the beat's first tick after the outage makes nothing "due now"
    outcome = reminders_dispatch_due()
    assert (outcome.sent, outcome.skipped) == (0, 4)
    assert keys(pat, OccurrenceStatus.SKIPPED) == [
        "antiviral:2026-11-08:08:00",
        "lab_draw:2026-11-08",
        "dexamethasone:2026-11-08",
        "lenalidomide:2026-11-08",
    ]


def test_a_patient_first_seen_late_in_the_day_gets_no_old_reminders(
    pat: EnrolledPatient, clock: Callable[[datetime], None]
) -> None:
    clock(at("America/New_York", DAY_8, 11, 30))
    reminders_materialise()
    assert keys(pat)[:2] == ["antiviral:2026-11-08:20:00", "ixazomib:2026-11-08"]
