"""A queryset compiled to SQL once per database connection, then run with fresh values.

Compiling a `select_related` query (the ORM walking its joins, columns and lookups into SQL) cost
about a third of an alert list's CPU (bench/README.md, bench 6), for SQL that differs from one
request to the next only in one value (the patient's user id, the nurse's clinic id). Here the
queryset is built once with a placeholder value, compiled, and the placeholder's positions in its
parameters are remembered; a run substitutes the value, executes the same SQL, and builds the
model instances as the ORM's own iterator does (its converters, `from_db`, `select_related`
populators, annotations), so the instances are the ones `list(queryset)` would give. A query may
take several values (one placeholder each), and a `values_list` query's rows come back converted as
the ORM converts them (`rows`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from typing import Any, Generic, TypeVar

from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Model, QuerySet
from django.db.models.query import get_related_populators

M = TypeVar("M", bound=Model)


@dataclass
class Plan:
    connection: Any
    compiler: Any
    sql: str
    params: list[Any]
    slots: list[tuple[int, int]]  # (position in `params`, which value) of every placeholder
    init_list: list[str]
    fields: tuple[int, int]  # the model's own columns in a row: [start, end)
    populators: list[Any]
    # (model, attname) of every selected column, in order; (None, alias) for an annotation.
    columns: list[tuple[type[Model] | None, str]]
    annotations: list[tuple[str, int]]  # (attribute, position in a row) set on each instance

    def column(self, model: type[Model] | None, attname: str) -> int:
        """The position of `model.attname` in a row."""
        return self.columns.index((model, attname))

    def bind(self, *values: Any) -> list[Any]:
        params = list(self.params)
        for i, which in self.slots:
            params[i] = values[which]
        return params

    def instances(self, rows: Sequence[Sequence[Any]]) -> list[Any]:
        """Model instances from raw rows of `sql`, as the ORM builds them."""
        compiler, db = self.compiler, self.connection.alias
        start, end = self.fields
        out = []
        for row in compiler.results_iter(results=[rows]):
            obj = compiler.klass_info["model"].from_db(db, self.init_list, row[start:end])
            for populator in self.populators:
                populator.populate(row, obj)
            for attr, position in self.annotations:
                setattr(obj, attr, row[position])
            out.append(obj)
        return out


class PreparedQuery(Generic[M]):
    """`build(*values)` returns the queryset for those values (a value may appear in it several
    times); each placeholder must be a value of its value's type that no real call passes, and
    equal to no other parameter of the query. A query may take no value at all when it reads only
    what `run`'s WITH clause gives it."""

    def __init__(self, build: Callable[..., QuerySet[M]], *placeholders: Any, using: str = "default") -> None:
        self._build = build
        self._placeholders = placeholders
        self._using = using
        self._plans: dict[int, Plan] = {}

    def plan(self) -> Plan:
        connection = connections[self._using]
        plan = self._plans.get(id(connection))
        if plan is None or plan.connection is not connection:
            plan = self._compile(connection)
            self._plans[id(connection)] = plan
        return plan

    def _compile(self, connection: Any) -> Plan:
        queryset = self._build(*self._placeholders)
        compiler = queryset.query.get_compiler(connection=connection)
        sql, params = compiler.as_sql()
        params = list(params)
        slots = [(i, which) for i, p in enumerate(params) for which, v in enumerate(self._placeholders) if p == v]
        if {which for _, which in slots} != set(range(len(self._placeholders))):
            raise ValueError("A placeholder value does not reach the SQL's parameters.")
        if len({i for i, _ in slots}) != len(slots):
            raise ValueError("Two placeholders are equal: each must be a value of its own.")
        info = compiler.klass_info
        selected = compiler.select[: compiler.col_count]
        if info is None:  # values() / values_list(): rows only
            start = end = 0
            populators: list[Any] = []
        else:
            start, end = info["select_fields"][0], info["select_fields"][-1] + 1
            populators = get_related_populators(info, compiler.select, connection.alias)
        return Plan(
            connection=connection,
            compiler=compiler,
            sql=sql,
            params=params,
            slots=slots,
            init_list=[s[0].target.attname for s in selected[start:end]],
            fields=(start, end),
            populators=populators,
            columns=[
                (s[0].target.model, s[0].target.attname) if hasattr(s[0], "target") else (None, s[2] or "")
                for s in selected
            ],
            annotations=list((compiler.annotation_col_map or {}).items()),
        )

    def _fetch(
        self, plan: Plan, values: tuple[Any, ...], with_sql: str = "", with_params: Sequence[Any] = ()
    ) -> list[Any]:
        with plan.connection.cursor() as cursor:
            cursor.execute(with_sql + plan.sql, [*with_params, *plan.bind(*values)])
            return cursor.fetchall()

    def _compiles(self) -> bool:
        # Elsewhere (SQLite) the ORM converts some values before they become parameters (a UUID
        # to its hex, a time to text), so a placeholder is not found as it is: the ORM runs there.
        return bool(connections[self._using].vendor == "postgresql")

    def run(self, *values: Any, with_sql: str = "", with_params: Sequence[Any] = ()) -> list[M]:
        """The model instances `list(build(*values))` gives. `with_sql`: a `WITH …` clause sent
        before the query (its parameters first), e.g. a data-modifying statement whose RETURNING
        the query reads (PostgreSQL only: the ORM path could not send it)."""
        if not self._compiles():
            if with_sql:
                raise NotImplementedError("A WITH clause needs the compiled query (PostgreSQL).")
            return list(self._build(*values))
        plan = self.plan()
        return plan.instances(self._fetch(plan, values, with_sql, with_params))

    def rows(self, *values: Any) -> list[tuple[Any, ...]]:
        """The rows `list(build(*values))` gives for a `values_list()` query: converted as the ORM
        converts them (its field converters), as tuples."""
        if not self._compiles():
            return [tuple(row) for row in self._build(*values)]
        plan = self.plan()
        return list(plan.compiler.results_iter(results=[self._fetch(plan, values)], tuple_expected=True))


