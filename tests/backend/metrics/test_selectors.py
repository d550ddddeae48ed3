"""Specification: the clinic's figures (issue 16 §5) on small hand-built clinics whose answers are
known, and their cost: the same queries for 3 patients as for 30."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from backend.accounts.models import Role
from backend.metrics.period import Period
from backend.metrics.selectors import ServiceMetrics, clinic_metrics
from backend.patients.models import Patient
from backend.reminders.models import ReminderPlan
from tests.backend.metrics.support import NOW, alert, at, dose, draw_reminder, enrolled, escalation, lab, marker
from tests.factories import Person, make_nurse, make_patient

pytestmark = pytest.mark.django_db
NOVEMBER = Period(date(2026, 11, 1), date(2026, 11, 28))  # four weeks
MIN = timedelta(minutes=1)


def figures(nurse: Person, period: Period = NOVEMBER) -> ServiceMetrics:
    assert nurse.user.clinic_id is not None
    return clinic_metrics(clinic_id=nurse.user.clinic_id, period=period, now=NOW)


def patient(nurse: Person, name: str = "Pat Doe", tz: str = "America/New_York", day: int = 1) -> Patient:
    return enrolled(make_patient(nurse, name=name, tz=tz).patient, at(day, 12))


def test_an_empty_clinic_has_zero_counts_and_no_rates() -> None:
    nurse = make_nurse()
    m = figures(nurse)
    assert (m.patients, m.patient_days, m.alerts, m.resolved, m.escalation_steps, m.nurses) == (0, 0, 0, 0, 0, ())
    assert m.alerts_per_patient_week is None and m.action_share is None and m.adherence is None
    assert m.lab_draw_completion is None and m.response_test_completion is None
    assert [(s.severity, s.raised, s.to_acknowledge.median, s.to_resolve.p90) for s in m.by_severity] == [
        ("critical", 0, None, None),
        ("urgent", 0, None, None),
    ]


def test_a_period_with_patients_but_no_alert_has_patient_weeks_and_no_times() -> None:
    nurse = make_nurse()
    patient(nurse, day=1)
    m = figures(nurse)
    assert (m.patients, m.patient_days, m.alerts, m.alerts_per_patient_week) == (1, 28, 0, 0.0)
    assert m.by_severity[1].to_acknowledge.count == 0 and m.by_severity[1].to_acknowledge.median is None


def test_one_alert_is_its_own_median_and_90th_percentile() -> None:
    nurse = make_nurse()
    p = patient(nurse)
    alert(p, at(3), severity="critical", acknowledged=4 * MIN, resolved=90 * MIN, by=nurse.user, outcome="dose_held")
    critical, urgent = figures(nurse).by_severity
    assert (critical.raised, critical.to_acknowledge.median, critical.to_acknowledge.p90) == (1, 240.0, 240.0)
    assert (critical.to_resolve.median, critical.to_resolve.p90) == (5400.0, 5400.0)
    assert urgent.raised == 0


def test_ties_and_an_even_count_give_the_mean_of_the_middle_two_and_an_interpolated_90th() -> None:
    nurse = make_nurse()
    p = patient(nurse)
    for minutes in (5, 5, 10, 20):  # median (5 + 10) / 2 = 7.5; 90th at 0.9 × 3 = 2.7: 10 + 0.7 × 10 = 17
        alert(p, at(4), acknowledged=minutes * MIN, by=nurse.user)
    urgent = figures(nurse).by_severity[1]
    assert (urgent.to_acknowledge.count, urgent.to_acknowledge.median) == (4, 450.0)
    assert urgent.to_acknowledge.p90 == pytest.approx(1020.0)
    assert urgent.to_resolve.count == 0 and urgent.unacknowledged == 0


def test_alerts_outcomes_escalations_and_workload_of_a_small_clinic() -> None:
    nina = make_nurse()
    olga = make_nurse("nurse.olga")
    olga.user.first_name, olga.user.last_name = "Olga", "Ortiz"
    olga.user.save()
    elsewhere = make_nurse("nurse.else", clinic="Hillside Hematology")
    maria = patient(nina, "Maria", day=1)  # 28 patient-days
    sam = patient(nina, "Sam", tz="Europe/London", day=15)  # enrolled on day 15: 14 patient-days
    patient(nina, "Late", day=29)  # enrolled after the period: not counted
    # Raised in the period: 3 critical and 4 urgent (0.5 per patient-week over 6 weeks... 7 / 6 = 1.1667).
    a1 = alert(
        maria,
        at(2),
        severity="critical",
        acknowledged=2 * MIN,
        resolved=60 * MIN,
        by=nina.user,
        outcome="called_patient",
    )
    alert(
        maria,
        at(5),
        severity="critical",
        acknowledged=6 * MIN,
        resolved=30 * MIN,
        by=olga.user,
        outcome="no_action_needed",
    )
    alert(sam, at(20), severity="critical")  # still open
    alert(sam, at(16), acknowledged=30 * MIN, resolved=2 * 60 * MIN, by=nina.user, outcome="other")
    alert(sam, at(17), acknowledged=60 * MIN, resolved=3 * 60 * MIN, by=nina.user)  # no outcome recorded
    alert(maria, at(9), acknowledged=90 * MIN, by=olga.user)
    alert(
        maria, at(28, 23, 30), acknowledged=60 * MIN, resolved=2 * 60 * MIN, by=olga.user, outcome="sent_to_ed"
    )  # raised on the last day, handled on the next: in the cohort, not the workload
    alert(maria, at(10), superseded=True)  # backlog history: counted apart
    alert(maria, at(31))  # after the period
    old = alert(maria, at(-3), acknowledged=4 * 24 * 60 * MIN, by=olga.user)  # raised before, acknowledged on day 1
    alert(enrolled(make_patient(elsewhere, name="Otto").patient, at(1)), at(3), severity="critical")
    escalation(a1, at(2, 9, 15))
    escalation(a1, at(2, 9, 30), level=2)
    escalation(old, at(-2))  # before the period

    m = figures(nina)
    assert (m.patients, m.patient_days) == (2, 42)
    assert (m.alerts, m.backlog_alerts) == (7, 1)
    assert m.alerts_per_patient_week == pytest.approx(7 / 6)
    assert (m.resolved, m.resolved_with_outcome, m.led_to_action) == (5, 4, 3)
    assert m.action_share == 0.75  # called, other, sent to ED; not "no action needed"
    critical, urgent = m.by_severity
    assert (critical.raised, critical.unacknowledged, critical.to_acknowledge.count) == (3, 1, 2)
    assert critical.to_acknowledge.median == 4 * 60.0  # (2 + 6) / 2 minutes
    assert critical.to_resolve.median == 45 * 60.0
    assert (urgent.raised, urgent.to_acknowledge.count, urgent.to_resolve.count) == (4, 4, 3)
    assert urgent.to_acknowledge.median == 60 * 60.0  # 30, 60, 60, 90 minutes
    assert urgent.to_resolve.median == 2 * 3600.0 and urgent.to_resolve.p90 == pytest.approx(2.8 * 3600)
    assert (m.escalation_steps, m.escalated_alerts, m.on_call_steps) == (2, 1, 1)
    assert [(n.name, n.acknowledged, n.resolved) for n in m.nurses] == [
        ("nurse.nina", 3, 3),
        ("Olga Ortiz", 3, 1),  # day 5's alert, day 9's, and the one raised before the period
    ]


def test_adherence_counts_doses_due_from_the_first_whole_day_after_enrollment() -> None:
    nurse = make_nurse()
    p = patient(nurse, day=10)  # New York; cycle 1 day 1 is 1 November; enrolled 10 November
    Patient.objects.filter(pk=p.pk).update(dexamethasone_mg=0)  # stopped: no longer due
    ReminderPlan.objects.update_or_create(patient=p, defaults={"antiviral_times": ["08:00"]})
    # 11-28 November = cycle days 11-28: ixazomib day 15 (1), lenalidomide days 11-21 (11), antiviral daily (18)
    dose(p, "ixazomib", at(15, 23))  # 18:00 in New York
    dose(p, "ixazomib", at(16, 23))  # a second ixazomib log: at most one of the one due
    for day in range(11, 16):
        dose(p, "lenalidomide", at(day, 14))
    dose(p, "lenalidomide", at(9, 14))  # before enrollment
    dose(p, "lenalidomide", at(30, 14))  # after the period
    dose(p, "lenalidomide", at(20, 14), status="skipped")
    m = figures(nurse)
    assert (m.doses_due, m.doses_taken) == (30, 6)
    assert m.adherence == pytest.approx(0.2)


def test_adherence_leaves_today_out_and_counts_nothing_before_the_regimen_starts() -> None:
    nurse = make_nurse()
    p = patient(nurse, day=1)
    Patient.objects.filter(pk=p.pk).update(start_date=date(2026, 12, 1))
    m = figures(nurse, Period(date(2026, 11, 1), date(2026, 12, 2)))
    # 1 December (cycle 1 day 1) is over: ixazomib, lenalidomide, dexamethasone and two antivirals; 2 December is today
    assert (m.doses_due, m.doses_taken) == (5, 0)


def test_a_reminded_blood_draw_is_completed_by_a_result_from_a_day_before_to_three_days_after() -> None:
    nurse = make_nurse()
    p = patient(nurse)
    draw_reminder(p, at(7, 13))
    lab(p, at(6, 14))  # 23 hours before: counts
    draw_reminder(p, at(14, 13))
    lab(p, at(17, 14))  # 3 days and an hour after: too late
    draw_reminder(p, at(21, 13))
    lab(p, at(24, 13), analyte="anc")  # exactly three days after: counts
    draw_reminder(p, at(22, 13), status="cancelled")  # never sent
    draw_reminder(p, at(30, 13))  # the window is still open on 2 December: left out
    m = figures(nurse, Period(date(2026, 11, 1), date(2026, 12, 2)))
    assert (m.lab_draws_reminded, m.lab_draws_done) == (3, 2)
    assert m.lab_draw_completion == pytest.approx(2 / 3)


def test_response_tests_are_due_at_each_cycles_day_1_and_done_within_a_week_of_it() -> None:
    nurse = make_nurse()
    done = patient(nurse, "Done")
    marker(done, at(1) - timedelta(days=6))  # cycle 1's test, drawn 6 days before day 1
    late = patient(nurse, "Late")
    marker(late, at(9))  # 8 days after day 1: too late
    marker(late, at(20), name="kappa_flc")  # not near any day 1 in the period
    patient(nurse, "Enrolled later", day=2)  # cycle 1 began before enrollment: not due
    m = figures(nurse)
    assert (m.response_tests_due, m.response_tests_done) == (2, 1)
    m = figures(nurse, Period(date(2026, 11, 2), date(2026, 11, 28)))
    assert (m.response_tests_due, m.response_tests_done) == (0, 0)


def _clinic(nurse: Person, count: int, offset: int) -> None:
    for i in range(count):
        p = patient(nurse, f"Patient {offset + i:03d}", tz=("America/New_York", "Europe/London")[i % 2])
        a = alert(
            p,
            at(3),
            severity="critical",
            acknowledged=3 * MIN,
            resolved=40 * MIN,
            by=nurse.user,
            outcome="called_patient",
        )
        alert(p, at(4), acknowledged=9 * MIN, by=nurse.user)
        escalation(a, at(3, 9, 2))
        dose(p, "lenalidomide", at(5, 14))
        draw_reminder(p, at(7, 13))
        lab(p, at(7, 14))
        marker(p, at(1, 10))


def test_the_figures_cost_the_same_queries_for_3_and_30_patients() -> None:
    nurse = make_nurse()
    make_nurse("admin.ada", role=Role.ADMIN)
    _clinic(nurse, 3, 0)
    with CaptureQueriesContext(connection) as small:
        figures(nurse)
    _clinic(nurse, 27, 3)
    with CaptureQueriesContext(connection) as large:
        m = figures(nurse)
    assert m.patients == 30 and m.alerts == 60 and m.lab_draws_done == 30
    assert len(large.captured_queries) == len(small.captured_queries) == (8 if connection.vendor == "postgresql" else 9)
