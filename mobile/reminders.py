"""Reminders on the phone, so they fire with no signal: the same `shared.reminders` plan and
occurrences the server computes (same keys, same DST handling), worded from the catalog, merged
with what the server last sent. Kivy-free and clock-free: `now` is passed in.

The plan (wall-clock times) lives in the store as the server's JSON shape
(`GET /api/v1/reminders/plan/`); the patient's changes are kept locally and pushed by sync.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from mobile import strings as S
from shared import reminders as shared
from shared.regimen import Start, stopped_drugs
from shared.reminders import ReminderKind, ReminderPlan, ReminderPlanError

__all__ = [
    "Reminder",
    "ReminderPlan",
    "ReminderPlanError",
    "due_now",
    "merged",
    "next_due",
    "phone_reminders",
    "plan_from_json",
    "plan_to_json",
    "server_reminders",
    "shifted",
]

# The plan fields a patient may change (the care team sets the antiviral drug and nadir draws).
TIME_FIELDS = ("ixazomib_time", "lenalidomide_time", "dexamethasone_time", "lab_draw_time")
DRUG_OF_FIELD = {
    "ixazomib_time": "ixazomib",
    "lenalidomide_time": "lenalidomide",
    "dexamethasone_time": "dexamethasone",
}


@dataclass(frozen=True)
class Reminder:
    key: str  # shared.reminders' key ("ixazomib:2026-11-15"): a fired key is not fired again
    at: datetime  # aware, in the patient's zone
    kind: str  # a shared ReminderKind value, or "server" for a kind this phone does not know
    title: str
    body: str


def plan_to_json(plan: ReminderPlan) -> dict[str, Any]:
    return {
        "antiviral_times": [shared.format_wall_time(t) for t in plan.antiviral_times],
        "ixazomib_time": shared.format_wall_time(plan.ixazomib_time),
        "lenalidomide_time": shared.format_wall_time(plan.lenalidomide_time),
        "dexamethasone_time": shared.format_wall_time(plan.dexamethasone_time),
        "lab_draw_time": shared.format_wall_time(plan.lab_draw_time),
        "nadir_draw_cycles": plan.nadir_draw_cycles,
        "antiviral_drug": plan.antiviral_drug,
    }


def plan_from_json(raw: object) -> ReminderPlan:
    """The stored (or server's) plan; a field that cannot be read keeps its default, and a plan
    that does not hold together falls back to the defaults: reminders must never stop."""
    if not isinstance(raw, Mapping):
        return ReminderPlan()
    values: dict[str, Any] = {}
    for name in TIME_FIELDS:
        try:
            values[name] = shared.parse_wall_time(raw[name], name)
        except (KeyError, ReminderPlanError):
            continue
    if isinstance(raw.get("antiviral_times"), list):
        try:
            values["antiviral_times"] = tuple(shared.parse_wall_time(t) for t in raw["antiviral_times"])
        except ReminderPlanError:
            pass
    if isinstance(raw.get("nadir_draw_cycles"), int):
        values["nadir_draw_cycles"] = raw["nadir_draw_cycles"]
    if isinstance(raw.get("antiviral_drug"), str):
        values["antiviral_drug"] = raw["antiviral_drug"]
    try:
        return ReminderPlan(**values)
    except ReminderPlanError:
        return ReminderPlan()


def shifted(plan: ReminderPlan, field: str, minutes: int) -> ReminderPlan:
    """`field` moved by `minutes`, wrapping round midnight; "antiviral_times:N" names one antiviral
    time. Raises ReminderPlanError when the result breaks a rule (ixazomib with dexamethasone)."""

    def move(value: time) -> time:
        total = (value.hour * 60 + value.minute + minutes) % (24 * 60)
        return time(total // 60, total % 60)

    if field.startswith("antiviral_times:"):
        index = int(field.split(":")[1])
        times = list(plan.antiviral_times)
        times[index] = move(times[index])
        return replace(plan, antiviral_times=tuple(times))
    if field not in TIME_FIELDS:
        raise ValueError(f"not a reminder time: {field!r}")
    moved: dict[str, Any] = {field: move(getattr(plan, field))}
    return replace(plan, **moved)


def _title(kind: ReminderKind, doses_mg: Mapping[str, str], plan: ReminderPlan) -> str:
    if kind is ReminderKind.LAB_DRAW:
        return S.REMINDER_LAB_TITLE
    if kind is ReminderKind.ANTIVIRAL:
        return S.reminder_dose_title(plan.antiviral_drug) if plan.antiviral_drug else S.REMINDER_ANTIVIRAL_TITLE
    return S.reminder_dose_title(S.drug_with_dose(kind.value, doses_mg.get(kind.value)))


def phone_reminders(
    *,
    plan: ReminderPlan,
    start_date: Start,
    tz: ZoneInfo,
    window_start: datetime,
    window_end: datetime,
    doses_mg: Mapping[str, str] | None = None,
    held: Iterable[str] = (),
) -> list[Reminder]:
    """The plan's reminders in `[window_start, window_end)`, in time order; a held drug's reminder
    says not to take it."""
    held_drugs = set(held)
    found: list[Reminder] = []
    stopped = stopped_drugs(doses_mg or {})  # the care team stopped them: no reminder
    for occurrence in shared.occurrences(plan, start_date, tz, window_start, window_end, stopped=stopped):
        body = S.REMINDER_HELD if occurrence.kind.value in held_drugs else S.tr(occurrence.text)
        found.append(
            Reminder(
                occurrence.key,
                occurrence.local_due,
                occurrence.kind.value,
                _title(occurrence.kind, doses_mg or {}, plan),
                body,
            )
        )
    return found


def server_reminders(raw: Sequence[Any] | None, tz: ZoneInfo) -> list[Reminder]:
    """The server's reminders ({key, kind, due_at, title, text, on_hold}); rows without a readable
    time are skipped, not guessed."""
    found: list[Reminder] = []
    for row in raw or []:
        if not isinstance(row, Mapping):
            continue
        try:
            moment = datetime.fromisoformat(str(row.get("due_at") or row.get("at")))
        except ValueError:
            continue
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=tz)
        title = str(row.get("title") or "")
        body = S.REMINDER_HELD if row.get("on_hold") else str(row.get("text") or row.get("body") or "")
        if not title:
            continue
        key = str(row.get("key") or f"server:{moment.isoformat()}")
        kind = str(row.get("kind") or "server")
        found.append(Reminder(key, moment.astimezone(tz), kind, S.tr(title), S.tr(body)))
    return found


def merged(phone: Iterable[Reminder], server: Iterable[Reminder]) -> list[Reminder]:
    """One reminder per key, in time order. The phone's wins: it has the patient's latest times
    even before they reach the server; the server adds what the phone does not compute."""
    by_key = {r.key: r for r in server}
    by_key.update({r.key: r for r in phone})
    return sorted(by_key.values(), key=lambda r: (r.at, r.key))


def next_due(reminders: Iterable[Reminder], now: datetime, fired: set[str]) -> Reminder | None:
    """The first reminder not yet fired whose time is now or later."""
    upcoming = [r for r in reminders if r.key not in fired and r.at >= now]
    return min(upcoming, key=lambda r: (r.at, r.key)) if upcoming else None


def due_now(reminders: Iterable[Reminder], now: datetime, fired: set[str], grace: timedelta) -> list[Reminder]:
    """Reminders whose time has come within `grace` and that have not fired: the ones to show now
    (a phone asleep at 22:00 still reminds at 22:05, but not the next morning)."""
    return [r for r in reminders if r.key not in fired and now - grace <= r.at <= now]
