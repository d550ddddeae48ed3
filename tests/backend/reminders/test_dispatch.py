"""Specification of reminder sending: each reminder once, at its time, whatever runs twice, races
or dies half-way; to the inbox, then to the patient's outside channels."""

from __future__ import annotations

import threading
import time as time_module
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from backend.alerts.models import Alert, Severity, SourceType
from backend.notifications.models import Delivery, Notification, Preference, RecordedMessage
from backend.notifications.services import deliveries_send_due
from backend.reminders import dispatch
from backend.reminders.dispatch import reminders_dispatch_due
from backend.reminders.materialise import reminders_materialise
from backend.reminders.models import OccurrenceStatus, ReminderOccurrence, ReminderPlan
from tests.backend.reminders.support import at, enroll_at, keys, log_dose, push_on, reminders_in_inbox, rows
from tests.backend.support import IS_POSTGRES
from tests.factories import EnrolledPatient, Person

DAY_8 = date(2026, 11, 8)
NOON_UTC = datetime(2026, 11, 8, 12, tzinfo=UTC)


def ny(hour: int, minute: int = 0, second: int = 0, day: date = DAY_8) -> datetime:
    return at("America/New_York", day, hour, minute, second)


def doses_only() -> None:
    """These scenarios count the 08:00 and 09:00 dose reminders of day 8; the plans leave out the
    blood counts within the cycle (nadir_draw_cycles 0), whose day-8 draw test_materialise and
    tests/shared/test_reminders.py specify."""
    ReminderPlan.objects.update(nadir_draw_cycles=0)


@pytest.mark.django_db
class TestSending:
    @pytest.fixture(autouse=True)
    def _materialised(self, pat: EnrolledPatient, clock: Callable[[datetime], None]) -> None:
        clock(NOON_UTC)
        doses_only()
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
        # Claimed as sent in one statement, then taken back: cancelled, with no sent time.
        assert list(
            ReminderOccurrence.objects.exclude(status=OccurrenceStatus.PENDING).values_list("status", "sent_at")
        ) == [(OccurrenceStatus.CANCELLED, None)]

    def test_a_dose_already_logged_that_day_is_not_reminded(
        self, pat: EnrolledPatient, clock: Callable[[datetime], None]
    ) -> None:
        log_dose(pat, "lenalidomide", ny(8, 30))
        clock(ny(9))
        outcome = reminders_dispatch_due()
        assert (outcome.sent, outcome.not_needed) == (2, 1)
        assert keys(pat, OccurrenceStatus.NOT_NEEDED) == ["lenalidomide:2026-11-08"]
        assert ReminderOccurrence.objects.get(status=OccurrenceStatus.NOT_NEEDED).sent_at is None
        assert ReminderOccurrence.objects.filter(status=OccurrenceStatus.SENT, sent_at=ny(9)).count() == 2

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
            "Your care team asked you to hold lenalidomide: "
            "do not take it until they tell you when to restart and at what dose."
        )
        assert "Time for your dexamethasone" in titles

    @pytest.mark.parametrize("with_push", [False, True], ids=["inbox only", "with push"])
    def test_a_worker_dying_mid_batch_leaves_nothing_half_done(
        self,
        pat: EnrolledPatient,
        clock: Callable[[datetime], None],
        monkeypatch: pytest.MonkeyPatch,
        with_push: bool,
    ) -> None:
        """The claim, the sent mark and the inbox items commit together: killed after writing them
        but before the commit, the rows are still pending and no inbox item or delivery exists; the
        next run sends each once."""
        if with_push:
            push_on(pat)
        clock(ny(9))
        real_notify_many = dispatch.notify_many

        def writes_then_dies(**kwargs: Any) -> None:
            real_notify_many(**kwargs)
            assert Notification.objects.count() == 3  # written in the open transaction
            raise SystemExit("worker killed")

        monkeypatch.setattr(dispatch, "notify_many", writes_then_dies)
        with pytest.raises(SystemExit):
            reminders_dispatch_due()
        assert (Notification.objects.count(), Delivery.objects.count()) == (0, 0)
        assert keys(pat, OccurrenceStatus.SENT) == []
        monkeypatch.setattr(dispatch, "notify_many", real_notify_many)
        assert reminders_dispatch_due().sent == 3
        assert Delivery.objects.count() == (3 if with_push else 0)
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
        holds_in_force=drugs,  # no later count has lifted it
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


# --- Many patients in one batch -------------------------------------------------------------------


