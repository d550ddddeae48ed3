"""Specification of the response-test reminder: a patient whose SPEP/UPEP/FLC are tracked is
reminded once, two days before the day 1 whose draw is next due (shared.response_tests), at their
blood-draw time in their own zone; the reminder follows new results, a newly confirmed response and
the clinic's test interval, and says nothing on outside channels but that there is a reminder."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from backend.notifications.models import Delivery, RecordedMessage
from backend.notifications.services import deliveries_send_due
from backend.reminders.dispatch import reminders_dispatch_due
from backend.reminders.materialise import reminders_materialise
from backend.reminders.models import ReminderPlan
from backend.reminders.selectors import upcoming_reminders_payload
from backend.response.models import ClinicResponseSettings
from tests.backend.reminders.support import OccurrenceStatus, at, enroll_at, keys, push_on, reminders_in_inbox, rows
from tests.backend.response.support import item, post_markers, recompute_all
from tests.factories import EnrolledPatient, Person

pytestmark = pytest.mark.django_db

NY = "America/New_York"
START = date(2026, 1, 5)  # cycle n day 1 is START + 28 (n - 1) days


def c(cycle: int, day: int = 1) -> date:
    return START + timedelta(days=28 * (cycle - 1) + day - 1)


def serum(on: date, value: float) -> list[dict[str, Any]]:
    return [item("serum_m_protein", value, "g/dL", on=on)]


def markers_recomputed(nurse: Person, patient: EnrolledPatient, values: dict[date, float]) -> None:
    """The serum M-protein of each day, posted by the care team and recomputed (the on-commit
    re-plan included)."""
    for on, value in values.items():
        assert post_markers(nurse, patient.patient.pk, serum(on, value)).status_code == 201
    recompute_all()


def response_keys(patient: EnrolledPatient, status: str = OccurrenceStatus.PENDING) -> list[str]:
    return [k for k in keys(patient, status) if k.startswith("response_test:")]


@pytest.fixture
def rita(nurse: Person, clock: Callable[[datetime], None]) -> EnrolledPatient:
    """Rita, in New York, on IRd since START; her phone enrolled the day before."""
    return enroll_at(nurse, clock, NY, START, name="Rita Response")


# A partial response from cycle 2 (1.4 of 3.0 g/dL), confirmed on cycle 3, tested every cycle to 6.
RESPONDER = {c(1) - timedelta(days=1): 3.0, c(2): 1.4, c(3): 1.3, c(4): 1.2, c(5): 1.1, c(6): 1.0}
# The same response, then a progression on cycle 6 (1.3 g/dL: +0.6 and +86% from the nadir of 0.7).
PROGRESSED = {c(1) - timedelta(days=1): 3.0, c(2): 0.8, c(3): 0.7, c(4): 0.7, c(5): 0.7, c(6): 1.3}
# Stable disease throughout.
STABLE = {c(1) - timedelta(days=1): 3.0, c(2): 2.9, c(3): 2.8, c(4): 2.8, c(5): 2.7, c(6): 2.7}


def test_the_reminder_comes_two_days_before_the_due_day_1_at_the_draw_time_and_once(
    nurse: Person, rita: EnrolledPatient, clock: Callable[[datetime], None]
) -> None:
    """Baseline the day before cycle 1 (that is cycle 1's draw), then cycle 2's: due 2 Feb, reminded
    Sat 31 Jan at 08:00 New York time, the morning before the cycle-start blood draw."""
    push_on(rita)
    clock(at(NY, c(1, 20), 12))
    markers_recomputed(nurse, rita, {c(1) - timedelta(days=1): 3.0})
    clock(at(NY, date(2026, 1, 30), 7))
    reminders_materialise()
    (row,) = rows(rita, kind="response_test")
    assert (row.key, row.due_at, row.title) == (
        "response_test:2026-01-31",
        at(NY, date(2026, 1, 31), 8),
        "Myeloma tests due",
    )
    assert "before cycle 2 starts on Mon 2 Feb" in row.text

    clock(at(NY, date(2026, 1, 31), 7, 59, 59))
    reminders_dispatch_due()
    assert reminders_in_inbox(rita) == []
    clock(at(NY, date(2026, 1, 31), 8))
    assert reminders_dispatch_due().sent == 2  # with the 08:00 antiviral
    assert reminders_dispatch_due().sent == 0
    plan = ReminderPlan.objects.get(pk=rita.patient.pk)
    plan.materialised_until = None  # a forced re-plan makes nothing twice
    plan.save()
    reminders_materialise()
    assert reminders_dispatch_due().sent == 0
    (sent,) = [n for n in reminders_in_inbox(rita) if n.title == "Myeloma tests due"]
    assert "24-hour urine sample" in sent.body
    assert response_keys(rita, OccurrenceStatus.SENT) == ["response_test:2026-01-31"]

    # Push and SMS say only that there is a reminder: no test, no value, no name.
    (delivery,) = Delivery.objects.filter(notification=sent)
    deliveries_send_due()
    (message,) = RecordedMessage.objects.filter(dedupe_key=delivery.dedupe_key)
    assert (message.subject, message.body) == (
        "CareLoop reminder",
        "You have a CareLoop reminder. Open the app to see it.",
    )


def test_it_keeps_the_patients_wall_clock_across_the_dst_change(
    nurse: Person, clock: Callable[[datetime], None]
) -> None:
    """Start Tue 10 Mar 2026, baseline three weeks before: cycle 1's draw is due on day 1, reminded
    Sun 8 Mar, the day New York springs forward: 08:00 EDT is 12:00 UTC (13:00 the day before)."""
    patient = enroll_at(nurse, clock, NY, date(2026, 3, 10), enrolled=datetime(2026, 2, 20, 12, tzinfo=UTC))
    clock(datetime(2026, 3, 1, 12, tzinfo=UTC))
    markers_recomputed(nurse, patient, {date(2026, 2, 18): 3.0})
    clock(datetime(2026, 3, 7, 12, tzinfo=UTC))
    reminders_materialise()
    (row,) = rows(patient, kind="response_test")
    assert (row.key, row.due_at) == ("response_test:2026-03-08", datetime(2026, 3, 8, 12, tzinfo=UTC))
    clock(datetime(2026, 3, 8, 11, 59, 59, tzinfo=UTC))
    reminders_dispatch_due()
    assert [n.title for n in reminders_in_inbox(patient)] == []
    clock(datetime(2026, 3, 8, 12, tzinfo=UTC))
    reminders_dispatch_due()
    assert [n.title for n in reminders_in_inbox(patient) if n.title == "Myeloma tests due"] == ["Myeloma tests due"]


def test_a_patient_whose_response_is_not_tracked_gets_no_such_reminder(
    rita: EnrolledPatient, clock: Callable[[datetime], None]
) -> None:
    clock(at(NY, date(2026, 1, 30), 7))
    reminders_materialise()
    assert keys(rita) and response_keys(rita) == []


@pytest.mark.parametrize(
    ("course", "every", "reminded"),
    [
        (STABLE, 2, c(7) - timedelta(days=2)),  # no response: every cycle
        (PROGRESSED, 2, c(7) - timedelta(days=2)),  # a progression to confirm: every cycle
        (RESPONDER, 1, c(7) - timedelta(days=2)),
        (RESPONDER, 2, c(8) - timedelta(days=2)),
        (RESPONDER, 3, c(9) - timedelta(days=2)),
    ],
    ids=["stable-every-cycle", "progressed-every-cycle", "responder-every-1", "responder-every-2", "responder-every-3"],
)
def test_after_cycle_6_a_confirmed_responder_is_tested_every_n_cycles_of_the_clinics_choice(
    nurse: Person,
    rita: EnrolledPatient,
    clock: Callable[[datetime], None],
    course: dict[date, float],
    every: int,
    reminded: date,
) -> None:
    ClinicResponseSettings.objects.create(clinic_id=rita.patient.clinic_id, test_every_cycles=every)
    clock(at(NY, c(6, 3), 12))
    markers_recomputed(nurse, rita, course)
    clock(at(NY, reminded - timedelta(days=1), 12))
    reminders_materialise()
    assert response_keys(rita) == [f"response_test:{reminded.isoformat()}"]


def test_a_newly_confirmed_response_moves_the_next_reminder_on(
    nurse: Person, rita: EnrolledPatient, clock: Callable[[datetime], None], django_capture_on_commit_callbacks: Any
) -> None:
    """PR on cycle 6, not yet confirmed: cycle 7's draw is due, its reminder pending for Sat 20 Jun.
    The draw for cycle 7 taken early (cycle 6 day 24: it stands for cycle 7's) confirms the PR: from
    now on every second cycle, so the next reminder is cycle 9's, and the pending one is cancelled."""
    clock(at(NY, c(6, 3), 12))
    markers_recomputed(
        nurse, rita, {c(1) - timedelta(days=1): 3.0, c(2): 2.9, c(3): 2.8, c(4): 2.8, c(5): 2.7, c(6): 1.4}
    )
    clock(at(NY, c(6, 25), 12))
    reminders_materialise()
    assert response_keys(rita) == ["response_test:2026-06-20"]

    with django_capture_on_commit_callbacks(execute=True):  # what commits in production
        markers_recomputed(nurse, rita, {c(6, 24): 1.3})  # the recompute re-plans at once, no tick needed

    assert response_keys(rita, OccurrenceStatus.CANCELLED) == ["response_test:2026-06-20"]
    upcoming = upcoming_reminders_payload(patient=rita.patient, now=at(NY, c(9) - timedelta(days=3), 12))
    assert [r["key"] for r in upcoming if r["kind"] == "response_test"] == ["response_test:2026-08-15"]  # C9: 17 Aug


def test_a_new_clinic_interval_re_plans_its_patients_reminders(
    nurse: Person, clinic_admin: Person, rita: EnrolledPatient, clock: Callable[[datetime], None]
) -> None:
    clock(at(NY, c(6, 3), 12))
    markers_recomputed(nurse, rita, RESPONDER)
    clock(at(NY, c(8) - timedelta(days=3), 12))
    reminders_materialise()
    assert response_keys(rita) == ["response_test:2026-07-18"]  # every 2nd cycle: cycle 8

    answer = clinic_admin.client().put("/api/v1/clinic/response-settings/", {"test_every_cycles": 3}, format="json")
    assert answer.status_code == 200
    reminders_materialise()  # the next tick

    assert response_keys(rita, OccurrenceStatus.CANCELLED) == ["response_test:2026-07-18"]
    clock(at(NY, c(9) - timedelta(days=3), 12))
    reminders_materialise()
    assert response_keys(rita) == ["response_test:2026-08-15"]  # every 3rd: cycle 9


def test_the_phone_gets_the_reminder_with_its_sync_to_show_offline(
    nurse: Person, rita: EnrolledPatient, clock: Callable[[datetime], None]
) -> None:
    clock(at(NY, c(1, 20), 12))
    markers_recomputed(nurse, rita, {c(1) - timedelta(days=1): 3.0})
    answer = rita.client().post("/api/v1/sync/", {}, format="json")
    found = [r for r in answer.json()["reminders"] if r["kind"] == "response_test"]
    assert [(r["key"], r["local_time"], r["title"]) for r in found] == [
        ("response_test:2026-01-31", "08:00", "Myeloma tests due")
    ]
