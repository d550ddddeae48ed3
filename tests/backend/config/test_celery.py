"""A Celery task gets a working database connection whatever happened to the previous one: the
worker checks its connections at every task's start and end, as Django does around a request."""

from __future__ import annotations

import psycopg
import pytest
from celery import signals
from django.conf import settings
from django.db import DatabaseError, connection

from backend.alerts.tasks import sweep_ungraded

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        "postgresql" not in settings.DATABASES["default"]["ENGINE"], reason="ends a PostgreSQL server connection"
    ),
]


def _pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return int(cursor.fetchone()[0])


def _end(pid: int) -> None:
    """What a PostgreSQL restart or failover does to the connection, from another connection."""
    params = connection.get_connection_params()
    dsn = psycopg.conninfo.make_conninfo(
        **{k: v for k, v in params.items() if k in ("host", "port", "user", "password", "dbname")}
    )
    with psycopg.connect(dsn, autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])


def _task_starts() -> None:
    signals.task_prerun.send(sender=sweep_ungraded, task_id="t", task=sweep_ungraded, args=(), kwargs={})


def _task_ends() -> None:
    signals.task_postrun.send(sender=sweep_ungraded, task_id="t", task=sweep_ungraded, args=(), kwargs={})


def test_a_task_that_starts_after_the_server_ended_the_connection_gets_a_new_one() -> None:
    ended = _pid()
    _end(ended)

    _task_starts()

    assert _pid() != ended


def test_a_connection_that_failed_during_a_task_is_replaced_before_the_next_task() -> None:
    _task_starts()
    ended = _pid()  # the task is under way on a working connection
    _end(ended)
    with pytest.raises(DatabaseError):
        _pid()  # the task fails (it is retried, or beat runs it again)
    _task_ends()

    _task_starts()

    assert _pid() != ended
