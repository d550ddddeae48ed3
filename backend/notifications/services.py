"""Telling people things, once.

`notify()` writes the inbox item and one pending delivery per outside channel the person uses, in
the caller's transaction, keyed so the same event never notifies the same person twice.
`notify_many()` does the same for a batch, with one INSERT for everyone who has no outside channel.
`deliveries_send_due()` claims due deliveries (SKIP LOCKED on PostgreSQL, the IMMEDIATE write
lock on SQLite), records each attempt before calling the provider, and retries transient errors
with backoff a bounded number of times. A permanent error disables that channel for that person
and tells the clinic's admins.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from backend.accounts.models import Clinic, Role, User
from backend.caregivers.selectors import linked_patient_ids
from backend.notifications.models import Channel, Delivery, DeliveryStatus, Notification, Preference
from backend.notifications.texts import external_text
from backend.notifications.transports.base import TransportError
from backend.notifications.transports.registry import transport_for
from shared.quiet_hours import quiet_until

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
CLAIM_BATCH = 200
# A delivery claimed longer ago than this was lost with its worker (see deliveries_reap_stale).
STALE_CLAIM = timedelta(minutes=5)


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
    Notification row, for notify() and notify_many() alike."""

    recipient: User
    kind: str
    title: str
    body: str
    dedupe_key: str
    critical: bool = False
    link: str = ""
    patient_id: UUID | None = None

    def row(self, now: datetime) -> Notification:
        return Notification(
            recipient=self.recipient,
            kind=self.kind,
            title=self.title[:160],
            body=self.body,
            link=self.link,
            critical=self.critical,
            dedupe_key=self.dedupe_key[:200],
            patient_id=self.patient_id,
            created_at=now,
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
    channels get `texts.external_text(kind)`, which says only that there is something to see.
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
    """notify() for each item, in the caller's transaction: the same rows, far fewer statements.

    A person with no Preference row has no outside channel, so their inbox item is all notify()
    would write: those items go in one INSERT … ON CONFLICT DO NOTHING (per 90 rows on SQLite), an
    event already in the person's inbox being skipped as notify() skips it. The others go through
    notify() one by one, which plans their deliveries. Costs one query for the preferences, that
    INSERT, and notify()'s three or four statements (savepoint, inbox item, release, deliveries)
    per person with a Preference row. Which items were new is not reported (it would cost a query)."""
    if not items:
        return
    now = now or timezone.now()
    preferences = preferences_for({item.recipient for item in items})
    inbox_only = [item.row(now) for item in items if item.recipient.pk not in preferences]
    # A fixed order, so two batches that share events lock their keys in the same order.
    inbox_only.sort(key=lambda row: (row.recipient_id, row.dedupe_key))
    Notification.objects.bulk_create(inbox_only, ignore_conflicts=True)
    for item in items:
        preference = preferences.get(item.recipient.pk)
        if preference is not None:
            _notify_one(item, preference=preference, now=now, topic="", at_its_time=at_its_time)


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
    not_before = (
        delivery_not_before(preference, critical=notification.critical, now=now) if wait_for_quiet_hours else now
    )
    rows = [
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
    Delivery.objects.bulk_create(rows, ignore_conflicts=True)


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


def deliveries_cancel(*, topic: str, kinds: Iterable[str] | None = None) -> int:
    """Cancel the pending (not yet attempted or waiting to retry) deliveries of a topic that has
    become moot, e.g. an alert a nurse acknowledged. What was already sent stays in the log."""
    pending = Delivery.objects.filter(topic=topic[:64], status=DeliveryStatus.PENDING)
    if kinds is not None:
        pending = pending.filter(kind__in=list(kinds))
    return pending.update(status=DeliveryStatus.CANCELLED, last_error="no longer needed")


def deliveries_cancel_about(*, recipient_id: int, patient_id: UUID) -> int:
    """Cancel what still waits to tell one person about one patient (a caregiver just revoked)."""
    return Delivery.objects.filter(
        notification__recipient_id=recipient_id, notification__patient_id=patient_id, status=DeliveryStatus.PENDING
    ).update(status=DeliveryStatus.CANCELLED, last_error="access revoked")


def deliveries_send_due(*, now: datetime | None = None, limit: int = CLAIM_BATCH) -> int:
    """Send what is due; returns how many were sent. Safe with any number of concurrent workers."""
    now = now or timezone.now()
    with transaction.atomic():
        claimed = list(
            Delivery.objects.filter(status=DeliveryStatus.PENDING, not_before__lte=now)
            .select_for_update(skip_locked=True, of=("self",))
            .select_related("notification", "notification__recipient")
            .order_by("not_before")[:limit]
        )
        # The attempt is recorded before the provider is called: a crash after this point can
        # never lead to a silent second send.
        Delivery.objects.filter(id__in=[d.id for d in claimed], status=DeliveryStatus.PENDING).update(
            status=DeliveryStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1
        )
    sent = 0
    for delivery in claimed:
        delivery.attempts += 1
        sent += _attempt(delivery, now)
    return sent


def _attempt(delivery: Delivery, now: datetime) -> int:
    notification = delivery.notification
    preference = None if notification is None else Preference.objects.filter(user_id=notification.recipient_id).first()
    kind = delivery.kind or (notification.kind if notification is not None else "")
    subject, body = external_text(kind, preference.language if preference else "en")
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
    """Backoff counts from the claim (`now` of the run), so a run with a given clock is exact."""
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
    """Deliveries whose worker died mid-send. Whether the provider got the message is unknown:
    a critical one is sent again (a spare notification beats a missed one), any other is marked
    failed rather than risk a duplicate."""
    now = now or timezone.now()
    stale = Delivery.objects.filter(status=DeliveryStatus.SENDING, claimed_at__lt=now - STALE_CLAIM)
    retried = stale.filter(Q(critical=True) | Q(notification__critical=True)).update(
        status=DeliveryStatus.PENDING, not_before=now, last_error="worker lost mid-send; sending again"
    )
    stale.update(status=DeliveryStatus.FAILED, last_error="worker lost mid-send; not repeated to avoid a duplicate")
    return retried


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
