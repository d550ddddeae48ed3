"""Two nurses acting on one alert at the same moment, each in her own transaction on her own
PostgreSQL connection: exactly one of them does it, the other is told it was done (and by whom),
and a note sent by the second is kept on the alert's notes."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.db import connection, connections

from backend.alerts import services
from backend.alerts.models import Alert, AlertNote, Status
from backend.alerts.services import AlertAction, alert_acknowledge, alert_resolve
from tests.backend.caregivers.support import raise_alert
from tests.backend.support import IS_POSTGRES
from tests.factories import EnrolledPatient, Person, make_nurse

pytestmark = [
    pytest.mark.skipif(not IS_POSTGRES, reason="two connections at once: PostgreSQL (SQLite serialises writers)"),
    pytest.mark.django_db(transaction=True),
]


def _in_thread(target: Callable[[], Any], errors: list[BaseException], name: str) -> threading.Thread:
    def run() -> None:
        try:
            target()
        except BaseException as error:  # surfaced by the test
            errors.append(error)
        finally:
            connections.close_all()

    return threading.Thread(target=run, name=name)


def _waiting_on_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
        )
        (count,) = cursor.fetchone()
    return bool(count)


def at_once(
    monkeypatch: pytest.MonkeyPatch, first: Callable[[], AlertAction], second: Callable[[], AlertAction]
) -> tuple[AlertAction, AlertAction, bool]:
    """`first` changes the alert and stops before committing; `second` starts meanwhile; then `first`
    commits. Returns both results and whether `second` had to wait for `first`."""
    inside, release = threading.Event(), threading.Event()
    real = services._ladder_stopped

    def stop_then_wait(alert: Alert) -> None:
        real(alert)
        if threading.current_thread().name == "first":
            inside.set()  # changed, not committed
            release.wait(30)

    monkeypatch.setattr(services, "_ladder_stopped", stop_then_wait)
    errors: list[BaseException] = []
    results: dict[str, AlertAction] = {}
    one = _in_thread(lambda: results.__setitem__("first", first()), errors, "first")
    one.start()
    assert inside.wait(30)
    two = _in_thread(lambda: results.__setitem__("second", second()), errors, "second")
    two.start()
    deadline = datetime.now() + timedelta(seconds=30)
    while not (waited := _waiting_on_a_lock()) and datetime.now() < deadline:
        threading.Event().wait(0.05)
    release.set()
    one.join(30)
    two.join(30)
    assert errors == []
    connection.close()
    return results["first"], results["second"], waited


@pytest.fixture
def colleague(nurse: Person) -> Person:
    return make_nurse("nurse.olga", clinic="Riverside Oncology")


def test_two_nurses_resolving_at_once_resolve_it_once_and_both_notes_are_kept(
    monkeypatch: pytest.MonkeyPatch, nurse: Person, colleague: Person, patient: EnrolledPatient
) -> None:
    alert = raise_alert(patient)

    first, second, waited = at_once(
        monkeypatch,
        lambda: alert_resolve(user=nurse.user, alert_id=alert.pk, note="Called her.", outcome="called_patient"),
        lambda: alert_resolve(user=colleague.user, alert_id=alert.pk, note="Held both.", outcome="dose_held"),
    )

    assert waited, "the second nurse never waited for the first"
    assert (first.done, second.done) == (True, False)
    assert (second.alert.status, second.alert.resolved_by_id) == (Status.RESOLVED, nurse.user.pk)
    stored = Alert.objects.get(pk=alert.pk)
    assert (stored.resolved_by_id, stored.outcome, stored.resolution_note) == (
        nurse.user.pk,
        "called_patient",
        "Called her.",
    )
    notes = AlertNote.objects.filter(alert=alert).values_list("author_id", "text", "resolves")
    assert list(notes) == [(nurse.user.pk, "Called her.", True), (colleague.user.pk, "Held both.", False)]


def test_two_nurses_acknowledging_at_once_acknowledge_it_once(
    monkeypatch: pytest.MonkeyPatch, nurse: Person, colleague: Person, patient: EnrolledPatient
) -> None:
    alert = raise_alert(patient)

    first, second, waited = at_once(
        monkeypatch,
        lambda: alert_acknowledge(user=nurse.user, alert_id=alert.pk),
        lambda: alert_acknowledge(user=colleague.user, alert_id=alert.pk),
    )

    assert waited
    assert (first.done, second.done) == (True, False)
    assert second.alert.acknowledged_by_id == nurse.user.pk
    assert Alert.objects.get(pk=alert.pk).acknowledged_by_id == nurse.user.pk


def test_acknowledging_while_a_colleague_resolves_finds_it_resolved(
    monkeypatch: pytest.MonkeyPatch, nurse: Person, colleague: Person, patient: EnrolledPatient
) -> None:
    alert = raise_alert(patient)

    first, second, waited = at_once(
        monkeypatch,
        lambda: alert_resolve(user=nurse.user, alert_id=alert.pk, note="Done.", outcome="other"),
        lambda: alert_acknowledge(user=colleague.user, alert_id=alert.pk),
    )

    assert waited
    assert (first.done, second.done) == (True, False)
    assert (second.alert.status, second.alert.acknowledged_by_id) == (Status.RESOLVED, nurse.user.pk)


def test_resolving_while_a_colleague_acknowledges_resolves_it(
    monkeypatch: pytest.MonkeyPatch, nurse: Person, colleague: Person, patient: EnrolledPatient
) -> None:
    alert = raise_alert(patient)

    first, second, waited = at_once(
        monkeypatch,
        lambda: alert_acknowledge(user=nurse.user, alert_id=alert.pk),
        lambda: alert_resolve(user=colleague.user, alert_id=alert.pk, note="Seen.", outcome="other"),
    )

    assert waited
    assert (first.done, second.done) == (True, True)
    stored = Alert.objects.get(pk=alert.pk)
    assert (stored.status, stored.acknowledged_by_id, stored.resolved_by_id) == (
        Status.RESOLVED,
        nurse.user.pk,
        colleague.user.pk,
    )
