"""The demo clinic `make run` seeds: its three patients get their reminders at their local times,
through the development transport."""

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
    assert ReminderPlan.objects.count() == 4  # the waiting patient has one too, for when a phone enrolls
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
    assert Patient.objects.filter(user__isnull=False).count() == 3


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
