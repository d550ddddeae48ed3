"""Messages: the patient's alerts with what the care team has done about them, entries the server
refused with its reasons (never dropped silently), what is coming up, and the inbox."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from mobile import strings as S
from mobile.presenters.banners import CRITICAL, ICONS, OK, URGENT, status_text
from mobile.presenters.context import active_alerts, load_context, reminders_between
from mobile.presenters.lab import unit_label
from mobile.store import Entry, Store

UPCOMING_DAYS = 7
UPCOMING_MAX = 6
# Wire field names a patient would not know, in words; the rest of a reason is the server's text.


@dataclass(frozen=True)
class AlertRow:
    level: str
    icon: str
    title: str
    advice: str
    status: str
    when: str
    seen: bool  # the care team acknowledged or resolved it


@dataclass(frozen=True)
class RejectedRow:
    entry_id: str
    what: str
    reasons: str


@dataclass(frozen=True)
class InboxRow:
    title: str
    body: str
    when: str
    unread: bool


@dataclass(frozen=True)
class MessagesView:
    alerts: list[AlertRow]
    rejected: list[RejectedRow]
    upcoming: list[tuple[str, str]]


def describe(entry: Entry) -> str:
    item = entry.item
    if entry.section == "lab_results":
        analyte = str(item.get("analyte"))
        name = S.ANALYTE_NAMES.get(analyte, analyte)
        unit = unit_label(analyte, str(item.get("unit"))) if analyte in S.ANALYTE_NAMES else str(item.get("unit"))
        return f"{name} {item.get('value')} {unit}"
    if entry.section == "symptom_reports":
        return S.SYMPTOM_NAMES.get(str(item.get("symptom")), str(item.get("symptom")))
    drug = S.DRUG_NAMES.get(str(item.get("drug")), str(item.get("drug")))
    return f"{drug}: {S.STATUS_WORDS.get(str(item.get('status')), str(item.get('status')))}"


def reasons(errors: Mapping[str, Any] | None) -> str:
    parts: list[str] = []
    for field, messages in (errors or {}).items():
        texts = messages if isinstance(messages, list) else [messages]
        words = S.FIELD_WORDS.get(field.split(".")[-1], "")
        for text in texts:
            parts.append(f"{words.capitalize()}: {S.tr(str(text))}" if words else S.tr(str(text)))
    return " ".join(parts)


class MessagesPresenter:
    def __init__(self, store: Store) -> None:
        self.store = store

    def view(self, now: datetime) -> MessagesView:
        ctx = load_context(self.store)
        today = now.astimezone(ctx.tz).date()
        rows: list[AlertRow] = []
        local = [a for a in active_alerts(self.store, now) if a.status.startswith("local")]
        for mine in local:
            level = CRITICAL if mine.severity == CRITICAL else URGENT
            when = S.when(mine.created_at.astimezone(ctx.tz), today) if mine.created_at else ""
            rows.append(
                AlertRow(level, _icon(level), mine.title, S.tr(mine.advice), status_text(mine.status), when, False)
            )
        for alert in self.store.alerts():
            if alert.get("superseded"):  # history from a backlog of old readings: the care team's to review
                continue
            status = str(alert.get("status") or "open")
            level = CRITICAL if alert.get("severity") == CRITICAL else URGENT
            if status == "resolved":
                level = OK
            created = _parse(alert.get("created_at"))
            rows.append(
                AlertRow(
                    level,
                    _icon(level),
                    S.alert_title(str(alert.get("kind") or ""), str(alert.get("title") or "")),
                    "" if status == "resolved" else S.tr(str(alert.get("patient_advice") or "")),
                    status_text(status),
                    S.when(created.astimezone(ctx.tz), today) if created else "",
                    status in ("acknowledged", "resolved"),
                )
            )
        rejected = []
        for e in self.store.rejected():
            entered = S.when((_parse(e.created_at) or now).astimezone(ctx.tz), today)
            rejected.append(RejectedRow(e.id, S.rejected_what(describe(e), entered), reasons(e.errors)))
        found = reminders_between(self.store, now, now + timedelta(days=UPCOMING_DAYS), now)
        upcoming = [(S.when(r.at, today), r.title) for r in found[:UPCOMING_MAX]]
        return MessagesView(rows, rejected, upcoming)

    def dismiss(self, entry_id: str) -> None:
        self.store.dismiss(entry_id)

    def inbox(self, rows: list[dict[str, Any]], now: datetime) -> list[InboxRow]:
        ctx = load_context(self.store)
        today = now.astimezone(ctx.tz).date()
        found: list[InboxRow] = []
        for row in rows:
            created = _parse(row.get("created_at"))
            found.append(
                InboxRow(
                    S.tr(str(row.get("title") or "")),
                    S.tr(str(row.get("body") or "")),
                    S.when(created.astimezone(ctx.tz), today) if created else "",
                    not bool(row.get("read")),
                )
            )
        return found


def _icon(level: str) -> str:
    return ICONS[level]


def _parse(text: object) -> datetime | None:
    try:
        return datetime.fromisoformat(str(text))
    except ValueError:
        return None
