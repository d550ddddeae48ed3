"""The queue header's counts per clinic from AlertTally (alerts 0012): a sum over a handful of rows
instead of a count over every unresolved alert of the clinic (bench/README.md, bench 3 at 10×: 588 ms
for 100,000 unresolved alerts). PostgreSQL only: its triggers keep the tally; SQLite has none."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Q, Sum
from django.db.models.functions import Coalesce

from backend.alerts.models import AlertTally, Severity, Status


def tally_kept() -> bool:
    """Whether the database keeps the tally (PostgreSQL's triggers); elsewhere count the alerts."""
    return connection.vendor == "postgresql"


@dataclass(frozen=True)
class UnresolvedCounts:
    unresolved: int
    open_critical: int
    open_urgent: int
    acknowledged: int
    unassigned: int
    mine: int  # assigned to the given user; 0 without one


def tally_buckets(user_id: int | None) -> dict[str, Q]:
    """Which tally rows each of UnresolvedCounts' counts sums (`mine` only given a user)."""
    mine = {"mine": Q(assigned_to_id=user_id)} if user_id is not None else {}
    return {
        **mine,
        "unresolved": Q(),
        "open_critical": Q(status=Status.OPEN, severity=Severity.CRITICAL),
        "open_urgent": Q(status=Status.OPEN, severity=Severity.URGENT),
        "acknowledged": Q(status=Status.ACKNOWLEDGED),
        "unassigned": Q(assigned_to_id__isnull=True),
    }


def tally_sum(condition: Q) -> Coalesce:
    return Coalesce(Sum("delta", filter=condition), 0)


def tally_counts(*, clinic_id: int, user_id: int | None = None) -> UnresolvedCounts:
    """The clinic's unresolved alerts by bucket, in one query over its tally rows."""
    sums = {name: tally_sum(condition) for name, condition in tally_buckets(user_id).items()}
    row = AlertTally.objects.filter(clinic_id=clinic_id).aggregate(**sums)
    return UnresolvedCounts(**{"mine": 0, **row})


# One clinic's deltas become one row per bucket (buckets summing to zero go), in one statement.
# Safe beside writers and another fold: the DELETE takes only rows committed before it started
# (a concurrent writer's rows stay for the next fold), and of two folds the second skips the rows
# the first deleted and never sees the first's sums, so nothing is counted twice or lost.
_FOLD = """
WITH folded AS (
    DELETE FROM alerts_alerttally WHERE clinic_id = %s
    RETURNING clinic_id, status, severity, assigned_to_id, delta
)
INSERT INTO alerts_alerttally (clinic_id, status, severity, assigned_to_id, delta)
SELECT clinic_id, status, severity, assigned_to_id, SUM(delta) FROM folded
GROUP BY clinic_id, status, severity, assigned_to_id
HAVING SUM(delta) <> 0
"""

# Clinics with anything to fold: a bucket of several rows, or one summing to zero.
_UNFOLDED = """
SELECT DISTINCT clinic_id FROM alerts_alerttally
GROUP BY clinic_id, status, severity, assigned_to_id
HAVING count(*) > 1 OR SUM(delta) = 0
"""


def tally_fold() -> int:
    """Fold every clinic that has deltas to fold, each in its own short transaction; the number folded."""
    if not tally_kept():
        return 0
    with connection.cursor() as cursor:
        cursor.execute(_UNFOLDED)
        clinic_ids = [clinic_id for (clinic_id,) in cursor.fetchall()]
    for clinic_id in clinic_ids:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(_FOLD, [clinic_id])
    return len(clinic_ids)


# The migration's seed (alerts 0012), for a database written with the triggers off.
_RECOUNT = """
INSERT INTO alerts_alerttally (clinic_id, status, severity, assigned_to_id, delta)
SELECT p.clinic_id, a.status, a.severity, a.assigned_to_id, count(*)
FROM alerts_alert a JOIN patients_patient p ON p.id = a.patient_id
WHERE a.status IN ('open', 'acknowledged')
GROUP BY 1, 2, 3, 4
"""


def tally_recount() -> None:
    """Rebuild the tally from the alerts (`python manage.py tally_recount`): only needed after writes
    that bypassed the triggers (a data-only restore with --disable-triggers, session_replication_role
    = replica). Writers of alerts and patients wait for the few ms it takes; readers do not."""
    if not tally_kept():
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("LOCK TABLE alerts_alert, patients_patient IN SHARE MODE")
        cursor.execute("DELETE FROM alerts_alerttally")
        cursor.execute(_RECOUNT)
