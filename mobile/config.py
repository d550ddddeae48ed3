"""Where the app talks to and keeps its data, and its timing constants. Read from the environment
so `make app`, the tests and a phone build differ only in settings."""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_API = "http://127.0.0.1:8000"  # contract §1: `make app` talks to `make run` by default

# Sync timing. A new entry or a tap on the sync bar syncs at once; otherwise every SYNC_EVERY
# seconds. After a failure the next try waits BACKOFF_BASE * 2^(n-1) seconds (jittered), at most
# BACKOFF_CAP: 5 s, 10 s, 20 s ... 10 min, so a phone in a dead zone does not drain its battery.
SYNC_EVERY_S = 300.0
BACKOFF_BASE_S = 5.0
BACKOFF_CAP_S = 600.0
HTTP_TIMEOUT_S = 15.0
# Items per request. The first round of a sync sends SYNC_BATCH: a quarter of the server's
# MAX_ITEMS_PER_SYNC (2000), about 100 KB of JSON, so one request stays within HTTP_TIMEOUT on a slow
# mobile link. A round answered within FAST_ROUND_S doubles the next, up to the server's cap and
# SYNC_BATCH_BYTES of items (its body limit is 2.5 MB); one slower than SLOW_ROUND_S halves it, and
# a failed one starts again from SYNC_BATCH. So a fast link sends a backlog in a few large rounds
# (each round costs the server its answer and the phone a commit), a slow one in rounds that stay
# well within the timeout. The engine sends the rest in further rounds, up to MAX_ROUNDS in one go
# (50,000 entries: weeks offline), then again after RESUME_S.
SYNC_BATCH = 500
SYNC_BATCH_BYTES = 512 * 1024
FAST_ROUND_S = HTTP_TIMEOUT_S / 8  # the doubled round should then take about a quarter of the timeout
SLOW_ROUND_S = HTTP_TIMEOUT_S / 4
MAX_ROUNDS = 100
RESUME_S = 1.0

# Desktop window: about a phone's shape.
DESKTOP_SIZE = (420, 860)


def api_base() -> str:
    """CARELOOP_API; on a phone, which has no environment, the address `make apk` built in."""
    try:
        from mobile._built import API as built  # type: ignore[import-not-found]  # written by mobile.packaging
    except ImportError:
        built = DEFAULT_API
    return (os.environ.get("CARELOOP_API") or built).rstrip("/")


def data_dir(fallback: str | Path) -> Path:
    """CARELOOP_PHONE_DIR when set (desktop runs and tests), else the platform's app data folder."""
    chosen = Path(os.environ.get("CARELOOP_PHONE_DIR") or fallback)
    chosen.mkdir(parents=True, exist_ok=True)
    return chosen