def _patients(nurse: Person, clock: Callable[[datetime], None], count: int) -> list[EnrolledPatient]:
    """`count` patients like Pat, their reminders made at noon UTC on day 8."""
    people = [enroll_at(nurse, clock, "America/New_York", date(2026, 11, 1), name=f"P{i}") for i in range(count)]
    clock(NOON_UTC)
    doses_only()
    reminders_materialise()
    return people


def _push_with_quiet_hours_all_day(person: EnrolledPatient) -> Preference:
    """Push on, with quiet hours all day long: a reminder still goes at its time."""
    return Preference.objects.create(
        user=person.user,
        channels=["push"],
        push_token=f"token-{person.user.pk}",
        quiet_start=time(0),
        quiet_end=time(23, 59),
        timezone="America/New_York",
    )


def _inbox_keys(person: EnrolledPatient) -> list[str]:
    return sorted(n.dedupe_key for n in reminders_in_inbox(person))


DUE_AT_NINE = ("antiviral:2026-11-08:08:00", "dexamethasone:2026-11-08", "lenalidomide:2026-11-08")


@pytest.mark.django_db
def test_a_mixed_batch_is_one_inbox_item_per_reminder_and_deliveries_only_for_patients_with_preferences(
    nurse: Person, clock: Callable[[datetime], None]
) -> None:
    people = _patients(nurse, clock, 4)
    with_push = people[:2]
    for person in with_push:
        _push_with_quiet_hours_all_day(person)
    clock(ny(9))

    assert reminders_dispatch_due().sent == 12

    for person in people:
        assert _inbox_keys(person) == sorted(f"reminder:{person.patient.pk}:{key}" for key in DUE_AT_NINE)
        assert keys(person, OccurrenceStatus.SENT) == list(DUE_AT_NINE)
    deliveries = Delivery.objects.select_related("notification")
    assert sorted((d.notification.recipient_id, d.notification.dedupe_key) for d in deliveries) == sorted(
        (p.user.pk, f"reminder:{p.patient.pk}:{key}") for p in with_push for key in DUE_AT_NINE
    )
    assert {(d.channel, d.address, d.kind, d.not_before) for d in deliveries} == {
        ("push", f"token-{p.user.pk}", "reminder", ny(9)) for p in with_push
    }


@pytest.mark.django_db
def test_dispatching_again_sends_nothing_twice(nurse: Person, clock: Callable[[datetime], None]) -> None:
    """Neither a second run, nor a run over the same doses made pending again (a re-made row)."""
    people = _patients(nurse, clock, 4)
    push_on(people[0])
    clock(ny(9))
    assert reminders_dispatch_due().sent == 12

    assert reminders_dispatch_due().sent == 0
    ReminderOccurrence.objects.filter(status=OccurrenceStatus.SENT).update(status=OccurrenceStatus.PENDING)
    reminders_dispatch_due()

    assert [len(reminders_in_inbox(p)) for p in people] == [3, 3, 3, 3]
    assert Notification.objects.count() == 12
    assert Delivery.objects.count() == 3


@pytest.mark.django_db
def test_an_event_already_in_the_inbox_is_not_written_again(nurse: Person, clock: Callable[[datetime], None]) -> None:
    """With or without preferences: the earlier item stays as it was, no delivery is added, and
    the reminder is marked sent (it was: the patient has it)."""
    people = _patients(nurse, clock, 2)
    push_on(people[0])
    earlier = [
        Notification.objects.create(
            recipient=p.user,
            kind="reminder",
            title="Sent earlier",
            dedupe_key=f"reminder:{p.patient.pk}:antiviral:2026-11-08:08:00",
            created_at=ny(7),
        )
        for p in people
    ]
    clock(ny(8))

    assert reminders_dispatch_due().sent == 2

    for person, item in zip(people, earlier, strict=True):
        assert [(n.pk, n.title, n.created_at) for n in reminders_in_inbox(person)] == [(item.pk, "Sent earlier", ny(7))]
        assert keys(person, OccurrenceStatus.SENT) == ["antiviral:2026-11-08:08:00"]
    assert Delivery.objects.count() == 0


