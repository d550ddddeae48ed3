"""A clinic's own delivery log, for its admins: which outside messages went to whom, on which
channel, with what result, and sending a failed one again.

A clinic's deliveries are those about its patients, those to its own people that are about no
patient (system notices, sign-in alerts), and those to its on-call contact. Another clinic's are
never in it, nor a caregiver's messages about another clinic's patient. Rows carry no message
body of the inbox (which may hold names and values): the outside text is generic by construction
(texts.EXTERNAL), and what the development transport recorded is that generic text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from backend.accounts.models import Clinic, Role, User
from backend.core.errors import NotFound
from backend.notifications.models import Delivery, DeliveryStatus, Preference, RecordedMessage
from backend.patients.models import Patient

# What an admin may send again: given up (attempts exhausted or a permanent error), or lost
# mid-send by a worker and never repeated (the admin checked with the person).
RETRYABLE = (DeliveryStatus.FAILED, DeliveryStatus.UNCONFIRMED)
ON_CALL = "On-call contact"
CHANNEL_LABELS = {"email": "Email", "sms": "SMS", "push": "Push"}


def clinic_deliveries(clinic: Clinic) -> QuerySet[Delivery]:
    """The clinic's deliveries, newest first."""
    patients = Patient.objects.filter(clinic=clinic).values("pk")
    return Delivery.objects.filter(
        Q(notification__patient_id__in=patients)
        | Q(notification__patient_id__isnull=True, notification__recipient__clinic=clinic)
        | Q(notification__isnull=True, clinic=clinic)
    ).order_by("-created_at", "-id")


@dataclass(frozen=True)
class DeliveryRow:
    delivery: Delivery
    recipient: str  # a username, a patient's name, or the on-call contact
    recipient_role: str
    address: str  # masked: enough to recognise, not to copy
    patient_id: UUID | None  # the patient named on the row (a patient recipient), for the audit trail
    recorded: RecordedMessage | None  # what the development transport recorded for it, if it did

    @property
    def channel(self) -> str:
        return CHANNEL_LABELS.get(self.delivery.channel, self.delivery.channel)

    @property
    def retryable(self) -> bool:
        return self.delivery.status in RETRYABLE


def delivery_rows(deliveries: list[Delivery]) -> list[DeliveryRow]:
    """Rows for one page of deliveries, loaded with `with_recipients`: one more query, for what the
    development transport recorded (matched by the delivery's idempotency key)."""
    keys = [d.dedupe_key for d in deliveries]
    recorded = {m.dedupe_key: m for m in RecordedMessage.objects.filter(dedupe_key__in=keys)}
    return [_row(d, recorded.get(d.dedupe_key)) for d in deliveries]


def with_recipients(deliveries: QuerySet[Delivery]) -> QuerySet[Delivery]:
    return deliveries.select_related("notification__recipient__patient").defer(
        "notification__title", "notification__body"
    )


def _row(delivery: Delivery, recorded: RecordedMessage | None) -> DeliveryRow:
    notification = delivery.notification
    if notification is None:
        return DeliveryRow(delivery, ON_CALL, "", mask(delivery.address), None, recorded)
    person = notification.recipient
    patient = getattr(person, "patient", None) if person.role == Role.PATIENT else None
    name = patient.display_name if patient is not None else person.username
    return DeliveryRow(
        delivery,
        name,
        person.get_role_display(),  # type: ignore[attr-defined]
        mask(delivery.address),
        patient.pk if patient is not None else None,
        recorded,
    )


def mask(address: str) -> str:
    """'+15…01', 'nu…id': which address, without handing out the whole of it."""
    return address[:3] + "…" + address[-2:] if len(address) > 6 else "…"


def delivery_retry(*, clinic: Clinic, delivery_id: int, now: datetime | None = None) -> bool:
    """Queue one of the clinic's failed or unconfirmed deliveries again, due now: the notifier sends
    it within its next run (beat asks every 15 s). One more attempt: a transient error is retried
    with backoff while attempts remain, as any delivery's. False if it is not retryable (sent,
    pending, already retried); another clinic's is not found."""
    found = clinic_deliveries(clinic).filter(pk=delivery_id)
    if not found.exists():
        raise NotFound("Not found, or not one of your clinic's deliveries.")
    return bool(_requeue(found, now))


def deliveries_retry_failed(*, clinic: Clinic, now: datetime | None = None) -> int:
    """Queue every failed delivery of the clinic again (not the unconfirmed: those may have
    arrived, so each is for a person to decide); how many."""
    return _requeue(clinic_deliveries(clinic).filter(status=DeliveryStatus.FAILED), now)


def _requeue(deliveries: QuerySet[Delivery], now: datetime | None) -> int:
    # By id: an UPDATE cannot join, and the status is checked again in it, so two clicks (or a
    # notifier taking it meanwhile) queue it once.
    return Delivery.objects.filter(pk__in=list(deliveries.values_list("pk", flat=True)), status__in=RETRYABLE).update(
        status=DeliveryStatus.PENDING, not_before=now or timezone.now(), claim_token=None, claimed_at=None
    )


@dataclass(frozen=True)
class StoppedChannel:
    """A channel CareLoop stopped using for one person after a permanent error (services.
    channel_disable). It comes back when the person changes that address, or when an admin turns
    it back on here (the address was right after all: a number that replied STOP and then START)."""

    user_id: int
    person: str
    role: str
    channel: str
    address: str  # masked
    patient_id: UUID | None

    @property
    def channel_label(self) -> str:
        return CHANNEL_LABELS.get(self.channel, self.channel)


def clinic_stopped_channels(clinic: Clinic) -> list[StoppedChannel]:
    """The clinic's people with a stopped channel, in one query."""
    found = (
        Preference.objects.filter(user__clinic=clinic, user__is_active=True)
        .exclude(disabled_channels=[])
        .select_related("user__patient")
        .order_by("user__username")
    )
    stopped = []
    for preference in found:
        person = preference.user
        patient = getattr(person, "patient", None) if person.role == Role.PATIENT else None
        for channel in preference.disabled_channels:
            stopped.append(
                StoppedChannel(
                    user_id=person.pk,
                    person=patient.display_name if patient is not None else person.username,
                    role=person.get_role_display(),  # type: ignore[attr-defined]
                    channel=channel,
                    address=mask(_address_of(preference, channel)),
                    patient_id=patient.pk if patient is not None else None,
                )
            )
    return stopped


def _address_of(preference: Preference, channel: str) -> str:
    return {"email": preference.email, "sms": preference.phone, "push": preference.push_token}.get(channel, "")


@transaction.atomic
def channel_resume(*, clinic: Clinic, user_id: int, channel: str) -> User | None:
    """Use a stopped channel of one of the clinic's people again: their next messages go out on it.
    The person, or None if that channel was not stopped; another clinic's person is not found."""
    person = User.objects.filter(pk=user_id, clinic=clinic).first()
    if person is None:
        raise NotFound("Not found, or not one of your clinic's people.")
    preference = Preference.objects.select_for_update().filter(user=person).first()
    if preference is None or channel not in preference.disabled_channels:
        return None
    preference.disabled_channels = [c for c in preference.disabled_channels if c != channel]
    preference.save(update_fields=["disabled_channels"])
    return person
