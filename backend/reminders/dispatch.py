"""Sending due reminders, once each (the package's doc, steps 2 and 3)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import NamedTuple
from uuid import UUID
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.utils import timezone

from backend.accounts.models import User
from backend.notifications.services import InboxItem, notify_many
from backend.notifications.texts import language_for
from backend.patients.models import CareStatus, Patient
from backend.records.models import DoseLog
from backend.reminders.materialise import grace
from backend.reminders.models import OccurrenceStatus, ReminderOccurrence, reminder_dedupe_key
from backend.reminders.selectors import held_drugs, reminder_message
from shared import reminders as shared_reminders

#: Rows claimed per transaction. A batch costs a fixed few statements (claim with its sent mark, dose
#: logs, held drugs, preferences, one INSERT for the inbox items, and for the patients with a
#: preference row the new ones and their deliveries), whatever its size: no model instance per
#: reminder, no statement per reminder. Measured in one process on PostgreSQL (bench 4's rows, inbox only): 500 a batch
#: ≈ 7,000 reminders/s, 2,000 ≈ 9,500/s; a batch of 2,000 holds its row locks for ≈ 0.2 s, and
#: other workers skip past them (SKIP LOCKED) meanwhile.
CLAIM_BATCH = 2000
REMINDERS_LINK = "app:reminders"


@dataclass(frozen=True)
class DispatchOutcome:
    sent: int = 0
    skipped: int = 0  # found too late to be useful
    cancelled: int = 0  # the patient has no enrolled, active phone any more
    not_needed: int = 0  # the dose was already logged that day
    full: bool = False  # the batch was full: more may be due


class _Claimed(NamedTuple):
    """One claimed reminder, as read (no model instance: bench 4 claims a million)."""

    pk: int
    patient_id: UUID
    kind: str
    key: str
    title: str
    text: str
    local_date: date
    due_at: datetime
    timezone: str
    user_id: int | None
    user_active: bool | None
    care_status: str
    language: str | None


_CLAIMED_COLUMNS = (
    "pk",
    "patient_id",
    "kind",
    "key",
    "title",
    "text",
    "local_date",
    "due_at",
    "patient__timezone",
    "patient__user_id",
    "patient__user__is_active",
    "patient__care_status",
    "patient__user__language",
)


def reminders_dispatch_due(*, now: datetime | None = None, limit: int = CLAIM_BATCH) -> DispatchOutcome:
    """Send one batch of due reminders; safe with any number of concurrent workers (module doc)."""
    now = now or timezone.now()
    too_late = now - grace()
    skipped = ReminderOccurrence.objects.filter(status=OccurrenceStatus.PENDING, due_at__lt=too_late).update(
        status=OccurrenceStatus.SKIPPED
    )
    with transaction.atomic():
        # Claimed and marked sent at once; everything below commits with it or not at all, so a
        # rollback (a crash before the commit) leaves the rows pending.
        claimed = _claim_as_sent(now, too_late, limit)
        if not claimed:
            return DispatchOutcome(skipped=skipped)
        # No phone, or paused or discharged since it was planned (patients.care_status): cancelled.
        unreachable = {
            o.pk for o in claimed if o.user_id is None or not o.user_active or o.care_status != CareStatus.ACTIVE
        }
        # A reminder to take a dose already logged that day could make someone take it twice.
        logged = _already_logged([o for o in claimed if o.pk not in unreachable])
        reachable = [o for o in claimed if o.pk not in unreachable and o.pk not in logged]
        for pks, status in ((unreachable, OccurrenceStatus.CANCELLED), (logged, OccurrenceStatus.NOT_NEEDED)):
            if pks:  # not sent after all (the claim marked every row sent)
                ReminderOccurrence.objects.filter(pk__in=list(pks)).update(status=status, sent_at=None)
        holds = held_drugs({o.patient_id for o in reachable})
        items: list[InboxItem] = []
        for occurrence in reachable:
            assert occurrence.user_id is not None
            message = reminder_message(  # in the patient's language, as their phone speaks it
                occurrence.kind,
                occurrence.title,
                occurrence.text,
                holds.get(occurrence.patient_id, set()),
                language_for(occurrence.language),
            )
            items.append(
                InboxItem(
                    recipient=occurrence.user_id,
                    kind="reminder",
                    title=message.title,
                    body=message.text,
                    dedupe_key=reminder_dedupe_key(occurrence.patient_id, occurrence.key),
                    link=REMINDERS_LINK,
                )
            )
        # A constant number of statements for the whole batch (inbox items, then their deliveries).
        # at_its_time: the patient chose this time, so quiet hours must not push it to morning.
        notify_many(items=items, at_its_time=True, now=now)
    return DispatchOutcome(
        sent=len(reachable),
        skipped=skipped,
        cancelled=len(unreachable),
        not_needed=len(logged),
        full=len(claimed) >= limit,
    )


def _claim_as_sent(now: datetime, too_late: datetime, limit: int) -> list[_Claimed]:
    """Up to `limit` due reminders, oldest first, locked and marked sent in the caller's transaction.

    PostgreSQL: ONE statement, the locking `SELECT … FOR UPDATE SKIP LOCKED LIMIT n`, the `UPDATE …
    RETURNING` of those rows and the read of their patient and user columns, as CTEs. A separate
    claim and sent mark cost two round trips and made the server find each row twice (bench 4: the
    sent mark was 100–294 ms of a 2,000-row batch). Other workers skip the locked rows, as before.
    Elsewhere (SQLite, whose write lock serialises dispatchers): the claim, then one sent mark."""
    if connection.vendor == "postgresql":
        return _claim_as_sent_postgresql(now, too_late, limit)
    claimed = [
        _Claimed._make(row)
        for row in ReminderOccurrence.objects.filter(
            status=OccurrenceStatus.PENDING, due_at__lte=now, due_at__gte=too_late
        )
        .select_for_update(skip_locked=True, of=("self",))
        .order_by("due_at")
        .values_list(*_CLAIMED_COLUMNS)[:limit]
    ]
    if claimed:
        ReminderOccurrence.objects.filter(pk__in=[o.pk for o in claimed], status=OccurrenceStatus.PENDING).update(
            status=OccurrenceStatus.SENT, claimed_at=now, sent_at=now
        )
    return claimed


def _claim_as_sent_postgresql(now: datetime, too_late: datetime, limit: int) -> list[_Claimed]:
    occurrences = ReminderOccurrence._meta.db_table
    patients = Patient._meta.db_table
    users = User._meta.db_table
    # `picked` locks the rows (MATERIALIZED: evaluated exactly once, never re-run by the plan as an
    # IN (subquery) could be); the UPDATE is the one write; its RETURNING rows are joined to read
    # the patient and user columns (a patient's user may be gone: LEFT JOIN, then "unreachable").
    sql = f"""
        WITH picked AS MATERIALIZED (
            SELECT id FROM {occurrences}
            WHERE status = %s AND due_at <= %s AND due_at >= %s
            ORDER BY due_at
            LIMIT %s
            FOR UPDATE SKIP LOCKED
        ), claimed AS (
            UPDATE {occurrences} o SET status = %s, claimed_at = %s, sent_at = %s
            FROM picked WHERE o.id = picked.id
            RETURNING o.id, o.patient_id, o.kind, o.key, o.title, o.text, o.local_date, o.due_at
        )
        SELECT c.id, c.patient_id, c.kind, c.key, c.title, c.text, c.local_date, c.due_at,
               p.timezone, p.user_id, u.is_active, p.care_status, u.language
        FROM claimed c
        JOIN {patients} p ON p.id = c.patient_id
        LEFT JOIN {users} u ON u.id = p.user_id
        ORDER BY c.due_at, c.id
    """  # noqa: S608 - table names from the models, values as parameters
    params = [OccurrenceStatus.PENDING, now, too_late, limit, OccurrenceStatus.SENT, now, now]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [_Claimed._make(row) for row in cursor.fetchall()]


_DRUG_KINDS = (
    shared_reminders.ReminderKind.IXAZOMIB.value,
    shared_reminders.ReminderKind.LENALIDOMIDE.value,
    shared_reminders.ReminderKind.DEXAMETHASONE.value,
)


def _already_logged(occurrences: list[_Claimed]) -> set[int]:
    """Dose reminders (not antiviral: several a day) whose drug already has a log, of any status,
    on the reminder's local date in the patient's zone. One query."""
    doses = [o for o in occurrences if o.kind in _DRUG_KINDS]
    if not doses:
        return set()
    zones = {o.patient_id: ZoneInfo(o.timezone) for o in doses}
    logs = DoseLog.objects.filter(
        patient_id__in=list(zones),
        drug__in=_DRUG_KINDS,
        taken_at__gte=min(o.due_at for o in doses) - timedelta(days=2),
        taken_at__lt=max(o.due_at for o in doses) + timedelta(days=2),
    ).values_list("patient_id", "drug", "taken_at")
    logged = {(pid, drug, at.astimezone(zones[pid]).date()) for pid, drug, at in logs}
    return {o.pk for o in doses if (o.patient_id, o.kind, o.local_date) in logged}
