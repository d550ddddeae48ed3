"""Telling people things, once.

`notify()` writes the inbox item and one pending delivery per outside channel the person uses, in
the caller's transaction, keyed so the same event never notifies the same person twice.
`notify_many()` does the same for a batch in a constant number of statements, however large.
`deliveries_send_due()` claims a few due deliveries at a time for a short lease (SKIP LOCKED on
PostgreSQL, the IMMEDIATE write lock on SQLite), records each attempt before calling the provider,
and retries transient errors with backoff a bounded number of times. A permanent error disables
that channel for that person and tells the clinic's admins. `deliveries_reap_stale()` takes back
what a crashed worker held: never attempted, it is sent once the lease ends; handed to a provider,
it is sent again only where that is harmless or the message is critical.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from backend.accounts.models import Clinic, Role, User
from backend.caregivers.selectors import linked_patient_ids
from backend.notifications.ids import uuid7
from backend.notifications.models import Channel, Delivery, DeliveryStatus, Notification, Preference
from backend.notifications.texts import external_text, language_of
from backend.notifications.transports.base import TransportError
from backend.notifications.transports.registry import repeat_is_harmless, transport_for
from shared.quiet_hours import quiet_until

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
# A worker claims this many at a time: a crash strands at most these, until their lease ends.
CLAIM_BATCH = 5
# A run stops claiming after this long, well inside CELERY_TASK_SOFT_TIME_LIMIT, and queues the next.
RUN_SECONDS = 30.0


def lease() -> timedelta:
    """How long a claim holds deliveries before another worker may take them."""
    return timedelta(seconds=settings.CARELOOP_DELIVERY_LEASE_SECONDS)


def attempt_timeout() -> timedelta:
    """How long after an attempt with no answer its worker is known to be gone."""
    return timedelta(seconds=settings.CARELOOP_DELIVERY_ATTEMPT_TIMEOUT_SECONDS)


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, 4 min, … capped at 15 minutes."""
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 900))


@dataclass(frozen=True)
class Recipient:
    user: User
    preference: Preference | None


def preferences_for(users: Iterable[User]) -> dict[int, Preference]:
    return {p.user_id: p for p in Preference.objects.filter(user__in=list(users))}


def _address(preference: Preference, channel: str) -> str:
    return {Channel.EMAIL: preference.email, Channel.SMS: preference.phone, Channel.PUSH: preference.push_token}.get(
        Channel(channel), ""
    )


@dataclass(frozen=True)
class InboxItem:
    """What one person's inbox item says. `row()` is the one place that turns it into a
    Notification row, for notify() and notify_many() alike (notify_many's PostgreSQL path writes
    the same columns without a model instance: `_INBOX_COLUMNS`, compared with `row()` by the tests).

    `recipient` may be the user's id alone: a dispatch of thousands of reminders need not build a
    User per person to write their inbox items."""

    recipient: User | int
    kind: str
    title: str
    body: str
    dedupe_key: str
    critical: bool = False
    link: str = ""
    patient_id: UUID | None = None
    topic: str = ""  # for its deliveries (see notify), not part of the inbox row

    @property
    def recipient_pk(self) -> int:
        return self.recipient if isinstance(self.recipient, int) else self.recipient.pk

    def row(self, now: datetime, pk: UUID | None = None) -> Notification:
        return Notification(
            id=pk or uuid7(),
            recipient_id=self.recipient_pk,
            kind=self.kind,
            title=self.title[:160],
            body=self.body,
            link=self.link,
            critical=self.critical,
            dedupe_key=self.dedupe_key[:200],
            patient_id=self.patient_id,
            created_at=now,
        )

    def values(self) -> tuple[object, ...]:
        """The row's values in `_INBOX_COLUMNS` order, after its id; the same as `row()`'s."""
        return (
            self.recipient_pk,
            self.kind,
            self.title[:160],
            self.body,
            self.link,
            self.critical,
            self.dedupe_key[:200],
            self.patient_id,
        )


