"""'Is my treatment working?': the patient's IMWG response in their own words, computed without
Kivy from the answer of GET /api/v1/patients/{id}/response/ (contract §5) that the last sync kept
(mobile.sync), so the screen works offline.

The tracked marker (serum or urine M-protein, the free light chain difference, or marrow plasma
cells, as the care team's response is measured) is drawn as a simple trend in the trend charts'
unit square (mobile.presenters.trends.LabChart, with no grade bands and no dose days)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from mobile import strings as S
from mobile.presenters.context import load_context
from mobile.presenters.trends import LabChart, Point, Tick, _fmt, _y_values, nice_ceiling
from mobile.store import ACCEPTED, PENDING, REJECTED, Store

RESPONSE_KEY = "response"
FETCHED_KEY = "response_fetched_at"
# The value each measure is tracked by, in the assessment's `values` (canonical units).
TRACKED_VALUE = {"serum": "serum_m_protein", "urine": "urine_m_protein", "flc": "dflc", "marrow": "marrow_plasma_cells"}
UNITS = {"serum": "g/dL", "urine": "mg/24 h", "flc": "mg/L", "marrow": "%"}


@dataclass(frozen=True)
class ResponseView:
    headline: str  # how the tracked marker moved since the start, in the patient's words
    status: str  # what the care team calls it, and whether it is confirmed
    level: str  # "ok", "info" or "urgent": the card's look (the words say the same)
    chart: LabChart | None
    as_of: str
    empty: str
    yours: list[str] = field(default_factory=list)  # markers the patient entered, with their state
    categories: list[tuple[str, str]] = field(default_factory=lambda: list(S.RESPONSE_CATEGORY_HELP))
    caveats: list[str] = field(default_factory=lambda: list(S.RESPONSE_CAVEATS))


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        found = Decimal(str(value))
    except InvalidOperation:
        return None
    return found if found.is_finite() else None


def _day(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None


def _day_text(day: date) -> str:
    return f"{day.day} {S.MONTHS[day.month - 1]}"


class ResponsePresenter:
    def __init__(self, store: Store) -> None:
        self.store = store

    def view(self, now: datetime) -> ResponseView:
        answer = self.store.get_json(RESPONSE_KEY)
        fetched = self.store.get(FETCHED_KEY)
        tz = load_context(self.store).tz
        as_of = (
            S.RESPONSE_AS_OF.format(
                when=S.when(datetime.fromisoformat(fetched).astimezone(tz), now.astimezone(tz).date())
            )
            if fetched
            else ""
        )
        yours = self._yours(now)
        if not isinstance(answer, dict) or not answer.get("assessments"):
            return ResponseView("", "", "info", None, as_of, S.RESPONSE_EMPTY, yours)
        by = answer.get("measurable_by")
        if by not in TRACKED_VALUE:
            return ResponseView("", "", "info", None, as_of, S.RESPONSE_NOT_EVALUABLE, yours)
        points = self._points(answer, by)
        status, level = self._status(answer)
        progressing = (answer.get("current") or {}).get("category") == "PD"
        headline = self._rise(by, points) if progressing else self._headline(by, points)
        return ResponseView(headline, status, level, self._chart(by, points), as_of, "", yours)

    def _yours(self, now: datetime) -> list[str]:
        """The markers the patient entered from printed reports, newest first: shown as 'entered by
        you' (the care team's copy of the same test replaces it in the response)."""
        tz = load_context(self.store).tz
        today = now.astimezone(tz).date()
        states = {
            PENDING: S.RESPONSE_YOURS_WAITING,
            ACCEPTED: S.RESPONSE_YOURS_SENT,
            REJECTED: S.RESPONSE_YOURS_REFUSED,
        }
        lines = []
        for entry in reversed(self.store.entries("marker_results")):
            item = entry.item
            name = S.MARKER_NAMES.get(str(item.get("marker")), str(item.get("marker")))
            when = S.when(datetime.fromisoformat(entry.at).astimezone(tz), today)
            lines.append(f"{name}: {item.get('value')} {item.get('unit', '')}, {when} · {states.get(entry.state, '')}")
        return lines

    @staticmethod
    def _points(answer: dict[str, Any], by: str) -> list[tuple[date, Decimal]]:
        key = TRACKED_VALUE[by]
        found: list[tuple[date, Decimal]] = []
        baseline = answer.get("baseline") or {}
        rows = [baseline, *(a for a in answer.get("assessments") or [] if isinstance(a, dict))]
        for row in rows:
            values = row.get("values") if isinstance(row, dict) else None
            day = _day(row.get("date")) if isinstance(row, dict) else None
            value = _number(values.get(key)) if isinstance(values, dict) else None
            if by == "flc" and isinstance(values, dict) and value is None and row is baseline:
                value = _baseline_dflc(values, answer.get("involved_chain"))
            if day is not None and value is not None:
                found.append((day, value))
        return found

    @staticmethod
    def _headline(by: str, points: list[tuple[date, Decimal]]) -> str:
        if len(points) < 2 or points[0][1] <= 0:
            return ""
        start, latest = points[0][1], points[-1][1]
        change = int(((start - latest) / start * 100).to_integral_value())
        tracked = S.RESPONSE_TRACKED[by]
        if change >= 1:
            return S.response_fallen(tracked, min(change, 100))
        if change <= -1:
            return S.response_risen(tracked, -change)
        return S.response_unchanged(tracked)

    @staticmethod
    def _rise(by: str, points: list[tuple[date, Decimal]]) -> str:
        """In progression the fall since the start no longer tells the story: the rise from the
        lowest value does (progression is measured from there)."""
        if len(points) < 2:
            return ""
        lowest = min(v for _, v in points[:-1])
        return S.response_rose_from_lowest(S.RESPONSE_TRACKED[by], _fmt(lowest), _fmt(points[-1][1]), UNITS[by])

    @staticmethod
    def _status(answer: dict[str, Any]) -> tuple[str, str]:
        current = answer.get("current") or {}
        category = current.get("category")
        if category == "PD":
            return S.RESPONSE_PROGRESSION, "urgent"
        name = S.RESPONSE_CATEGORY_NAMES.get(str(category), "")
        assessments = [a for a in answer.get("assessments") or [] if isinstance(a, dict)]
        if not name or not assessments or category == "NE":
            return "", "info"
        if current.get("confirmed"):
            since = _day(current.get("since"))
            confirmed_on = next(
                (
                    _day(a.get("date"))
                    for a in assessments
                    if a.get("confirmed") and since is not None and (_day(a.get("date")) or since) >= since
                ),
                None,
            )
            day = confirmed_on or _day(assessments[-1].get("date"))
            return S.response_confirmed(name, _day_text(day) if day else ""), "ok"
        day = _day(assessments[-1].get("date"))
        return S.response_unconfirmed(name, _day_text(day) if day else ""), "info"

    @staticmethod
    def _chart(by: str, points: list[tuple[date, Decimal]]) -> LabChart | None:
        if not points:
            return None
        first, last = points[0][0], points[-1][0]
        span = max((last - first).days, 1)
        top = nice_ceiling(float(max(v for _, v in points)) * 1.1)

        def x_of(day: date) -> float:
            return (day - first).days / span if len(points) > 1 else 0.5

        def y_of(value: float) -> float:
            return max(0.0, min(1.0, value / top))

        chart_points = [Point(x_of(d), y_of(float(v)), _fmt(v), 0) for d, v in points]
        ticks = [Tick(x_of(points[0][0]), _day_text(points[0][0]))]
        if len(points) > 1:
            ticks.append(Tick(x_of(points[-1][0]), _day_text(points[-1][0])))
        latest_day, latest_value = points[-1]
        return LabChart(
            analyte=by,
            title=S.RESPONSE_TRACKED[by],
            unit_label=UNITS[by],
            bands=[],
            points=chart_points,
            ixazomib_days=[],
            lenalidomide_days=[],
            nadir=[],
            x_ticks=ticks,
            y_ticks=[Tick(y_of(v), _fmt(Decimal(str(v)))) for v in _y_values(top)],
            latest=S.latest_value(_fmt(latest_value), UNITS[by], _day_text(latest_day)),
            empty="",
        )


def _baseline_dflc(values: dict[str, Any], involved: Any) -> Decimal | None:
    kappa, lam = _number(values.get("kappa_flc")), _number(values.get("lambda_flc"))
    if kappa is None or lam is None or involved not in ("kappa", "lambda"):
        return None
    return kappa - lam if involved == "kappa" else lam - kappa
