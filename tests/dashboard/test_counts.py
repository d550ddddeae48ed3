"""The queue's version, read back: the moment the screen had seen."""

from __future__ import annotations

from datetime import UTC, datetime

from backend.dashboard.counts import version_time


def test_a_version_tells_the_moment_the_screen_had_seen() -> None:
    assert version_time("1763640000.000000-4") == datetime(2025, 11, 20, 12, tzinfo=UTC)
    assert version_time("0.000000-0") is None and version_time("garbage") is None