# (column, PostgreSQL array type) of an inbox row as notify_many writes it, created_at and read_at aside.
_INBOX_COLUMNS = (
    ("id", "uuid"),
    ("recipient_id", "bigint"),
    ("kind", "text"),
    ("title", "text"),
    ("body", "text"),
    ("link", "text"),
    ("critical", "boolean"),
    ("dedupe_key", "text"),
    ("patient_id", "uuid"),
)


def notify(
    *,
    recipient: User,
    kind: str,
    title: str,
    body: str,
    dedupe_key: str,
    critical: bool = False,
    link: str = "",
    preference: Preference | None = None,
    now: datetime | None = None,
    topic: str = "",
    patient_id: UUID | None = None,
    at_its_time: bool = False,
) -> Notification | None:
    """Inbox item plus outside deliveries; None if this event already notified this person.

    `at_its_time`: the person chose when this message comes (a reminder at their dose time), so
    quiet hours do not hold it back: a 22:00 ixazomib reminder delivered at 07:00 would be wrong.

    `title` and `body` are for the inbox only (the person signs in to read them); outside
    channels get `texts.external_text(kind, language)`, which says only that there is something to see.
    Callers write `title` and `body` in the recipient's language (`texts.language_of`).
    `topic` (e.g. "alert:<id>") lets `deliveries_cancel` drop the deliveries once they are moot;
    `patient_id` says whose data the item is about (a caregiver sees it only while linked)."""
    now = now or timezone.now()
    item = InboxItem(
        recipient=recipient,
        kind=kind,
        title=title,
        body=body,
        dedupe_key=dedupe_key,
        critical=critical,
        link=link,
        patient_id=patient_id,
    )
    return _notify_one(item, preference=preference, now=now, topic=topic, at_its_time=at_its_time)


def _notify_one(
    item: InboxItem, *, preference: Preference | None, now: datetime, topic: str, at_its_time: bool
) -> Notification | None:
    notification = item.row(now)
    try:
        with transaction.atomic():
            notification.save(force_insert=True)
    except IntegrityError:
        return None
    if preference is None:
        preference = Preference.objects.filter(user=item.recipient).first()
    if preference is not None:
        _plan_deliveries(notification, preference, now, topic, wait_for_quiet_hours=not at_its_time)
    return notification


def notify_many(*, items: Sequence[InboxItem], now: datetime | None = None, at_its_time: bool = False) -> None:
    """notify() for each item, in the caller's transaction: the same rows in a constant number of
    statements, however many items (an announcement of thousands of alerts is a few batches, a
    reminder dispatch thousands of items a batch).

    One query for the preferences and one INSERT … ON CONFLICT DO NOTHING for the inbox items (an
    event already in the person's inbox is skipped, as notify() skips it): on PostgreSQL one
    `INSERT … SELECT … FROM unnest(…)` of column arrays, with no model instance per row (bench 4:
    a million reminders); elsewhere `bulk_create`. If anyone in the batch has a Preference row, one
    SELECT of which items were new (their ids are made here, so a skipped one is simply absent) and
    one INSERT of the new ones' deliveries. Which items were new is not reported (for a batch of
    inbox-only people it would cost a query)."""
    if not items:
        return
    now = now or timezone.now()
    preferences = {p.user_id: p for p in Preference.objects.filter(user_id__in={item.recipient_pk for item in items})}
    # A fixed order, so two batches that share events lock their keys in the same order; the ids are
    # made in that order, time-ordered (ids.uuid7), so the inserts append to the primary-key index.
    keyed = sorted((((item.recipient_pk, item.dedupe_key[:200]), item) for item in items), key=lambda pair: pair[0])
    ordered = [(key, uuid7(), item) for key, item in keyed]
    if connection.vendor == "postgresql":
        _inbox_insert([(pk, item) for _, pk, item in ordered], now)
    else:
        Notification.objects.bulk_create([item.row(now, pk) for _, pk, item in ordered], ignore_conflicts=True)
    reachable = [(pk, item) for (recipient, _), pk, item in ordered if recipient in preferences]
    if not reachable:
        return
    new = set(Notification.objects.filter(pk__in=[pk for pk, _ in reachable]).values_list("pk", flat=True))
    deliveries = [
        delivery
        for pk, item in reachable
        if pk in new
        for delivery in _deliveries_for(
            item.row(now, pk), preferences[item.recipient_pk], now, item.topic, wait_for_quiet_hours=not at_its_time
        )
    ]
    Delivery.objects.bulk_create(deliveries, ignore_conflicts=True)


