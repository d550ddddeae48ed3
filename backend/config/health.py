"""`GET /healthz`, for a supervisor or load balancer: is every part of CareLoop alive?

Five checks: the database answers, Redis answers, and a worker, a notifier and beat have each shown
a sign of life recently. Beat sends `careloop.heartbeat` to each queue every
CARELOOP_HEARTBEAT_EVERY_SECONDS; the worker (queue "celery") or notifier (queue "notify") that runs
it writes the time into Redis. Beat writes its own time on each tick of its scheduler. A heartbeat
older than CARELOOP_HEARTBEAT_STALE_SECONDS means that process is gone or stuck (or, for a
worker, beat is: beat's own check then says so too).

200 when all pass, 503 naming the ones that failed. Unauthenticated and cheap (one `SELECT 1`, one
Redis round trip), and it says nothing about any patient, so it is never audited.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import redis
from celery import shared_task
from celery.beat import PersistentScheduler
from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

log = logging.getLogger(__name__)

PROCESSES = ("worker", "notifier", "beat")


def _key(process: str) -> str:
    return f"heartbeat:{process}"


def heartbeat_write(process: str) -> None:
    """Record that `process` is alive now; a Redis failure only means no heartbeat this time."""
    try:
        cache.set(_key(process), time.time(), timeout=None)
    except (redis.RedisError, OSError) as exc:
        log.warning("heartbeat of %s not written: %s", process, exc)


@shared_task(name="careloop.heartbeat", ignore_result=True)
def heartbeat(process: str) -> None:
    heartbeat_write(process)


class HeartbeatScheduler(PersistentScheduler):
    """Celery's default scheduler, which also records beat's own heartbeat (at most once per
    CARELOOP_HEARTBEAT_EVERY_SECONDS) on each tick."""

    _last_heartbeat = 0.0

    def tick(self, *args: Any, **kwargs: Any) -> float:
        now = time.monotonic()
        if now - self._last_heartbeat >= settings.CARELOOP_HEARTBEAT_EVERY_SECONDS:
            self._last_heartbeat = now
            heartbeat_write("beat")
        interval: float = super().tick(*args, **kwargs)
        return min(interval, settings.CARELOOP_HEARTBEAT_EVERY_SECONDS)


def _database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as exc:
        return f"down: {type(exc).__name__}"
    return "ok"


def health_checks() -> dict[str, str]:
    """Each check's verdict: "ok", or what is wrong (no detail beyond the kind of failure)."""
    checks = {"database": _database()}
    try:
        beats = cache.get_many([_key(p) for p in PROCESSES])
    except (redis.RedisError, OSError) as exc:
        checks["redis"] = f"down: {type(exc).__name__}"
        checks.update({p: "unknown: Redis is down" for p in PROCESSES})
        return checks
    checks["redis"] = "ok"
    now, stale = time.time(), settings.CARELOOP_HEARTBEAT_STALE_SECONDS
    for process in PROCESSES:
        at = beats.get(_key(process))
        if at is None:
            checks[process] = "no heartbeat yet"
        elif now - at > stale:
            checks[process] = f"stale: last heartbeat {round(now - at)} s ago"
        else:
            checks[process] = "ok"
    return checks


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    checks = health_checks()
    failing = sorted(name for name, verdict in checks.items() if verdict != "ok")
    body = {"status": "failing" if failing else "ok", "failing": failing, "checks": checks}
    return JsonResponse(body, status=503 if failing else 200)
