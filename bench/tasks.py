"""The Celery baseline: a task that does nothing but say it ran, so the round trip through the same
Redis and the same worker can be timed next to grading."""

from __future__ import annotations

import os

import redis
from celery import shared_task

_client: redis.Redis | None = None


@shared_task(name="careloop.bench.noop", ignore_result=True)
def noop(key: str, token: str) -> None:
    global _client
    if _client is None:
        _client = redis.Redis.from_url(os.environ["REDIS_URL"])
    _client.rpush(key, token)
