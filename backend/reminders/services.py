"""Reminders, once each: plans → stored reminders → inbox items; missed ixazomib doses.

How a reminder is sent exactly once (style guide §9 rules 4-5):

1. `reminders_materialise` (beat) makes the next ~48 h of reminders per enrolled patient from their
   plan (shared.reminders). Rows are unique per (patient, key), inserted with ignore_conflicts, so
   running it twice, or in two workers, makes nothing twice. When the plan, the patient's zone or
   start date changed, the pending rows are re-timed in place (same key: one reminder per dose) and
   those no longer planned are cancelled.
2. `reminders_dispatch_due` (beat, then self-re-triggering while a backlog lasts) claims due
   pending rows with SELECT … FOR UPDATE SKIP LOCKED (on SQLite the IMMEDIATE transaction holds
   the write lock instead), records them as sent, then writes the inbox items and their outside
   deliveries (notifications.notify_many, keyed per patient and dose), all in ONE transaction. A
   worker killed before the commit leaves no trace: the rows are still pending and the next run
   sends them once; after the commit, everything is recorded and nothing runs again. The outside
   channels are sent afterwards by notifications' own claimed, attempt-recorded
   `deliveries_send_due`.
3. A reminder found more than the grace period late (the system was down) is marked skipped, not
   sent: "take your 08:00 dose" at 15:00 does more harm than good. A dose reminder whose drug was
   already logged that local day is marked not_needed: reminding could make someone take it twice.
   A patient with no enrolled phone gets none (cancelled).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from backend.accounts.models import Role, User
from backend.core.errors import ApplicationError
from backend.notifications.models import Notification
from backend.notifications.services import InboxItem, notify, notify_many
from backend.patients.models import Patient
from backend.records.models import DoseLog
from backend.reminders.models import OccurrenceStatus, ReminderOccurrence, ReminderPlan
from backend.reminders.selectors import clinic_default_plan, held_drugs, reminder_message
from shared import regimen
from shared import reminders as shared_reminders

logger = logging.getLogger(__name__)

#: Rows claimed per transaction. A batch costs a fixed few statements (claim, sent mark, held drugs,
#: preferences, one INSERT for the patients with no preference row) plus about 4 per patient with
#: one (notify(): savepoint, inbox item, release, deliveries). Measured in one process on PostgreSQL,
#: 5,000 due, inbox only: about 8,000 reminders/s (2,900/s with a notify() per reminder), so a batch
#: of 500 holds its row locks (or SQLite's write lock) for under 0.1 s, and the claim is amortised.
CLAIM_BATCH = 500
#: Plans (re)materialised per run; a new clinic of thousands catches up over a few minutes.
MATERIALISE_BATCH = 500

PLAN_FIELDS = (
    "antiviral_times",
    "ixazomib_time",
    "lenalidomide_time",
    "dexamethasone_time",
    "lab_draw_time",
    "nadir_draw_cycles",
    "antiviral_drug",
)
#: Clinical choices a patient's phone may not change: which antiviral, and the nadir blood draws.
CARE_TEAM_ONLY = frozenset({"antiviral_drug", "nadir_draw_cycles"})
CARE_TEAM_ONLY_MESSAGE = "Only your care team can change this."
REMINDERS_LINK = "app:reminders"
MISSED_DOSE_LINK = "app:doses"


def grace() -> timedelta:
    return timedelta(minutes=settings.CARELOOP_REMINDER_GRACE_MINUTES)


def horizon() -> timedelta:
    return timedelta(hours=settings.CARELOOP_REMINDER_HORIZON_HOURS)


# --- Plans -----------------------------------------------------------------------------------------


def _plan_values(plan: shared_reminders.ReminderPlan) -> dict[str, Any]:
    return {
        "antiviral_times": [shared_reminders.format_wall_time(t) for t in plan.antiviral_times],
        "ixazomib_time": plan.ixazomib_time,
        "lenalidomide_time": plan.lenalidomide_time,
        "dexamethasone_time": plan.dexamethasone_time,
        "lab_draw_time": plan.lab_draw_time,
        "nadir_draw_cycles": plan.nadir_draw_cycles,
        "antiviral_drug": plan.antiviral_drug,
    }


def reminder_plan_ensure(*, patient: Patient, now: datetime | None = None) -> ReminderPlan:
    """The patient's plan, made from the clinic's default (Clinic.antiviral_drug/_times) if missing.
    Safe to call concurrently: the plan's primary key is the patient."""
    found = ReminderPlan.objects.filter(pk=patient.pk).first()
    if found is not None:
        return found
    values = _plan_values(clinic_default_plan(patient.clinic))
    ReminderPlan.objects.bulk_create(
        [ReminderPlan(patient=patient, updated_at=now or timezone.now(), **values)], ignore_conflicts=True
    )
    return ReminderPlan.objects.get(pk=patient.pk)


