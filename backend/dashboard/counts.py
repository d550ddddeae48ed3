"""The triage queue's header: how many alerts wait for a nurse, and the version the open queue's
polling compares to tell whether anything changed (one query on PostgreSQL, two on SQLite, however
many alerts the clinic has)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db.models import Count, Max, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from backend.accounts.models import Clinic
from backend.alerts.models import Alert, AlertTally, Severity, Status
from backend.alerts.tally import UnresolvedCounts, tally_buckets, tally_kept, tally_sum
from backend.core.prepared import PreparedQuery

# Alerts that still wait for a nurse: the queue's default view, the header's counts, the patient page.
UNRESOLVED = (Status.OPEN, Status.ACKNOWLEDGED)


@dataclass(frozen=True)
class QueueCounts:
    open_critical: int
    open_urgent: int
    acknowledged: int
    version: str  # changes whenever any alert of the clinic is raised, changes status or is assigned
    # The queue's tabs: unresolved alerts assigned to the nurse asking, and to nobody.
    mine: int = 0
    unassigned: int = 0

    @property
    def open_total(self) -> int:
        return self.open_critical + self.open_urgent


def _version(latest: datetime | None, count: int) -> str:
    return f"{latest.timestamp() if latest else 0:.6f}-{count}"


def version_time(version: str) -> datetime | None:
    """The latest change a client had seen, from the version it sends back; None if unreadable."""
    try:
        stamp = float(version.split("-", 1)[0])
    except (ValueError, IndexError):
        return None
    return datetime.fromtimestamp(stamp, tz=UTC) if stamp > 0 else None


def queue_counts(*, clinic_id: int, user_id: int | None = None) -> QueueCounts:
    """The header's counts and the version the polling compares. The counts are over unresolved
    alerts only, all the header shows (and, given `user_id`, the queue's tabs: hers, and nobody's).
    On PostgreSQL they are a sum over the clinic's few AlertTally rows, which the database's triggers
    keep (backend.alerts.tally; bench/README.md, bench 3 at 10×: the direct count took 588 ms on
    100,000 unresolved alerts), read with the version in one statement compiled once per connection
    (`_tallied`); on SQLite, the embedded small clinic's database, one aggregate over the alerts
    themselves, then the version. The version pairs their number with the clinic's newest change
    (`_latest_change`): a new alert moves the count, acknowledging or resolving stamps `updated_at`.
    Read together (one snapshot) or counts first: an alert raised between the two reads then falls
    inside the version's time, so the next render does not flag it new a second time."""
    if tally_kept():
        row, latest = _tallied(clinic_id, user_id)
    else:
        row, latest = _direct_counts(clinic_id, user_id), _latest_change(clinic_id)
    return QueueCounts(
        row.open_critical,
        row.open_urgent,
        row.acknowledged,
        _version(latest, row.unresolved),
        mine=row.mine,
        unassigned=row.unassigned,
    )


_CLINIC, _USER = -(2**62) + 13, -(2**62) + 17  # placeholders: no clinic or user has these ids


def _tallied_query(with_user: bool) -> Any:
    """The tally's sums (tally_counts') and the newest change (`_latest_change`'s) as one row:
    each sum a subquery over the clinic's few tally rows, so the header is one round trip."""

    def build(clinic_id: int, *user_id: int) -> QuerySet[Clinic]:
        tally = AlertTally.objects.filter(clinic_id=clinic_id).values("clinic_id")
        sums = [
            Coalesce(Subquery(tally.annotate(total=tally_sum(condition)).values("total")), 0)
            for condition in tally_buckets(user_id[0] if user_id else None).values()
        ]
        return Clinic.objects.filter(pk=clinic_id).values_list(*sums, _latest_change_expression(clinic_id))

    return build


# By whether "mine" is counted, and by RECENT_CHANGES (a literal of the SQL; tests change it).
_TALLIED: dict[tuple[bool, int], PreparedQuery[Any]] = {}


def _tallied(clinic_id: int, user_id: int | None) -> tuple[UnresolvedCounts, datetime | None]:
    key = (user_id is not None, RECENT_CHANGES)
    query = _TALLIED.get(key)
    if query is None:
        placeholders = (_CLINIC, _USER) if user_id is not None else (_CLINIC,)
        query = _TALLIED[key] = PreparedQuery(_tallied_query(user_id is not None), *placeholders)
    values = (clinic_id, user_id) if user_id is not None else (clinic_id,)
    rows = query.rows(*values)
    buckets = tally_buckets(user_id)
    if not rows:  # no such clinic: nothing counted, no change (as the two queries answered)
        return UnresolvedCounts(**{"mine": 0, **dict.fromkeys(buckets, 0)}), None
    *sums, latest = rows[0]
    return UnresolvedCounts(**{"mine": 0, **dict(zip(buckets, sums, strict=True))}), latest


def _direct_counts(clinic_id: int, user_id: int | None) -> UnresolvedCounts:
    """The same counts from the alerts: linear in the clinic's unresolved alerts (fine on SQLite's scale)."""
    mine = {"mine": Count("id", filter=Q(assigned_to_id=user_id))} if user_id is not None else {}
    row = Alert.objects.filter(patient__clinic_id=clinic_id, status__in=UNRESOLVED).aggregate(
        **mine,
        unresolved=Count("id"),
        open_critical=Count("id", filter=Q(status=Status.OPEN, severity=Severity.CRITICAL)),
        open_urgent=Count("id", filter=Q(status=Status.OPEN, severity=Severity.URGENT)),
        acknowledged=Count("id", filter=Q(status=Status.ACKNOWLEDGED)),
        unassigned=Count("id", filter=Q(assigned_to__isnull=True)),
    )
    return UnresolvedCounts(**{"mine": 0, **row})


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
    return Clinic.objects.filter(pk=clinic_id).values_list(_latest_change_expression(clinic_id), flat=True).first()


def _latest_change_expression(clinic_id: int) -> Coalesce:
    alerts = Alert.objects.filter(patient__clinic_id=clinic_id)
    floor = Alert.objects.order_by("-updated_at").values("updated_at")[RECENT_CHANGES - 1 : RECENT_CHANGES]
    recent = alerts.filter(updated_at__gte=Subquery(floor)).order_by("-updated_at").values("updated_at")[:1]
    anytime = alerts.values("patient__clinic_id").annotate(latest=Max("updated_at")).values("latest")
    return Coalesce(Subquery(recent), Subquery(anytime))
