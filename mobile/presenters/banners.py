"""The banners shown at the top of Today (and the critical one on every result screen): what is in
force right now, most serious first. Each has a word title and an icon, never colour alone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from mobile import strings as S
from mobile.presenters.context import ActiveAlert, PatientContext, active_alerts, held_drugs
from mobile.store import Store

CRITICAL = "critical"
HOLD = "hold"
URGENT = "urgent"
INFO = "info"
OK = "ok"

ICONS = {CRITICAL: S.ICON_CRITICAL, HOLD: S.ICON_HOLD, URGENT: S.ICON_URGENT, INFO: S.ICON_INFO, OK: S.ICON_OK}


@dataclass(frozen=True)
class Banner:
    level: str  # critical, hold, urgent, info
    title: str
    text: str
    action: str = ""  # "call", "messages" or "" (none)
    action_text: str = ""

    @property
    def icon(self) -> str:
        return ICONS[self.level]


def status_text(status: str) -> str:
    return {
        "open": S.STATUS_OPEN,
        "acknowledged": S.STATUS_ACKNOWLEDGED,
        "resolved": S.STATUS_RESOLVED,
        "local": S.STATUS_LOCAL,
        "local_sent": S.STATUS_LOCAL_SENT,
    }.get(status, "")


def without_call_now(advice: str) -> str:
    """The advice after its opening "Call your care team now.", which the banner's title says."""
    text = S.tr(advice)
    lead = f"{S.CALL_NOW}."
    return text[len(lead) :].lstrip() if text.startswith(lead) else text


def call_banner(ctx: PatientContext, advice: str) -> Banner:
    return Banner(CRITICAL, S.CALL_NOW, without_call_now(advice), "call", S.call_button(ctx.clinic_phone))


def banners(store: Store, ctx: PatientContext, now: datetime) -> list[Banner]:
    found: list[Banner] = []
    if store.get("signed_out"):
        found.append(Banner(CRITICAL, S.SYNC_ERROR_SIGNED_OUT, "", "call", S.call_button(ctx.clinic_phone)))
    alerts: list[ActiveAlert] = active_alerts(store, now)
    critical = [a for a in alerts if a.severity == CRITICAL]
    if critical:
        found.append(call_banner(ctx, critical[0].advice))
    held = held_drugs(alerts, store)
    if held:
        found.append(Banner(HOLD, S.hold_title(held), S.HOLD_TEXT))
    others = [a for a in alerts if a.severity != CRITICAL]
    if others:
        first = others[0]
        text = f"{first.title}. {status_text(first.status)}"
        found.append(Banner(URGENT, S.ALERT_OPEN_TITLE, text, "messages", S.SEE_MESSAGES))
    rejected = store.rejected()
    if rejected:
        found.append(
            Banner(INFO, S.REJECTED_BANNER_TITLE, S.rejected_banner(len(rejected)), "messages", S.SEE_MESSAGES)
        )
    return found
