"""Write the audit trail: every read and write of patient data, in bulk where a list shows many."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any
from uuid import UUID

from django.db import connection, transaction
from django.utils import timezone

from backend.accounts.models import User
from backend.audit.models import AuditEvent
from backend.core.prepared import run_prepared

# Every column but the id, in this order; `patient_id` is the only one that differs between rows.
_FIELDS = [
    AuditEvent._meta.get_field(name)
    for name in ("at", "actor", "actor_role", "action", "resource", "object_id", "detail", "patient_id")
]
_sql_by_vendor: dict[str, str] = {}

# Set by backend.audit.middleware for the length of one request: whether the view put what it did
# on the record itself (a call to audit_record, even one with no patient to record). When it did
# not, the middleware records the request instead, so no read or write of patient data goes
# unrecorded because a view forgot.
_request_audited: ContextVar[list[bool] | None] = ContextVar("careloop_request_audited", default=None)


@contextmanager
def audit_request_scope() -> Iterator[list[bool]]:
    """For the middleware: `[True]` once this request's view called audit_record."""
    flag = [False]
    token = _request_audited.set(flag)
    try:
        yield flag
    finally:
        _request_audited.reset(token)


def _insert_sql(rows: int) -> str:
    """`INSERT INTO audit_auditevent (...) VALUES (...), (...)` for `rows` rows, names quoted by
    the backend. bulk_create cost a transaction (BEGIN, INSERT, COMMIT) and model instances per
    call, on every audited read (bench/README.md, bench 6); one statement in autocommit is one
    round trip."""
    head = _sql_by_vendor.get(connection.vendor)
    if head is None:
        q = connection.ops.quote_name
        table, columns = q(AuditEvent._meta.db_table), ", ".join(q(f.column) for f in _FIELDS)
        # Names from _meta, quoted; every value travels as a parameter.
        head = f"INSERT INTO {table} ({columns}) VALUES "  # noqa: S608
        _sql_by_vendor[connection.vendor] = head
    row = "(" + ", ".join(["%s"] * len(_FIELDS)) + ")"
    return head + ", ".join([row] * rows)


def audit_record(
    *,
    actor: User | None,
    action: str,
    resource: str,
    patient_ids: Iterable[UUID | None],
    object_id: str = "",
    detail: str = "",
) -> None:
    """One row per distinct patient (a `None` is a row without a patient); nothing for none (a list
    page that showed nobody: the call still tells the middleware the view accounted for it)."""
    flag = _request_audited.get()
    if flag is not None:
        flag[0] = True
    pids = list(dict.fromkeys(patient_ids))
    if not pids:
        return
    at, patient = _FIELDS[0], _FIELDS[-1]
    # The values as the fields would store them (e.g. UUIDs as hex text on SQLite).
    shared = [
        at.get_db_prep_save(timezone.now(), connection),
        actor.pk if actor is not None else None,
        actor.role if actor is not None else "anonymous",
        action,
        resource,
        object_id[:64],
        detail[:200],
    ]
    values = [[*shared, patient.get_db_prep_save(pid, connection)] for pid in pids]
    size = max(connection.ops.bulk_batch_size(_FIELDS, values), 1)
    if len(values) <= size:
        prefix = _ASYNC_COMMIT if action == "read" and _may_commit_asynchronously() else ""
        with connection.cursor() as cursor:
            cursor.execute(prefix + _insert_sql(len(values)), [v for row in values for v in row])
        return
    # Only SQLite's parameter limit splits a page in several statements: all or nothing, as before.
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        for i in range(0, len(values), size):
            batch = values[i : i + size]
            cursor.execute(_insert_sql(len(batch)), [v for row in batch for v in row])


# A read's audit row commits on PostgreSQL without waiting for its WAL flush to disk: measured
# 0.34 -> 0.13 ms wall per call on a quiet machine, and the insert took 0.66-2.4 ms in the bench
# runs on a disk others share (bench/README.md, bench 6). The trade-off: if PostgreSQL itself
# crashes (not the app), read-audit rows of the last ~3 x wal_writer_delay (600 ms by default) can
# be lost; the database stays consistent. Never for a write's audit (create, update, resolve, ...)
# and never inside an outer transaction, whose rows commit with it, as durably as it does. Sent
# with the INSERT as one simple query (one implicit transaction, one round trip), which needs
# client-side parameter binding: Django's default for psycopg.
_ASYNC_COMMIT = "SET LOCAL synchronous_commit TO OFF; "


