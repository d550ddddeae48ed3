"""Fixtures for the phone app's headless tests: a store on disk, a fixed clock, an enrolled phone.
Nothing here imports Kivy: these tests need no display."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from mobile.journal import Journal
from mobile.store import Store

NY = ZoneInfo("America/New_York")
START = date(2026, 11, 1)  # cycle 1 day 1, a Sunday
# Cycle 1 day 15 (ixazomib, lenalidomide and dexamethasone are due), 19:30 in New York.
NOW = datetime(2026, 11, 15, 19, 30, tzinfo=NY)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def enrolled(store: Store, *, start: date = START, tz: str = "America/New_York", phone: str = "+1 555 0100") -> None:
    regimen: dict[str, Any] = {
        "start_date": start.isoformat(),
        "ixazomib_mg": "4",
        "lenalidomide_mg": "25",
        "dexamethasone_mg": "40",
        "timezone": tz,
    }
    store.save_enrollment(
        token="t0ken",
        patient={"id": "p-1", "display_name": "Pat Doe", "timezone": tz, "regimen": regimen},
        clinic={"name": "Riverside Oncology", "phone": phone},
    )


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store(tmp_path / "phone.sqlite3")
    enrolled(opened)
    yield opened
    opened.close()


@pytest.fixture
def new_entries() -> list[int]:
    """How many times the journal asked for a sync."""
    return []


@pytest.fixture
def journal(store: Store, clock: Clock, new_entries: list[int]) -> Journal:
    return Journal(store, now=clock, on_new_entry=lambda: new_entries.append(1))
