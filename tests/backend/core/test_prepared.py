"""Specification of `prepared_cursor` (backend.core.prepared): a statement run through it is parsed
and planned by PostgreSQL once per connection, counted as any other, and nothing else is prepared."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from backend.accounts.models import User
from backend.core.prepared import prepared_cursor
from tests.backend.support import IS_POSTGRES

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
