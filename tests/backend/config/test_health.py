"""Specification: GET /healthz answers 200 when the database, Redis, a worker, a notifier and beat
are all alive, and 503 naming what is not; anyone may ask, and it tells nothing about patients."""

from __future__ import annotations

import copy
import time
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from backend.config.health import PROCESSES, heartbeat, heartbeat_write

pytestmark = pytest.mark.django_db


def beat_all() -> None:
    for process in PROCESSES:
        heartbeat_write(process)


def test_all_alive_is_200_with_each_check() -> None:
    beat_all()
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "failing": [],
        "checks": {"database": "ok", "redis": "ok", "worker": "ok", "notifier": "ok", "beat": "ok"},
    }
    assert response["Cache-Control"] == "no-store"


def test_a_process_never_seen_fails_the_check() -> None:
    response = Client().get("/healthz")
    assert response.status_code == 503
    assert response.json()["failing"] == ["beat", "notifier", "worker"]
    assert response.json()["checks"]["worker"] == "no heartbeat yet"


def test_a_stale_heartbeat_names_the_process_that_stopped(settings: Any) -> None:
    beat_all()
    cache.set("heartbeat:notifier", time.time() - settings.CARELOOP_HEARTBEAT_STALE_SECONDS - 5, timeout=None)
    response = Client().get("/healthz")
    assert response.status_code == 503
    assert response.json()["failing"] == ["notifier"]
    assert response.json()["checks"]["notifier"].startswith("stale: last heartbeat 12")


def test_the_heartbeat_task_records_its_process() -> None:
    heartbeat.run("worker")
    assert time.time() - cache.get("heartbeat:worker") < 60


def test_redis_down_is_503_naming_redis(settings: Any) -> None:
    caches = copy.deepcopy(settings.CACHES)
    caches["default"]["LOCATION"] = "redis://127.0.0.1:1/0"  # nothing listens there
    settings.CACHES = caches
    response = Client().get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["redis"].startswith("down:")
    assert response.json()["checks"]["database"] == "ok"


def test_it_is_not_redirected_to_https(settings: Any) -> None:
    """A supervisor on the machine asks over plain HTTP, even when HTTPS is enforced for people."""
    settings.SECURE_SSL_REDIRECT = True
    beat_all()
    assert Client().get("/healthz").status_code == 200
    assert Client().get("/api/v1/").status_code == 301


def test_only_get() -> None:
    assert Client().post("/healthz").status_code == 405
