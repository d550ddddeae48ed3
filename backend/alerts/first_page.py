"""The alert list's first page without a query parameter (what every phone and the nurse's
client poll), on PostgreSQL: the page query compiled once per connection (backend.core.prepared)
and its read audit written by the same statement (backend.audit.services.audited_select). One
round trip for a patient's page: token check, page and audit; a nurse's also fetches its
escalation steps.

The token: a token this process remembers is not checked in Redis first but in the page's own
statement (BearerVerifiedInStatement, `still_valid_sql`), in the same snapshot as the page: ended
or changed since, the statement reads and records nothing and the request is authenticated again.
So the page, its audit and the token's check are one round trip.

The scope is `alerts_visible_to`'s, with the same value bound: a nurse her clinic's alerts, a
patient their own. Caregivers (whose scope is read from their links on every call), any query
parameter, SQLite and a request inside a transaction that may not see the audit's data-modifying
WITH take the general path, which is the same list through the ORM and `audit_record`.
"""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.db.models import prefetch_related_objects

from backend.accounts.authentication import still_valid_sql
from backend.accounts.models import Role, User
from backend.alerts.models import Alert
from backend.alerts.services import alerts_visible_to
from backend.api.pagination import NewestFirst
from backend.audit.services import audited_select
from backend.core.prepared import PreparedQuery

_PLACEHOLDER = -(2**62) + 7  # no user or clinic has this id
_STAFF = (Role.NURSE, Role.ADMIN)
PAGE = NewestFirst.page_size


def _build(kind: str) -> Any:
    """The queryset the general path runs for a first page, by role, with `value` bound."""

    def build(value: int) -> Any:
        user = User(pk=value, role=kind, clinic_id=value if kind in _STAFF else None)
        ordering = NewestFirst.ordering
        return alerts_visible_to(user).order_by(*ordering)[: PAGE + 1]

    return build


_QUERIES = {
    Role.PATIENT: PreparedQuery(_build(Role.PATIENT), _PLACEHOLDER),
    Role.NURSE: PreparedQuery(_build(Role.NURSE), _PLACEHOLDER),
}


class TokenUnverified(Exception):
    """The statement's own check of a remembered token failed: authenticate again (`verified`)."""


def first_page(user: User, query_params: Any, token: Any = None, *, audit: bool = True) -> list[Alert] | None:
    """Up to PAGE + 1 alerts newest first (the cursor pagination's fetch), audited; None when the
    request is not one this path serves (then the general path serves it). A token taken from the
    cache unchecked (BearerVerifiedInStatement) is checked by the same statement: TokenUnverified
    if it no longer holds, and then nothing was read or recorded. (`audit=False`: bench 6 only.)"""
    if query_params or connection.vendor != "postgresql":
        return None
    if user.role == Role.PATIENT:
        query, value = _QUERIES[Role.PATIENT], user.pk
    elif user.role in _STAFF and user.clinic_id:
        query, value = _QUERIES[Role.NURSE], user.clinic_id
    else:
        return None
    plan = query.plan()
    created, pk = plan.column(Alert, "created_at"), plan.column(Alert, "id")
    unchecked = getattr(token, "verify_in_statement", None) is not None
    ok, rows = audited_select(
        plan.sql,
        plan.bind(value),
        columns=len(plan.columns),
        patient_column=plan.column(Alert, "patient_id"),
        shown=(f"c{created} DESC, c{pk} DESC", PAGE),
        actor=user,
        resource="alert",
        detail="alert list",
        guard=still_valid_sql(token) if unchecked else ("TRUE", []),
        audit=audit,
    )
    if not ok:
        raise TokenUnverified()
    # A WITH's rows come out in the order the page made them; sorted again, not to depend on it.
    rows.sort(key=lambda r: (r[created], r[pk]), reverse=True)
    alerts = plan.instances(rows)
    if user.role in _STAFF:
        prefetch_related_objects(alerts, "escalation_steps")
    return alerts


class Fetched:
    """The page's rows, already fetched, to the cursor pagination as the queryset it orders and
    slices: the pagination then answers exactly as it does for the general path (results, `next`)."""

    def __init__(self, rows: list[Alert]) -> None:
        self.rows = rows

    def order_by(self, *ordering: str) -> Fetched:
        if tuple(ordering) != tuple(NewestFirst.ordering):
            raise AssertionError(f"fetched in {NewestFirst.ordering}, asked for {ordering}")
        return self

    def __getitem__(self, window: slice) -> list[Alert]:
        if (window.start or 0) != 0 or window.stop != PAGE + 1:
            raise AssertionError(f"fetched the first {PAGE + 1}, asked for {window}")
        return self.rows
