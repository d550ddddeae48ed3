"""The integration tier: real PostgreSQL (or SQLite locally), a real Redis server, gunicorn and a
real Celery worker and beat in their own processes. Tests talk to them over HTTP, as a client."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import global_settings
from django.db import connection

from tests.integration.stack import RedisServer, Stack, database_url


@pytest.fixture(scope="module")
def stack(
    django_db_setup: None, django_db_blocker: object, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    log_dir = Path(tmp_path_factory.mktemp("stack"))
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        db_url = database_url(connection.settings_dict)
    redis = RedisServer(log_dir)
    redis.start()
    running = Stack(log_dir, db_url, redis)
    try:
        running.start()
        yield running
    finally:
        running.stop()
        redis.stop()


@pytest.fixture(autouse=True)
def _real_password_hashers(settings: Any) -> None:
    """Users made here sign in through gunicorn, which hashes as production does; a faster test
    hasher set by another tier must not leak in."""
    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS


@pytest.fixture(autouse=True)
def _show_logs_on_failure(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed and "stack" in request.fixturenames:
        stack: Stack = request.getfixturevalue("stack")
        for proc in (stack.web, stack.worker, stack.beat):
            print(f"----- {proc.name} log (tail) -----\n{proc.log()[-4000:]}")


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> object:
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report
