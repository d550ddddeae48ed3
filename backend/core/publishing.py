"""Publishing a task from a web request without ever making the request wait on the broker.

Only for work that something else picks up when the message is lost (the sweeper grades every
reading left ungraded), so a publish may be skipped. Each web process publishes on its own broker
connection with timeouts of a fraction of a second, one attempt and no retry (Celery's pool, shared
with the workers, keeps longer timeouts: its BRPOP must not time out); after a failure a circuit
skips publishing for CARELOOP_PUBLISH_PAUSE_SECONDS. With Redis stopped or hung a sync then costs
at most one short timeout per web process per pause (bench/broker_outage.py has the figures).

`publish_unless_queued` publishes only when no message of its kind is waiting in the queue: a flag
in the broker's Redis, set with the message and cleared by the task as it starts (`flags_clear`),
before it reads what to do. Everything committed before a skipped publish is then in the database
when the queued task looks, so one queued task serves every request that came while it waited,
and the queue holds one message of a kind, not one a request (bench 12: 50 phones queued 44
grading tasks a second, most of which found their readings graded by an earlier one).
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from celery import Task
from django.conf import settings
from kombu import Connection

from backend.core.circuit import Circuit

logger = logging.getLogger(__name__)


class Publisher:
    def __init__(
        self,
        *,
        timeout: float,
        pause_seconds: float,
        broker_url: str | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.timeout = timeout
        self.broker_url = broker_url  # None: the Celery app's
        self.circuit = Circuit(pause_seconds=pause_seconds, clock=clock)
        self._local = threading.local()  # one connection per thread; kombu's are not thread-safe

    def publish(self, task: Task, *, kwargs: dict[str, Any]) -> bool:
        """Queue `task` if the broker answers within the timeout; False if it was skipped (the
        circuit is open) or failed. Never raises: the caller's answer must not depend on it."""
        if not self.circuit.allows():
            logger.info("%s not queued: the broker failed less than %ss ago", task.name, self.circuit.pause_seconds)
            return False
        try:
            task.apply_async(
                kwargs=kwargs,
                connection=self._connection(task),
                retry=False,
                argsrepr="()",
                kwargsrepr=kwargs_summary(kwargs),
            )
        except Exception as error:
            self._failed(task, error)
            return False
        self.circuit.succeeded()
        return True

    def publish_unless_queued(
        self, task: Task, *, kwargs: dict[str, Any], flags: Sequence[str], ttl_seconds: float
    ) -> bool:
        """Queue `task` unless every one of `flags` is set (a message that covers this work is
        queued already); set them, for `ttl_seconds` at most, when it does. A flag outlives a lost
        message by that long at most; meanwhile the work waits for the sweeper or the next publish.
        A transport other than Redis has no flags: the task is queued. Never raises."""
        if not self.circuit.allows():
            logger.info("%s not queued: the broker failed less than %ss ago", task.name, self.circuit.pause_seconds)
            return False
        try:
            fresh = _flags_set(self._connection(task), flags, ttl_seconds)
        except Exception as error:
            self._failed(task, error)
            return False
        if fresh is not None and not any(fresh):
            self.circuit.succeeded()
            return True  # a queued message covers it
        if self.publish(task, kwargs=kwargs):
            return True
        # Not queued: the flags must not keep the next request from trying (best effort; they expire).
        with contextlib.suppress(Exception):
            if self.circuit.allows():
                _flags_clear(self._connection(task), flags)
        return False

    def flags_clear(self, task: Task, flags: Sequence[str]) -> None:
        """From `task` as it starts, before it reads what to do: the next publish queues a message
        again. Bounded and never raised, as a publish (the flags expire; the sweeper is the net)."""
        if not flags or not self.circuit.allows():
            return
        try:
            _flags_clear(self._connection(task), flags)
        except Exception as error:
            self._failed(task, error)
            return
        self.circuit.succeeded()

    def _failed(self, task: Task, error: Exception) -> None:
        self._drop_connection()
        self.circuit.failed()
        logger.warning(
            "%s not queued (%s: %s); not publishing for %ss",
            task.name,
            type(error).__name__,
            error,
            self.circuit.pause_seconds,
        )

    def _connection(self, task: Task) -> Connection:
        conn: Connection | None = getattr(self._local, "connection", None)
        if conn is None:
            conn = task.app.connection_for_write(
                url=self.broker_url,
                connect_timeout=self.timeout,
                # max_retries=0: kombu's default_channel would retry connecting for connect_timeout.
                transport_options={
                    "socket_connect_timeout": self.timeout,
                    "socket_timeout": self.timeout,
                    "max_retries": 0,
                },
            )
            self._local.connection = conn
        return conn

    def _drop_connection(self) -> None:
        """Forget a connection that failed, without network I/O (the broker may be hung)."""
        conn: Connection | None = getattr(self._local, "connection", None)
        self._local.connection = None
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.collect()


def _redis_of(conn: Connection) -> Any:
    """A context manager giving the broker's Redis client (kombu's own pool), or None for another transport."""
    channel = conn.default_channel
    acquire = getattr(channel, "conn_or_acquire", None)
    return acquire() if acquire is not None else None


def _flags_set(conn: Connection, flags: Sequence[str], ttl_seconds: float) -> list[bool] | None:
    """Set each absent flag; → which were absent (None: no Redis, no flags). One round trip."""
    redis_client = _redis_of(conn)
    if redis_client is None:
        return None
    with redis_client as client:
        pipe = client.pipeline(transaction=False)
        for flag in flags:
            pipe.set(flag, b"1", nx=True, px=max(1, int(ttl_seconds * 1000)))
        return [bool(done) for done in pipe.execute()]


def _flags_clear(conn: Connection, flags: Sequence[str]) -> None:
    redis_client = _redis_of(conn)
    if redis_client is not None and flags:
        with redis_client as client:
            client.delete(*flags)


def kwargs_summary(kwargs: dict[str, Any]) -> str:
    """What the message's headers show of its arguments (task events, Flower): a list by its length.
    Celery's own repr walks every item (a sync's reading ids: 0.22 ms a publish for 40 ids, 0.44
    for 400, measured with timeit) to show ids that nobody reads there."""
    shown = (
        f"{name!r}: <{len(value)} items>" if isinstance(value, list | tuple) else f"{name!r}: {value!r}"[:80]
        for name, value in kwargs.items()
    )
    return "{" + ", ".join(shown) + "}"


_publisher: Publisher | None = None
_publisher_pid: int | None = None


def publisher() -> Publisher:
    """This process's publisher (a forked child makes its own rather than share its parent's socket)."""
    global _publisher, _publisher_pid
    if _publisher is None or _publisher_pid != os.getpid():
        _publisher = Publisher(
            timeout=settings.CARELOOP_PUBLISH_TIMEOUT_SECONDS, pause_seconds=settings.CARELOOP_PUBLISH_PAUSE_SECONDS
        )
        _publisher_pid = os.getpid()
    return _publisher


def task_publish_or_skip(task: Task, *, kwargs: dict[str, Any]) -> bool:
    return publisher().publish(task, kwargs=kwargs)


def task_publish_unless_queued(task: Task, *, kwargs: dict[str, Any], flags: Sequence[str], ttl_seconds: float) -> bool:
    return publisher().publish_unless_queued(task, kwargs=kwargs, flags=flags, ttl_seconds=ttl_seconds)


def task_flags_clear(task: Task, flags: Sequence[str]) -> None:
    publisher().flags_clear(task, flags)
