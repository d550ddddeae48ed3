"""Publishing from a request on a real Redis: queued when Redis answers; when it is stopped or hung,
skipped after one bounded attempt for a pause, without raising; then tried again."""

from __future__ import annotations

import base64
import json
import os
import signal
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from backend.alerts.tasks import grade_readings
from backend.core.publishing import Publisher
from tests.backend.core.test_circuit import Clock
from tests.integration.stack import RedisServer, wait_until

KWARGS = {"lab_ids": [], "symptom_ids": []}


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path)
    server.start()
    try:
        yield server
    finally:
        process = server.proc.process
        if process is not None and process.poll() is None:
            os.kill(process.pid, signal.SIGCONT)
        server.stop()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def publisher(broker: RedisServer, clock: Clock) -> Publisher:
    return Publisher(timeout=0.25, pause_seconds=5, broker_url=broker.url, clock=clock)


def queued(broker: RedisServer) -> int:
    return int(redis.Redis.from_url(broker.url).llen("celery"))


def test_with_the_broker_up_the_task_is_queued(publisher: Publisher, broker: RedisServer) -> None:
    assert publisher.publish(grade_readings, kwargs=KWARGS) is True
    assert publisher.publish(grade_readings, kwargs=KWARGS) is True
    assert queued(broker) == 2
    assert not publisher.circuit.is_open


def test_the_message_carries_every_id_and_its_headers_only_their_count(
    publisher: Publisher, broker: RedisServer
) -> None:
    kwargs = {"lab_ids": [str(uuid.uuid4()) for _ in range(3)], "symptom_ids": [str(uuid.uuid4())]}

    assert publisher.publish(grade_readings, kwargs=kwargs) is True

    raw = redis.Redis.from_url(broker.url).lindex("celery", 0)
    assert raw is not None
    message = json.loads(raw)
    args, sent_kwargs, _ = json.loads(base64.b64decode(message["body"]))
    assert (args, sent_kwargs) == ([], kwargs)
    assert (message["headers"]["argsrepr"], message["headers"]["kwargsrepr"]) == (
        "()",
        "{'lab_ids': <3 items>, 'symptom_ids': <1 items>}",
    )


def test_with_the_broker_stopped_the_publish_fails_without_raising_and_opens_the_circuit(
    publisher: Publisher, broker: RedisServer
) -> None:
    assert publisher.publish(grade_readings, kwargs=KWARGS) is True
    broker.stop()
    assert publisher.publish(grade_readings, kwargs=KWARGS) is False
    assert publisher.circuit.is_open


def test_while_the_circuit_is_open_nothing_is_sent_even_if_the_broker_is_back(
    publisher: Publisher, broker: RedisServer, clock: Clock
) -> None:
    broker.stop()
    assert publisher.publish(grade_readings, kwargs=KWARGS) is False
    broker.start()
    clock.now += 4
    assert publisher.publish(grade_readings, kwargs=KWARGS) is False
    assert queued(broker) == 0  # skipped: the sweeper grades what was synced


def test_after_the_pause_the_next_publish_tries_again_and_closes_the_circuit(
    publisher: Publisher, broker: RedisServer, clock: Clock
) -> None:
    broker.stop()
    assert publisher.publish(grade_readings, kwargs=KWARGS) is False
    broker.start()
    clock.now += 5
    assert publisher.publish(grade_readings, kwargs=KWARGS) is True
    assert queued(broker) == 1
    assert not publisher.circuit.is_open


def test_with_the_broker_hung_the_publish_gives_up_and_opens_the_circuit(
    publisher: Publisher, broker: RedisServer
) -> None:
    assert publisher.publish(grade_readings, kwargs=KWARGS) is True
    process = broker.proc.process
    assert process is not None
    os.kill(process.pid, signal.SIGSTOP)  # accepts connections and bytes, answers nothing
    try:
        assert publisher.publish(grade_readings, kwargs=KWARGS) is False
        assert publisher.circuit.is_open
    finally:
        os.kill(process.pid, signal.SIGCONT)


# publish_unless_queued: one message of a kind waits in the queue, however many requests come.
LABS, SYMPTOMS = "test:queued:labs", "test:queued:symptoms"


def _unless_queued(publisher: Publisher, *flags: str, ttl: float = 5) -> bool:
    return publisher.publish_unless_queued(grade_readings, kwargs=KWARGS, flags=flags, ttl_seconds=ttl)


def test_while_a_message_of_its_kind_waits_no_second_is_queued(publisher: Publisher, broker: RedisServer) -> None:
    assert _unless_queued(publisher, LABS) is True
    assert _unless_queued(publisher, LABS) is True  # covered by the waiting one
    assert queued(broker) == 1


def test_once_the_task_clears_its_flag_the_next_request_queues_again(publisher: Publisher, broker: RedisServer) -> None:
    assert _unless_queued(publisher, LABS) is True
    publisher.flags_clear(grade_readings, [LABS])  # what the task does as it starts
    assert _unless_queued(publisher, LABS) is True
    assert queued(broker) == 2


def test_a_request_with_a_kind_not_waiting_queues_a_message(publisher: Publisher, broker: RedisServer) -> None:
    assert _unless_queued(publisher, LABS) is True
    assert _unless_queued(publisher, LABS, SYMPTOMS) is True
    assert _unless_queued(publisher, SYMPTOMS) is True
    assert queued(broker) == 2


def test_a_flag_whose_message_was_lost_expires(publisher: Publisher, broker: RedisServer) -> None:
    assert _unless_queued(publisher, LABS, ttl=0.05) is True
    redis.Redis.from_url(broker.url).delete("celery")  # the message lost, its flag left
    ttl_ms = redis.Redis.from_url(broker.url).pttl(LABS)
    assert 0 < ttl_ms <= 50
    wait_until(lambda: _unless_queued(publisher, LABS) and queued(broker) == 1, 2, "the flag to expire")


def test_a_publish_that_fails_after_its_flag_was_set_leaves_no_flag(
    publisher: Publisher, broker: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refused(task: Any, **kwargs: Any) -> bool:
        return False

    monkeypatch.setattr(publisher, "publish", refused)
    assert _unless_queued(publisher, LABS) is False
    assert redis.Redis.from_url(broker.url).exists(LABS) == 0


def test_with_the_broker_stopped_flags_neither_block_nor_raise(
    publisher: Publisher, broker: RedisServer, clock: Clock
) -> None:
    broker.stop()
    assert _unless_queued(publisher, LABS) is False
    assert publisher.circuit.is_open
    publisher.flags_clear(grade_readings, [LABS])  # skipped while the circuit is open: no second timeout
    broker.start()
    clock.now += 5
    publisher.flags_clear(grade_readings, [LABS])
    assert not publisher.circuit.is_open
    assert _unless_queued(publisher, LABS) is True
    assert queued(broker) == 1
