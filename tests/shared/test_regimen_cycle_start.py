"""The next day 1, and the gate's verdict on each count (NINLARO USPI §2.2)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from shared.regimen import CycleDay, cycle_start_gate, next_cycle_start

START = date(2026, 1, 5)


@pytest.mark.parametrize(
    ("offset", "cycle"),
    [(-10, 1), (0, 1), (1, 2), (27, 2), (28, 2), (29, 3)],
)
def test_the_next_day_1_is_today_on_a_day_1_else_the_following_cycle(offset: int, cycle: int) -> None:
    assert next_cycle_start(START, START + timedelta(days=offset)) == CycleDay(cycle, 1)


@pytest.mark.parametrize(
    ("anc", "met"), [(Decimal("0.99"), False), (Decimal("1.0"), True), (Decimal("1.01"), True), (None, False)]
)
def test_the_gate_says_whether_the_anc_is_met(anc: Decimal | None, met: bool) -> None:
    assert cycle_start_gate(anc=anc, platelets=None).anc_met is met


@pytest.mark.parametrize(
    ("platelets", "met"), [(Decimal("74.9"), False), (Decimal(75), True), (Decimal("75.1"), True), (None, False)]
)
def test_the_gate_says_whether_the_platelets_are_met(platelets: Decimal | None, met: bool) -> None:
    assert cycle_start_gate(anc=None, platelets=platelets).platelets_met is met