_ONLY_WHEN_ASKED = 2**62


@cache
def _prepared_cursor_class() -> Any:
    # PostgreSQL's module, imported on first use only: SQLite deployments never get here.
    from django.db.backends.postgresql.base import ServerBindingCursor

    class Prepared(ServerBindingCursor):  # type: ignore[misc, valid-type]
        def execute(self, query: Any, params: Any = None, *, prepare: bool | None = None, binary: Any = None) -> Any:
            return super().execute(query, params, prepare=True, binary=binary)

        def _send_query_prepared(self, name: bytes, pgq: Any, *, binary: Any = None) -> None:
            # psycopg records the query it sent only when unprepared; Django's query log reads it
            # (as the SQL sent: $1, $2, ... with the values apart).
            self._query = pgq
            super()._send_query_prepared(name, pgq, binary=binary)

    return Prepared


@contextmanager
def prepared_cursor(connection: BaseDatabaseWrapper, *, health_check: bool = True) -> Iterator[Any]:
    """A cursor (PostgreSQL, psycopg 3) whose statements are bound on the server and prepared once
    per connection, so each later run skips PostgreSQL's parse and plan: the alert list's one
    statement (token check, page, audit INSERT) spent 0.41-0.60 ms planning for 0.15-0.25 ms
    executing (EXPLAIN ANALYZE; bench/README.md, bench 6). Django leaves psycopg's automatic
    preparing off (`prepare_threshold`) for connection poolers that cannot keep prepared
    statements; this deployment connects directly, and only statements run here are prepared.
    Wrapped as Django wraps its own cursors: counted and logged as any other statement, its
    errors Django's. (`health_check=False`: see run_prepared.)"""
    from django.db.backends.postgresql.base import TIMESTAMPTZ_OID
    from django.db.backends.postgresql.psycopg_any import register_tzloader
    from psycopg.pq import Format

    if health_check:
        connection.close_if_health_check_failed()
    connection.ensure_connection()
    with connection.wrap_database_errors:
        if connection.connection.prepare_threshold is None:
            # Django's None turns psycopg's preparing off altogether, `prepare=True` included. Never
            # reached, this threshold leaves every other statement unprepared (Django's own cursors
            # bind on the client and are never prepared anyway).
            connection.connection.prepare_threshold = _ONLY_WHEN_ASKED
        raw = _prepared_cursor_class()(connection.connection)
        # As Django's create_cursor: times in the connection's zone.
        if connection.timezone != connection.connection.adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT).timezone:
            register_tzloader(connection.timezone, raw)
        cursor = connection._prepare_cursor(raw)
    with cursor:
        yield cursor


# The server's word that it ended the connection (admin or crash shutdown, cannot connect now).
_ENDED_BY_SERVER = {"57P01", "57P02", "57P03"}
# "cached plan must not change result type": a migration changed a table the prepared statement
# reads while this process kept its connection. The statement did not run; a new connection
# prepares it afresh, so a deploy that migrates before restarting the web fails no request.
_PLAN_OUTDATED = "0A000"


def _connection_lost(connection: BaseDatabaseWrapper, error: BaseException) -> bool:
    """The error lost the connection (the server said so, or the socket is closed or broken), as
    opposed to an error of the statement on a connection still good (a timeout, a constraint)."""
    if getattr(error.__cause__, "sqlstate", None) in _ENDED_BY_SERVER:
        return True
    raw = connection.connection
    return raw is None or bool(raw.closed) or bool(getattr(raw, "broken", False))


def run_prepared(connection: BaseDatabaseWrapper, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    """The rows of `sql`, through prepared_cursor, without Django's health check first: with
    CONN_HEALTH_CHECKS the first statement of every request is preceded by a `SELECT 1` round trip
    (22% of the alert list's in-process time; bench/README.md, bench 6). Instead the statement
    itself is the check: when it loses the connection (its server ended it between two requests,
    or the socket broke), it is sent once more on a new connection, which is what the health check
    would have given, so a dropped connection fails no request; likewise a statement whose plan a
    migration outdated (_PLAN_OUTDATED). Only outside a transaction (inside
    one, the transaction is lost with its connection and the error stands), and never for an
    error of the statement on a good connection. If the connection broke after the statement
    committed, the retry records the read's audit rows a second time: a read counted twice, never
    a read unrecorded nor a nurse's poll failed."""
    from django.db import NotSupportedError, OperationalError

    def once() -> list[tuple[Any, ...]]:
        with prepared_cursor(connection, health_check=False) as cursor:
            cursor.execute(sql, params)
            return list(cursor.fetchall())

    retry = connection.connection is not None and not connection.in_atomic_block
    try:
        rows = once()
    except (OperationalError, NotSupportedError) as error:
        outdated = getattr(error.__cause__, "sqlstate", None) == _PLAN_OUTDATED
        if not retry or not (outdated or _connection_lost(connection, error)):
            raise
        connection.close()
        rows = once()
    connection.health_check_done = True  # it answered: later statements of the request skip the check too
    return rows