# The same for audited_select, inside its statement: `ok` is read first and once (the page waits on
# it), so the setting is made before anything is written and holds until the statement's commit.
_ASYNC_IN_STATEMENT = ", set_config('synchronous_commit', 'off', true) AS async_commit"


def _own_transaction_on_postgresql() -> bool:
    """A statement sent now commits alone (no outer transaction) on PostgreSQL."""
    return connection.vendor == "postgresql" and not connection.in_atomic_block


def _may_commit_asynchronously() -> bool:
    # SET LOCAL travels with the INSERT in one simple query: client-side binding only.
    return _own_transaction_on_postgresql() and not connection.settings_dict.get("OPTIONS", {}).get(
        "server_side_binding"
    )


def audited_select(
    sql: str,
    params: list[Any],
    *,
    columns: int,
    patient_column: int,
    shown: tuple[str, int],
    actor: User,
    resource: str,
    detail: str,
    guard: tuple[str, list[Any]] = ("TRUE", []),
    audit: bool = True,
) -> tuple[bool, list[tuple[Any, ...]]]:
    """The rows of `sql` (a SELECT of `columns` columns) and their `read` audit rows, in one statement
    and one round trip (PostgreSQL only: a data-modifying WITH): what `audit_record` would write for
    the patients in column `patient_column` of the rows a page shows, written with the page or not at
    all. `shown` = (an ORDER BY over the columns as c0, c1, ..., how many rows the page shows): a
    cursor page fetches one row more than it shows, to know there is a next page, and that row's
    patient was not shown. `guard`: a boolean SQL expression (and its parameters) evaluated in the
    same snapshot; false, the statement reads and records nothing and answers (False, []).
    With `synchronous_commit` off outside a transaction, as a read's audit_record is (see
    _ASYNC_COMMIT); prepared on the server, once per connection (its plan reused). Counts as the
    request's audit for the middleware. (`audit=False`: the page alone, for bench 6 to price the
    audit; never in production.)"""
    flag = _request_audited.get()
    if flag is not None:
        flag[0] = True
    names = ", ".join(f"c{i}" for i in range(columns))
    order, limit = shown
    q = connection.ops.quote_name
    table, targets = q(AuditEvent._meta.db_table), ", ".join(q(f.column) for f in _FIELDS)
    guard_sql, guard_params = guard
    # Outside a transaction the statement is its own: set_config(..., true) lasts until its commit.
    asynchronous = _own_transaction_on_postgresql()
    # Names from _meta and c0..cN, quoted or generated; every value travels as a parameter.
    ctes = [
        f"ok AS (SELECT {guard_sql} AS v{_ASYNC_IN_STATEMENT if asynchronous else ''})",
        f"page ({names}) AS (SELECT q.* FROM ({sql}) q WHERE (SELECT v FROM ok))",  # noqa: S608
    ]
    if audit:
        ctes.append(
            f"audit AS (INSERT INTO {table} ({targets}) "  # noqa: S608
            f"SELECT %s, %s, %s, %s, %s, %s, %s, p FROM (SELECT DISTINCT p FROM "
            f"(SELECT c{patient_column} AS p FROM page ORDER BY {order} LIMIT {int(limit)}) shown_rows) shown)"
        )
    statement = f"WITH {', '.join(ctes)} SELECT ok.v, page.* FROM ok LEFT JOIN page ON TRUE"  # noqa: S608
    audit_values = [
        _FIELDS[0].get_db_prep_save(timezone.now(), connection),
        actor.pk,
        actor.role,
        "read",
        resource,
        "",
        detail[:200],
    ]
    values = [*guard_params, *params, *(audit_values if audit else [])]
    # One statement (no SET LOCAL before it), so it can be prepared: parsed and planned once per
    # connection, and its own connection check (backend.core.prepared.run_prepared).
    rows = run_prepared(connection, statement, values)
    if not rows[0][0]:
        return False, []
    # An empty page is one row of NULLs beside `ok` (the LEFT JOIN keeps `ok`'s row).
    return True, [row[1:] for row in rows if any(v is not None for v in row[1:])]