def _inbox_insert(rows: Sequence[tuple[UUID, InboxItem]], now: datetime) -> None:
    """One INSERT of the inbox items as column arrays; an event already in the inbox (the unique
    recipient and dedupe_key) is skipped."""
    names = ", ".join(name for name, _ in _INBOX_COLUMNS)
    arrays = ", ".join(f"%s::{kind}[]" for _, kind in _INBOX_COLUMNS)
    columns: list[list[object]] = [[pk for pk, _ in rows]]
    columns += [list(values) for values in zip(*(item.values() for _, item in rows), strict=True)]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {Notification._meta.db_table} ({names}, created_at, read_at)"  # noqa: S608 - fixed names
            f" SELECT *, %s, NULL FROM unnest({arrays})"
            # Only the event already in the inbox is skipped: any other conflict (an id) is an error
            # that rolls the batch back (and un-sends it), never an inbox item silently dropped.
            " ON CONFLICT (recipient_id, dedupe_key) DO NOTHING",
            [now, *columns],
        )


def delivery_not_before(preference: Preference, *, critical: bool, now: datetime) -> datetime:
    """Now, or when the person's quiet hours end; critical messages never wait."""
    if critical:
        return now
    zone = ZoneInfo(preference.timezone or "UTC")
    return quiet_until(now, preference.quiet_start, preference.quiet_end, zone) or now


def planned_channels(preference: Preference | None) -> list[str]:
    """The outside channels a message to this person goes out on: chosen, not disabled by a
    permanent error, and with an address."""
    if preference is None:
        return []
    return [
        channel
        for channel in preference.channels
        if channel in Channel.values and channel not in preference.disabled_channels and _address(preference, channel)
    ]


def _plan_deliveries(
    notification: Notification, preference: Preference, now: datetime, topic: str, *, wait_for_quiet_hours: bool
) -> None:
    rows = _deliveries_for(notification, preference, now, topic, wait_for_quiet_hours=wait_for_quiet_hours)
    Delivery.objects.bulk_create(rows, ignore_conflicts=True)


def _deliveries_for(
    notification: Notification, preference: Preference, now: datetime, topic: str, *, wait_for_quiet_hours: bool
) -> list[Delivery]:
    not_before = (
        delivery_not_before(preference, critical=notification.critical, now=now) if wait_for_quiet_hours else now
    )
    return [
        Delivery(
            notification=notification,
            kind=notification.kind,
            critical=notification.critical,
            topic=topic[:64],
            channel=channel,
            address=_address(preference, channel),
            not_before=not_before,
            created_at=now,
        )
        for channel in planned_channels(preference)
    ]


def contact_notify(
    *,
    clinic: Clinic,
    contact_key: str,
    kind: str,
    addresses: dict[str, str],
    critical: bool = True,
    topic: str = "",
    now: datetime | None = None,
) -> list[str]:
    """Deliveries to someone who is not a CareLoop user (the clinic's on-call contact), through the
    same transports, log, retries and texts as everyone else's. `addresses` maps a channel to an
    address; blank ones are skipped. Returns the channels planned now (none if already planned).
    No quiet hours: an on-call contact is on call."""
    now = now or timezone.now()
    rows = [
        Delivery(
            contact_key=contact_key[:200],
            clinic=clinic,
            kind=kind,
            critical=critical,
            topic=topic[:64],
            channel=channel,
            address=address,
            not_before=now,
            created_at=now,
        )
        for channel, address in addresses.items()
        if channel in Channel.values and address
    ]
    already = set(
        Delivery.objects.filter(contact_key=contact_key[:200], channel__in=[r.channel for r in rows]).values_list(
            "channel", flat=True
        )
    )
    fresh = [r for r in rows if r.channel not in already]
    Delivery.objects.bulk_create(fresh, ignore_conflicts=True)
    return [r.channel for r in fresh]


