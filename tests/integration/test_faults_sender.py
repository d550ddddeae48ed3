"""Fault injection: the notifier SIGKILLed mid-batch, on real processes (PostgreSQL, Redis, Celery
worker and beat). The provider (tests/integration/providers.py) answers in half a second and logs
every message it is handed, so the test knows what left CareLoop however the worker died.

After the kill and a restart (what a supervisor does), every message goes out: those the dead
worker had claimed but never attempted exactly once, the critical ones within a minute of the
crash; the one in the provider's hands is repeated only if critical (this provider has no
idempotency key), else marked unconfirmed. Nothing else is ever sent twice."""

from __future__ import annotations

import os
import signal
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from backend.accounts.models import Clinic
from backend.config.celery import app as celery_app
from backend.notifications.models import Delivery, DeliveryStatus
from backend.notifications.services import contact_notify
from tests.integration.conftest import running_stack
from tests.integration.providers import LOG, SECONDS
from tests.integration.stack import REPO, Stack, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

CRITICAL, ROUTINE = 4, 16
# The bound for critical messages after a crash (lease 20 s + beat's 15 s + sending).
CRITICAL_BOUND = timedelta(minutes=1)
# A lost attempt is known lost after this long; production waits 120 s (longer than a task may
# live), which would only make this test slower: the rule is the same.
ATTEMPT_TIMEOUT_SECONDS = "5"


@pytest.fixture(scope="module")
def provider_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return Path(tmp_path_factory.mktemp("provider")) / "handed.log"


@pytest.fixture(scope="module")
def stack(
    django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory, provider_log: Path
) -> Iterator[Stack]:
    env = {
        "CARELOOP_SMS_TRANSPORT": "tests.integration.providers.SlowProvider",
        LOG: str(provider_log),
        SECONDS: "0.5",
        "CARELOOP_DELIVERY_ATTEMPT_TIMEOUT_SECONDS": ATTEMPT_TIMEOUT_SECONDS,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH", "")])),
    }
    with running_stack(django_db_blocker, tmp_path_factory, name="faults", extra_env=env) as running:
        yield running


def _messages(tag: str) -> dict[str, bool]:
    """CRITICAL + ROUTINE SMS to contacts, committed at once; their dedupe keys (what the
    provider is handed) → whether critical."""
    clinic = Clinic.objects.create(name=f"Fault Clinic {tag}")
    wanted = {f"{tag}-c{n}": True for n in range(CRITICAL)} | {f"{tag}-r{n}": False for n in range(ROUTINE)}
    with transaction.atomic():
        for n, (contact, critical) in enumerate(wanted.items()):
            contact_notify(
                clinic=clinic,
                contact_key=contact,
                kind="escalation",
                addresses={"sms": f"+1555020{n:04d}"},
                critical=critical,
                topic=f"faults:{tag}",
            )
    return {f"careloop-{contact}-sms": critical for contact, critical in wanted.items()}


def _send_due_now(stack: Stack) -> None:
    """Queue a send_due on the stack's own Redis (beat would within 15 s)."""
    with celery_app.connection_for_write(stack.redis.url) as connection:
        celery_app.send_task("careloop.notifications.send_due", connection=connection)


def _handed(log: Path) -> list[str]:
    return log.read_text().split() if log.exists() else []


def _deliveries(keys: dict[str, bool]) -> dict[str, Delivery]:
    return {d.dedupe_key: d for d in Delivery.objects.filter(topic=_topic(keys))}


def _topic(keys: dict[str, bool]) -> str:
    return "faults:" + next(iter(keys)).split("-")[1]


def test_a_notifier_killed_mid_batch_sends_every_message_once_and_critical_ones_within_a_minute(
    stack: Stack, provider_log: Path
) -> None:
    keys = _messages(uuid.uuid4().hex[:8])
    _send_due_now(stack)

    # The second message is in the provider's hands: kill the worker and its pool, as the OOM
    # killer or a host failure would. Nothing of the worker runs after this.
    wait_until(lambda: len(_handed(provider_log)) >= 2, 60, "the notifier to be mid-batch")
    stack.worker.stop(signal.SIGKILL)
    killed_at = timezone.now()
    at_kill = {key: d.status for key, d in _deliveries(keys).items()}

    # At most one message was in the provider's hands (none if the kill fell between two calls);
    # the rest of its batch was claimed and never attempted.
    in_flight = [key for key, status in at_kill.items() if status == DeliveryStatus.SENDING]
    assert len(in_flight) <= 1
    assert DeliveryStatus.CLAIMED in at_kill.values()

    stack.worker.start()  # what the supervisor does
    wait_until(lambda: stack.worker.log().count("ready.") >= 2, 60, "the notifier to restart")
    unsettled = (DeliveryStatus.PENDING, DeliveryStatus.CLAIMED, DeliveryStatus.SENDING)
    wait_until(
        lambda: not Delivery.objects.filter(topic=_topic(keys), status__in=unsettled).exists(),
        120,
        "every message to be settled",
        interval=0.5,
    )

    final = _deliveries(keys)
    handed = Counter(_handed(provider_log))
    others = [k for k in keys if k not in in_flight]
    assert {k: handed[k] for k in others} == dict.fromkeys(others, 1)
    assert {final[k].status for k in others} == {DeliveryStatus.SENT}
    late = {
        k: final[k].sent_at - killed_at
        for k in others
        if keys[k] and final[k].sent_at is not None and final[k].sent_at - killed_at > CRITICAL_BOUND
    }
    assert late == {}, f"critical messages sent more than a minute after the crash: {late}"
    for key in in_flight:
        if keys[key]:  # critical: a spare beats a missed one
            assert (handed[key], final[key].status) == (2, DeliveryStatus.SENT)
        else:  # never repeated without an idempotency key
            assert (handed[key], final[key].status) == (1, DeliveryStatus.UNCONFIRMED)
