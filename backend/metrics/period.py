"""Which days the figures cover: `from` and `to` (inclusive ISO dates), read from a query string."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from backend.core.errors import ApplicationError

DEFAULT_DAYS = 28  # four weeks: one IRd cycle
MAX_DAYS = 366  # a year's figures at most: the queries read every alert of the period


@dataclass(frozen=True)
class Period:
    first: date
    last: date  # inclusive

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def start(self) -> datetime:
        """The period's first instant. Days are UTC days: a clinic has no zone of its own, and its
        patients may each live in another."""
        return datetime.combine(self.first, time(0), UTC)

    @property
    def end(self) -> datetime:
        """The first instant after the period."""
        return datetime.combine(self.last + timedelta(days=1), time(0), UTC)


def _date(raw: object, field: str) -> date:
    try:
        return date.fromisoformat(str(raw))
    except ValueError:
        raise ApplicationError({field: ["Enter a date as YYYY-MM-DD, e.g. 2026-11-30."]}) from None


def period_parse(params: Mapping[str, object], *, today: date, blank_is_default: bool = False) -> Period:
    """`to` defaults to today (UTC), `from` to the 28 days ending on `to`. Refused with the field and
    the reason: a date that is not YYYY-MM-DD, `from` after `to`, `to` after today, over 366 days.
    A parameter sent empty is refused too, unless `blank_is_default` (the page's form sends its empty
    fields; an API client that sends `to=` has made a mistake worth telling)."""
    if not blank_is_default:
        for field in ("from", "to"):
            if field in params and not params.get(field):
                raise ApplicationError({field: ["Enter a date as YYYY-MM-DD, e.g. 2026-11-30, or leave it out."]})
    raw_to, raw_from = params.get("to") or "", params.get("from") or ""
    last = _date(raw_to, "to") if raw_to else today
    first = _date(raw_from, "from") if raw_from else last - timedelta(days=DEFAULT_DAYS - 1)
    if last > today:
        raise ApplicationError({"to": [f"Must be today ({today.isoformat()}) or earlier: figures are of the past."]})
    if first > last:
        raise ApplicationError({"from": ["Must be on or before `to`."]})
    if (last - first).days + 1 > MAX_DAYS:
        raise ApplicationError({"from": [f"A period is at most {MAX_DAYS} days."]})
    return Period(first, last)
