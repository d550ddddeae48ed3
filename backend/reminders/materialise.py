"""From plans to stored reminders, once each (the package's doc, step 1): the next ~48 h per
enrolled patient, re-timed in place when the plan, the zone or the start date changes."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from backend.accounts.models import Role, User
from backend.core.errors import ApplicationError
from backend.patients.calendar import patient_calendar
from backend.patients.models import CareStatus, Patient
from backend.reminders.models import OccurrenceStatus, ReminderOccurrence, ReminderPlan
from backend.reminders.plans import (
    CARE_TEAM_ONLY,
    CARE_TEAM_ONLY_MESSAGE,
    PLAN_FIELDS,
    plan_changes_parse,
    plan_values,
    reminder_plan_ensure,
)
from backend.reminders.selectors import (
    clinic_default_plan,
    patient_rems_profile,
    patient_response_test,
    patient_stopped_drugs,
)
from shared import reminders as shared_reminders

logger = logging.getLogger(__name__)

#: Plans (re)materialised per run; a new clinic of thousands catches up over a few minutes.
MATERIALISE_BATCH = 500


def grace() -> timedelta:
    return timedelta(minutes=settings.CARELOOP_REMINDER_GRACE_MINUTES)


def horizon() -> timedelta:
    return timedelta(hours=settings.CARELOOP_REMINDER_HORIZON_HOURS)


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
    } | plan_changes_parse(changes)
    try:
        checked = shared_reminders.ReminderPlan(**merged)
    except shared_reminders.ReminderPlanError as error:
        raise ApplicationError({error.field: [error.message]}) from None
    for name, value in plan_values(checked).items():
        setattr(plan, name, value)
    plan.updated_at = now
    plan.save()
    plan_replan(plan, now)
    return plan


def reminders_replan(*, patient: Patient, now: datetime | None = None) -> int:
    """Re-time the patient's pending reminders now (e.g. right after their zone changed). The beat
    task would do it within a minute anyway: it compares the zone and start date with the plan's."""
    now = now or timezone.now()
    with transaction.atomic():
        reminder_plan_ensure(patient=patient, now=now)
        plan = ReminderPlan.objects.select_for_update().select_related("patient").get(pk=patient.pk)
        return plan_replan(plan, now)


def plan_replan(plan: ReminderPlan, now: datetime) -> int:
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
    calendar = patient_calendar(patient)  # the care team's cycle delays move the dose and test days
    planned = (
        shared_reminders.occurrences(
            plan.to_shared(),
            calendar,
            zone,
            window_start,
            window_end,
            stopped=patient_stopped_drugs(patient),
            rems_profile=patient_rems_profile(patient),
            response_test=patient_response_test(patient, calendar),
        )
        if patient.in_care
        else []  # paused or discharged (patients.care_status): every pending one is cancelled
    )
    wanted = {o.key: o for o in planned}
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
    rows = [ReminderPlan(patient=p, updated_at=now, **plan_values(clinic_default_plan(p.clinic))) for p in missing]
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
        ReminderPlan.objects.filter(
            patient__user__isnull=False, patient__user__is_active=True, patient__care_status=CareStatus.ACTIVE
        )
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
                    made += plan_replan(plan, now)
        except Exception:
            logger.exception("reminders: could not materialise the plan of patient %s", pk)
    return made