def _parse_changes(changes: Mapping[str, Any]) -> dict[str, Any]:
    """Field values as the shared plan wants them; ApplicationError names every bad field."""
    parsed: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for name, value in changes.items():
        try:
            if name == "antiviral_times":
                if not isinstance(value, list | tuple):
                    raise shared_reminders.ReminderPlanError(name, "Must be a list of times such as 08:00.")
                parsed[name] = tuple(shared_reminders.parse_wall_time(v, name) for v in value)
            elif name.endswith("_time"):
                parsed[name] = shared_reminders.parse_wall_time(value, name)
            else:
                parsed[name] = value
        except shared_reminders.ReminderPlanError as error:
            errors.setdefault(error.field, []).append(error.message)
    if errors:
        raise ApplicationError(errors)
    return parsed


@transaction.atomic
def reminder_plan_update(
    *, patient: Patient, actor: User, changes: Mapping[str, Any], now: datetime | None = None
) -> ReminderPlan:
    """Change some of a patient's reminder times (fields left out keep their value) and re-time the
    pending reminders at once. The patient may change times; the care team may change anything."""
    now = now or timezone.now()
    unknown = set(changes) - set(PLAN_FIELDS)
    if unknown:
        raise ApplicationError({name: ["Unknown field."] for name in sorted(unknown)})
    if actor.role == Role.PATIENT:
        refused = sorted(set(changes) & CARE_TEAM_ONLY)
        if refused:
            raise ApplicationError({name: [CARE_TEAM_ONLY_MESSAGE] for name in refused})
    reminder_plan_ensure(patient=patient, now=now)
    plan = ReminderPlan.objects.select_for_update().select_related("patient").get(pk=patient.pk)
    current = plan.to_shared()
    merged = {
        "antiviral_times": current.antiviral_times,
        "ixazomib_time": current.ixazomib_time,
        "lenalidomide_time": current.lenalidomide_time,
        "dexamethasone_time": current.dexamethasone_time,
        "lab_draw_time": current.lab_draw_time,
        "nadir_draw_cycles": current.nadir_draw_cycles,
        "antiviral_drug": current.antiviral_drug,
    } | _parse_changes(changes)
    try:
        checked = shared_reminders.ReminderPlan(**merged)
    except shared_reminders.ReminderPlanError as error:
        raise ApplicationError({error.field: [error.message]}) from None
    for name, value in _plan_values(checked).items():
        setattr(plan, name, value)
    plan.updated_at = now
    plan.save()
    _replan(plan, now)
    return plan


def reminders_replan(*, patient: Patient, now: datetime | None = None) -> int:
    """Re-time the patient's pending reminders now (e.g. right after their zone changed). The beat
    task would do it within a minute anyway: it compares the zone and start date with the plan's."""
    now = now or timezone.now()
    with transaction.atomic():
        reminder_plan_ensure(patient=patient, now=now)
        plan = ReminderPlan.objects.select_for_update().select_related("patient").get(pk=patient.pk)
        return _replan(plan, now)


# --- Materialising ---------------------------------------------------------------------------------