# Not yet handed to a provider: waiting, waiting to retry, or claimed but not attempted.
NOT_ATTEMPTED = (DeliveryStatus.PENDING, DeliveryStatus.CLAIMED)


def deliveries_cancel(*, topic: str, kinds: Iterable[str] | None = None) -> int:
    """Cancel the deliveries of a topic that has become moot (e.g. an alert a nurse acknowledged)
    and that no provider has seen yet. What was already sent stays in the log."""
    pending = Delivery.objects.filter(topic=topic[:64], status__in=NOT_ATTEMPTED)
    if kinds is not None:
        pending = pending.filter(kind__in=list(kinds))
    return pending.update(status=DeliveryStatus.CANCELLED, last_error="no longer needed")


def deliveries_cancel_about(*, recipient_id: int, patient_id: UUID) -> int:
    """Cancel what still waits to tell one person about one patient (a caregiver just revoked)."""
    return Delivery.objects.filter(
        notification__recipient_id=recipient_id, notification__patient_id=patient_id, status__in=NOT_ATTEMPTED
    ).update(status=DeliveryStatus.CANCELLED, last_error="access revoked")


@dataclass(frozen=True)
class SendRun:
    sent: int
    more: bool  # the run's time was up while deliveries were still due


def deliveries_send_due(*, now: datetime | None = None, batch: int = CLAIM_BATCH) -> int:
    """Send what is due; returns how many were sent. Safe with any number of concurrent workers."""
    return deliveries_send_run(now=now, batch=batch).sent


def deliveries_send_run(
    *, now: datetime | None = None, batch: int = CLAIM_BATCH, budget_seconds: float = RUN_SECONDS
) -> SendRun:
    """Claim a few due deliveries at a time (critical first) for a short lease and send them one by
    one, until none is due or `budget_seconds` have passed. Each round first takes back what dead
    workers held (deliveries_reap_stale), so recovery never waits for a separate sweeper.

    A crash costs at most the batch a worker holds: the one in the provider's hands is handled by
    the reaper's rules, the others were never attempted and go out once the lease ends."""
    clock: Callable[[], datetime] = (lambda: now) if now is not None else timezone.now
    started = time.monotonic()
    sent = 0
    while True:
        at = clock()
        deliveries_reap_stale(now=at)
        claimed, token = _claim(at, batch)
        if not claimed:
            return SendRun(sent=sent, more=False)
        for n, delivery in enumerate(claimed):
            sent += _attempt(delivery, token, clock())
            # Checked after every call, so a run never outlives the task's soft time limit, whose
            # exception inside a provider call would be taken for a failure and retried.
            if time.monotonic() - started > budget_seconds:
                _release(claimed[n + 1 :], token)
                return SendRun(sent=sent, more=True)


def _claim(now: datetime, size: int) -> tuple[list[Delivery], UUID]:
    """Due deliveries, critical first, marked claimed under a new token in one short transaction
    (SKIP LOCKED on PostgreSQL, the IMMEDIATE write lock on SQLite). Nothing is attempted yet."""
    token = uuid.uuid4()
    with transaction.atomic():
        claimed = list(
            Delivery.objects.filter(status=DeliveryStatus.PENDING, not_before__lte=now)
            .select_for_update(skip_locked=True, of=("self",))
            .select_related("notification__recipient")  # whose language the outside text is in
            .order_by("-critical", "not_before")[:size]
        )
        if claimed:
            Delivery.objects.filter(id__in=[d.id for d in claimed]).update(
                status=DeliveryStatus.CLAIMED, claimed_at=now, claim_token=token
            )
    return claimed, token


