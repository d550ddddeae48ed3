"""Specification of the missed-ixazomib nudge: after the end of an ixazomib day in the patient's own
zone, an unlogged dose gets the label's answer, once; a logged one (even vomited) gets nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta

import pytest

from backend.caregivers.services import invite_accept, invite_create
from backend.notifications.models import Notification
from backend.reminders.missed_doses import missed_doses_notify
from tests.backend.reminders.support import at, enroll_at, log_dose
from tests.backend.reminders.test_dispatch import hold
from tests.factories import EnrolledPatient, Person

pytestmark = pytest.mark.django_db

DAY_8 = date(2026, 11, 8)  # Pat's ixazomib day (cycle 1 day 8), New York
DAY_9 = DAY_8 + timedelta(days=1)


def ny(day: date, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return at("America/New_York", day, hour, minute, second)


def nudges(person: Person) -> list[Notification]:
    return list(Notification.objects.filter(recipient=person.user, kind="missed_dose"))


def test_nothing_before_the_local_day_is_over(pat: EnrolledPatient, clock: Callable[[datetime], None]) -> None:
    clock(ny(DAY_8, 23, 59, 59))
    assert missed_doses_notify() == 0


def test_at_local_midnight_the_patient_hears_the_labels_answer(
    pat: EnrolledPatient, clock: Callable[[datetime], None]
) -> None:
    clock(ny(DAY_9, 0))
    assert missed_doses_notify() == 1
    (nudge,) = nudges(pat)
    assert nudge.title == "Ixazomib dose not logged"
    # Next dose Sun 15 Nov 22:00; the label allows the missed one until 72 h before it.
    assert nudge.body == (
        "Your ixazomib dose of Sun 8 Nov is not logged. If you took it, log it in the app. If you did not: "
        "You can still take it until Thu 12 Nov, 22:00. Then take the next dose as usual on Sun 15 Nov, 22:00."
    )
    assert nudge.dedupe_key == f"missed-dose:ixazomib:{pat.patient.pk}:2026-11-08"


def test_it_nudges_once_however_often_it_runs(pat: EnrolledPatient, clock: Callable[[datetime], None]) -> None:
    for minutes in (0, 15, 30, 23 * 60 + 45):
        clock(ny(DAY_9, 0) + timedelta(minutes=minutes))
        missed_doses_notify()
    assert len(nudges(pat)) == 1


def test_a_day_without_ixazomib_gets_no_nudge(pat: EnrolledPatient, clock: Callable[[datetime], None]) -> None:
    clock(ny(DAY_9 + timedelta(days=1), 0))  # Nov 9 was day 9: lenalidomide only
    assert missed_doses_notify() == 0


@pytest.mark.parametrize("status", ["taken", "skipped", "vomited"])
def test_any_log_on_the_day_counts_and_a_vomited_dose_is_never_repeated(
    pat: EnrolledPatient, clock: Callable[[datetime], None], status: str
) -> None:
    log_dose(pat, "ixazomib", ny(DAY_8, 22, 5), status)
    clock(ny(DAY_9, 0))
    assert missed_doses_notify() == 0
    assert nudges(pat) == []


def test_a_log_at_23_59_local_counts_for_that_day(pat: EnrolledPatient, clock: Callable[[datetime], None]) -> None:
    log_dose(pat, "ixazomib", ny(DAY_8, 23, 59))
    clock(ny(DAY_9, 0))
    assert missed_doses_notify() == 0


def test_a_log_at_00_00_local_belongs_to_the_next_day(pat: EnrolledPatient, clock: Callable[[datetime], None]) -> None:
    log_dose(pat, "ixazomib", ny(DAY_9, 0))
    clock(ny(DAY_9, 0, 5))
    assert missed_doses_notify() == 1


def test_the_day_boundary_is_the_patients_own_midnight(nurse: Person, clock: Callable[[datetime], None]) -> None:
    tokyo = enroll_at(nurse, clock, "Asia/Tokyo", date(2026, 11, 1), name="Kenji")
    clock(at("Asia/Tokyo", DAY_9, 0) - timedelta(seconds=1))  # 14:59:59 UTC on Nov 8
    assert missed_doses_notify() == 0
    clock(at("Asia/Tokyo", DAY_9, 0))
    assert missed_doses_notify() == 1
    assert len(nudges(tokyo)) == 1


def test_no_nudge_while_an_alert_holds_ixazomib(pat: EnrolledPatient, clock: Callable[[datetime], None]) -> None:
    hold(pat, ["ixazomib"])
    clock(ny(DAY_9, 0))
    assert missed_doses_notify() == 0


def test_no_nudge_for_a_day_that_ended_before_the_phone_enrolled(
    nurse: Person, clock: Callable[[datetime], None]
) -> None:
    late = enroll_at(nurse, clock, "America/New_York", date(2026, 11, 1), name="Late", enrolled=ny(DAY_9, 0))
    clock(ny(DAY_9, 0, 15))
    assert missed_doses_notify() == 0
    assert nudges(late) == []


def test_caregivers_with_the_missed_doses_scope_hear_too(
    pat: EnrolledPatient, clock: Callable[[datetime], None]
) -> None:
    _, code = invite_create(patient=pat.patient, scopes=["missed_doses"])
    carer = invite_accept(code=code, username="carer.cal", password="a-long-password-1").link.caregiver
    _, other_code = invite_create(patient=pat.patient, scopes=["critical_alerts"])
    other = invite_accept(code=other_code, username="carer.other", password="a-long-password-2").link.caregiver
    clock(ny(DAY_9, 0))
    assert missed_doses_notify() == 2
    (notice,) = Notification.objects.filter(recipient=carer, kind="missed_dose")
    assert notice.body == "Pat Doe has not logged the ixazomib dose of Sun 8 Nov."
    assert notice.patient_id == pat.patient.pk
    assert not Notification.objects.filter(recipient=other).exists()


def test_a_spanish_speaking_patient_and_caregiver_hear_it_in_spanish(
    pat: EnrolledPatient, clock: Callable[[datetime], None]
) -> None:
    from backend.accounts.models import User

    _, code = invite_create(patient=pat.patient, scopes=["missed_doses"])
    carer = invite_accept(code=code, username="ana.es", password="correct-horse-battery", display_name="Ana")
    User.objects.filter(pk__in=[pat.user.pk, carer.link.caregiver.pk]).update(language="es")
    clock(ny(DAY_9, 0))

    assert missed_doses_notify() == 2

    (nudge,) = nudges(pat)
    assert nudge.title == "Dosis de ixazomib sin anotar"
    assert nudge.body == (
        "Su dosis de ixazomib del dom 8 nov no está anotada. Si la tomó, anótela en la aplicación. Si no la tomó: "
        "Todavía puede tomarla hasta el jue 12 nov, 22:00. Después tome la siguiente dosis como siempre el "
        "dom 15 nov, 22:00."
    )
    (theirs,) = Notification.objects.filter(recipient=carer.link.caregiver, kind="missed_dose")
    assert theirs.title == "Pat Doe: dosis de ixazomib sin anotar"
    assert theirs.body == "Pat Doe no ha anotado la dosis de ixazomib del dom 8 nov."
