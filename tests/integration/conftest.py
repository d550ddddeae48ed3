"""The integration tier: real PostgreSQL (or SQLite locally), a real Redis server, gunicorn and a
real Celery worker and beat in their own processes. Tests talk to them over HTTP, as a client."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from django.conf import global_settings
from django.core.management import call_command
from django.db import connection
from django.test import TransactionTestCase

from tests.integration.stack import RedisServer, Stack, database_url


@contextmanager
def running_stack(
    django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory, name: str = "stack", **options: Any
) -> Iterator[Stack]:
    """A stack on the test database, flushed once all its processes have stopped (see
    `_no_flush_while_the_stack_runs`)."""
    log_dir = Path(tmp_path_factory.mktemp(name))
    with django_db_blocker.unblock():
        db_url = database_url(connection.settings_dict)
    redis = RedisServer(log_dir)
    redis.start()
    running = Stack(log_dir, db_url, redis, **options)
    try:
        running.start()
        yield running
    finally:
        running.stop()
        redis.stop()
        with django_db_blocker.unblock():
            call_command("flush", interactive=False, verbosity=0)


@pytest.fixture(scope="module")
def stack(django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with running_stack(django_db_blocker, tmp_path_factory) as running:
        yield running


@pytest.fixture(autouse=True, scope="module")
def _no_flush_while_the_stack_runs() -> Iterator[None]:
    """pytest-django empties the tables after each test with one TRUNCATE, which needs every
    table's exclusive lock while the live worker and beat (ticking every second) keep reading and
    writing: PostgreSQL deadlocks on it, again on every retry. So tests here are not flushed one
    by one: each makes its own clinic, nurse and patient and asserts only on those, and
    `running_stack` flushes once after every process of the stack has stopped.

    Module-scoped on purpose: pytest-django's own per-test helper is set up before any
    function-scoped fixture of ours and so torn down after it; a per-test patch would already be
    undone when that helper flushes."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(TransactionTestCase, "_fixture_teardown", lambda case: None)
        yield


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
        for proc in (stack.web, *stack.workers, stack.beat):
            print(f"----- {proc.name} log (tail) -----\n{proc.log()[-4000:]}")


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> object:
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report
