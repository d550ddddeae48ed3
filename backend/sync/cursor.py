"""The sync cursor: an opaque marker of what the phone has already seen of server-side changes.

It encodes a time. Each sync returns the patient's alerts changed since that time, less an overlap
that covers transactions which were still open when the cursor was issued; the phone upserts by
id, so the overlap only costs a few repeated rows.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from backend.core.errors import ApplicationError

OVERLAP = timedelta(minutes=2)
_PREFIX = "c1."


def cursor_encode(moment: datetime) -> str:
    return f"{_PREFIX}{int(moment.timestamp() * 1_000_000)}"


def cursor_decode(raw: object) -> datetime | None:
    if raw is None or raw == "":
        return None
    if not isinstance(raw, str) or not raw.startswith(_PREFIX):
        raise ApplicationError({"cursor": ["Not a cursor this server issued: send null to start over."]})
    try:
        micros = int(raw[len(_PREFIX) :])
        return datetime.fromtimestamp(micros / 1_000_000, tz=UTC) - OVERLAP
    except (ValueError, OverflowError, OSError) as exc:
        raise ApplicationError({"cursor": ["Not a cursor this server issued: send null to start over."]}) from exc
