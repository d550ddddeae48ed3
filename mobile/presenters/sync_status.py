"""The sync bar shown on every screen: how many entries wait, when the last sync succeeded, and the
last error, in words and an icon."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from mobile import strings as S
from mobile.sync import SyncStatus


@dataclass(frozen=True)
class SyncLine:
    level: str  # ok, waiting, sending, error
    icon: str
    text: str
    detail: str  # the last error, and when the next try is; "" when all is well


def sync_line(status: SyncStatus, now: datetime, tz: ZoneInfo) -> SyncLine:
    today = now.astimezone(tz).date()
    last = S.sync_last_ok(S.when(status.last_ok.astimezone(tz), today)) if status.last_ok else S.SYNC_NEVER
    detail = status.last_error or ""
    if detail and status.retry_at is not None:
        detail = f"{detail} {S.sync_retry_in(int((status.retry_at - now).total_seconds()))}"
    # Red only when the patient must act (this phone was disconnected); waiting is amber: nothing is lost.
    if status.signed_out:
        return SyncLine("error", S.ICON_CRITICAL, S.SYNC_ERROR_SIGNED_OUT, "")
    if status.running:
        return SyncLine("sending", S.ICON_SYNC, f"{S.SYNC_SENDING} · {last}", detail)
    if status.pending:
        return SyncLine("waiting", S.ICON_WAITING, f"{S.sync_waiting(status.pending)} · {last}", detail or S.SYNC_TAP)
    if status.last_error:
        return SyncLine("waiting", S.ICON_INFO, last, detail)
    return SyncLine("ok", S.ICON_OK, f"{S.SYNC_ALL_SENT} · {last}" if status.last_ok else last, "")
