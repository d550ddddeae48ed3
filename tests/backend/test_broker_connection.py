"""How the Celery processes treat Redis going away: they wait for it, however long it takes."""

from __future__ import annotations

from backend.config.celery import app


def test_a_worker_cut_off_from_redis_keeps_retrying_instead_of_exiting() -> None:
    # Celery's default gives up after 100 attempts (about 47 minutes) and the worker exits.
    assert app.conf.broker_connection_retry is True
    assert app.conf.broker_connection_retry_on_startup is True
    assert app.conf.broker_connection_max_retries is None


def test_workers_use_the_consumer_that_survives_a_redis_restart_mid_task() -> None:
    # backend/config/worker_consumer.py; tests/integration/test_fault_injection.py shows why.
    assert app.conf.worker_consumer == "backend.config.worker_consumer:Consumer"