def _release(deliveries: list[Delivery], token: UUID) -> None:
    """Hand back claimed deliveries this run will not attempt, so nobody waits for the lease."""
    if deliveries:
        Delivery.objects.filter(
            id__in=[d.id for d in deliveries], status=DeliveryStatus.CLAIMED, claim_token=token
        ).update(status=DeliveryStatus.PENDING, claim_token=None)


def _attempt(delivery: Delivery, token: UUID, now: datetime) -> int:
    # The attempt is recorded and committed before the provider is called, and only while this
    # claim still holds the delivery: one cancelled meanwhile, or queued again and taken by
    # another worker after the lease ran out, is left alone. From here on a crash leaves it
    # "sending", for the reaper's rules.
    recorded = Delivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.CLAIMED, claim_token=token).update(
        status=DeliveryStatus.SENDING, attempted_at=now, attempts=F("attempts") + 1
    )
    if not recorded:
        return 0
    delivery.attempts += 1
    notification = delivery.notification
    kind = delivery.kind or (notification.kind if notification is not None else "")
    # The recipient's own language; an on-call contact (not a user) gets the clinic's default.
    subject, body = external_text(kind, language_of(notification.recipient if notification is not None else None))
    try:
        transport_for(delivery.channel).send(
            address=delivery.address, subject=subject, body=body, dedupe_key=delivery.dedupe_key
        )
    except TransportError as error:
        _failed(delivery, error, now)
        return 0
    except Exception as error:  # a bug in an adapter must not lose the message: retry like a transient error
        logger.exception("transport %s raised unexpectedly", delivery.channel)
        _failed(delivery, TransportError(type(error).__name__), now)
        return 0
    Delivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.SENT, sent_at=timezone.now(), last_error="")
    return 1


def _failed(delivery: Delivery, error: TransportError, now: datetime) -> None:
    """Backoff counts from the attempt (`now`), so a run with a given clock is exact."""
    give_up = error.permanent or delivery.attempts >= MAX_ATTEMPTS
    Delivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.FAILED if give_up else DeliveryStatus.PENDING,
        not_before=now + backoff(delivery.attempts),
        last_error=error.message[:300],
    )
    logger.warning(
        "delivery %s on %s failed (attempt %d, permanent=%s)",
        delivery.pk,
        delivery.channel,
        delivery.attempts,
        error.permanent,
    )
    if error.permanent:
        if delivery.notification is not None:
            channel_disable(user_id=delivery.notification.recipient_id, channel=delivery.channel, reason=error.message)
        elif delivery.clinic_id is not None:
            _contact_failed(delivery, error.message)


def _contact_failed(delivery: Delivery, reason: str) -> None:
    """A contact who is not a user (the on-call contact) cannot be reached on this channel: tell
    the clinic's admins, once per address, so they fix the clinic's settings."""
    for admin in User.objects.filter(clinic_id=delivery.clinic_id, role=Role.ADMIN, is_active=True):
        notify(
            recipient=admin,
            kind="system",
            title=f"On-call {delivery.channel.upper()} failed",
            body=f"CareLoop could not reach the clinic's on-call contact by {delivery.channel}: {reason[:120]}. "
            "Check the on-call contact in the clinic's settings.",
            dedupe_key=f"contact-failed:{delivery.clinic_id}:{delivery.channel}:{delivery.address}",
        )


