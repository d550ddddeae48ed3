"""A sender that dies mid-batch loses nothing and repeats nothing it need not.

A worker claims a few deliveries for a lease and records each attempt before calling the provider.
When it is killed (here: `WorkerKilled` raised inside the provider call):
- what it had claimed but never attempted goes out exactly once when the lease ends;
- what was in the provider's hands is sent again only where the provider's idempotency key makes
  that harmless, or the message is critical (a spare beats a missed one); any other is marked
  unconfirmed for a person to look at and never sent again."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from backend.accounts.models import Clinic
from backend.notifications.models import Delivery, DeliveryStatus
from backend.notifications.services import (
    CLAIM_BATCH,
    SendRun,
    contact_notify,
    deliveries_cancel,
    deliveries_send_due,
    deliveries_send_run,
)
from backend.notifications.transports.registry import transport_for
from tests.backend.notifications.fakes import IdempotentScriptedTransport, ScriptedTransport, WorkerKilled
from tests.factories import Person

NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
LEASE = timedelta(seconds=20)
ATTEMPT_TIMEOUT = timedelta(minutes=2)
SECOND = timedelta(seconds=1)


@pytest.fixture(autouse=True)
def _timeouts(settings: Any) -> None:
    settings.CARELOOP_DELIVERY_LEASE_SECONDS = LEASE.total_seconds()
    settings.CARELOOP_DELIVERY_ATTEMPT_TIMEOUT_SECONDS = ATTEMPT_TIMEOUT.total_seconds()


@pytest.fixture
def idempotent(settings: Any) -> Iterator[type[ScriptedTransport]]:
    """SMS through a provider that drops a repeat of the same key."""
    settings.CARELOOP_TRANSPORTS = {"sms": "tests.backend.notifications.fakes.IdempotentScriptedTransport"}
    transport_for.cache_clear()
    ScriptedTransport.reset()
    yield IdempotentScriptedTransport
    ScriptedTransport.reset()
    transport_for.cache_clear()


def _messages(nurse: Person, count: int, *, critical: bool, prefix: str = "m", topic: str = "") -> list[str]:
    """`count` SMS to contacts who are not users; returns their dedupe keys (what the provider sees)."""
    clinic = Clinic.objects.get(pk=nurse.user.clinic_id)
    for n in range(count):
        contact_notify(
            clinic=clinic,
            contact_key=f"{prefix}{n}",
            kind="escalation",
            addresses={"sms": f"+155501{n:05d}"},
            critical=critical,
            topic=topic,
            now=NOW,
        )
    return [f"careloop-{prefix}{n}-sms" for n in range(count)]


def _killed_during_the_first_call(scripted: type[ScriptedTransport], at: datetime = NOW) -> str:
    """Run a sender that is killed while the provider has its first message; returns that key."""
    scripted.outcomes.append(WorkerKilled())
    with pytest.raises(WorkerKilled):
        deliveries_send_due(now=at)
    return scripted.handed[-1]


def _status(key: str) -> str:
    return next(d.status for d in Delivery.objects.all() if d.dedupe_key == key)


def test_messages_claimed_by_a_worker_killed_before_their_attempt_go_out_once_when_the_lease_ends(
    nurse: Person, scripted: type[ScriptedTransport]
) -> None:
    keys = _messages(nurse, 3, critical=False)
    in_flight = _killed_during_the_first_call(scripted)
    never_attempted = [k for k in keys if k != in_flight]

    assert deliveries_send_due(now=NOW + LEASE - SECOND) == 0  # the dead worker's lease still holds them
    assert deliveries_send_due(now=NOW + LEASE + SECOND) == 2
    assert deliveries_send_due(now=NOW + LEASE + ATTEMPT_TIMEOUT) == 0

    assert Counter(scripted.handed) == dict.fromkeys(keys, 1)
    assert [_status(k) for k in never_attempted] == [DeliveryStatus.SENT] * 2


def test_a_crash_strands_only_the_few_messages_the_worker_had_claimed_critical_first(
    nurse: Person, scripted: type[ScriptedTransport]
) -> None:
    critical = _messages(nurse, 2, critical=True, prefix="c")
    routine = _messages(nurse, 10, critical=False, prefix="r")

    in_flight = _killed_during_the_first_call(scripted)

    assert in_flight in critical
    held = Delivery.objects.filter(status=DeliveryStatus.CLAIMED)
    assert held.count() == CLAIM_BATCH - 1 and held.filter(critical=True).count() == 1
    # Another worker sends everything else at once, without waiting for the lease.
    assert deliveries_send_due(now=NOW) == len(critical) + len(routine) - CLAIM_BATCH
    assert deliveries_send_due(now=NOW + LEASE + SECOND) == CLAIM_BATCH - 1
    assert Counter(scripted.handed) == dict.fromkeys(critical + routine, 1)


def test_a_routine_message_in_the_providers_hands_when_its_worker_died_is_never_sent_again(
    nurse: Person, scripted: type[ScriptedTransport]
) -> None:
    [key] = _messages(nurse, 1, critical=False)
    _killed_during_the_first_call(scripted)

    assert deliveries_send_due(now=NOW + ATTEMPT_TIMEOUT + SECOND) == 0
    assert deliveries_send_due(now=NOW + timedelta(days=1)) == 0

    assert scripted.handed == [key]
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.UNCONFIRMED
    assert "not repeated" in delivery.last_error


def test_a_critical_message_in_the_providers_hands_when_its_worker_died_is_sent_again_once(
    nurse: Person, scripted: type[ScriptedTransport]
) -> None:
    [key] = _messages(nurse, 1, critical=True)
    _killed_during_the_first_call(scripted)

    # Until the timeout, a live worker may still be waiting for the provider's answer.
    assert deliveries_send_due(now=NOW + ATTEMPT_TIMEOUT - SECOND) == 0
    assert deliveries_send_due(now=NOW + ATTEMPT_TIMEOUT + SECOND) == 1
    assert deliveries_send_due(now=NOW + timedelta(days=1)) == 0

    assert scripted.handed == [key, key]
    assert (Delivery.objects.get().status, Delivery.objects.get().attempts) == (DeliveryStatus.SENT, 2)


def test_on_a_provider_with_an_idempotency_key_a_lost_attempt_is_repeated_under_the_same_key(
    nurse: Person, idempotent: type[ScriptedTransport]
) -> None:
    [key] = _messages(nurse, 1, critical=False)
    _killed_during_the_first_call(idempotent)

    assert deliveries_send_due(now=NOW + ATTEMPT_TIMEOUT + SECOND) == 1

    assert idempotent.handed == [key, key]
    assert Delivery.objects.get().status == DeliveryStatus.SENT


def test_a_claim_taken_over_after_its_lease_is_not_also_attempted_by_the_slow_worker(
    nurse: Person, scripted: type[ScriptedTransport]
) -> None:
    """Worker A's first call outlasts its lease; worker B takes the rest of A's batch, attempts
    one and is killed too. A, answered at last, must leave B's claims alone."""
    keys = _messages(nurse, 3, critical=False)

    def another_worker_takes_over_and_dies() -> None:
        _killed_during_the_first_call(scripted, at=NOW + LEASE + SECOND)

    scripted.outcomes.append(another_worker_takes_over_and_dies)

    assert deliveries_send_due(now=NOW) == 1  # only its own first message
    assert deliveries_send_due(now=NOW + 2 * LEASE + 2 * SECOND) == 1  # B's claim, once its lease ends

    assert Counter(scripted.handed) == dict.fromkeys(keys, 1)
    assert sorted(Delivery.objects.values_list("status", flat=True)) == sorted(
        [DeliveryStatus.SENT, DeliveryStatus.SENT, DeliveryStatus.SENDING]
    )


def test_cancelling_stops_a_claimed_message_that_no_provider_has_seen(
    nurse: Person, scripted: type[ScriptedTransport]
) -> None:
    keys = _messages(nurse, 3, critical=False, topic="alert:1")
    in_flight = _killed_during_the_first_call(scripted)

    assert deliveries_cancel(topic="alert:1") == 2
    assert deliveries_send_due(now=NOW + LEASE + ATTEMPT_TIMEOUT) == 0

    assert scripted.handed == [in_flight]
    assert sorted(_status(k) for k in keys) == sorted([DeliveryStatus.CANCELLED] * 2 + [DeliveryStatus.UNCONFIRMED])


def test_a_run_out_of_time_hands_back_what_it_has_not_attempted(
    nurse: Person, scripted: type[ScriptedTransport]
) -> None:
    """So its task never outlives its time limit, and nobody waits for the lease."""
    keys = _messages(nurse, 3, critical=False)

    assert deliveries_send_run(now=NOW, budget_seconds=0) == SendRun(sent=1, more=True)
    assert Delivery.objects.filter(status=DeliveryStatus.PENDING).count() == 2
    assert deliveries_send_due(now=NOW) == 2
    assert Counter(scripted.handed) == dict.fromkeys(keys, 1)