def _replan(plan: ReminderPlan, now: datetime) -> int:
    """Make one patient's stored reminders match their plan, zone and start date, from the start of
    their local today (or `now - grace` if earlier) to `now + horizon`. Returns the rows created.

    * A reminder not stored yet is created, unless it is already more than the grace period late.
    * A pending reminder is re-timed in place (same key, so still one reminder per dose). If the
      change itself made it overdue (it was still on time before, e.g. the patient flew east and
      today's 09:00 has passed in the new zone), it is due now: late beats missed. One that was
      already overdue stays so and is skipped by the dispatcher (the system was down).
    * A pending reminder no longer planned is cancelled; a cancelled one planned again comes back.
    * Sent, skipped and not-needed rows are final.

    Precondition: the plan row is locked (select_for_update) by the caller's transaction, so two
    re-plans of one patient never interleave. Every write is conditional on the row still being
    pending (or cancelled): a dispatch that claimed it first wins."""
    patient = plan.patient
    zone = ZoneInfo(patient.timezone)
    today = now.astimezone(zone).date()
    too_late = now - grace()
    window_start = min(too_late, shared_reminders.local_instant(today, time(0), zone))
    window_end = now + horizon()
    wanted = {
        o.key: o
        for o in shared_reminders.occurrences(plan.to_shared(), patient.start_date, zone, window_start, window_end)
    }
    existing = {
        row.key: row
        for row in ReminderOccurrence.objects.filter(patient=patient).filter(
            Q(key__in=list(wanted)) | Q(status=OccurrenceStatus.PENDING, due_at__gte=window_start)
        )
    }
    dropped = [r.pk for r in existing.values() if r.status == OccurrenceStatus.PENDING and r.key not in wanted]
    if dropped:
        ReminderOccurrence.objects.filter(pk__in=dropped, status=OccurrenceStatus.PENDING).update(
            status=OccurrenceStatus.CANCELLED
        )
    for key, occurrence in wanted.items():
        row = existing.get(key)
        if row is None:
            continue
        due_at = occurrence.due_at
        if row.status == OccurrenceStatus.PENDING:
            if due_at < too_late and row.due_at >= too_late and occurrence.local_date == today:
                due_at = now  # made overdue by this change: late beats missed
        elif row.status != OccurrenceStatus.CANCELLED or due_at < too_late:
            continue
        if (row.status, row.due_at, row.title, row.text) != (
            OccurrenceStatus.PENDING,
            due_at,
            occurrence.title,
            occurrence.text,
        ):
            ReminderOccurrence.objects.filter(
                pk=row.pk, status__in=(OccurrenceStatus.PENDING, OccurrenceStatus.CANCELLED)
            ).update(
                status=OccurrenceStatus.PENDING,
                due_at=due_at,
                local_date=occurrence.local_date,
                title=occurrence.title,
                text=occurrence.text,
            )
    new = [
        ReminderOccurrence(
            patient=patient,
            kind=o.kind.value,
            key=o.key,
            local_date=o.local_date,
            due_at=o.due_at,
            title=o.title,
            text=o.text,
            created_at=now,
        )
        for key, o in wanted.items()
        if key not in existing and o.due_at >= too_late
    ]
    ReminderOccurrence.objects.bulk_create(new, ignore_conflicts=True)
    plan.materialised_until = window_end
    plan.materialised_zone = patient.timezone
    plan.materialised_start = patient.start_date
    plan.save(update_fields=["materialised_until", "materialised_zone", "materialised_start"])
    return len(new)


def _plans_ensure_for_enrolled(now: datetime, limit: int) -> int:
    """Default plans for enrolled patients who have none (made before reminders existed, or by a
    path that does not go through patient_create)."""
    missing = list(
        Patient.objects.filter(user__isnull=False, reminder_plan__isnull=True).select_related("clinic")[:limit]
    )
    rows = [ReminderPlan(patient=p, updated_at=now, **_plan_values(clinic_default_plan(p.clinic))) for p in missing]
    ReminderPlan.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def reminders_materialise(*, now: datetime | None = None, limit: int = MATERIALISE_BATCH) -> int:
    """Make the coming reminders of enrolled patients whose rows run out within half the horizon,
    or whose plan, zone or start date changed since. Returns the number of rows created.

    One patient's failure (e.g. a zone the server's tz database no longer knows) is logged and
    does not stop the others."""
    now = now or timezone.now()
    _plans_ensure_for_enrolled(now, limit)
    stale = (
        ReminderPlan.objects.filter(patient__user__isnull=False, patient__user__is_active=True)
        .filter(
            Q(materialised_until__isnull=True)
            | Q(materialised_until__lt=now + horizon() / 2)
            | ~Q(materialised_zone=F("patient__timezone"))
            | ~Q(materialised_start=F("patient__start_date"))
        )
        .order_by(F("materialised_until").asc(nulls_first=True))
        .values_list("pk", flat=True)[:limit]
    )
    made = 0
    for pk in list(stale):
        try:
            with transaction.atomic():
                plan = (
                    ReminderPlan.objects.select_for_update(skip_locked=True, of=("self",))
                    .select_related("patient")
                    .filter(pk=pk)
                    .first()
                )
                if plan is not None:  # None: another worker is re-planning this patient right now
                    made += _replan(plan, now)
        except Exception:
            logger.exception("reminders: could not materialise the plan of patient %s", pk)
    return made


