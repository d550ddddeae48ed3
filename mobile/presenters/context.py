"""The patient's situation as the phone knows it: who, which zone, which regimen, which clinic,
which reminder times, and which drugs are on hold right now."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from mobile import strings as S
from mobile.reminders import Reminder, ReminderPlan, merged, phone_reminders, plan_from_json, server_reminders
from mobile.store import PENDING, Store
from shared import regimen as shared_regimen

DOSE_KEYS = {"ixazomib": "ixazomib_mg", "lenalidomide": "lenalidomide_mg", "dexamethasone": "dexamethasone_mg"}
OPEN_STATUSES = ("open", "acknowledged")
# The phone's own alert for an entry counts until the server's alert for it arrives; if none has
# after this long (a clinic policy may differ), the server's silence wins.
LOCAL_ALERT_LIFETIME = timedelta(hours=24)


@dataclass(frozen=True)
class Regimen:
    start_date: date
    doses_mg: Mapping[str, str]
    # The start date with the care team's cycle delays (the sync answer's `cycle_delays`): every
    # cycle/day the phone shows or reminds is read off it, as on the server.
    calendar: shared_regimen.Calendar


@dataclass(frozen=True)
class PatientContext:
    name: str
    tz: ZoneInfo
    tz_name: str
    regimen: Regimen | None
    clinic_name: str
    clinic_phone: str
    plan: ReminderPlan


def zone(name: object) -> ZoneInfo | None:
    if not isinstance(name, str) or not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def load_context(store: Store) -> PatientContext:
    patient: Mapping[str, Any] = store.get_json("patient", {}) or {}
    clinic: Mapping[str, Any] = store.get_json("clinic", {}) or {}
    raw_regimen: Mapping[str, Any] = store.get_json("regimen", {}) or patient.get("regimen") or {}
    tz_name = store.get("timezone") or raw_regimen.get("timezone") or patient.get("timezone") or "UTC"
    tz = zone(tz_name) or ZoneInfo("UTC")
    regimen = None
    try:
        start = date.fromisoformat(str(raw_regimen.get("start_date")))
        doses = {drug: str(raw_regimen[key]) for drug, key in DOSE_KEYS.items() if raw_regimen.get(key)}
        regimen = Regimen(start, doses, shared_regimen.calendar_from_json(start, raw_regimen.get("cycle_delays")))
    except ValueError:
        regimen = None
    return PatientContext(
        name=str(patient.get("display_name") or ""),
        tz=tz,
        tz_name=str(tz_name),
        regimen=regimen,
        clinic_name=str(clinic.get("name") or ""),
        clinic_phone=str(clinic.get("phone") or ""),
        plan=plan_from_json(store.get_json("reminder_plan")),
    )


@dataclass(frozen=True)
class ActiveAlert:
    """An alert in force: the server's (open or acknowledged), or the phone's own for an entry the
    server has not answered for yet."""

    id: str
    severity: str
    title: str
    advice: str
    hold_drugs: tuple[str, ...]
    status: str  # the server's status, or "local" / "local_sent"
    created_at: datetime | None


def _holds(alert: Mapping[str, Any]) -> tuple[str, ...]:
    """The drugs an alert holds now: the server's `holds_in_force` (a later reading may have lifted a
    hold the alert once called for), or its `hold_drugs` from a server that does not send them."""
    drugs = alert["holds_in_force"] if "holds_in_force" in alert else alert.get("hold_drugs")
    return tuple(d for d in drugs or () if isinstance(d, str))


def active_alerts(store: Store, now: datetime) -> list[ActiveAlert]:
    """Open or acknowledged alerts; a superseded one (history from a backlog of old readings, which
    a newer reading already contradicts) is for the care team to review, not for the patient."""
    found: list[ActiveAlert] = []
    for alert in store.alerts():
        if alert.get("status") not in OPEN_STATUSES or alert.get("superseded"):
            continue
        found.append(
            ActiveAlert(
                str(alert["id"]),
                str(alert.get("severity") or "urgent"),
                S.alert_title(str(alert.get("kind") or ""), str(alert.get("title") or "")),
                str(alert.get("patient_advice") or ""),
                _holds(alert),
                str(alert["status"]),
                _parse(alert.get("created_at")),
            )
        )
    for entry in store.entries():
        local = entry.local_alert
        if local is None or store.alert_for(entry.id) is not None:
            continue
        created = _parse(entry.created_at)
        if entry.state != PENDING and (created is None or now - created > LOCAL_ALERT_LIFETIME):
            continue
        found.append(
            ActiveAlert(
                entry.id,
                str(local.get("severity") or "urgent"),
                S.alert_title(str(local.get("kind") or ""), str(local.get("title") or "")),
                str(local.get("patient_advice") or ""),
                tuple(local.get("hold_drugs") or ()),
                "local" if entry.state == PENDING else "local_sent",
                created,
            )
        )
    found.sort(key=lambda a: (a.severity != "critical", -(a.created_at.timestamp() if a.created_at else 0)))
    return found


def held_drugs(alerts: list[ActiveAlert], store: Store | None = None) -> list[str]:
    """The drugs on hold: those of the alerts in force and, given the store, of resolved alerts whose
    hold no later reading has lifted yet (resolving an alert does not lift its hold; the server's
    holds in force say so, as the nurses' dashboard does)."""
    held: list[str] = []
    for alert in alerts:
        held.extend(d for d in alert.hold_drugs if d not in held)
    for stored in store.alerts() if store is not None else ():
        if stored.get("status") not in OPEN_STATUSES and not stored.get("superseded") and "holds_in_force" in stored:
            held.extend(d for d in _holds(stored) if d not in held)
    return held


def care_paused(store: Store) -> str:
    """ "paused" or "discharged" when the care team stopped CareLoop's reminders and alerts for this
    patient (the sync answer's `care_status`), else "" (active, or a server that does not say)."""
    status = store.get_json("care_status")
    if isinstance(status, dict) and status.get("alerts_paused") and status.get("status") in ("paused", "discharged"):
        return str(status["status"])
    return ""


def reminders_between(store: Store, start: datetime, end: datetime, now: datetime) -> list[Reminder]:
    """Reminders in `[start, end)`: the phone's own (same shared code as the server) merged with the
    ones the server last sent; a held drug's reminder says not to take it. None at all while the care
    team has paused or discharged the patient: the server sends none either."""
    ctx = load_context(store)
    if ctx.regimen is None or care_paused(store):
        return []
    phone = phone_reminders(
        plan=ctx.plan,
        start_date=ctx.regimen.calendar,
        tz=ctx.tz,
        window_start=start,
        window_end=end,
        doses_mg=ctx.regimen.doses_mg,
        held=held_drugs(active_alerts(store, now), store),
    )
    server = [r for r in server_reminders(store.get_json("reminders", []), ctx.tz) if start <= r.at < end]
    return merged(phone, server)


def _parse(text: object) -> datetime | None:
    try:
        return datetime.fromisoformat(str(text))
    except ValueError:
        return None
