"""The banners shown at the top of Today (and the critical one on every result screen): what is in
force right now, most serious first. Each has a word title and an icon, never colour alone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from mobile import strings as S
from mobile.presenters.context import ActiveAlert, PatientContext, active_alerts, care_paused, held_drugs
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


# The myeloma response tests are shown from this many days before their day 1 (issue 14: SPEP, UPEP
# and FLC every cycle early on, then every one to three cycles; the server says which cycle).
TEST_NOTICE = timedelta(days=3)
TEST_OVERDUE = timedelta(days=7)


def response_test_banner(store: Store, today: date) -> Banner | None:
    """The next SPEP/UPEP/FLC draw from the response answer the last sync kept, once it is near."""
    answer = store.get_json("response")
    test = answer.get("next_test") if isinstance(answer, dict) else None
    if not isinstance(test, dict):
        return None
    try:
        due, cycle = date.fromisoformat(str(test.get("due"))), int(test.get("cycle"))
    except (TypeError, ValueError):
        return None
    day = f"{due.day} {S.MONTHS[due.month - 1]}"
    if today > due + TEST_OVERDUE:
        return Banner(INFO, S.RESPONSE_TEST_TITLE, S.response_test_overdue(day), "response", S.RESPONSE_OPEN)
    if today >= due - TEST_NOTICE:
        return Banner(INFO, S.RESPONSE_TEST_TITLE, S.response_test_due(cycle, day), "response", S.RESPONSE_OPEN)
    return None


def banners(store: Store, ctx: PatientContext, now: datetime) -> list[Banner]:
    found: list[Banner] = []
    if store.get("signed_out"):
        found.append(Banner(CRITICAL, S.SYNC_ERROR_SIGNED_OUT, "", "call", S.call_button(ctx.clinic_phone)))
    paused = care_paused(store)
    if paused:
        text = S.CARE_DISCHARGED_TEXT if paused == "discharged" else S.CARE_PAUSED_TEXT
        found.append(Banner(URGENT, S.CARE_PAUSED_TITLE, text, "call", S.call_button(ctx.clinic_phone)))
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
    test = response_test_banner(store, now.astimezone(ctx.tz).date())
    if test is not None:
        found.append(test)
    rejected = store.rejected()
    if rejected:
        found.append(
            Banner(INFO, S.REJECTED_BANNER_TITLE, S.rejected_banner(len(rejected)), "messages", S.SEE_MESSAGES)
        )
    return found