def channel_disable(*, user_id: int, channel: str, reason: str) -> None:
    """Stop using a channel that cannot work for this person, and tell the clinic's admins."""
    with transaction.atomic():
        preference = Preference.objects.select_for_update().filter(user_id=user_id).first()
        if preference is None or channel in preference.disabled_channels:
            return
        preference.disabled_channels = [*preference.disabled_channels, channel]
        preference.save(update_fields=["disabled_channels"])
        user = User.objects.select_related("clinic").get(pk=user_id)
        for admin in User.objects.filter(clinic_id=user.clinic_id, role=Role.ADMIN, is_active=True):
            notify(
                recipient=admin,
                kind="system",
                title=f"{channel.upper()} disabled for a user",
                body=f"CareLoop stopped sending {channel} to user #{user_id} ({user.role}): {reason[:120]}. "
                "Check the contact details in their notification settings.",
                dedupe_key=f"channel-disabled:{user_id}:{channel}",
            )


def deliveries_reap_stale(*, now: datetime | None = None) -> int:
    """Take back what dead workers held; returns how many will be sent (again).

    - Claimed but never attempted, lease over: no provider has seen it, so it is queued again,
      critical or not, and goes out exactly once.
    - Attempted (handed to the provider) with no answer after the attempt timeout, which is
      longer than a task may live, so that worker is gone: the provider may or may not have it.
      It is sent again only where that is harmless (the provider drops a repeat by its
      idempotency key, `Transport.idempotent`) or where it is critical. Any other is marked
      unconfirmed for a person to look at, never repeated.

    Why critical ones are repeated even without an idempotency key: only the message in the
    provider's hands at the crash is at stake (one per worker process), and for it a second
    "CareLoop: open the app" text costs little while a missed critical alert to a patient,
    caregiver or the on-call contact could cost hours of care. A spare beats a missed one."""
    now = now or timezone.now()
    requeued = Delivery.objects.filter(status=DeliveryStatus.CLAIMED, claimed_at__lt=now - lease()).update(
        status=DeliveryStatus.PENDING, claim_token=None, last_error="its worker stopped before sending it; queued again"
    )
    lost = Delivery.objects.filter(status=DeliveryStatus.SENDING, attempted_at__lt=now - attempt_timeout())
    if not lost.exists():
        return requeued
    lost.filter(attempts__gte=MAX_ATTEMPTS).update(
        status=DeliveryStatus.UNCONFIRMED, last_error=f"its worker was lost mid-send {MAX_ATTEMPTS} times; given up"
    )
    harmless = [channel for channel in Channel.values if repeat_is_harmless(channel)]
    again = lost.filter(channel__in=harmless).update(
        status=DeliveryStatus.PENDING,
        not_before=now,
        claim_token=None,
        last_error="its worker was lost mid-send; sent again under the same idempotency key",
    )
    again += lost.filter(Q(critical=True) | Q(notification__critical=True)).update(
        status=DeliveryStatus.PENDING,
        not_before=now,
        claim_token=None,
        last_error="its worker was lost mid-send; critical, so sent again (it may arrive twice)",
    )
    unconfirmed = lost.update(
        status=DeliveryStatus.UNCONFIRMED,
        last_error="its worker was lost mid-send: the provider may have it and takes no idempotency key, "
        "so it is not repeated; check with the person",
    )
    if unconfirmed:
        logger.warning("%d deliveries unconfirmed after a worker was lost mid-send", unconfirmed)
    return requeued + again


def inbox_for(user: User) -> QuerySet[Notification]:
    """A person's own inbox. A caregiver's items about a patient disappear the moment that link is
    revoked (checked on every read, never cached)."""
    items = Notification.objects.filter(recipient=user)
    if user.role == Role.CAREGIVER:
        items = items.filter(Q(patient_id__isnull=True) | Q(patient_id__in=linked_patient_ids(caregiver=user)))
    return items.order_by("-created_at", "-id")


def notification_mark_read(*, user: User, notification_id: object) -> Notification | None:
    notification = inbox_for(user).filter(pk=notification_id).first()
    if notification is not None and notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def notifications_mark_all_read(*, user: User) -> int:
    return Notification.objects.filter(pk__in=inbox_for(user).filter(read_at__isnull=True).values("pk")).update(
        read_at=timezone.now()
    )
