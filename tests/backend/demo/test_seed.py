"""The demo clinic `make run` seeds: its three patients get their reminders at their local times,
through the development transport; three more show issue 13's rules on the nurse's screens."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from backend.demo import seed as demo
from backend.notifications.models import Notification, Preference, RecordedMessage
from backend.notifications.services import deliveries_send_due
from backend.patients.models import Patient
from backend.reminders.dispatch import reminders_dispatch_due
from backend.reminders.materialise import reminders_materialise
from backend.reminders.models import ReminderPlan

pytestmark = pytest.mark.django_db

SEEDED = datetime(2026, 11, 20, 15, 30, tzinfo=UTC)


def test_the_demo_patients_have_phones_plans_and_their_next_reminder_printed(
    clock: Callable[[datetime], None],
) -> None:
    clock(SEEDED)
    result = demo.seed_demo(SEEDED)
    enrolled = Patient.objects.filter(display_name__in=[p.name for p in demo.PATIENTS], user__isnull=False)
    assert enrolled.count() == 3
    # The three showcase patients (backend.demo.showcase) have phones too; the waiting patient has a
    # plan, for when a phone enrolls.
    assert ReminderPlan.objects.count() == 7
    preferences = Preference.objects.filter(user__patient__in=enrolled)
    assert sorted((p.timezone, p.channels) for p in preferences) == [
        ("America/New_York", ["push"]),
        ("Asia/Tokyo", ["push"]),
        ("Europe/London", ["push"]),
    ]
    assert [line.split(" (")[0] for line in result.next_reminders] == [p.name for p in demo.PATIENTS]
    # 10:30 in New York: Maria's next is the 20:00 antiviral (her lenalidomide days are over).
    assert result.next_reminders[0].startswith("Maria Lopez (America/New_York): antiviral at 20:00 local, in 9 h 30")
    again = demo.seed_demo(SEEDED)
    assert again.next_reminders == result.next_reminders
    assert Patient.objects.filter(user__isnull=False).count() == 6


def test_make_run_delivers_them_at_their_local_times(clock: Callable[[datetime], None]) -> None:
    clock(SEEDED)
    demo.seed_demo(SEEDED)
    RecordedMessage.objects.all().delete()
    Notification.objects.all().delete()
    for minutes in range(0, 24 * 60, 15):  # a day of beat ticks, every 15 minutes
        clock(SEEDED + timedelta(minutes=minutes))
        reminders_materialise()
        reminders_dispatch_due()
        deliveries_send_due()
    reminders = Notification.objects.filter(kind="reminder")
    assert reminders.count() >= 6  # each patient's two antiviral doses, at least
    recorded = set(RecordedMessage.objects.filter(channel="push").values_list("dedupe_key", flat=True))
    assert {f"careloop-{n.pk}-push" for n in reminders} <= recorded  # each one pushed, through the dev transport
    maria = Patient.objects.get(display_name="Maria Lopez")
    evening = reminders.get(recipient=maria.user, dedupe_key__endswith="antiviral:2026-11-20:20:00")
    assert evening.created_at == datetime(2026, 11, 21, 1, 0, tzinfo=UTC)  # 20:00 EST


def test_the_demo_patients_have_a_course_of_response_markers(clock: Callable[[datetime], None]) -> None:
    from backend.alerts.models import Alert
    from backend.response.models import PatientResponse

    clock(SEEDED)
    demo.seed_demo(SEEDED)
    demo.seed_demo(SEEDED)  # twice: nothing new
    current = {
        r.patient.display_name: (r.measurable_by, r.current_category, r.current_confirmed, r.best_category)
        for r in PatientResponse.objects.select_related("patient")
    }
    assert current == {
        "Maria Lopez": ("serum", "VGPR", True, "VGPR"),
        "James Carter": ("serum", "PD", False, "PR"),
        "Kenji Sato": ("flc", "PR", True, "PR"),
    }
    assert Alert.objects.filter(kind="disease_progression").count() == 1


def test_the_demo_admin_is_a_clinic_admin_and_an_engineer_has_the_django_admin(
    clock: Callable[[datetime], None],
) -> None:
    """The Django admin is for engineers: the demo clinic's admin works in the dashboard, a separate
    engineer account (no clinic) signs in to /admin/. A database seeded when the demo admin was a
    superuser is brought in line."""
    from backend.accounts.models import User

    clock(SEEDED)
    demo.seed_demo(SEEDED)
    User.objects.filter(username=demo.ADMIN[0]).update(is_superuser=True, is_staff=True)  # an older seed
    demo.seed_demo(SEEDED)
    admin = User.objects.get(username=demo.ADMIN[0])
    engineer = User.objects.get(username=demo.ENGINEER[0])
    assert (admin.role, admin.is_superuser, admin.is_staff) == ("admin", False, False)
    assert (engineer.is_superuser, engineer.clinic_id) == (True, None)
    assert engineer.check_password(demo.ENGINEER[1])


# --- Issue 13's showcase patients: what the nurse sees -------------------------------------------


def test_ruths_creatinine_is_grade_3_by_her_own_baseline_and_the_alert_says_so(
    clock: Callable[[datetime], None],
) -> None:
    from backend.alerts.models import Alert

    clock(SEEDED)
    demo.seed_demo(SEEDED)

    ruth = Patient.objects.get(display_name="Ruth Adler")
    alert = Alert.objects.get(patient=ruth)
    assert (alert.kind, alert.grade, alert.severity, alert.hold_drugs) == (
        "creatinine_increased",
        3,
        "urgent",
        ["ixazomib"],
    )
    # 2.2 mg/dL is 2.1 × her ULN (grade 2 by the ULN rule) but 3.1 × her baseline of 0.7: grade 3.
    assert alert.message.startswith(
        "Creatinine 2.2 mg/dL: CTCAE v5.0 grade 3 'Creatinine increased' by > 3.0 × baseline 0.7 mg/dL "
        "(baseline of 2026-10-06, the last before cycle 1 day 1; ULN 1.04 mg/dL, CareLoop default for women)."
    )


def test_omar_waits_for_his_cycle_start_labs_on_the_list_with_a_task_and_a_reminder(
    clock: Callable[[datetime], None],
) -> None:
    from django.test import Client

    from backend.alerts.models import Alert

    clock(SEEDED)
    result = demo.seed_demo(SEEDED)

    omar = Patient.objects.get(display_name="Omar Haddad")
    task = Alert.objects.get(patient=omar)
    assert (task.kind, task.severity, task.hold_drugs, task.title) == (
        "cycle_labs_missing",
        "urgent",
        [],
        "Labs missing for cycle 3 day 1",
    )
    reminder = Notification.objects.get(recipient=omar.user, dedupe_key__startswith="cycle-labs:")
    assert "Cycle 3 starts on Mon 23 Nov" in reminder.body
    browser = Client()
    browser.force_login(result.nurse)
    page = browser.get("/cycle-start/").content.decode()
    assert "Omar Haddad" in page and "C3 D1 · Mon 23 Nov" in page and "in 3 days" in page


def test_graces_falling_platelets_raise_an_urgent_early_warning_that_holds_nothing(
    clock: Callable[[datetime], None],
) -> None:
    from backend.alerts.models import Alert

    clock(SEEDED)
    demo.seed_demo(SEEDED)
    demo.seed_demo(SEEDED)  # twice: one warning

    grace = Patient.objects.get(display_name="Grace Okafor")
    warning = Alert.objects.get(patient=grace)
    assert (warning.kind, warning.severity, warning.hold_drugs) == ("early_warning", "urgent", [])
    assert "fell 54% from 212" in warning.message and "re-check before" in warning.message.lower()


def test_the_demo_clinic_makes_a_nadir_fever_without_an_anc_critical(clock: Callable[[datetime], None]) -> None:
    from backend.alerts.grading import policy_for

    clock(SEEDED)
    result = demo.seed_demo(SEEDED)

    assert policy_for(result.clinic).fever.nadir_no_anc_critical is True
