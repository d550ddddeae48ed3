"""Is a patient ready for day 1 of the next cycle? The label's criteria, each met or not, with the
value and date behind it, for the nurse's "Cycle start" list.

NINLARO USPI §2.2 (ninlarohcp.com "Dose modifications", read 2026-12; reference.md §1.1 [V]):
prior to initiating a new cycle, do a complete blood count and ensure ANC ≥ 1,000/mm³ and
platelets ≥ 75,000/mm³, and that non-hematologic toxicities have generally recovered to the
patient's baseline condition or grade 1 or lower. The counts are judged by
``shared.regimen.cycle_start_gate``; the last criterion is the prescriber's call, so it is shown
as "met" only when no such toxicity above grade 1 was reported, and never decides alone.

Pure standard library; never reads the clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Final

from shared.count_trends import CYCLE_START_LAB_WINDOW_DAYS, Count
from shared.regimen import CYCLE_START_MIN_ANC, CYCLE_START_MIN_PLATELETS, cycle_start_gate

__all__ = [
    "LABS_DUE_DAYS_BEFORE",
    "Criterion",
    "Readiness",
    "Toxicity",
    "count_for_cycle_start",
    "cycle_readiness",
]

#: From this many days before day 1 the nurse sees the patient in "Cycle start", and missing
#: counts raise a task for the nurse and a reminder to the patient (issue 13 §3).
LABS_DUE_DAYS_BEFORE: Final[int] = 3


@dataclass(frozen=True)
class Toxicity:
    """The latest grade of one non-hematologic toxicity (a symptom, or a liver or kidney value)."""

    name: str
    grade: int
    on: date


@dataclass(frozen=True)
class Criterion:
    key: str  # "anc", "platelets", "non_hematologic"
    label: str
    met: bool
    value: str  # what was found, e.g. "1.2 ×10⁹/L" or "none in the window"
    on: date | None
    note: str = ""


@dataclass(frozen=True)
class Readiness:
    cycle: int
    day1: date
    criteria: tuple[Criterion, ...]

    @property
    def ready(self) -> bool:
        return all(c.met for c in self.criteria)

    @property
    def counts_missing(self) -> bool:
        """No ANC or no platelet count for this cycle start yet."""
        return any(c.key in ("anc", "platelets") and c.on is None for c in self.criteria)


def count_for_cycle_start(counts: Iterable[Count], day1: date) -> Count | None:
    """The count a cycle starts on: the latest drawn in the rest week before ``day1`` or on it (on
    one date with two, the lower)."""
    window = [c for c in counts if day1 - timedelta(days=CYCLE_START_LAB_WINDOW_DAYS) <= c.on <= day1]
    if not window:
        return None
    return min(window, key=lambda c: (-c.on.toordinal(), c.value))


def cycle_readiness(
    *, cycle: int, day1: date, anc: Count | None, platelets: Count | None, toxicities: Sequence[Toxicity]
) -> Readiness:
    """The label's three criteria for starting ``cycle`` on ``day1``. ``anc`` and ``platelets`` are
    the counts for this start (``count_for_cycle_start``); ``toxicities`` the latest grade of each
    non-hematologic toxicity reported since the cycle before began."""
    return Readiness(
        cycle,
        day1,
        (
            _count("anc", "ANC ≥ 1.0 ×10⁹/L", anc, CYCLE_START_MIN_ANC),
            _count("platelets", "Platelets ≥ 75 ×10⁹/L", platelets, CYCLE_START_MIN_PLATELETS),
            _non_hematologic(toxicities),
        ),
    )


def _count(key: str, label: str, count: Count | None, minimum: Decimal) -> Criterion:
    if count is None:
        window = f"none in the {CYCLE_START_LAB_WINDOW_DAYS} days before day 1"
        return Criterion(key, label, False, window, None, "blood count needed")
    value = f"{_fmt(count.value)} ×10⁹/L"
    try:
        if key == "anc":
            gate = cycle_start_gate(anc=count.value, platelets=None)
        else:
            gate = cycle_start_gate(anc=None, platelets=count.value)
    except ValueError:  # implausible in ×10⁹/L: most likely typed per mm³
        return Criterion(key, label, False, value, count.on, "implausible value: check the unit")
    met = gate.anc_met if key == "anc" else gate.platelets_met
    return Criterion(key, label, met, value, count.on, "" if met else f"below {_fmt(minimum)}")


def _non_hematologic(toxicities: Sequence[Toxicity]) -> Criterion:
    label = "Other toxicity grade ≤ 1 or baseline"
    above = sorted((t for t in toxicities if t.grade >= 2), key=lambda t: (-t.grade, t.on, t.name))
    if not above:
        return Criterion("non_hematologic", label, True, "none above grade 1 reported", None)
    worst = above[0]
    value = "; ".join(f"{t.name} grade {t.grade}" for t in above)
    return Criterion(
        "non_hematologic", label, False, value, worst.on, "back to the patient's baseline? the care team decides"
    )


def _fmt(value: Decimal) -> str:
    return format(value.normalize(), "f")
