"""Settings: reminder times, time zone, text size, the clinic's number, and signing out (which
wipes this phone, after a warning when entries have not been sent).

Time zone: the server reminds (and counts regimen days) in the zone it holds for the patient. When
the phone is set to another zone (the person travelled or moved), say so and offer to move the
server's zone: that needs a connection and is never queued, so nobody believes it happened."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from mobile import strings as S
from mobile.api import ApiError, Unreachable
from mobile.presenters.context import load_context, zone
from mobile.reminders import ReminderPlanError, plan_to_json, shifted
from mobile.store import Store

TEXT_SCALES = (1.0, 1.2, 1.4)
STEP_MINUTES = 30
COMMON_ZONES = (
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Phoenix",
    "America/Los_Angeles",
    "America/Anchorage",
    "Pacific/Honolulu",
    "America/Toronto",
    "Europe/London",
    "Europe/Paris",
    "Europe/Berlin",
    "Australia/Sydney",
    "UTC",
)


@dataclass(frozen=True)
class TimeRow:
    key: str  # the plan field, or "antiviral_times:N"
    label: str
    time_text: str


@dataclass(frozen=True)
class ZoneMismatch:
    """The server's zone for the patient is not the one the phone is set to now."""

    server_zone: str
    device_zone: str

    @property
    def text(self) -> str:
        return S.zone_mismatch(self.server_zone, self.device_zone)

    @property
    def button(self) -> str:
        return S.zone_use(self.device_zone)


@dataclass(frozen=True)
class SettingsView:
    times: list[TimeRow]
    timezone: str
    timezones: list[str]
    text_scale: int
    clinic_name: str
    clinic_phone: str
    pending: int
    zone_mismatch: ZoneMismatch | None = None


def text_scale_index(store: Store) -> int:
    try:
        return max(0, min(len(TEXT_SCALES) - 1, int(store.get("text_scale") or 0)))
    except ValueError:
        return 0


def _real_zone(name: object) -> str | None:
    """An IANA zone a person can be in. Etc/UTC and the like are what a device without a zone set
    reports (emulators, desktops), not a place: never worth a question."""
    if not isinstance(name, str) or name in ("UTC", "GMT") or name.startswith("Etc/") or zone(name) is None:
        return None
    return name


class SettingsPresenter:
    def __init__(self, store: Store, device_zone: Callable[[], str | None] = lambda: None) -> None:
        self.store = store
        self.device_zone = device_zone

    def view(self) -> SettingsView:
        ctx = load_context(self.store)
        plan = ctx.plan
        rows = [
            TimeRow(f"{drug}_time", S.DRUG_NAMES[drug], getattr(plan, f"{drug}_time").strftime("%H:%M"))
            for drug in ("ixazomib", "lenalidomide", "dexamethasone")
        ]
        antiviral = plan.antiviral_drug or S.DRUG_NAMES["antiviral"]
        rows += [
            TimeRow(f"antiviral_times:{i}", antiviral, at.strftime("%H:%M"))
            for i, at in enumerate(plan.antiviral_times)
        ]
        rows.append(TimeRow("lab_draw_time", S.SETTINGS_LAB_TIME, plan.lab_draw_time.strftime("%H:%M")))
        zones = [ctx.tz_name] + [z for z in COMMON_ZONES if z != ctx.tz_name]
        return SettingsView(
            rows,
            ctx.tz_name,
            zones,
            text_scale_index(self.store),
            ctx.clinic_name,
            ctx.clinic_phone,
            self.store.pending_count(),
            self.zone_mismatch(),
        )

    def server_zone(self) -> str:
        """The zone the server reminds in, as its last sync (or the enrollment) said."""
        regimen: Mapping[str, Any] = self.store.get_json("regimen", {}) or {}
        patient: Mapping[str, Any] = self.store.get_json("patient", {}) or {}
        return str(regimen.get("timezone") or patient.get("timezone") or "")

    def zone_mismatch(self) -> ZoneMismatch | None:
        server, device = self.server_zone(), _real_zone(self.device_zone())
        if not server or device is None or device == server:
            return None
        return ZoneMismatch(server, device)

    def zone_moved(self, answer: Mapping[str, Any]) -> str:
        """The server took the new zone (PATCH /me/ answered with the profile): keep what it says,
        so the phone's own reminders and the regimen day follow it at once. What to tell the person."""
        moved = str(answer.get("timezone") or "")
        if zone(moved) is None:
            return S.SETTINGS_ZONE_UNAVAILABLE
        regimen = answer.get("regimen")
        if not isinstance(regimen, Mapping):
            regimen = (self.store.get_json("regimen", {}) or {}) | {"timezone": moved}
        patient = (self.store.get_json("patient", {}) or {}) | {"timezone": moved}
        self.store.put_many(
            {
                "regimen": json.dumps(dict(regimen), sort_keys=True),
                "patient": json.dumps(patient, sort_keys=True),
                "timezone": moved,  # the phone's own reminders follow the server's zone again
            }
        )
        return S.zone_moved(moved)

    @staticmethod
    def zone_error(exc: Exception) -> str:
        """Why the zone did not change, in plain words; offline says it needs a connection."""
        if isinstance(exc, Unreachable):
            return S.SETTINGS_ZONE_OFFLINE
        if isinstance(exc, ApiError):
            return " ".join(S.tr(m) for reasons in exc.errors.values() for m in reasons) or S.SETTINGS_ZONE_UNAVAILABLE
        return S.SETTINGS_ZONE_UNAVAILABLE

    def shift_time(self, key: str, minutes: int) -> str:
        """Moves one reminder time; '' when done, else why it cannot be (the shared plan's reason,
        e.g. ixazomib too close to dexamethasone). The change reaches the server with the next sync."""
        try:
            plan = shifted(load_context(self.store).plan, key, minutes)
        except ReminderPlanError as exc:
            return S.tr(exc.message)
        self.store.put_json("reminder_plan", plan_to_json(plan))
        self.store.put("reminder_plan_dirty", str(int(self.store.get("reminder_plan_dirty") or 0) + 1))
        return ""

    def set_timezone(self, name: str) -> bool:
        if zone(name) is None:
            return False
        self.store.put("timezone", name)
        return True

    def set_text_scale(self, index: int) -> float:
        index = max(0, min(len(TEXT_SCALES) - 1, index))
        self.store.put("text_scale", str(index))
        return TEXT_SCALES[index]

    def sign_out_warning(self) -> str:
        """What to say before wiping: stronger when entries would be lost."""
        pending = self.store.pending_count()
        return f"{S.unsent_warning(pending)} {S.SETTINGS_SIGN_OUT_WARNING}" if pending else S.SETTINGS_SIGN_OUT_WARNING
