"""A queryset compiled to SQL once per database connection, then run with fresh values.

Compiling a `select_related` query (the ORM walking its joins, columns and lookups into SQL) cost
about a third of an alert list's CPU (bench/README.md, bench 6), for SQL that differs from one
request to the next only in one value (the patient's user id, the nurse's clinic id). Here the
queryset is built once with a placeholder value, compiled, and the placeholder's positions in its
parameters are remembered; a run substitutes the value, executes the same SQL, and builds the
model instances as the ORM's own iterator does (its converters, `from_db`, `select_related`
populators), so the instances are the ones `list(queryset)` would give.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db import connections
from django.db.models import Model, QuerySet
from django.db.models.query import get_related_populators

M = TypeVar("M", bound=Model)


@dataclass
class Plan:
    connection: Any
    compiler: Any
    sql: str
    params: list[Any]
    slots: list[tuple[int, int]]  # (where in `params`, which value) for each placeholder value
    several: bool  # the placeholder is a tuple of values
    init_list: list[str]
    fields: tuple[int, int]  # the model's own columns in a row: [start, end)
    populators: list[Any]
    columns: list[tuple[type[Model] | None, str]]  # (model, attname) of every selected column, in order

    def column(self, model: type[Model] | None, attname: str) -> int:
        """The position of `model.attname` in a row."""
        return self.columns.index((model, attname))

    def bind(self, value: Any) -> list[Any]:
        params = list(self.params)
        values = value if self.several else (value,)
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
            for name, position in (compiler.annotation_col_map or {}).items():
                setattr(obj, name, row[position])
            out.append(obj)
        return out


class PreparedQuery(Generic[M]):
    """`build(value)` returns the queryset for one value (a single filter value may appear in it
    several times); `placeholder` must be a value of the same type that no real call passes, or
    None for a query without a value (one that reads only what `run`'s WITH clause gives it), or a
    tuple of such values for a query of several (`build`, `run` and `bind` then take tuples)."""

    def __init__(self, build: Callable[[Any], QuerySet[M]], placeholder: Any, using: str = "default") -> None:
        self._build = build
        self._placeholder = placeholder
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
        queryset = self._build(self._placeholder)
        compiler = queryset.query.get_compiler(connection=connection)
        sql, params = compiler.as_sql()
        params = list(params)
        several = isinstance(self._placeholder, tuple)
        values = self._placeholder if several else () if self._placeholder is None else (self._placeholder,)
        slots = [(i, which) for i, p in enumerate(params) for which, v in enumerate(values) if p == v]
        if {which for _, which in slots} != set(range(len(values))):
            raise ValueError("The placeholder value does not reach the SQL's parameters.")
        info = compiler.klass_info
        start, end = info["select_fields"][0], info["select_fields"][-1] + 1
        selected = compiler.select[: compiler.col_count]
        return Plan(
            connection=connection,
            compiler=compiler,
            sql=sql,
            params=params,
            slots=slots,
            several=several,
            init_list=[s[0].target.attname for s in selected[start:end]],
            fields=(start, end),
            populators=get_related_populators(info, compiler.select, connection.alias),
            # An annotation's column is named by its alias.
            columns=[
                (s[0].target.model, s[0].target.attname) if hasattr(s[0], "target") else (None, s[2]) for s in selected
            ],
        )

    def run(self, value: Any = None, *, with_sql: str = "", with_params: Sequence[Any] = ()) -> list[M]:
        """`with_sql`: a `WITH …` clause sent before the query (its parameters first), e.g. a
        data-modifying statement whose RETURNING the query reads."""
        plan = self.plan()
        with plan.connection.cursor() as cursor:
            cursor.execute(with_sql + plan.sql, [*with_params, *plan.bind(value)])
            rows = cursor.fetchall()
        return plan.instances(rows)
