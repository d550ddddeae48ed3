"""Three demo patients who each show one of issue 13's clinical rules on the nurse's screens:

* Ruth Adler: a creatinine of 2.2 mg/dL against her own baseline of 0.7 (the last value before cycle
  1 day 1). By the ULN alone it is grade 2; CTCAE's "> 3.0 × baseline" makes it grade 3, the label's
  "other non-hematologic grade 3" hold of ixazomib, and the alert says which rule gave the grade.
* Omar Haddad: cycle 3 starts in 3 days and no blood count has come in since day 15 (he missed the day
  22 draw): he is on the Cycle start list with the counts not met, his nurse has a task and he a
  reminder (backend.reminders.cycle_labs).
* Grace Okafor: her platelets fell from 212 to 98 ×10⁹/L in cycle 1 (-54%, and falling towards the
  label's hold of 30 before her next ixazomib day): an urgent early warning that holds nothing and
  asks for a re-check (backend.alerts.checks.early_warning_check).

Their readings go through the same path as a phone's (sync ingest, then grading); the task and the
warning through the periodic checks the beat runs. Ids are uuid5, so seeding twice changes nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction

from backend.accounts.models import Clinic
from backend.alerts.checks import early_warning_check
from backend.alerts.grading import readings_grade
from backend.patients.models import Patient
from backend.records.services import sync_ingest
from backend.reminders.cycle_labs import cycle_labs_check
from shared import regimen

_NS = uuid.UUID("0b1e5c0e-5a0c-4c2e-9d1a-13c15a1e0013")

#: Lab values by treatment day (1 = cycle 1 day 1; 0 or less: before it), analyte -> (value, unit).
Draws = tuple[tuple[int, dict[str, tuple[float, str]]], ...]


def _cbc(platelets: float, anc: float, wbc: float, hemoglobin: float) -> dict[str, tuple[float, str]]:
    return {
        "platelets": (platelets, "10^9/L"),
        "anc": (anc, "10^9/L"),
        "wbc": (wbc, "10^9/L"),
        "hemoglobin": (hemoglobin, "g/dL"),
    }


@dataclass(frozen=True)
class Showcase:
    name: str
    tz: str
    sex: str
    days_on_treatment: int  # today is treatment day days_on_treatment + 1
    draws: Draws


CREATININE_RISE = Showcase(
    "Ruth Adler",
    "America/Denver",
    "female",
    40,  # cycle 2 day 13
    (
        (-4, {"creatinine": (0.7, "mg/dL")} | _cbc(228, 3.6, 6.1, 12.4)),  # her baseline
        (8, {"creatinine": (0.8, "mg/dL")} | _cbc(171, 2.6, 4.9, 12.1)),
        (15, {"creatinine": (0.9, "mg/dL")} | _cbc(139, 2.1, 4.2, 11.8)),
        (29, {"creatinine": (1.0, "mg/dL")} | _cbc(205, 3.1, 5.6, 12.0)),
        (40, {"creatinine": (2.2, "mg/dL")} | _cbc(183, 2.8, 5.2, 11.6)),  # yesterday: > 3 × baseline
    ),
)
CYCLE_START_LABS = Showcase(
    "Omar Haddad",
    "America/Los_Angeles",
    "male",
    53,  # cycle 2 day 26: cycle 3 day 1 is in 3 days
    (
        (1, _cbc(236, 3.9, 6.6, 14.2)),
        (8, _cbc(180, 2.9, 5.3, 13.9)),
        (15, _cbc(142, 2.2, 4.6, 13.6)),
        (22, _cbc(128, 1.9, 4.1, 13.5)),
        (29, _cbc(214, 3.5, 6.1, 13.8)),
        (36, _cbc(169, 2.7, 5.0, 13.7)),
        (43, _cbc(137, 2.0, 4.4, 13.4)),
        # Day 50 (cycle 2 day 22): the draw he missed.
    ),
)
FALLING_PLATELETS = Showcase(
    "Grace Okafor",
    "Europe/Berlin",
    "female",
    15,  # cycle 1 day 16
    (
        (1, _cbc(212, 3.4, 6.0, 12.6)),
        (8, _cbc(151, 2.9, 5.2, 12.3)),
        (15, _cbc(98, 2.5, 4.6, 12.1)),  # yesterday: -54% from day 1, still above the hold
    ),
)
SHOWCASES = (CREATININE_RISE, CYCLE_START_LABS, FALLING_PLATELETS)


def _id(*parts: object) -> str:
    return str(uuid.uuid5(_NS, "/".join(str(p) for p in parts)))


def _on(start: date, treatment_day: int) -> date:
    return start + timedelta(days=treatment_day - 1)


def _items(s: Showcase, start: date, today: date) -> Iterator[tuple[str, dict[str, Any]]]:
    tz = ZoneInfo(s.tz)
    for treatment_day, values in s.draws:
        at = datetime.combine(_on(start, treatment_day), time(8), tzinfo=tz).isoformat()
        for analyte, (value, unit) in values.items():
            item = {"analyte": analyte, "value": value, "unit": unit, "collected_at": at}
            yield "lab_results", {"id": _id(s.name, treatment_day, analyte), **item}
    day = start
    while day < today:  # every dose taken, at 09:00 (ixazomib at 22:00, the antiviral at 20:00)
        for drug in (*regimen.drugs_due(start, day), regimen.Drug.ANTIVIRAL):
            hour = {regimen.Drug.IXAZOMIB: 22, regimen.Drug.ANTIVIRAL: 20}.get(drug, 9)
            taken_at = datetime.combine(day, time(hour), tzinfo=tz).isoformat()
            yield (
                "dose_logs",
                {"id": _id(s.name, day, drug.value), "drug": drug.value, "status": "taken", "taken_at": taken_at},
            )
        day += timedelta(days=1)


def showcase_patient(clinic: Clinic, s: Showcase, now: datetime) -> tuple[Patient, int]:
    """The patient (made once) with their readings ingested and graded; the alerts grading raised."""
    today = now.astimezone(ZoneInfo(s.tz)).date()
    with transaction.atomic():
        patient = Patient.objects.filter(clinic=clinic, display_name=s.name).first()
        if patient is None:
            patient = Patient.objects.create(
                clinic=clinic,
                display_name=s.name,
                timezone=s.tz,
                sex=s.sex,
                start_date=today - timedelta(days=s.days_on_treatment),
                ixazomib_mg=Decimal(4),
                lenalidomide_mg=Decimal(25),
                dexamethasone_mg=Decimal(40),
            )
        sections: dict[str, list[Any]] = {"lab_results": [], "symptom_reports": [], "dose_logs": []}
        for section, item in _items(s, patient.start_date, today):
            sections[section].append(item)
        result = sync_ingest(patient=patient, sections=sections, now=now)
        if result.rejected:
            raise RuntimeError(f"demo data rejected: {result.rejected[:3]}")
    graded = readings_grade(lab_ids=result.new_lab_ids, symptom_ids=result.new_symptom_ids)
    return patient, len(graded.alerts_raised)


def showcase_checks(now: datetime) -> int:
    """The beat's periodic checks, once now: the cycle-start labs task and reminder, and the early
    warnings of the counts just ingested. The alerts they raised."""
    raised = len(cycle_labs_check(now=now).alerts_raised)
    return raised + len(early_warning_check(now=now))
