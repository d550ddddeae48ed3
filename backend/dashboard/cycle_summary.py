"""What the one-page summary of a patient's last cycle shows, for the clinic visit (issue 16 §4): the
cycle in progress (or, while the next one is delayed, the one that has ended), its lab values and
symptom grades, the doses taken of those due, its alerts with their outcomes, the dose decisions
recorded in it and the holds in force now.

Read through the patient page's own reads and words (backend.dashboard.patient_page, presenters,
adherence, holds, wording), so the sheet and the page never say different things."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.utils.translation import gettext as _

from backend.alerts.models import Alert, Status
from backend.dashboard.adherence import AdherenceCell
from backend.dashboard.clinical_terms import alert_title
from backend.dashboard.patient_page import WINDOW_DAYS, PatientRecord, patient_record
from backend.dashboard.presenters import TimelineEntry, decision_text, lab_entry, symptom_entry
from backend.dashboard.wording import drug_label, outcome_label
from backend.patients.models import DoseDecision, Patient
from shared import regimen


@dataclass(frozen=True)
class AlertLine:
    at: datetime
    severity: str
    title: str
    grade: int | None
    outcome: str  # "Dose held", "Open", "Acknowledged", ...


@dataclass(frozen=True)
class DecisionLine:
    at: datetime
    text: str  # "Reduce one dose level · Lenalidomide 25 → 15 mg · thrombocytopenia grade 4"
    reason: str
    by: str


@dataclass
class CycleSummary:
    patient: Patient
    record: PatientRecord
    cycle: int | None  # None: cycle 1 has not started
    first: date | None  # the cycle's day 1
    last: date | None  # its last day as planned today (delays included)
    labs: dict[str, list[TimelineEntry]] = field(default_factory=dict)  # analyte -> readings, oldest first
    symptoms: list[TimelineEntry] = field(default_factory=list)
    adherence: list[tuple[str, AdherenceCell | None]] = field(default_factory=list)
    alerts: list[AlertLine] = field(default_factory=list)  # oldest first
    decisions: list[DecisionLine] = field(default_factory=list)

    @property
    def holds(self) -> list[tuple[str, list[str]]]:
        """Each reading that holds drugs now, with the drugs' names (the patient page's banner)."""
        return [(reason, [drug_label(d) for d in drugs]) for reason, drugs in self.record.hold_reasons]

    @property
    def doses_now(self) -> str:
        rg = self.record.regimen
        return _("Ixazomib %(i)s mg, lenalidomide %(l)s mg, dexamethasone %(d)s mg") % {
            "i": rg["ixazomib_mg"],
            "l": rg["lenalidomide_mg"],
            "d": rg["dexamethasone_mg"],
        }


def _outcome(alert: Alert) -> str:
    if alert.status == Status.RESOLVED:
        return outcome_label(alert.outcome) if alert.outcome else _("Resolved")
    if alert.superseded:
        return _("History: a newer reading no longer alerts")
    return _("Acknowledged") if alert.status == Status.ACKNOWLEDGED else _("Open")


def cycle_summary(*, patient: Patient, now: datetime) -> CycleSummary:
    """The patient's latest cycle as of `now`, in the patient's own time zone."""
    record = patient_record(patient=patient, now=now)
    position = regimen.cycle_day(record.calendar, record.today)
    if position is None:
        return CycleSummary(patient, record, None, None, None)
    first = record.calendar.cycle_start(position.cycle)
    last = record.calendar.cycle_start(position.cycle + 1) - timedelta(days=1)
    if first < record.first:  # a long delay: the page's window does not reach day 1
        record = patient_record(patient=patient, now=now, days=max(WINDOW_DAYS, (record.today - first).days + 1))
    since = datetime.combine(first, time.min, tzinfo=record.tz)
    until = datetime.combine(last + timedelta(days=1), time.min, tzinfo=record.tz)

    def inside(at: datetime | None) -> bool:
        return at is not None and since <= at < until

    labs: dict[str, list[TimelineEntry]] = defaultdict(list)
    for key, readings in record.labs.items():
        labs[key] = [lab_entry(lab) for lab in readings if inside(lab.collected_at)]
    alerts = [
        AlertLine(a.created_at, a.severity, alert_title(a.title), a.grade, _outcome(a))
        for a in sorted(record.alerts, key=lambda a: a.created_at)
        if inside(a.created_at) or inside(a.worsened_at) or inside(a.resolved_at)
    ]
    decisions = [
        DecisionLine(d.decided_at, decision_text(d), d.reason, _by(d))
        for d in record.decisions  # the whole dose history, read with the record
        if inside(d.decided_at)
    ]
    adherence = record.adherence
    column = adherence.cycles.index(position.cycle) if position.cycle in adherence.cycles else None
    return CycleSummary(
        patient=patient,
        record=record,
        cycle=position.cycle,
        first=first,
        last=last,
        labs={key: rows for key, rows in labs.items() if rows},
        symptoms=[symptom_entry(s) for s in record.symptoms if inside(s.reported_at)],
        adherence=[(row.drug, row.cells[column] if column is not None else None) for row in adherence.rows],
        alerts=alerts,
        decisions=decisions,
    )


def _by(decision: DoseDecision) -> str:
    user = decision.decided_by
    return (user.get_full_name() or user.username) if user is not None else ""
