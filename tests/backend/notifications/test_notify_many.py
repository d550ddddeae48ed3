"""notify_many: what notify() does for each item, in far fewer statements. Everyone gets exactly one
inbox item per event; only people with a preference row get outside deliveries; an event already
in someone's inbox is not written again."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, time

from django.db import connection
from django.test.utils import CaptureQueriesContext

from backend.accounts.models import Role, User
from backend.notifications.models import Delivery, Notification, Preference
from backend.notifications.services import InboxItem, notify, notify_many
from tests.backend.caregivers.support import prefer
from tests.factories import EnrolledPatient, Person

NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
ROW_FIELDS = ("kind", "title", "body", "link", "critical", "dedupe_key", "patient_id", "created_at", "read_at")


def _item(person: Person | User, *, title: str = "Time for your dose") -> InboxItem:
    user = person if isinstance(person, User) else person.user
    return InboxItem(recipient=user, kind="reminder", title=title, body="Take it now.", dedupe_key="event-1")


def _inbox(person: Person) -> list[tuple[str, str]]:
    return list(
        Notification.objects.filter(recipient=person.user).order_by("dedupe_key").values_list("dedupe_key", "title")
    )


def test_it_writes_the_same_row_as_notify_for_the_same_event(nurse: Person, clinic_admin: Person) -> None:
    """The row is built in one place (InboxItem.row), so the batch path cannot drift from notify():
    same fields, same truncation of an over-long title and key."""
    item = InboxItem(
        recipient=nurse.user,
        kind="missed_dose",
        title="T" * 200,
        body="Your ixazomib dose of Fri 20 Nov is not logged.",
        dedupe_key="k" * 250,
        critical=True,
        link="app:doses",
        patient_id=uuid.UUID("00000000-0000-0000-0000-0000000000aa"),
    )

    notify(
        recipient=item.recipient,
        kind=item.kind,
        title=item.title,
        body=item.body,
        dedupe_key=item.dedupe_key,
        critical=item.critical,
        link=item.link,
        patient_id=item.patient_id,
        now=NOW,
    )
    notify_many(items=[replace(item, recipient=clinic_admin.user)], now=NOW)

    one_by_one, batched = (
        Notification.objects.filter(recipient=person.user).values(*ROW_FIELDS).get() for person in (nurse, clinic_admin)
    )
    assert batched == one_by_one
    assert (len(batched["title"]), len(batched["dedupe_key"])) == (160, 200)


def test_a_mixed_batch_gives_each_one_inbox_item_and_deliveries_only_to_those_with_preferences(
    nurse: Person, clinic_admin: Person, patient: EnrolledPatient
) -> None:
    prefer(nurse, channels=["email", "sms"], email="nina@clinic.example", phone="+15550100123")

    notify_many(items=[_item(nurse), _item(clinic_admin), _item(patient)], now=NOW)

    assert [_inbox(p) for p in (nurse, clinic_admin, patient)] == [[("event-1", "Time for your dose")]] * 3
    assert sorted(Delivery.objects.values_list("notification__recipient__username", "channel", "address")) == [
        ("nurse.nina", "email", "nina@clinic.example"),
        ("nurse.nina", "sms", "+15550100123"),
    ]


def test_an_event_already_in_the_inbox_is_not_written_again(nurse: Person, clinic_admin: Person) -> None:
    prefer(nurse, channels=["email"], email="nina@clinic.example")
    for person in (nurse, clinic_admin):
        notify(recipient=person.user, kind="reminder", title="First", body="b", dedupe_key="event-1", now=NOW)
    assert Delivery.objects.count() == 1

    notify_many(items=[_item(nurse, title="Second"), _item(clinic_admin, title="Second")], now=NOW)
    notify_many(items=[_item(nurse, title="Third"), _item(clinic_admin, title="Third")], now=NOW)

    assert [_inbox(p) for p in (nurse, clinic_admin)] == [[("event-1", "First")]] * 2
    assert Delivery.objects.count() == 1  # no second delivery for the event either


def test_the_same_event_twice_in_one_batch_is_one_inbox_item(nurse: Person, clinic_admin: Person) -> None:
    prefer(nurse, channels=["email"], email="nina@clinic.example")

    notify_many(items=[_item(p, title=t) for p in (nurse, clinic_admin) for t in ("First", "Second")], now=NOW)

    assert [len(_inbox(p)) for p in (nurse, clinic_admin)] == [1, 1]
    assert Delivery.objects.count() == 1


def test_at_its_time_is_not_held_by_quiet_hours(nurse: Person, clinic_admin: Person) -> None:
    for person in (nurse, clinic_admin):
        prefer(
            person,
            channels=["email"],
            email=f"{person.user.username}@x.example",
            quiet_start=time(0),
            quiet_end=time(23, 59),
        )

    notify_many(items=[_item(nurse)], now=NOW, at_its_time=True)
    notify_many(items=[_item(clinic_admin)], now=NOW)

    assert dict(Delivery.objects.values_list("notification__recipient__username", "not_before")) == {
        "nurse.nina": NOW,
        "admin.ada": datetime(2026, 11, 20, 23, 59, tzinfo=UTC),
    }


def test_inbox_only_people_cost_the_same_few_statements_however_many(db: None) -> None:
    """One SELECT of the preferences and one INSERT, for 1 person as for 40 (SQLite splits an
    INSERT every 90 rows, so the batch stays under that here)."""
    people = User.objects.bulk_create([User(username=f"patient-{i}", role=Role.PATIENT) for i in range(40)])
    counts = []
    for batch in (people[:1], people[1:]):
        with CaptureQueriesContext(connection) as queries:
            notify_many(items=[_item(p) for p in batch], now=NOW)
        counts.append(len(queries))

    assert counts == [2, 2]
    assert Notification.objects.count() == 40
    assert Delivery.objects.count() == 0


def test_an_empty_batch_touches_nothing(db: None) -> None:
    with CaptureQueriesContext(connection) as queries:
        notify_many(items=[], now=NOW)

    assert len(queries) == 0


def test_people_with_outside_channels_cost_the_same_few_statements_however_many(db: None) -> None:
    """The preferences, the inbox items, which were new, and their deliveries: four statements for
    1 person as for 20 (SQLite splits an INSERT of deliveries every 58 rows, so the batch stays under
    that; PostgreSQL takes any number in one)."""
    people = User.objects.bulk_create([User(username=f"nurse-{i}", role=Role.NURSE) for i in range(21)])
    Preference.objects.bulk_create(
        Preference(user=p, channels=["email", "sms"], email=f"{p.username}@x.example", phone="+1555") for p in people
    )
    counts = []
    for batch in (people[:1], people[1:]):
        with CaptureQueriesContext(connection) as queries:
            notify_many(items=[_item(p) for p in batch], now=NOW)
        counts.append(len(queries))

    assert counts == [4, 4]
    assert (Notification.objects.count(), Delivery.objects.count()) == (21, 42)


def test_the_batch_insert_writes_every_column_of_an_inbox_row() -> None:
    """On PostgreSQL notify_many writes inbox rows as column arrays, not through the model: a column
    added to Notification must be added there too, or this fails (rather than rows going in
    without it)."""
    from backend.notifications.services import _INBOX_COLUMNS

    written = [name for name, _ in _INBOX_COLUMNS] + ["created_at", "read_at"]
    assert sorted(written) == sorted(field.column for field in Notification._meta.concrete_fields)


def test_a_recipient_given_by_id_gets_the_same_row_as_one_given_as_a_user(nurse: Person, clinic_admin: Person) -> None:
    """A reminder dispatch names recipients by id (no User built per person)."""
    notify_many(items=[_item(nurse), replace(_item(clinic_admin), recipient=clinic_admin.user.pk)], now=NOW)

    by_user, by_id = (
        Notification.objects.filter(recipient=person.user).values(*ROW_FIELDS).get() for person in (nurse, clinic_admin)
    )
    assert by_user == by_id
