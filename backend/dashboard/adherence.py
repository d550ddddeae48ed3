"""The patient page's adherence table: doses taken of those due, per drug, this cycle and the one before."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from backend.patients.models import Patient
from backend.reminders.selectors import adherence_for
from shared import regimen


@dataclass(frozen=True)
class AdherenceCell:
    """One drug in one cycle: doses taken of those already due (today's pending ones left out)."""

    taken: int
    due: int
    missed: int
    late: int
    skipped: int
    vomited: int

    @property
    def percent(self) -> int | None:
        return round(100 * self.taken / self.due) if self.due else None


@dataclass(frozen=True)
class AdherenceRow:
    drug: str
    cells: tuple[AdherenceCell | None, ...]  # one per shown cycle, newest first


@dataclass(frozen=True)
class Adherence:
    cycles: tuple[int, ...]  # newest first
    rows: tuple[AdherenceRow, ...]


def adherence_recent(
    *, patient: Patient, now: datetime, calendar: regimen.Calendar | None = None, cycles: int = 2
) -> Adherence:
    """This cycle and the one before, per drug, from the shared adherence service
    (backend.reminders.selectors.adherence_for: two queries, three without the patient's calendar)."""
    tallies = adherence_for(patient=patient, now=now, calendar=calendar)
    shown = tuple(sorted({t.cycle for t in tallies}, reverse=True)[:cycles])
    cells = {
        (t.cycle, t.drug): AdherenceCell(t.taken, t.scheduled - t.pending, t.missed, t.late, t.skipped, t.vomited)
        for t in tallies
        if t.cycle in shown
    }
    drugs = list(dict.fromkeys(t.drug for t in tallies))
    return Adherence(shown, tuple(AdherenceRow(d, tuple(cells.get((c, d)) for c in shown)) for d in drugs))
