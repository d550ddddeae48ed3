"""Publishing a task from a web request without ever making the request wait on the broker.

Only for work that something else picks up when the message is lost (the sweeper grades every
reading left ungraded), so a publish may be skipped. Each web process publishes on its own broker
connection with timeouts of a fraction of a second, one attempt and no retry (Celery's pool, shared
with the workers, keeps longer timeouts: its BRPOP must not time out); after a failure a circuit
skips publishing for CARELOOP_PUBLISH_PAUSE_SECONDS. With Redis stopped or hung a sync then costs
at most one short timeout per web process per pause (bench/broker_outage.py has the figures).
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable
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
            self._drop_connection()
            self.circuit.failed()
            logger.warning(
                "%s not queued (%s: %s); not publishing for %ss",
                task.name,
                type(error).__name__,
                error,
                self.circuit.pause_seconds,
            )
            return False
        self.circuit.succeeded()
        return True

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
