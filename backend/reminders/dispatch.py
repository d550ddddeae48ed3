"""Sending due reminders, once each (the package's doc, steps 2 and 3)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from backend.notifications.services import InboxItem, notify_many
from backend.notifications.texts import language_of
from backend.records.models import DoseLog
from backend.reminders.materialise import grace
from backend.reminders.models import OccurrenceStatus, ReminderOccurrence
from backend.reminders.selectors import held_drugs, reminder_message
from shared import reminders as shared_reminders

#: Rows claimed per transaction. A batch costs a fixed few statements (claim, sent mark, held drugs,
#: preferences, one INSERT for the patients with no preference row) plus about 4 per patient with
#: one (notify(): savepoint, inbox item, release, deliveries). Measured in one process on PostgreSQL,
#: 5,000 due, inbox only: about 8,000 reminders/s (2,900/s with a notify() per reminder), so a batch
#: of 500 holds its row locks (or SQLite's write lock) for under 0.1 s, and the claim is amortised.
CLAIM_BATCH = 500
REMINDERS_LINK = "app:reminders"


@dataclass(frozen=True)
class DispatchOutcome:
    sent: int = 0
    skipped: int = 0  # found too late to be useful
    cancelled: int = 0  # the patient has no enrolled, active phone any more
    not_needed: int = 0  # the dose was already logged that day
    full: bool = False  # the batch was full: more may be due


def reminders_dispatch_due(*, now: datetime | None = None, limit: int = CLAIM_BATCH) -> DispatchOutcome:
    """Send one batch of due reminders; safe with any number of concurrent workers (module doc)."""
    now = now or timezone.now()
    too_late = now - grace()
    skipped = ReminderOccurrence.objects.filter(status=OccurrenceStatus.PENDING, due_at__lt=too_late).update(
        status=OccurrenceStatus.SKIPPED
    )
    with transaction.atomic():
        claimed = list(
            ReminderOccurrence.objects.filter(status=OccurrenceStatus.PENDING, due_at__lte=now, due_at__gte=too_late)
            .select_for_update(skip_locked=True, of=("self",))
            .select_related("patient", "patient__user")
            .order_by("due_at")[:limit]
        )
        if not claimed:
            return DispatchOutcome(skipped=skipped)
        # No phone, or paused or discharged since it was planned (patients.care_status): cancelled.
        unreachable = {
            o.pk for o in claimed if o.patient.user is None or not o.patient.user.is_active or not o.patient.in_care
        }
        # A reminder to take a dose already logged that day could make someone take it twice.
        logged = _already_logged([o for o in claimed if o.pk not in unreachable])
        reachable = [o for o in claimed if o.pk not in unreachable and o.pk not in logged]
        # The send is recorded first; the inbox items below commit with it or not at all.
        ReminderOccurrence.objects.filter(pk__in=[o.pk for o in reachable], status=OccurrenceStatus.PENDING).update(
            status=OccurrenceStatus.SENT, claimed_at=now, sent_at=now
        )
        for pks, status in ((unreachable, OccurrenceStatus.CANCELLED), (logged, OccurrenceStatus.NOT_NEEDED)):
            if pks:
                ReminderOccurrence.objects.filter(pk__in=list(pks), status=OccurrenceStatus.PENDING).update(
                    status=status, claimed_at=now
                )
        holds = held_drugs({o.patient_id for o in reachable})
        items: list[InboxItem] = []
        for occurrence in reachable:
            user = occurrence.patient.user
            assert user is not None
            message = reminder_message(  # in the patient's language, as their phone speaks it
                occurrence.kind,
                occurrence.title,
                occurrence.text,
                holds.get(occurrence.patient_id, set()),
                language_of(user),
            )
            items.append(
                InboxItem(
                    recipient=user,
                    kind="reminder",
                    title=message.title,
                    body=message.text,
                    dedupe_key=occurrence.dedupe_key,
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


_DRUG_KINDS = (
    shared_reminders.ReminderKind.IXAZOMIB.value,
    shared_reminders.ReminderKind.LENALIDOMIDE.value,
    shared_reminders.ReminderKind.DEXAMETHASONE.value,
)


def _already_logged(occurrences: list[ReminderOccurrence]) -> set[int]:
    """Dose reminders (not antiviral: several a day) whose drug already has a log, of any status,
    on the reminder's local date in the patient's zone. One query."""
    doses = [o for o in occurrences if o.kind in _DRUG_KINDS]
    if not doses:
        return set()
    zones = {o.patient_id: ZoneInfo(o.patient.timezone) for o in doses}
    logs = DoseLog.objects.filter(
        patient_id__in=list(zones),
        drug__in=_DRUG_KINDS,
        taken_at__gte=min(o.due_at for o in doses) - timedelta(days=2),
        taken_at__lt=max(o.due_at for o in doses) + timedelta(days=2),
    ).values_list("patient_id", "drug", "taken_at")
    logged = {(pid, drug, at.astimezone(zones[pid]).date()) for pid, drug, at in logs}
    return {o.pk for o in doses if (o.patient_id, o.kind, o.local_date) in logged}
