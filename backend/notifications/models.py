"""What CareLoop tells people: an in-app inbox item per message, and one delivery per outside
channel (email, SMS, push), each claimed, attempted and logged on its own."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class Channel(models.TextChoices):
    EMAIL = "email"
    SMS = "sms"
    PUSH = "push"


class Notification(models.Model):
    """An inbox item (contract §2 `GET /api/v1/notifications/`). It may hold detail: only the
    person it is for can read it, signed in. Outside channels carry none of it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # No index of its own: the unique (recipient, dedupe_key) and (recipient, -created_at) begin with
    # it, and each inbox item written (a million in bench 4) writes an entry in every index.
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications", db_index=False
    )
    kind = models.CharField(max_length=32)  # alert, escalation, reminder, missed_dose, caregiver, system, ...
    title = models.CharField(max_length=160)
    body = models.TextField(blank=True)
    link = models.CharField(max_length=200, blank=True)  # where to look: a dashboard path or an app screen
    critical = models.BooleanField(default=False)  # never waits for quiet hours
    dedupe_key = models.CharField(max_length=200)  # the same event never notifies the same person twice
    # Whose data this is about (no foreign key: a plain id, like the audit trail). A caregiver sees
    # such an item only while their link to that patient is active.
    patient_id = models.UUIDField(null=True, blank=True)
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["recipient", "dedupe_key"], name="one_notification_per_event")]
        indexes = [models.Index(fields=["recipient", "-created_at"])]

    @property
    def read(self) -> bool:
        return self.read_at is not None


class DeliveryStatus(models.TextChoices):
    PENDING = "pending"  # waiting for its time (quiet hours, backoff) or a worker
    CLAIMED = "claimed"  # a worker holds it for a short lease; the provider has not been called
    SENDING = "sending"  # attempt recorded (attempted_at, committed), then handed to the provider
    SENT = "sent"
    FAILED = "failed"  # gave up: attempts exhausted or a permanent error
    CANCELLED = "cancelled"  # no longer needed (e.g. the alert was acknowledged first)
    # The worker died after handing it to a provider that has no idempotency key: the provider may
    # or may not have it, and sending it again could send it twice. For a person to look at.
    UNCONFIRMED = "unconfirmed"


class Delivery(models.Model):
    """One message on one outside channel. Its body is generic by construction (see
    `backend.notifications.texts`): no lab value, grade, drug or diagnosis leaves CareLoop.

    Most deliveries carry a person's inbox item (`notification`). A delivery to a contact who is not
    a CareLoop user (the clinic's on-call contact) has no notification: `contact_key` dedupes it
    and `clinic` is whom to tell if its address turns out to be wrong."""

    notification = models.ForeignKey(
        Notification, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries"
    )
    contact_key = models.CharField(max_length=200, blank=True)
    clinic = models.ForeignKey(
        "accounts.Clinic", null=True, blank=True, on_delete=models.CASCADE, related_name="contact_deliveries"
    )
    kind = models.CharField(max_length=32, blank=True)  # picks the outside text (texts.EXTERNAL)
    critical = models.BooleanField(default=False)
    topic = models.CharField(max_length=64, blank=True)  # e.g. "alert:<id>": cancelled together when moot
    channel = models.CharField(max_length=8, choices=Channel.choices)
    address = models.CharField(max_length=200)  # email, phone number or push token at the time of sending
    status = models.CharField(max_length=12, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    not_before = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)  # start of the current claim's lease
    claim_token = models.UUIDField(null=True, blank=True)  # which claim holds it: the fence for the attempt
    attempted_at = models.DateTimeField(null=True, blank=True)  # the latest attempt, recorded before the call
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["notification", "channel"], name="one_delivery_per_channel"),
            models.UniqueConstraint(
                fields=["contact_key", "channel"],
                condition=~models.Q(contact_key=""),
                name="one_contact_delivery_per_channel",
            ),
            models.CheckConstraint(
                condition=models.Q(notification__isnull=False) | ~models.Q(contact_key=""),
                name="delivery_has_a_recipient",
            ),
        ]
        indexes = [
            # Critical first, then oldest: the claim's order, read straight off the index.
            models.Index(fields=["-critical", "not_before"], condition=models.Q(status="pending"), name="delivery_due"),
            models.Index(
                fields=["topic"], condition=models.Q(status__in=["pending", "claimed"]), name="delivery_pending_topic"
            ),
            # What the reaper looks at: expired leases and attempts whose worker is gone.
            models.Index(fields=["claimed_at"], condition=models.Q(status="claimed"), name="delivery_claimed"),
            models.Index(fields=["attempted_at"], condition=models.Q(status="sending"), name="delivery_in_flight"),
        ]

    @property
    def dedupe_key(self) -> str:
        """Handed to providers that accept an idempotency key."""
        if self.notification_id is None:
            return f"careloop-{self.contact_key}-{self.channel}"
        return f"careloop-{self.notification_id}-{self.channel}"


class Preference(models.Model):
    """How a person wants to be reached. Quiet hours are wall-clock in their own zone."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notify_pref")
    channels = models.JSONField(default=list, blank=True)  # subset of Channel values; the inbox is always on
    disabled_channels = models.JSONField(default=list, blank=True)  # set by a permanent provider error
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    push_token = models.CharField(max_length=300, blank=True)
    quiet_start = models.TimeField(null=True, blank=True)
    quiet_end = models.TimeField(null=True, blank=True)
    timezone = models.CharField(max_length=64, default="UTC")
    # The language is the person's own, `User.language`, for everything CareLoop says to them.


class RecordedMessage(models.Model):
    """What the development transport would have sent (beside its delivery on the dashboard's Deliveries page)."""

    channel = models.CharField(max_length=8)
    address = models.CharField(max_length=200)
    subject = models.CharField(max_length=160)
    body = models.TextField()
    dedupe_key = models.CharField(max_length=200, unique=True)
    at = models.DateTimeField()
