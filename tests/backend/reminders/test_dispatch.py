"""Specification of reminder sending: each reminder once, at its time, whatever runs twice, races
or dies half-way; to the inbox, then to the patient's outside channels."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.db import connection, connections
from django.utils import timezone

from backend.alerts.models import Alert, Severity, SourceType
from backend.notifications.models import Delivery, Notification, RecordedMessage
from backend.notifications.services import deliveries_send_due
from backend.reminders import services
from backend.reminders.models import OccurrenceStatus, ReminderOccurrence
from backend.reminders.services import reminders_dispatch_due, reminders_materialise
from tests.backend.reminders.support import at, enroll_at, keys, log_dose, push_on, reminders_in_inbox, rows
from tests.backend.support import IS_POSTGRES
from tests.factories import EnrolledPatient, Person

DAY_8 = date(2026, 11, 8)
NOON_UTC = datetime(2026, 11, 8, 12, tzinfo=UTC)


def ny(hour: int, minute: int = 0, second: int = 0, day: date = DAY_8) -> datetime:
    return at("America/New_York", day, hour, minute, second)


@pytest.mark.django_db
class TestSending:
    @pytest.fixture(autouse=True)
    def _materialised(self, pat: EnrolledPatient, clock: Callable[[datetime], None]) -> None:
        clock(NOON_UTC)
        reminders_materialise()

    def test_it_sends_a_reminder_at_its_time_and_only_once(
        self, pat: EnrolledPatient, clock: Callable[[datetime], None]
    ) -> None:
        clock(ny(7, 59, 59))
        assert reminders_dispatch_due().sent == 0
        clock(ny(8))
        assert reminders_dispatch_due().sent == 1
        assert reminders_dispatch_due().sent == 0
        (sent,) = rows(pat, status=OccurrenceStatus.SENT)
        assert (sent.key, sent.claimed_at, sent.sent_at) == ("antiviral:2026-11-08:08:00", ny(8), ny(8))
        (item,) = reminders_in_inbox(pat)
        assert (item.title, item.body, item.link) == (
            "Time for your antiviral",
            "Take your acyclovir 400 mg as prescribed, every day, also between cycles.",  # the clinic's
            "app:reminders",
        )
        assert item.dedupe_key == f"reminder:{pat.patient.pk}:antiviral:2026-11-08:08:00"

    def test_two_reminders_at_the_same_time_are_two_inbox_items_with_their_food_rules(
        self, pat: EnrolledPatient, clock: Callable[[datetime], None]
    ) -> None:
        clock(ny(9))
        assert reminders_dispatch_due().sent == 3  # 08:00 antiviral (1 h late, within grace) + 09:00 pair
        bodies = {n.title: n.body for n in reminders_in_inbox(pat)}
        assert bodies["Time for your dexamethasone"] == "Take with food, not at the same time as ixazomib."
        assert bodies["Time for your lenalidomide"] == "With or without food, at about the same time each day."

    def test_the_grace_period_ends_exactly_two_hours_after(
        self, pat: EnrolledPatient, clock: Callable[[datetime], None]
    ) -> None:
        clock(ny(10))  # 08:00 + 2 h: still sent
        assert (reminders_dispatch_due().sent, keys(pat, OccurrenceStatus.SKIPPED)) == (3, [])

    def test_one_second_past_the_grace_period_it_is_skipped(
        self, pat: EnrolledPatient, clock: Callable[[datetime], None]
    ) -> None:
        clock(ny(10, 0, 1))
        outcome = reminders_dispatch_due()
        assert (outcome.sent, outcome.skipped) == (2, 1)
        assert keys(pat, OccurrenceStatus.SKIPPED) == ["antiviral:2026-11-08:08:00"]
        assert [n.title for n in reminders_in_inbox(pat)] == [
            "Time for your dexamethasone",
            "Time for your lenalidomide",
        ]

    def test_it_goes_out_on_the_patients_channels_through_the_dev_transport(
        self, pat: EnrolledPatient, clock: Callable[[datetime], None]
    ) -> None:
        push_on(pat)
        clock(ny(8))
        reminders_dispatch_due()
        (item,) = reminders_in_inbox(pat)
        (delivery,) = Delivery.objects.filter(notification=item)
        assert (delivery.channel, delivery.address, delivery.kind) == ("push", "push-token-1", "reminder")
        assert deliveries_send_due() == 1
        (message,) = RecordedMessage.objects.filter(dedupe_key=delivery.dedupe_key)
        # Outside channels never carry the drug: the app shows it after sign-in.
        assert "antiviral" not in message.body.lower()
        assert message.subject == "CareLoop reminder"

    def test_a_patient_whose_phone_was_unenrolled_gets_nothing(
        self, pat: EnrolledPatient, clock: Callable[[datetime], None]
    ) -> None:
        pat.patient.user = None
        pat.patient.save()
        clock(ny(8))
        outcome = reminders_dispatch_due()
        assert (outcome.sent, outcome.cancelled) == (0, 1)
        assert Notification.objects.count() == 0

    def test_a_dose_already_logged_that_day_is_not_reminded(
        self, pat: EnrolledPatient, clock: Callable[[datetime], None]
    ) -> None:
        log_dose(pat, "lenalidomide", ny(8, 30))
        clock(ny(9))
        outcome = reminders_dispatch_due()
        assert (outcome.sent, outcome.not_needed) == (2, 1)
        assert keys(pat, OccurrenceStatus.NOT_NEEDED) == ["lenalidomide:2026-11-08"]

    def test_a_log_of_yesterday_does_not_silence_todays_reminder(
        self, pat: EnrolledPatient, clock: Callable[[datetime], None]
    ) -> None:
        log_dose(pat, "lenalidomide", ny(23, 59, day=DAY_8 - timedelta(days=1)))
        clock(ny(9))
        assert reminders_dispatch_due().not_needed == 0

    def test_a_held_drug_is_reminded_as_on_hold(self, pat: EnrolledPatient, clock: Callable[[datetime], None]) -> None:
        hold(pat, ["ixazomib", "lenalidomide"])
        clock(ny(9))
        reminders_dispatch_due()
        titles = {n.title: n.body for n in reminders_in_inbox(pat)}
        assert titles["Lenalidomide is on hold"] == (
            "Your care team asked you to hold lenalidomide: do not take it until they tell you to restart."
        )
        assert "Time for your dexamethasone" in titles

    def test_a_worker_dying_mid_batch_leaves_nothing_half_done(
        self, pat: EnrolledPatient, clock: Callable[[datetime], None], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The claim, the sent mark and the inbox items commit together: killed before the commit,
        the rows are still pending and no inbox item exists; the next run sends each once."""
        clock(ny(9))
        real_notify = services.notify
        calls: list[str] = []

        def dies_on_the_third(**kwargs: Any) -> Any:
            calls.append(kwargs["dedupe_key"])
            if len(calls) == 3:
                raise SystemExit("worker killed")
            return real_notify(**kwargs)

        monkeypatch.setattr(services, "notify", dies_on_the_third)
        with pytest.raises(SystemExit):
            reminders_dispatch_due()
        assert Notification.objects.count() == 0
        assert keys(pat, OccurrenceStatus.SENT) == []
        monkeypatch.setattr(services, "notify", real_notify)
        assert reminders_dispatch_due().sent == 3
        assert reminders_dispatch_due().sent == 0
        assert sorted(n.dedupe_key for n in reminders_in_inbox(pat)) == sorted(
            f"reminder:{pat.patient.pk}:{key}"
            for key in ("antiviral:2026-11-08:08:00", "lenalidomide:2026-11-08", "dexamethasone:2026-11-08")
        )

    def test_a_second_notify_for_the_same_dose_is_a_no_op(
        self, pat: EnrolledPatient, clock: Callable[[datetime], None]
    ) -> None:
        """Even a re-made row (same patient and key) cannot notify twice: the inbox key is per dose."""
        clock(ny(8))
        reminders_dispatch_due()
        ReminderOccurrence.objects.filter(status=OccurrenceStatus.SENT).update(status=OccurrenceStatus.PENDING)
        reminders_dispatch_due()
        assert len(reminders_in_inbox(pat)) == 1