# --- Sending ---------------------------------------------------------------------------------------


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
        unreachable = {o.pk for o in claimed if o.patient.user is None or not o.patient.user.is_active}
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
            message = reminder_message(
                occurrence.kind, occurrence.title, occurrence.text, holds.get(occurrence.patient_id, set())
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
        # Patients with no preference row (inbox only) in one INSERT; the others one by one.
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


# --- Missed ixazomib doses -------------------------------------------------------------------------


@dataclass(frozen=True)
class _MissedCandidate:
    patient: Patient
    user: User
    plan: ReminderPlan
    zone: ZoneInfo
    day: date  # the local day that just ended
    day_start: datetime
    day_end: datetime

    @property
    def dedupe_key(self) -> str:
        return f"missed-dose:ixazomib:{self.patient.pk}:{self.day.isoformat()}"


def _missed_candidates(now: datetime) -> list[_MissedCandidate]:
    """Enrolled patients whose local yesterday was an ixazomib day, ended after they enrolled."""
    found = []
    plans = ReminderPlan.objects.filter(patient__user__isnull=False, patient__user__is_active=True).select_related(
        "patient", "patient__user"
    )
    for plan in plans.iterator(chunk_size=2000):
        patient = plan.patient
        try:
            zone = ZoneInfo(patient.timezone)
        except (ValueError, KeyError):
            logger.error("patient %s: unknown time zone %r", patient.pk, patient.timezone)
            continue
        today = now.astimezone(zone).date()
        day = today - timedelta(days=1)
        if regimen.Drug.IXAZOMIB not in regimen.drugs_due(patient.start_date, day):
            continue
        day_end = shared_reminders.local_instant(today, time(0), zone)
        user = patient.user
        assert user is not None
        if user.date_joined >= day_end:  # no phone yet on that day: nothing could have been logged
            continue
        day_start = shared_reminders.local_instant(day, time(0), zone)
        found.append(_MissedCandidate(patient, user, plan, zone, day, day_start, day_end))
    return found


def _caregivers_for_missed_doses(patient: Patient) -> list[User]:
    """Caregivers the patient allowed to hear about missed doses. backend.caregivers is being built
    alongside; until it exists there are none."""
    try:
        from backend.caregivers.selectors import caregivers_with_scope
    except ImportError:
        return []
    return list(caregivers_with_scope(patient, "missed_doses"))


def missed_doses_notify(*, now: datetime | None = None) -> int:
    """Nudge patients whose ixazomib dose of the local day that just ended has no log, with the
    label's answer (shared.regimen.ixazomib_missed_dose_advice); their missed-dose caregivers too.

    Any log of the day counts: taken, skipped, or vomited (a vomited dose is never repeated, so it
    never gets "take it"). No nudge while an unresolved alert holds ixazomib. One nudge per patient
    and day (notify's dedupe key), however often this runs. Returns the number of inbox items."""
    now = now or timezone.now()
    candidates = _missed_candidates(now)
    if not candidates:
        return 0
    already = set(
        Notification.objects.filter(
            recipient__in=[c.user for c in candidates], dedupe_key__in=[c.dedupe_key for c in candidates]
        ).values_list("dedupe_key", flat=True)
    )
    candidates = [c for c in candidates if c.dedupe_key not in already]
    if not candidates:
        return 0
    logged = {
        (patient_id, taken_at)
        for patient_id, taken_at in DoseLog.objects.filter(
            patient_id__in=[c.patient.pk for c in candidates],
            drug=regimen.Drug.IXAZOMIB.value,
            taken_at__gte=min(c.day_start for c in candidates),
            taken_at__lt=max(c.day_end for c in candidates),
        ).values_list("patient_id", "taken_at")
    }
    holds = held_drugs([c.patient.pk for c in candidates])
    sent = 0
    for candidate in candidates:
        patient = candidate.patient
        if any(pid == patient.pk and candidate.day_start <= at < candidate.day_end for pid, at in logged):
            continue
        if regimen.Drug.IXAZOMIB.value in holds.get(patient.pk, set()):
            continue
        sent += _missed_dose_notify(candidate, now)
    return sent


def _missed_dose_notify(candidate: _MissedCandidate, now: datetime) -> int:
    patient = candidate.patient
    advice = regimen.ixazomib_missed_dose_advice(
        start_date=patient.start_date,
        missed_on=candidate.day,
        now=now,
        dose_time=candidate.plan.ixazomib_time,
        tz=candidate.zone,
    )
    day = shared_reminders.format_day(candidate.day)
    sent = 0
    with transaction.atomic():
        sent += (
            notify(
                recipient=candidate.user,
                kind="missed_dose",
                title="Ixazomib dose not logged",
                body=f"Your ixazomib dose of {day} is not logged. If you took it, log it in the app. "
                f"If you did not: {advice.reason}",
                dedupe_key=candidate.dedupe_key,
                link=MISSED_DOSE_LINK,
                now=now,
            )
            is not None
        )
        for caregiver in _caregivers_for_missed_doses(patient):
            sent += (
                notify(
                    recipient=caregiver,
                    kind="missed_dose",
                    title=f"{patient.display_name}: ixazomib dose not logged",
                    body=f"{patient.display_name} has not logged the ixazomib dose of {day}.",
                    dedupe_key=candidate.dedupe_key,
                    patient_id=patient.pk,  # hidden from the caregiver once the patient revokes them
                    now=now,
                )
                is not None
            )
    return sent
