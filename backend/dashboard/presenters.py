"""What the dashboard's pages show, shaped from what the selectors read: the links of the queue's rows
and the patient's timeline built from a PatientRecord. The words come from backend.dashboard.wording."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from urllib.parse import urlencode
from uuid import UUID

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from backend.accounts.models import User
from backend.alerts.models import Alert
from backend.dashboard.clinical_terms import alert_title
from backend.dashboard.counts import QueueCounts
from backend.dashboard.patient_page import PatientRecord
from backend.dashboard.triage_queue import QueueFilters, QueueRow
from backend.dashboard.wording import drug_label, lab_reading_text, outcome_label, symptom_name
from backend.patients.models import DoseDecision
from backend.records.models import DoseLog, LabResult, LabSource, SymptomReport
from shared import regimen
from shared.symptoms import SYMPTOMS

# --- Triage queue rows ---------------------------------------------------------------------------

# Stands in for an id while a URL pattern is reversed; no real alert or patient has it.
_PLACEHOLDER = UUID(int=0)


class IdUrl:
    """A URL pattern with one UUID in it, reversed once: each id after that is put in by string
    formatting, what `reverse` would give for it (a UUID's text needs no quoting)."""

    __slots__ = ("head", "tail")

    def __init__(self, name: str) -> None:
        placeholder = str(_PLACEHOLDER)
        url = reverse(name, args=[_PLACEHOLDER])
        self.head, found, self.tail = url.partition(placeholder)
        assert found and placeholder not in self.tail, f"{name} must take exactly one id: {url}"

    def __call__(self, pk: UUID) -> str:
        return f"{self.head}{pk}{self.tail}"


@dataclass(frozen=True, slots=True)
class RowLinks:
    patient: str
    acknowledge: str
    resolve: str
    assign: str
    queue: str  # where a form sent without JavaScript comes back to


QUEUE_TAB_LABELS = {"mine": gettext_lazy("Mine"), "unassigned": gettext_lazy("Unassigned"), "all": gettext_lazy("All")}


@dataclass(frozen=True, slots=True)
class QueueTab:
    view: str
    label: str
    count: int
    url: str
    current: bool


class QueueLinks:
    """The links of the queue's rows, each URL pattern reversed once per page. A `{% url %}` per
    link, seven a row, was 40% of the CPU of rendering 200 rows (45 ms -> 27 ms without them)."""

    def __init__(self) -> None:
        self.queue = reverse("dashboard:queue")
        self.patient = IdUrl("dashboard:patient")
        self.acknowledge = IdUrl("dashboard:alert-acknowledge")
        self.resolve = IdUrl("dashboard:alert-resolve")
        self.assign = IdUrl("dashboard:alert-assign")

    def of(self, row: QueueRow) -> RowLinks:
        alert = row.alert
        return RowLinks(
            self.patient(alert.patient_id),
            self.acknowledge(alert.pk),
            self.resolve(alert.pk),
            self.assign(alert.pk),
            self.queue,
        )

    def tabs(self, filters: QueueFilters, counts: QueueCounts) -> list[QueueTab]:
        """The queue's tabs (Mine, Unassigned, All), each keeping the other filters, with the
        number of unresolved alerts in it."""
        found = {"mine": counts.mine, "unassigned": counts.unassigned, "all": counts.open_total + counts.acknowledged}
        return [
            QueueTab(view, str(label), found[view], self.page(replace(filters, view=view), 1), filters.view == view)
            for view, label in QUEUE_TAB_LABELS.items()
        ]

    def rows(self, rows: Sequence[QueueRow]) -> list[tuple[QueueRow, RowLinks]]:
        """Each row with its links, as the queue table loops over them."""
        return [(row, self.of(row)) for row in rows]

    def page(self, filters: QueueFilters, number: int) -> str:
        """Page `number` of the queue under the same filters, in the filter form's own names."""
        # QueueFilters' fields are named as the form's (backend.dashboard.forms.QueueFilterForm).
        params: dict[str, str | int] = {
            name: value for name, value in asdict(filters).items() if value and (name, value) != ("view", "all")
        }
        if number > 1:
            params["page"] = number
        return f"{self.queue}?{urlencode(params)}" if params else self.queue


# --- Patient timeline ----------------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str  # lab, symptom, doses, alert, acknowledged, resolved
    title: str
    detail: str = ""
    grade: int | None = None
    severity: str = ""
    flags: tuple[str, ...] = ()


@dataclass(frozen=True)
class TimelineDay:
    day: date
    position: str  # e.g. "Cycle 3, day 21"
    entries: list[TimelineEntry]


DOSE_STATUS_MARKS = {"taken": "✓", "skipped": gettext_lazy("skipped"), "vomited": gettext_lazy("vomited")}


def answers_text(answers: object, symptom: str = "") -> str:
    """The answers in a few words. A CTCAE follow-up answered "no" is shown too: it is what made a
    "severe" report grade 2 (shared.symptoms), so the nurse sees that it was asked and denied."""
    if not isinstance(answers, dict):
        return ""
    catalog = SYMPTOMS.get(symptom)
    follow_ups = {q.key for q in catalog.follow_ups} if catalog else set()
    # In the order the phone asks (a JSON column may give the keys back in any order).
    order = {q.key: i for i, q in enumerate(catalog.questions)} if catalog else {}
    parts = []
    for key, value in sorted(answers.items(), key=lambda item: order.get(item[0], len(order))):
        words = key.replace("_", " ")
        if value is True:
            parts.append(words)
        elif key in follow_ups and value in (False, "no"):
            parts.append(f"{words}: {_('no')}")
        elif value is False or value in ("none", ""):
            continue
        else:
            parts.append(f"{words}: {str(value).replace('_', ' ')}")
    return ", ".join(parts)


# Where a lab result came from, when not from the patient's phone (the usual case, left unsaid).
LAB_SOURCE_TEXT = {
    LabSource.LAB_FEED: gettext_lazy("from the lab"),
    LabSource.CARE_TEAM: gettext_lazy("entered by the care team"),
}


def lab_entry(lab: LabResult) -> TimelineEntry:
    grade = "" if lab.grade is not None or lab.graded_at is None else " " + _("(could not be graded)")
    pending = " " + _("(grading…)") if lab.graded_at is None else ""
    return TimelineEntry(
        lab.collected_at,
        "lab",
        f"{lab_reading_text(lab)}{grade}{pending}",
        detail=str(LAB_SOURCE_TEXT.get(lab.source, "")),
        grade=lab.grade,
    )


def symptom_entry(report: SymptomReport) -> TimelineEntry:
    answers = report.answers if isinstance(report.answers, dict) else {}
    if report.symptom == "fever" and "temperature_c" in answers:
        title = _("Temperature %(value)s °C") % {"value": answers["temperature_c"]}
        detail = ""
    else:
        title = symptom_name(report.symptom)
        detail = answers_text(answers, report.symptom)
    return TimelineEntry(report.reported_at, "symptom", title, detail, grade=report.grade)


def dose_day_entry(doses: Sequence[DoseLog]) -> TimelineEntry:
    """A day's doses as one line: 'Ixazomib ✓ · Lenalidomide skipped · …'."""
    parts = [f"{drug_label(d.drug)} {DOSE_STATUS_MARKS.get(d.status, d.status)}" for d in doses]
    missed = tuple(d.drug for d in doses if d.status != "taken")
    return TimelineEntry(doses[0].taken_at, "doses", _("Doses: %(doses)s") % {"doses": " · ".join(parts)}, flags=missed)


def timeline(record: PatientRecord) -> list[TimelineDay]:
    """Everything in the window (the care team's dose decisions too), grouped by the patient's
    local day, newest first."""
    entries: list[TimelineEntry] = []
    for rows in record.labs.values():
        entries.extend(lab_entry(lab) for lab in rows)
    entries.extend(symptom_entry(report) for report in record.symptoms)
    by_day: dict[date, list[DoseLog]] = defaultdict(list)
    for dose in record.doses:
        by_day[dose.taken_at.astimezone(record.tz).date()].append(dose)
    entries.extend(dose_day_entry(doses) for doses in by_day.values())
    for alert in record.alerts:
        if alert.created_at.astimezone(record.tz).date() >= record.first:
            entries.append(
                TimelineEntry(
                    alert.created_at,
                    "alert",
                    alert_title(alert.title),
                    alert.message,
                    alert.grade,
                    alert.severity,
                    tuple(alert.hold_drugs),
                )
            )
        # Resolving also acknowledges, at the same moment: show a separate acknowledgement only if earlier.
        if alert.acknowledged_at and (alert.resolved_at is None or alert.acknowledged_at < alert.resolved_at):
            entries.append(
                TimelineEntry(
                    alert.acknowledged_at,
                    "acknowledged",
                    _("Acknowledged: %(title)s") % {"title": alert_title(alert.title)},
                    _by(alert.acknowledged_by),
                )
            )
        if alert.resolved_at:
            entries.append(_resolution_entry(alert))
        # The notes thread; the resolution's own note is on the resolution's line.
        entries.extend(
            TimelineEntry(
                note.created_at,
                "note",
                _("Note: %(title)s") % {"title": alert_title(alert.title)},
                f"{_by(note.author)} — {note.text}",
            )
            for note in alert.notes.all()
            if not note.resolves
        )
    titles = {f"alert:{alert.pk}": alert.title for alert in record.alerts}
    entries.extend(
        decision_entry(d, titles.get(d.subject, "")) for d in record.decisions if d.decided_at >= first_at(record)
    )
    days: dict[date, list[TimelineEntry]] = defaultdict(list)
    for entry in sorted(entries, key=lambda e: e.at, reverse=True):
        days[entry.at.astimezone(record.tz).date()].append(entry)
    return [TimelineDay(day, _position(record, day), items) for day, items in days.items()]


def first_at(record: PatientRecord) -> datetime:
    return datetime.combine(record.first, datetime.min.time(), tzinfo=record.tz)


def decision_text(decision: DoseDecision) -> str:
    """A decision as the patient page's dose history words it: 'Hold · Lenalidomide', 'Reduce one
    dose level · Ixazomib 4 → 3 mg · thrombocytopenia grade 4', 'Delay the next cycle · 7 days'."""
    parts = [str(decision.get_action_display())]
    if decision.drug:
        parts.append(drug_label(decision.drug))
    text = " · ".join(parts)
    if decision.from_mg is not None and decision.from_mg != decision.to_mg:
        text += f" {_mg(decision.from_mg)} → {_mg(decision.to_mg)} mg"
    if decision.delay_days:
        text += " · " + _("%(days)d days") % {"days": decision.delay_days}
    if decision.toxicity:
        text += f" · {decision.toxicity}"
        if decision.grade is not None:
            text += " " + _("grade %(grade)d") % {"grade": decision.grade}
    return text


def _mg(value: Decimal | None) -> str:
    return format(value.normalize(), "f") if value is not None else "-"


def decision_entry(decision: DoseDecision, alert_title: str = "") -> TimelineEntry:
    """A dose decision on the timeline, with the alert it was taken on, if any."""
    title = str(_("Decision: %(what)s") % {"what": decision_text(decision)})
    on = str(_("on the alert %(title)s") % {"title": alert_title}) if alert_title else ""
    detail = " — ".join(part for part in (_by(decision.decided_by), on, decision.reason) if part)
    return TimelineEntry(decision.decided_at, "decision", title, detail)


def _position(record: PatientRecord, day: date) -> str:
    position = regimen.cycle_day(record.calendar, day)
    if not position:
        return _("Before cycle 1")
    return _("Cycle %(cycle)s, day %(day)s") % {"cycle": position.cycle, "day": position.day}


def _by(user: User | None) -> str:
    return _("by %(person)s") % {"person": user.get_full_name() or user.username} if user else ""


def _resolution_entry(alert: Alert) -> TimelineEntry:
    assert alert.resolved_at is not None
    outcome = outcome_label(alert.outcome) if alert.outcome else _("Resolved")
    detail = " — ".join(part for part in (_by(alert.resolved_by), alert.resolution_note) if part)
    return TimelineEntry(alert.resolved_at, "resolved", f"{outcome}: {alert_title(alert.title)}", detail)
