"""Specification of `prepared_cursor` and `run_prepared` (backend.core.prepared): a statement run
through them is parsed and planned by PostgreSQL once per connection, counted as any other, and
nothing else is prepared; no health check before it, and a connection its server ended (or a
statement a migration outdated) is replaced."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator

import pytest
from django.db import NotSupportedError, OperationalError, connection, transaction
from django.test.utils import CaptureQueriesContext

from backend.accounts.models import User
from backend.core.prepared import prepared_cursor, run_prepared
from tests.backend.support import IS_POSTGRES, end_this_connection_from_outside

pytestmark = pytest.mark.skipif(not IS_POSTGRES, reason="prepared statements: PostgreSQL's (CI runs it)")

STATEMENT = "SELECT %s::int + 1 AS careloop_prepared_probe"


def prepared() -> list[tuple[str, int]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement, generic_plans + custom_plans FROM pg_prepared_statements")
        return list(cursor.fetchall())


def run(value: int) -> int:
    with prepared_cursor(connection) as cursor:
        cursor.execute(STATEMENT, [value])
        return int(cursor.fetchone()[0])


@pytest.mark.django_db
def test_it_prepares_a_statement_once_and_runs_it_with_fresh_values() -> None:
    assert [run(v) for v in (1, 2, 41)] == [2, 3, 42]

    mine = [(sql, runs) for sql, runs in prepared() if "careloop_prepared_probe" in sql]
    assert mine == [("SELECT $1::int + 1 AS careloop_prepared_probe", 3)]


@pytest.mark.django_db
def test_djangos_own_statements_stay_unprepared() -> None:
    run(1)
    before = prepared()

    for _ in range(10):  # psycopg's default threshold would prepare after 5
        list(User.objects.filter(pk=1))

    assert prepared() == before


@pytest.mark.django_db
def test_its_statements_are_counted_as_djangos_own() -> None:
    with CaptureQueriesContext(connection) as captured:
        run(7)

    # As sent: the values travel apart from the SQL.
    assert [q["sql"] for q in captured.captured_queries] == ["SELECT $1::int + 1 AS careloop_prepared_probe"]


@pytest.mark.django_db(transaction=True)
def test_run_prepared_sends_no_health_check_and_counts_as_one() -> None:
    run(1)  # the connection is open
    connection.health_check_done = False  # as at the start of a request
    checks = []
    original = connection.is_usable
    connection.is_usable = lambda: checks.append(1) or original()  # type: ignore[method-assign]
    try:
        assert run_prepared(connection, STATEMENT, [2]) == [(3,)]
    finally:
        del connection.is_usable

    assert checks == []
    assert connection.health_check_done  # the statement answered: the request's next ones skip it too


@pytest.mark.django_db(transaction=True)
def test_run_prepared_on_a_connection_its_server_ended_runs_once_on_a_new_one() -> None:
    run(1)
    end_this_connection_from_outside()

    assert run_prepared(connection, STATEMENT, [41]) == [(42,)]


@pytest.mark.django_db
def test_inside_a_transaction_a_lost_connection_is_an_error() -> None:
    run(1)
    end_this_connection_from_outside()

    with pytest.raises(OperationalError):
        run_prepared(connection, STATEMENT, [1])


def break_this_connections_socket() -> None:
    """A connection lost without a word from its server (a network cut): the socket just ends."""
    socket.socket(fileno=os.dup(connection.connection.fileno())).shutdown(socket.SHUT_RDWR)


@pytest.mark.django_db(transaction=True)
def test_run_prepared_on_a_connection_lost_without_a_word_runs_once_on_a_new_one() -> None:
    run(1)
    break_this_connections_socket()

    assert run_prepared(connection, STATEMENT, [41]) == [(42,)]


@pytest.mark.django_db(transaction=True)
def test_an_error_of_the_statement_on_a_good_connection_is_not_sent_again() -> None:
    run(1)
    sent = []
    with CaptureQueriesContext(connection) as captured:
        with pytest.raises(Exception, match="division by zero"):
            run_prepared(connection, "SELECT 1 / %s::int AS careloop_prepared_zero", [0])
        sent = [q for q in captured.captured_queries if "careloop_prepared_zero" in q["sql"]]

    assert len(sent) == 1


def change_the_tables_columns_from_outside(table: str) -> None:
    """What a migration run by the deploy does while this process keeps its connection open."""
    import psycopg

    with psycopg.connect(dbname=connection.settings_dict["NAME"], **_server(), autocommit=True) as other:
        other.execute(f"ALTER TABLE {table} ALTER COLUMN x TYPE text")


def _server() -> dict[str, object]:
    settings = connection.settings_dict
    return {k: v for k, v in (("host", settings["HOST"]), ("port", settings["PORT"]), ("user", settings["USER"])) if v}


@pytest.fixture
def probe_table() -> Iterator[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE careloop_prepared_table (id int, x int); INSERT INTO careloop_prepared_table VALUES (1, 5)"
        )
    yield "careloop_prepared_table"
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS careloop_prepared_table")


@pytest.mark.django_db(transaction=True)
def test_a_statement_whose_table_a_migration_changed_is_prepared_afresh(probe_table: str) -> None:
    """PostgreSQL refuses a prepared plan whose result type changed ("cached plan must not change
    result type"); the statement did not run, so it is sent once more on a new connection."""
    statement = f"SELECT * FROM {probe_table} WHERE id = %s"  # noqa: S608 (the fixture's table)
    assert run_prepared(connection, statement, [1]) == [(1, 5)]
    change_the_tables_columns_from_outside(probe_table)

    assert run_prepared(connection, statement, [1]) == [(1, "5")]


@pytest.mark.django_db(transaction=True)
def test_inside_a_transaction_an_outdated_plan_is_an_error(probe_table: str) -> None:
    statement = f"SELECT * FROM {probe_table} WHERE id = %s"  # noqa: S608 (the fixture's table)
    run_prepared(connection, statement, [1])
    change_the_tables_columns_from_outside(probe_table)

    with pytest.raises(NotSupportedError), transaction.atomic():
        run_prepared(connection, statement, [1])
