"""Dashboard reads: the triage queue, the patient page, adherence, caregivers and the audit trail.

Every page costs a fixed number of queries whatever the number of patients, alerts or readings:
each list is one query (joined with select_related where a row needs its neighbours) and all
per-row work happens in Python on what that query returned.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from django.db.models import Count, Max, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from backend.accounts.models import Clinic, User
from backend.alerts.escalation import MAX_LEVEL, escalation_target
from backend.alerts.models import TRIAGE_RANK, Alert, Severity, Status
from backend.alerts.services import alerts_visible_to
from backend.audit.models import AuditEvent
from backend.caregivers.models import Scope
from backend.caregivers.selectors import active_links_by_patient
from backend.dashboard.presenters import analyte_name, lab_value_text, symptom_name
from backend.patients.models import Patient
from backend.patients.selectors import patients_visible_to
from backend.patients.services import regimen_today
from backend.records.models import DoseLog, LabResult, SymptomReport
from backend.reminders.selectors import adherence_for
from shared import regimen
from shared.alert_policy import DEFAULT_POLICY
from shared.symptoms import grade_symptom

# The queue is read a page at a time, in triage order: 50 rows are more than a screen. Measured
# in-process on one clinic's 50,000 alerts (10,000 unresolved), rendering the 200 rows the page
# used to stop at took 18 ms of CPU even once rows were made cheap; 50 take 6 ms.
QUEUE_PAGE_SIZE = 50
# Pages further on (5,000,000 alerts in) are read as this one, so no offset walks further than that.
QUEUE_PAGES_MAX = 100_000
# The patient page shows three cycles: enough to compare this nadir with the last two.
WINDOW_DAYS = 3 * regimen.CYCLE_LENGTH_DAYS
UNRESOLVED = (Status.OPEN, Status.ACKNOWLEDGED)

STATUS_FILTERS = {
    "unresolved": "Open and acknowledged",
    "open": "Open (not acknowledged)",
    "acknowledged": "Acknowledged",
    "resolved": "Resolved",
}
# Every kind grading can raise: the policy's rules, the two fever kinds and the review fallback.
ALERT_KINDS: tuple[str, ...] = tuple(
    dict.fromkeys(
        [
            *(r.kind for r in DEFAULT_POLICY.labs.values()),
            *(r.kind for r in DEFAULT_POLICY.symptoms.values()),
            "fever",
            "febrile_neutropenia",
            "review_needed",
        ]
    )
)


# --- Triage queue -----------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueFilters:
    status: str = "unresolved"
    severity: str = ""
    kind: str = ""
    patient: str = ""  # part of a name


@dataclass(frozen=True)
class Escalation:
    """Where an open alert stands on the escalation ladder (backend.alerts.escalation): `level`
    steps taken so far (1: every nurse told again, 2: the on-call contact), and when the next one is
    due. `deadline` is None once the alert is acknowledged or resolved, the ladder is done, or the
    clinic turned escalation off for this severity."""

    deadline: datetime | None
    remaining: timedelta | None
    level: int = 0

    @property
    def overdue(self) -> bool:
        return self.remaining is not None and self.remaining < timedelta(0)

    @property
    def done(self) -> bool:
        return self.level >= MAX_LEVEL


def escalation_of(*, alert: Alert, clinic: Clinic, now: datetime) -> Escalation:
    level = alert.escalation_level
    target = escalation_target(clinic, alert.severity)
    if alert.status != Status.OPEN or target is None or level >= MAX_LEVEL:
        return Escalation(None, None, level)
    # The ladder's own schedule: step n is due n targets after the alert was raised.
    deadline = alert.created_at + (level + 1) * target
    return Escalation(deadline, deadline - now, level)


# A reading synced this long after it was taken (a phone offline for a while) is worth pointing out.
LATE_READING = timedelta(hours=1)


@dataclass(frozen=True)
class QueueRow:
    alert: Alert
    age: timedelta
    escalation: Escalation
    is_new: bool

    @property
    def reading_delay(self) -> timedelta | None:
        delay = self.alert.created_at - self.alert.observed_at
        return delay if delay >= LATE_READING else None


@dataclass(frozen=True)
class QueueCounts:
    open_critical: int
    open_urgent: int
    acknowledged: int
    version: str  # changes whenever any alert of the clinic is raised or changes status

    @property
    def open_total(self) -> int:
        return self.open_critical + self.open_urgent


@dataclass(frozen=True)
class Queue:
    """One page of the queue. `page`: the page read (from 1), which may be nearer than the one asked
    for (queue_read). `total`: how many alerts the filters match, when that is known without
    counting them (the header's counts cover the filters, or this is the last page); else None."""

    rows: list[QueueRow]
    counts: QueueCounts
    now: datetime
    page: int = 1
    has_next: bool = False
    total: int | None = None

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def first(self) -> int:
        """The position of the page's first row in the whole queue, from 1."""
        return (self.page - 1) * QUEUE_PAGE_SIZE + 1

    @property
    def last(self) -> int:
        return self.first + len(self.rows) - 1


def _version(latest: datetime | None, count: int) -> str:
    return f"{latest.timestamp() if latest else 0:.6f}-{count}"


def version_time(version: str) -> datetime | None:
    """The latest change a client had seen, from the version it sends back; None if unreadable."""
    try:
        stamp = float(version.split("-", 1)[0])
    except (ValueError, IndexError):
        return None
    return datetime.fromtimestamp(stamp, tz=UTC) if stamp > 0 else None


def queue_counts(*, clinic_id: int) -> QueueCounts:
    """The header's counts and the version the polling compares, in two queries (bench/README.md,
    bench 3: one aggregate over every alert of the clinic took 48.6 ms on 50,000). The counts are
    over unresolved alerts only, all the header shows. The version pairs their number with the
    clinic's newest change (`_latest_change`): a new alert moves the count, acknowledging or
    resolving stamps `updated_at`. Counts first: an alert raised between the two reads then falls
    inside the version's time, so the next render does not flag it new a second time."""
    row = Alert.objects.filter(patient__clinic_id=clinic_id, status__in=UNRESOLVED).aggregate(
        unresolved=Count("id"),
        open_critical=Count("id", filter=Q(status=Status.OPEN, severity=Severity.CRITICAL)),
        open_urgent=Count("id", filter=Q(status=Status.OPEN, severity=Severity.URGENT)),
        acknowledged=Count("id", filter=Q(status=Status.ACKNOWLEDGED)),
    )
    latest = _latest_change(clinic_id)
    return QueueCounts(
        row["open_critical"], row["open_urgent"], row["acknowledged"], _version(latest, row["unresolved"])
    )


# How far back, in changes of every clinic, the queue's version looks for a clinic's newest change
# along the `alert_latest_change` index before it reads the clinic's own alerts instead. Measured on
# 100,500 alerts: 0.2 ms for a busy clinic, 1.4 ms for one with no alert (76 ms without the bound).
RECENT_CHANGES = 1000


def _latest_change(clinic_id: int) -> datetime | None:
    """When an alert of the clinic was last raised, acknowledged or resolved (None: it has none).

    Alerts reach their clinic through the patient, so no index can hold (clinic, updated_at). Read
    backwards along `alert_latest_change`, the walk ends at the clinic's first row, at once for a
    busy clinic; for a clinic with nothing recent it would go through every other clinic's alerts
    (100,500 rows, 76 ms, for a new clinic next to two of 50,000 alerts). So the walk stops at the
    RECENT_CHANGES-th newest change of all clinics, and only a clinic with nothing that recent
    takes the max over its own alerts: the COALESCE's second subquery, which runs only then."""
    alerts = Alert.objects.filter(patient__clinic_id=clinic_id)
    floor = Alert.objects.order_by("-updated_at").values("updated_at")[RECENT_CHANGES - 1 : RECENT_CHANGES]
    recent = alerts.filter(updated_at__gte=Subquery(floor)).order_by("-updated_at").values("updated_at")[:1]
    anytime = alerts.values("patient__clinic_id").annotate(latest=Max("updated_at")).values("latest")
    return (
        Clinic.objects.filter(pk=clinic_id)
        .values_list(Coalesce(Subquery(recent), Subquery(anytime)), flat=True)
        .first()
    )


def _queue_queryset(user: User, filters: QueueFilters) -> QuerySet[Alert]:
    alerts = alerts_visible_to(user).select_related("acknowledged_by", "resolved_by")
    if filters.status == "resolved":
        alerts = alerts.filter(status=Status.RESOLVED).order_by("-resolved_at")
    else:
        statuses = UNRESOLVED if filters.status not in ("open", "acknowledged") else (filters.status,)
        # Critical before urgent, then the longest-waiting first: it is the closest to escalating.
        # The order is the `alert_queue` index's own (TRIAGE_RANK, created_at, id), so one page is
        # read off that index instead of sorting every unresolved alert.
        alerts = alerts.filter(status__in=statuses).order_by(TRIAGE_RANK, "created_at", "id")
    if filters.severity in Severity.values:
        alerts = alerts.filter(severity=filters.severity)
    if filters.kind:
        alerts = alerts.filter(kind=filters.kind)
    if filters.patient.strip():
        alerts = alerts.filter(patient__display_name__icontains=filters.patient.strip())
    return alerts


def _counted_total(*, filters: QueueFilters, counts: QueueCounts) -> int | None:
    """How many alerts the filters match, if the header's counts (QueueCounts) already say: the
    unresolved, open or acknowledged ones, the open ones by severity. Other filters would take a
    COUNT of their own, measured on 50,000 alerts (10,000 unresolved) at 4–17 ms, as much as the rest
    of the page's queries together; their pages say where they are and whether more follow instead."""
    if filters.kind or filters.patient.strip():
        return None
    severity = filters.severity if filters.severity in Severity.values else ""
    known = {
        ("unresolved", ""): counts.open_total + counts.acknowledged,
        ("open", ""): counts.open_total,
        ("open", Severity.CRITICAL): counts.open_critical,
        ("open", Severity.URGENT): counts.open_urgent,
        ("acknowledged", ""): counts.acknowledged,
    }
    status = filters.status if filters.status in ("open", "acknowledged", "resolved") else "unresolved"
    return known.get((status, severity))


def queue_read(
    *,
    user: User,
    clinic: Clinic,
    filters: QueueFilters,
    now: datetime,
    page: int = 1,
    counts: QueueCounts | None = None,
    seen_until: datetime | None = None,
) -> Queue:
    """Page `page` (from 1) of the triage queue for `user`'s clinic, QUEUE_PAGE_SIZE rows read off
    the queue's index with an offset, and one row more to tell whether another page follows. A page
    past the end (its alerts resolved meanwhile) reads as the last page when the total is known,
    else as the first. `seen_until`: the latest change the screen had already shown; alerts raised
    after it are flagged new. `counts`: pass them if already read."""
    counts = counts or queue_counts(clinic_id=clinic.pk)
    total = _counted_total(filters=filters, counts=counts)
    page = max(1, min(page, QUEUE_PAGES_MAX))
    if total is not None:
        page = min(page, max(1, -(-total // QUEUE_PAGE_SIZE)))
    offset = (page - 1) * QUEUE_PAGE_SIZE
    alerts = list(_queue_queryset(user, filters)[offset : offset + QUEUE_PAGE_SIZE + 1])
    if not alerts and page > 1:
        return queue_read(user=user, clinic=clinic, filters=filters, now=now, counts=counts, seen_until=seen_until)
    has_next = len(alerts) > QUEUE_PAGE_SIZE
    del alerts[QUEUE_PAGE_SIZE:]
    if not has_next:
        total = offset + len(alerts)  # the end of the queue: its length is known
    elif total is not None:
        total = max(total, offset + len(alerts) + 1)  # the counts were read a moment before the rows
    rows = [
        QueueRow(
            alert=alert,
            age=now - alert.created_at,
            escalation=escalation_of(alert=alert, clinic=clinic, now=now),
            is_new=seen_until is not None and alert.created_at > seen_until,
        )
        for alert in alerts
    ]
    return Queue(rows, counts, now, page, has_next, total)


# --- Patients ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PatientListRow:
    patient: Patient
    regimen: dict[str, Any]
    open_alerts: int
    critical_alerts: int


def patient_list(*, user: User, now: datetime, name: str = "") -> list[PatientListRow]:
    patients = patients_visible_to(user).annotate(
        open_alerts=Count("alerts", filter=Q(alerts__status__in=UNRESOLVED)),
        critical_alerts=Count("alerts", filter=Q(alerts__status__in=UNRESOLVED, alerts__severity=Severity.CRITICAL)),
    )
    if name.strip():
        patients = patients.filter(display_name__icontains=name.strip())
    return [
        PatientListRow(p, regimen_today(p, now), p.open_alerts, p.critical_alerts)  # type: ignore[attr-defined]
        for p in patients.order_by("-critical_alerts", "-open_alerts", "display_name")
    ]


def patient_for(*, user: User, patient_id: object) -> Patient | None:
    """The patient if `user` may see them (her own clinic's), else None: callers answer 404."""
    return patients_visible_to(user).select_related("clinic").filter(pk=patient_id).first()


@dataclass(frozen=True)
class Hold:
    """A drug the label says to withhold now, and the latest readings that say so."""

    drug: str
    reasons: tuple[str, ...]
    since: datetime


@dataclass(frozen=True)
class Caregiver:
    name: str
    scopes: tuple[str, ...]
    since: datetime


SCOPE_LABELS = dict(Scope.choices)


@dataclass
class PatientRecord:
    """What the patient page shows, read in a fixed number of queries."""

    patient: Patient
    now: datetime
    tz: ZoneInfo
    today: date
    first: date  # first day of the window, in the patient's zone
    regimen: dict[str, Any]
    labs: dict[str, list[LabResult]]
    symptoms: list[SymptomReport]
    doses: list[DoseLog]
    alerts: list[Alert]
    caregivers: list[Caregiver]
    holds: list[Hold] = field(default_factory=list)
    adherence: Adherence = field(default_factory=lambda: Adherence((), ()))

    @property
    def hold_reasons(self) -> list[tuple[str, list[str]]]:
        """Each reading that holds drugs, with the drugs it holds: one line per reason on the page."""
        grouped: dict[str, list[str]] = {}
        for hold in self.holds:
            for reason in hold.reasons:
                grouped.setdefault(reason, []).append(hold.drug)
        return list(grouped.items())

    @property
    def unresolved_alerts(self) -> list[Alert]:
        """Critical first, then the newest."""
        unresolved = sorted(
            (a for a in self.alerts if a.status in UNRESOLVED), key=lambda a: a.created_at, reverse=True
        )
        return sorted(unresolved, key=lambda a: a.severity != Severity.CRITICAL)


def patient_record(*, patient: Patient, now: datetime, days: int = WINDOW_DAYS) -> PatientRecord:
    tz = ZoneInfo(patient.timezone)
    today = now.astimezone(tz).date()
    first = max(patient.start_date, today - timedelta(days=days - 1))
    since = datetime.combine(first, datetime.min.time(), tzinfo=tz)
    labs: dict[str, list[LabResult]] = defaultdict(list)
    for lab in LabResult.objects.filter(patient=patient, collected_at__gte=since).order_by("collected_at"):
        labs[lab.analyte].append(lab)
    symptoms = list(SymptomReport.objects.filter(patient=patient, reported_at__gte=since).order_by("reported_at"))
    doses = list(DoseLog.objects.filter(patient=patient, taken_at__gte=since).order_by("taken_at"))
    # Unresolved alerts whatever their age (they still wait for a nurse), plus the window's others.
    alerts = list(
        Alert.objects.filter(patient=patient)
        .filter(Q(status__in=UNRESOLVED) | Q(created_at__gte=since))
        .select_related("acknowledged_by", "resolved_by")
        .order_by("-created_at")
    )
    record = PatientRecord(
        patient=patient,
        now=now,
        tz=tz,
        today=today,
        first=first,
        regimen=regimen_today(patient, now),
        labs=dict(labs),
        symptoms=symptoms,
        doses=doses,
        alerts=alerts,
        caregivers=patient_caregivers(patient=patient),
    )
    record.holds = holds_in_force(labs=record.labs, symptoms=symptoms, tz=tz)
    record.adherence = adherence_recent(patient=patient, now=now)
    return record


def holds_in_force(
    *, labs: Mapping[str, Sequence[LabResult]], symptoms: Sequence[SymptomReport], tz: ZoneInfo
) -> list[Hold]:
    """What the NINLARO label says to withhold now, judged on each rule's latest reading: platelets
    under 30 ×10⁹/L hold ixazomib and lenalidomide until a later count is 30 or more; a symptom's hold
    lasts until a later report of it no longer meets the hold rule. The hold thresholds are the
    label's (shared.alert_policy.DEFAULT_POLICY), which no clinic setting moves. Resolving an alert
    does not lift a hold: a recovered reading does."""
    found: dict[str, list[tuple[datetime, str]]] = defaultdict(list)
    for analyte, rule in DEFAULT_POLICY.labs.items():
        rows = [lab for lab in labs.get(analyte, ()) if lab.graded_at is not None]
        if not rule.hold_drugs or not rows:
            continue
        latest = max(rows, key=lambda lab: lab.collected_at)
        if rule.hold_below is not None:
            held = latest.canonical_value < rule.hold_below
        else:
            held = (
                rule.hold_at is not None and latest.grade is not None and rule.hold_at.fires(latest.grade, frozenset())
            )
        if held:
            on = latest.collected_at.astimezone(tz)
            reason = (
                f"{analyte_name(analyte)} {lab_value_text(latest)} on {on.day} {on:%b}: hold until {rule.hold_until}"
            )
            for drug in rule.hold_drugs:
                found[drug].append((latest.collected_at, reason))
    for key, srule in DEFAULT_POLICY.symptoms.items():
        reports = [r for r in symptoms if r.symptom == key and r.grade is not None]
        if not srule.hold_drugs or srule.hold_at is None or not reports:
            continue
        report = max(reports, key=lambda r: r.reported_at)
        assert report.grade is not None
        try:
            flags = grade_symptom(key, report.answers).flags
        except (KeyError, TypeError, ValueError):  # answers stored before a schema change: grade alone
            flags = frozenset()
        if srule.hold_at.fires(report.grade, flags):
            on = report.reported_at.astimezone(tz)
            reason = f"{symptom_name(key)} grade {report.grade} on {on.day} {on:%b}: hold until grade 1 or better"
            for drug in srule.hold_drugs:
                found[drug].append((report.reported_at, reason))
    return [
        Hold(drug, tuple(reason for _, reason in sorted(items, reverse=True)), max(at for at, _ in items))
        for drug, items in sorted(found.items())
    ]


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


def adherence_recent(*, patient: Patient, now: datetime, cycles: int = 2) -> Adherence:
    """This cycle and the one before, per drug, from the shared adherence service
    (backend.reminders.selectors.adherence_for: two queries)."""
    tallies = adherence_for(patient=patient, now=now)
    shown = tuple(sorted({t.cycle for t in tallies}, reverse=True)[:cycles])
    cells = {
        (t.cycle, t.drug): AdherenceCell(t.taken, t.scheduled - t.pending, t.missed, t.late, t.skipped, t.vomited)
        for t in tallies
        if t.cycle in shown
    }
    drugs = list(dict.fromkeys(t.drug for t in tallies))
    return Adherence(shown, tuple(AdherenceRow(d, tuple(cells.get((c, d)) for c in shown)) for d in drugs))


def patient_caregivers(*, patient: Patient) -> list[Caregiver]:
    """The patient's caregivers over active links, with what each may see (one query)."""
    links = active_links_by_patient(patient_ids=[patient.pk]).get(patient.pk, [])
    return [
        Caregiver(
            name=link.caregiver.get_full_name() or link.caregiver.username,
            scopes=tuple(SCOPE_LABELS.get(s, s) for s in link.scopes),
            since=link.created_at,
        )
        for link in links
    ]


# --- Audit trail ------------------------------------------------------------------------------


def audit_events_for_clinic(*, clinic_id: int, patient_id: UUID | None = None) -> QuerySet[AuditEvent]:
    """What the clinic's people did, and what anyone did with the clinic's patients, newest first."""
    clinic_patients = Patient.objects.filter(clinic_id=clinic_id).values("id")
    events = AuditEvent.objects.filter(Q(actor__clinic_id=clinic_id) | Q(patient_id__in=clinic_patients))
    if patient_id is not None:
        events = events.filter(patient_id=patient_id)
    return events.select_related("actor").order_by("-at", "-id")


def patient_names(*, clinic_id: int, ids: Iterable[UUID | None]) -> dict[UUID, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return dict(Patient.objects.filter(clinic_id=clinic_id, pk__in=wanted).values_list("id", "display_name"))