@pytest.mark.django_db
def test_inbox_only_dispatch_costs_the_same_statements_for_1_reminder_as_for_11(
    nurse: Person, clock: Callable[[datetime], None]
) -> None:
    """Patients without preferences get one INSERT per batch, not a savepoint, an INSERT and a
    release each: the statement count does not grow with the batch."""
    _patients(nurse, clock, 12)
    clock(ny(8))  # one reminder each: the 08:00 antiviral
    counts = []
    for limit, expected in ((1, 1), (11, 11)):
        with CaptureQueriesContext(connection) as queries:
            assert reminders_dispatch_due(limit=limit).sent == expected
        counts.append(len(queries))

    # Skip the overdue, savepoint, claim and mark sent (ONE statement on PostgreSQL, two elsewhere),
    # held drugs, preferences, ONE insert, release.
    assert counts == ([7, 7] if IS_POSTGRES else [8, 8])
    assert Notification.objects.filter(kind="reminder").count() == 12


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
    """Four dispatchers in four threads (four connections), small batches, all due at once; half
    the patients have push on (notify() one by one), half are inbox only (one INSERT per batch)."""
    people = [enroll_at(nurse, clock, "America/New_York", date(2026, 11, 1), name=f"P{i}") for i in range(12)]
    for person in people[::2]:
        push_on(person)
    clock(NOON_UTC)
    doses_only()
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
    assert Delivery.objects.count() == 18
    assert set(Delivery.objects.values_list("notification__recipient_id", flat=True)) == {
        p.user.pk for p in people[::2]
    }
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
    doses_only()
    reminders_materialise()
    moment = ny(9)
    inside, release = threading.Event(), threading.Event()
    real_notify_many = dispatch.notify_many

    def hangs_then_dies(**kwargs: Any) -> None:
        if threading.current_thread().name == "worker-a":
            real_notify_many(**kwargs)  # written in A's open transaction, never committed
            inside.set()
            release.wait(30)
            raise SystemExit("worker A killed")
        real_notify_many(**kwargs)

    monkeypatch.setattr(dispatch, "notify_many", hangs_then_dies)
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


def _notifier_process(moment: datetime, limit: int, start: Any, results: Any) -> None:
    """A notifier process of its own (forked): its own connection, batches until none is left."""
    connections.close_all()  # never the parent's socket
    start.wait(30)
    sent = batches = 0
    try:
        while True:
            outcome = reminders_dispatch_due(now=moment, limit=limit)
            sent += outcome.sent
            batches += 1
            if not outcome.full:
                break
        results.put(("ok", sent, batches))
    except BaseException as error:  # surfaced by the test
        results.put(("error", repr(error), batches))
    finally:
        connections.close_all()


@pytest.mark.skipif(not IS_POSTGRES, reason="two processes need a database both can reach; SKIP LOCKED is PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_two_notifier_processes_never_send_one_reminder_twice(
    nurse: Person, clock: Callable[[datetime], None], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Production runs the notifier with two processes (the Procfile's NOTIFY_CONCURRENCY): two OS
    processes, each with its own PostgreSQL connection, drain the same 90 due reminders in batches
    of 3. Each batch is slowed by 20 ms inside its transaction so the two overlap batch after
    batch; every reminder is sent by exactly one of them, once, and both took part."""
    import multiprocessing

    people = _patients(nurse, clock, 30)
    for person in people[::3]:
        _push_with_quiet_hours_all_day(person)  # some batches write deliveries too
    moment = ny(9)  # 3 due per patient
    real_notify_many = dispatch.notify_many

    def slow_notify_many(**kwargs: Any) -> None:
        real_notify_many(**kwargs)
        time_module.sleep(0.02)  # rows locked meanwhile: the other process must skip them

    monkeypatch.setattr(dispatch, "notify_many", slow_notify_many)
    connections.close_all()  # the children are forked: none may inherit an open connection
    context = multiprocessing.get_context("fork")
    start, results = context.Barrier(2), context.Queue()
    processes = [context.Process(target=_notifier_process, args=(moment, 3, start, results)) for _ in range(2)]
    for process in processes:
        process.start()
    outcomes = [results.get(timeout=60) for _ in processes]
    for process in processes:
        process.join(30)

    assert [kind for kind, _, _ in outcomes] == ["ok", "ok"], outcomes
    sent = [n for _, n, _ in outcomes]
    assert sum(sent) == 90
    assert min(sent) > 0  # both processes sent some: the batches really interleaved
    assert ReminderOccurrence.objects.filter(status=OccurrenceStatus.SENT).count() == 90
    assert not ReminderOccurrence.objects.filter(status=OccurrenceStatus.PENDING, due_at__lte=moment).exists()
    notifications = Notification.objects.filter(kind="reminder")
    assert notifications.count() == 90
    assert len(set(notifications.values_list("recipient_id", "dedupe_key"))) == 90
    assert Delivery.objects.count() == 30  # 10 patients with push, 3 reminders each, one delivery each
    assert len(set(Delivery.objects.values_list("notification_id", flat=True))) == 30
