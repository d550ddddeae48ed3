"""Fixtures for the reminder specifications: patients enrolled at a chosen moment, clocks moved
with time_machine (tick=False: time stands still unless a test moves it)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

import pytest

from tests.backend.reminders.support import enroll_at
from tests.factories import EnrolledPatient, Person


@pytest.fixture
def pat(nurse: Person, clock: Callable[[datetime], None]) -> EnrolledPatient:
    """Pat, in New York, cycle 1 day 1 on Sun 1 Nov 2026, phone enrolled on 31 Oct."""
    return enroll_at(nurse, clock, "America/New_York", date(2026, 11, 1))
