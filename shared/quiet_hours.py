"""Quiet hours: wall-clock times in a person's own zone during which non-critical messages wait.

Pure and clock-free, so the server (outside channels) and the phone (local reminders) agree.
DST-safe: the end of a quiet period is computed as a local wall time with `zoneinfo`; a time that
does not exist on a spring-forward night is moved past the gap.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo


def _in_window(local: time, start: time, end: time) -> bool:
    if start == end:
        return False
    if start < end:
        return start <= local < end
    return local >= start or local < end  # overnight, e.g. 22:00–07:00


def _existing(local: datetime) -> datetime:
    """`local` if it exists in its zone; else the same wall time moved past the DST gap."""
    round_trip = local.astimezone(UTC).astimezone(local.tzinfo)
    return round_trip if round_trip.replace(tzinfo=None) != local.replace(tzinfo=None) else local


def quiet_until(now: datetime, start: time | None, end: time | None, zone: ZoneInfo) -> datetime | None:
    """When the quiet period containing `now` ends (aware, UTC), or None if `now` is not quiet."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if start is None or end is None:
        return None
    local = now.astimezone(zone)
    if not _in_window(local.time().replace(tzinfo=None), start, end):
        return None
    day = local.date() if local.time() < end else local.date() + timedelta(days=1)
    return _existing(datetime.combine(day, end, tzinfo=zone)).astimezone(UTC)
