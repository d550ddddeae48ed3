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

import pytest
import redis

from backend.alerts.tasks import grade_readings
from backend.core.publishing import Publisher
from tests.backend.core.test_circuit import Clock
from tests.integration.stack import RedisServer

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
