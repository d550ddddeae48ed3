"""The triage queue, a page at a time: its filters, each row's age and escalation countdown, and where
the page stands in the whole queue. A page costs a fixed number of queries whatever the number of
alerts: the rows are one query read off the `alert_queue` index, and all per-row work is Python. The
read is put on the audit trail here: the default page's on PostgreSQL by the page's own statement."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection
from django.db.models import QuerySet
from django.utils.translation import pgettext_lazy

from backend.accounts.models import STAFF_ROLES, Clinic, Role, User
from backend.alerts.escalation import MAX_LEVEL, escalation_target
from backend.alerts.models import TRIAGE_RANK, Alert, Severity, Status
from backend.alerts.services import alerts_visible_to
from backend.audit.services import audit_record, audited_select
from backend.core.prepared import PreparedQuery
from backend.dashboard.counts import UNRESOLVED, QueueCounts, queue_counts
from backend.dashboard.wording import translated_reading
from shared.alert_policy import DEFAULT_POLICY

# The queue is read a page at a time, in triage order: 50 rows are more than a screen. Measured
# in-process on one clinic's 50,000 alerts (10,000 unresolved), rendering the 200 rows the page
# used to stop at took 18 ms of CPU even once rows were made cheap; 50 take 6 ms.
QUEUE_PAGE_SIZE = 50
# Pages further on (5,000,000 alerts in) are read as this one, so no offset walks further than that.
QUEUE_PAGES_MAX = 100_000

# The queue's tabs, by whom an alert is assigned to.
QUEUE_VIEWS = ("mine", "unassigned", "all")

STATUS_FILTERS = {
    "unresolved": pgettext_lazy("queue filter", "Open and acknowledged"),
    "open": pgettext_lazy("queue filter", "Open (not acknowledged)"),
    "acknowledged": pgettext_lazy("queue filter", "Acknowledged"),
    "resolved": pgettext_lazy("queue filter", "Resolved"),
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


@dataclass(frozen=True)
class QueueFilters:
    status: str = "unresolved"
    severity: str = ""
    kind: str = ""
    patient: str = ""  # part of a name
    view: str = "all"  # the tabs: "mine" (assigned to the nurse asking), "unassigned", "all"


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
    if alert.status != Status.OPEN or alert.superseded or target is None or level >= MAX_LEVEL:
        return Escalation(None, None, level)
    # The ladder's own schedule: step n is due n targets after the alert was raised, or after the
    # worse reading that restarted it.
    deadline = alert.ladder_start + (level + 1) * target
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

    @property
    def worst_value(self) -> str:
        """The worst reading's value with its unit ("Platelets 22 ×10⁹/L"): the latest of those
        of the alert's grade and severity, which the alert's title and message describe."""
        return worst_reading_value(self.alert)

    @property
    def reading_count(self) -> int:
        return len(self.alert.readings)


def worst_reading_value(alert: Alert) -> str:
    worst = [
        r
        for r in alert.readings
        if r.get("grade") == alert.grade and r.get("severity") == alert.severity and r.get("value")
    ]
    return translated_reading(str(worst[-1]["value"])) if worst else ""


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


def _queue_queryset(user: User, filters: QueueFilters) -> QuerySet[Alert]:
    alerts = alerts_visible_to(user).select_related("acknowledged_by", "resolved_by", "assigned_to")
    if filters.view == "mine":
        alerts = alerts.filter(assigned_to_id=user.pk)
    elif filters.view == "unassigned":
        alerts = alerts.filter(assigned_to__isnull=True)
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
    if filters.view in ("mine", "unassigned"):
        mine = filters.view == "mine"
        unfiltered = filters.status == "unresolved" and not filters.severity
        return (counts.mine if mine else counts.unassigned) if unfiltered else None
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
    audit: str = "",
) -> Queue:
    """Page `page` (from 1) of the triage queue for `user`'s clinic, QUEUE_PAGE_SIZE rows read off
    the queue's index with an offset, and one row more to tell whether another page follows. A page
    past the end (its alerts resolved meanwhile) reads as the last page when the total is known,
    else as the first. `seen_until`: the latest change the screen had already shown; alerts raised
    after it are flagged new. `counts`: pass them if already read. `audit`: the detail of the `read`
    audit rows written for the patients of the rows returned (none if empty: nothing recorded)."""
    counts = counts or queue_counts(clinic_id=clinic.pk, user_id=user.pk)
    total = _counted_total(filters=filters, counts=counts)
    page = max(1, min(page, QUEUE_PAGES_MAX))
    if total is not None:
        page = min(page, max(1, -(-total // QUEUE_PAGE_SIZE)))
    offset = (page - 1) * QUEUE_PAGE_SIZE
    alerts = None
    if audit and page == 1 and filters == QueueFilters():
        alerts = _default_page_audited(user=user, detail=audit)
    audited = alerts is not None
    if alerts is None:
        alerts = list(_queue_queryset(user, filters)[offset : offset + QUEUE_PAGE_SIZE + 1])
    if not alerts and page > 1:
        return queue_read(
            user=user, clinic=clinic, filters=filters, now=now, counts=counts, seen_until=seen_until, audit=audit
        )
    has_next = len(alerts) > QUEUE_PAGE_SIZE
    del alerts[QUEUE_PAGE_SIZE:]
    if audit and not audited:
        # No row for an empty page, which showed nobody (the call still accounts for the request).
        audit_record(
            actor=user, action="read", resource="alert", patient_ids=(a.patient_id for a in alerts), detail=audit
        )
    if not has_next:
        total = offset + len(alerts)  # the end of the queue: its length is known
    elif total is not None:
        total = max(total, offset + len(alerts) + 1)  # the counts were read a moment before the rows
    rows = [
        QueueRow(
            alert=alert,
            age=now - alert.created_at,
            escalation=escalation_of(alert=alert, clinic=clinic, now=now),
            # New to this screen: raised, or made worse (announced again), since it was shown.
            is_new=seen_until is not None and alert.ladder_start > seen_until,
        )
        for alert in alerts
    ]
    return Queue(rows, counts, now, page, has_next, total)


# --- The default page on PostgreSQL -----------------------------------------------------------
# The queue's default page (unresolved alerts, every assignee, no filter, page 1: what a nurse opens
# and what the open queue's polling re-reads) read as the alert API's first page is
# (backend.alerts.first_page): its query compiled once per connection (backend.core.prepared), its
# read audit written by the same statement (audited_select). Through the ORM, compiling the SQL and
# building the 51 alerts took ~29% of the page's time and the audit's INSERT, a round trip of its
# own, ~9% (issue 17, target 3). The scope is the general path's (`alerts_visible_to`: the nurse's
# clinic) with the same value bound; any filter, another page and SQLite take the general path.

_PLACEHOLDER = -(2**62) + 11  # no clinic has this id
# The triage order as a column of the page, so that the audit's shown rows are chosen in the order
# the page is read in (rank, created time, id: no ties).
_RANK = "triage_rank"


def _default_page_query(clinic_id: int) -> QuerySet[Alert]:
    nurse = User(role=Role.NURSE, clinic_id=clinic_id)  # only the clinic reaches the default view's SQL
    alerts = _queue_queryset(nurse, QueueFilters()).annotate(**{_RANK: TRIAGE_RANK})
    return alerts.order_by(_RANK, "created_at", "id")[: QUEUE_PAGE_SIZE + 1]


_DEFAULT_PAGE: PreparedQuery[Alert] = PreparedQuery(_default_page_query, _PLACEHOLDER)


def _default_page_audited(*, user: User, detail: str) -> list[Alert] | None:
    """The default page's QUEUE_PAGE_SIZE + 1 alerts in triage order, with a `read` audit row per
    patient of the QUEUE_PAGE_SIZE shown (not the one more read to tell whether a next page follows),
    in one statement; None where this path does not serve (then the general path reads and audits)."""
    if connection.vendor != "postgresql" or user.role not in STAFF_ROLES or not user.clinic_id:
        return None
    plan = _DEFAULT_PAGE.plan()
    rank, created, pk = plan.column(None, _RANK), plan.column(Alert, "created_at"), plan.column(Alert, "id")
    _, rows = audited_select(
        plan.sql,
        plan.bind(user.clinic_id),
        columns=len(plan.columns),
        patient_column=plan.column(Alert, "patient_id"),
        shown=(f"c{rank}, c{created}, c{pk}", QUEUE_PAGE_SIZE),
        actor=user,
        resource="alert",
        detail=detail,
    )
    # A WITH's rows come out in the order the page made them; sorted again, not to depend on it.
    rows.sort(key=lambda r: (r[rank], r[created], r[pk]))
    return plan.instances(rows)