def hold(patient: EnrolledPatient, drugs: list[str]) -> Alert:
    now = timezone.now()
    return Alert.objects.create(
        patient=patient.patient,
        kind="thrombocytopenia",
        grade=4,
        severity=Severity.CRITICAL,
        hold_drugs=drugs,
        title="Platelets very low",
        message="held",
        patient_advice="hold",
        rule_source="test",
        source_type=SourceType.LAB_RESULT,
        source_id="00000000-0000-0000-0000-000000000001",
        observed_at=now,
        created_at=now,
        updated_at=now,
    )


# --- Races, with real connections ------------------------------------------------------------------


def _in_thread(target: Callable[[], Any], results: list[Any], errors: list[BaseException]) -> threading.Thread:
    def run() -> None:
        try:
            results.append(target())
        except BaseException as error:  # surfaced by the test
            errors.append(error)
        finally:
            connections.close_all()

    return threading.Thread(target=run)


@pytest.mark.django_db(transaction=True)
def test_workers_racing_send_each_reminder_exactly_once(nurse: Person, clock: Callable[[datetime], None]) -> None:
    """Four dispatchers in four threads (four connections), small batches, all due at once."""
    people = [enroll_at(nurse, clock, "America/New_York", date(2026, 11, 1), name=f"P{i}") for i in range(12)]
    clock(NOON_UTC)
    reminders_materialise()
    moment = ny(10)  # 3 due per patient: 36 in all
    started = threading.Barrier(4)

    def drain() -> int:
        started.wait()
        sent = 0
        while True:
            outcome = reminders_dispatch_due(now=moment, limit=4)
            sent += outcome.sent
            if not outcome.full:
                return sent

    results: list[int] = []
    errors: list[BaseException] = []
    threads = [_in_thread(drain, results, errors) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert sum(results) == 36
    notifications = Notification.objects.filter(kind="reminder")
    assert notifications.count() == 36
    assert len(set(notifications.values_list("dedupe_key", flat=True))) == 36
    assert ReminderOccurrence.objects.filter(status=OccurrenceStatus.SENT).count() == 36
    assert {p.patient.pk for p in people} == set(
        ReminderOccurrence.objects.filter(status=OccurrenceStatus.SENT).values_list("patient_id", flat=True)
    )


@pytest.mark.skipif(not IS_POSTGRES, reason="SKIP LOCKED is PostgreSQL's; SQLite serialises writers instead")
@pytest.mark.django_db(transaction=True)
def test_rows_claimed_by_a_worker_that_dies_are_skipped_by_others_then_sent_once(
    pat: EnrolledPatient, clock: Callable[[datetime], None], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Worker A claims the due rows (FOR UPDATE) and hangs in the middle of notifying; worker B
    runs meanwhile and skips them (SKIP LOCKED), sending nothing twice. A dies: its transaction
    rolls back, the rows are pending again, and B's next run sends each once."""
    clock(NOON_UTC)
    reminders_materialise()
    moment = ny(9)
    inside, release = threading.Event(), threading.Event()
    real_notify = services.notify

    def hangs_then_dies(**kwargs: Any) -> Any:
        if threading.current_thread().name == "worker-a":
            real_notify(**kwargs)  # written in A's open transaction, never committed
            inside.set()
            release.wait(30)
            raise SystemExit("worker A killed")
        return real_notify(**kwargs)

    monkeypatch.setattr(services, "notify", hangs_then_dies)
    results: list[Any] = []
    errors: list[BaseException] = []
    worker_a = _in_thread(lambda: reminders_dispatch_due(now=moment), results, errors)
    worker_a.name = "worker-a"
    worker_a.start()
    assert inside.wait(30)
    assert reminders_dispatch_due(now=moment).sent == 0  # B: A's rows are locked, so skipped
    release.set()
    worker_a.join(30)
    assert [type(e) for e in errors] == [SystemExit]
    assert ReminderOccurrence.objects.filter(status=OccurrenceStatus.SENT).count() == 0
    assert Notification.objects.count() == 0
    assert reminders_dispatch_due(now=moment).sent == 3
    assert reminders_dispatch_due(now=moment).sent == 0
    assert Notification.objects.filter(kind="reminder").count() == 3
    connection.close()
