"""Insert batches of new rows: the sync's hot path (bench 1).

Two steps, for the caller to take in order (backend/records/services.py):

1. `insert_all`: every row of every batch, in one savepoint (or none when it is the transaction's
   first work), or none of them if any id is stored already. On PostgreSQL a binary
   `COPY` per table. This is the common case: a phone sends each entry once. Measured per 500-item
   sync, in-process CPU of the request / of its PostgreSQL backend: a SELECT of existing ids and
   `bulk_create` per section 34-40 / 12-14 ms; the SELECT and the INSERT … unnest below 20-23 /
   9-13 ms; that INSERT alone (RETURNING the ids it inserted) 18-20 / 8.5 ms; COPY 15-17 / 6-7.5 ms.
2. `insert_skipping_stored`, after a replay or a reused id made step 1 fail: the rows whose id is not
   stored, and which were inserted. On PostgreSQL one `INSERT … SELECT … FROM unnest(%s::uuid[], …)
   ON CONFLICT (id) DO NOTHING RETURNING id` per table, so an entry that another sync stores at the
   same moment is skipped, not an error.

Should the database refuse a row all the same (a value the checks in shared/ let through that its
column cannot hold, say), step 1 fails, and so does step 2's first attempt (all tables in one
savepoint); then each table goes in its own savepoint, and a table refused there is halved, each
half tried again, until the rows refused stand alone: they are returned as refused, with the
database's error, and every other row is stored. One bad row among 500 costs about 20 savepoints,
and nothing at all when no row is refused.

Rows are given as column lists and go in without model instances or per-value field preparation.
The columns come from the model's `_meta`, and the caller gives a value for every concrete field
(nothing is left to a default): a field added to the model without a value here is an error on the
first insert, in the tests, rather than a column filled differently from `bulk_create`. Values go to
psycopg as Django's PostgreSQL backend would pass them; JSON through the backend's own
`adapt_json_value`, with the field's encoder.

Elsewhere (SQLite, the embedded default) `bulk_create` stores the same values. SQLite serialises
writers (`transaction_mode = IMMEDIATE` in the settings), so the ids already stored can be read
first, in the same transaction.

Give rows in primary-key order: two transactions inserting overlapping keys then wait on each other
in one order instead of deadlocking.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.db import DataError, IntegrityError, connection, models, transaction

# Field types whose Python value psycopg takes as Django's PostgreSQL backend would pass it (their
# `get_db_prep_save` returns it unchanged there). JSONField goes through `adapt_json_value`; any
# other type is refused rather than stored in a way `bulk_create` would not.
_AS_IS = frozenset(
    {
        "BigIntegerField",
        "BooleanField",
        "CharField",
        "DateTimeField",
        "DecimalField",
        "ForeignKey",
        "IntegerField",
        "SmallIntegerField",
        "TextField",
        "UUIDField",
    }
)


# What the database says about a row's own values (SQLSTATE classes 22 and 23): another row may go
# in where this one cannot. Anything else (a lost connection, a deadlock) concerns the whole
# transaction and is raised.
ROW_ERRORS = (DataError, IntegrityError)


@dataclass(frozen=True)
class Batch:
    """Rows for one table: `each` maps a field's attname to one value per row, `same` to the value
    every row has. Together they name every concrete field once; the primary key is in `each`,
    without repeats."""

    model: type[models.Model]
    same: Mapping[str, object]
    each: Mapping[str, Sequence[object]]

    @property
    def keys(self) -> Sequence[Any]:
        return self.each[_pk(self.model).attname]

    def halves(self) -> tuple[Batch, Batch]:
        middle = len(self.keys) // 2
        return (
            Batch(self.model, self.same, {name: values[:middle] for name, values in self.each.items()}),
            Batch(self.model, self.same, {name: values[middle:] for name, values in self.each.items()}),
        )


@dataclass
class Inserted:
    """What `insert_skipping_stored` did with one batch: the keys it inserted, and the database's
    refusal of each row it could not insert (not counting rows stored already)."""

    keys: set[Any]
    refused: dict[Any, Exception]


def insert_all(batches: Sequence[Batch], *, savepoint: bool = True) -> bool:
    """Insert every row of every batch; if any id is stored already, insert none and return False.

    Call inside `transaction.atomic()`: the attempt runs in a savepoint of it. `savepoint=False`
    when the attempt is the transaction's first work (the sync's common case): a refusal then marks
    the whole transaction for rollback, which the caller leaves at once, and a batch of new ids
    pays no SAVEPOINT and RELEASE round trips. A row the database refuses for its own values
    returns False too; `insert_skipping_stored` then finds it.
    """
    todo = _nonempty(batches)
    try:
        with transaction.atomic(savepoint=savepoint), connection.wrap_database_errors:
            for batch in todo:
                if connection.vendor == "postgresql":
                    _copy(batch)
                else:
                    _models(batch).bulk_create(_instances(batch), batch_size=500)
    except ROW_ERRORS:
        return False
    return True


def insert_skipping_stored(batches: Sequence[Batch]) -> list[Inserted]:
    """Insert the rows whose primary key is not stored, even if another transaction stores it
    meanwhile, and every row the database does not refuse; return what was done, per batch.
    Call inside `transaction.atomic()`."""
    todo = _nonempty(batches)
    insert = _insert_on_conflict_do_nothing if connection.vendor == "postgresql" else _insert_serialised
    try:
        with transaction.atomic(), connection.wrap_database_errors:
            done = {id(b): Inserted(insert(b), {}) for b in todo}
    except ROW_ERRORS:
        done = {id(b): _insert_isolating_refusals(b, insert) for b in todo}
    return [done.get(id(b), Inserted(set(), {})) for b in batches]


def _insert_isolating_refusals(batch: Batch, insert: Callable[[Batch], set[Any]]) -> Inserted:
    """`insert(batch)` in a savepoint; if the database refuses it, each half the same way, down to
    the single rows it refuses."""
    try:
        with transaction.atomic(), connection.wrap_database_errors:
            return Inserted(insert(batch), {})
    except ROW_ERRORS as exc:
        if len(batch.keys) == 1:
            return Inserted(set(), {batch.keys[0]: exc})
    done = Inserted(set(), {})
    for half in batch.halves():
        part = _insert_isolating_refusals(half, insert)
        done.keys |= part.keys
        done.refused |= part.refused
    return done


def _nonempty(batches: Sequence[Batch]) -> list[Batch]:
    assert connection.in_atomic_block, "bulk inserts must run inside transaction.atomic()"
    todo = [b for b in batches if b.keys]
    for batch in todo:
        _check_columns(batch.model, frozenset(batch.same), frozenset(batch.each))
    return todo


def _pk(model: type[models.Model]) -> models.Field[Any, Any]:
    pk = model._meta.pk
    assert pk is not None
    return pk


def _check_columns(model: type[models.Model], same: frozenset[str], each: frozenset[str]) -> None:
    fields = {f.attname for f in model._meta.concrete_fields}
    given = same | each
    if same & each or given != fields:
        raise ValueError(
            f"{model.__name__}: every concrete field needs exactly one value; "
            f"missing {sorted(fields - given)}, unknown {sorted(given - fields)}, twice {sorted(same & each)}"
        )


# --- PostgreSQL ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Table:
    """What the statements for one model need, worked out once from its `_meta`."""

    fields: tuple[models.Field[Any, Any], ...]
    copy_sql: str
    copy_types: tuple[str, ...]
    json_fields: frozenset[str]


@cache
def _table(model: type[models.Model]) -> _Table:
    qn = connection.ops.quote_name
    fields = tuple(model._meta.concrete_fields)
    json_fields = set()
    for field in fields:
        kind = field.get_internal_type()
        if isinstance(field, models.JSONField):
            json_fields.add(field.attname)
        elif kind not in _AS_IS:
            raise TypeError(f"{model.__name__}.{field.name}: {kind} is not supported by the bulk insert")
    columns = ", ".join(qn(f.column) for f in fields)
    return _Table(
        fields=fields,
        copy_sql=f"COPY {qn(model._meta.db_table)} ({columns}) FROM STDIN (FORMAT BINARY)",
        copy_types=tuple(_base_type(f) for f in fields),
        json_fields=frozenset(json_fields),
    )


def _base_type(field: models.Field[Any, Any]) -> str:
    """The column's type without its modifiers (`varchar(32)` → `varchar`, `numeric(18, 6)` →
    `numeric`): storing into the column then checks length and rounds the scale exactly as a plain
    INSERT does, where an explicit cast to `varchar(32)` would silently truncate."""
    db_type = field.db_type(connection)
    assert db_type is not None
    return re.sub(r"\(.*?\)", "", db_type).strip()


def _db_values(batch: Batch, table: _Table) -> tuple[dict[str, object], dict[str, Sequence[object]]]:
    """`same` and `each` with JSON values adapted as JSONField adapts them."""
    same, each = dict(batch.same), dict(batch.each)
    for name in table.json_fields:
        field = batch.model._meta.get_field(name)
        assert isinstance(field, models.JSONField)
        adapt = connection.ops.adapt_json_value
        if name in same:
            same[name] = None if same[name] is None else adapt(same[name], field.encoder)
        else:
            each[name] = [None if v is None else adapt(v, field.encoder) for v in each[name]]
    return same, each


def _copy(batch: Batch) -> None:
    table = _table(batch.model)
    same, each = _db_values(batch, table)
    rows = len(batch.keys)
    columns = [each[f.attname] if f.attname in each else [same[f.attname]] * rows for f in table.fields]
    with connection.cursor() as cursor, cursor.copy(table.copy_sql) as copy:
        copy.set_types(list(table.copy_types))
        for row in zip(*columns, strict=True):
            copy.write_row(row)


def _insert_on_conflict_do_nothing(batch: Batch) -> set[Any]:
    same_names = tuple(sorted(batch.same))
    sql, same_order, each_order = _insert_statement(batch.model, same_names)
    same, each = _db_values(batch, _table(batch.model))
    params: list[object] = [same[name] for name in same_order]
    params += [list(each[name]) for name in each_order]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {row[0] for row in cursor.fetchall()}


@cache
def _insert_statement(model: type[models.Model], same: tuple[str, ...]) -> tuple[str, list[str], list[str]]:
    """The INSERT … unnest for this model when the `same` fields are one value for every row, and
    the order of its parameters."""
    qn = connection.ops.quote_name
    table = _table(model)
    each_fields = [f for f in table.fields if f.attname not in same]
    # The same values: one parameter each, in the select list; the others: one array each.
    selected = ", ".join(f"%s::{_base_type(f)}" if f.attname in same else f"u.{qn(f.column)}" for f in table.fields)
    arrays = ", ".join(f"%s::{_base_type(f)}[]" for f in each_fields)
    aliases = ", ".join(qn(f.column) for f in each_fields)
    name, columns, key = qn(model._meta.db_table), ", ".join(qn(f.column) for f in table.fields), qn(_pk(model).column)
    # Names from _meta, quoted; every value travels as a parameter.
    rows = f"SELECT {selected} FROM unnest({arrays}) AS u({aliases})"  # noqa: S608
    sql = f"INSERT INTO {name} ({columns}) {rows} ON CONFLICT ({key}) DO NOTHING RETURNING {key}"
    return sql, [f.attname for f in table.fields if f.attname in same], [f.attname for f in each_fields]


# --- other databases ----------------------------------------------------------------------------


def _models(batch: Batch) -> models.Manager[Any]:
    return batch.model._default_manager


def _instances(batch: Batch) -> list[models.Model]:
    names = list(batch.each)
    return [
        batch.model(**batch.same, **dict(zip(names, values, strict=True)))
        for values in zip(*(batch.each[n] for n in names), strict=True)
    ]


def _insert_serialised(batch: Batch) -> set[Any]:
    stored = set(_models(batch).filter(pk__in=list(batch.keys)).values_list("pk", flat=True))
    new = [row for row in _instances(batch) if row.pk not in stored]
    # No ignore_conflicts: writers are serialised, so nothing stored can conflict, and SQLite's
    # INSERT OR IGNORE would also skip rows that break NOT NULL, silently.
    _models(batch).bulk_create(new, batch_size=500)
    return {row.pk for row in new}
