"""Settings: reminder times, time zone, text size, the clinic's number, and signing out (which
wipes this phone, after a warning when entries have not been sent)."""

from __future__ import annotations

from dataclasses import dataclass

from mobile import strings as S
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
class SettingsView:
    times: list[TimeRow]
    timezone: str
    timezones: list[str]
    text_scale: int
    clinic_name: str
    clinic_phone: str
    pending: int


def text_scale_index(store: Store) -> int:
    try:
        return max(0, min(len(TEXT_SCALES) - 1, int(store.get("text_scale") or 0)))
    except ValueError:
        return 0


class SettingsPresenter:
    def __init__(self, store: Store) -> None:
        self.store = store

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
        )

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
