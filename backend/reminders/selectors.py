"""Reminder reads: a patient's upcoming reminders (computed from the plan, not from stored rows),
which drugs an unresolved alert holds, and adherence per cycle."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Final
from uuid import UUID
from zoneinfo import ZoneInfo

from django.db.models import Exists, OuterRef, QuerySet, Subquery

from backend.accounts.models import Clinic, Role, User
from backend.alerts.models import Alert
from backend.core.errors import ApplicationError, NotFound
from backend.core.prepared import PreparedQuery
from backend.notifications.texts import inbox_text, shared_text, shared_value
from backend.patients.calendar import patient_calendar
from backend.patients.models import DoseDecision, Patient
from backend.patients.selectors import patients_visible_to
from backend.records.models import DoseLog
from backend.reminders.models import ReminderPlan
from backend.response.models import ClinicResponseSettings, PatientResponse
from shared import regimen, rems
from shared import reminders as shared_reminders
from shared.response_tests import DEFAULT_EVERY_CYCLES, NextTest, next_test

logger = logging.getLogger(__name__)

UPCOMING_DAYS: Final = 7
MAX_UPCOMING_DAYS: Final = 14
#: A dose logged as taken on its day but more than this after its planned time counts as late.
LATE_AFTER: Final = timedelta(hours=4)
_HOLDABLE: Final = frozenset({regimen.Drug.IXAZOMIB.value, regimen.Drug.LENALIDOMIDE.value})
# What a hold may name: the label's (above) and the care team's (dexamethasone too).
_DRUGS: Final = _HOLDABLE | {regimen.Drug.DEXAMETHASONE.value}


def clinic_default_plan(clinic: Clinic) -> shared_reminders.ReminderPlan:
    """A new patient's plan: the clinic's antiviral drug and times (08:00 and 20:00 if it set none,
    or none that can be read), the shared defaults for the rest."""
    times: tuple[time, ...] = shared_reminders.DEFAULT_ANTIVIRAL_TIMES
    raw = clinic.antiviral_times
    if raw:
        try:
            times = tuple(shared_reminders.parse_wall_time(t, "antiviral_times") for t in raw)
            shared_reminders.ReminderPlan(antiviral_times=times)
        except (shared_reminders.ReminderPlanError, TypeError):
            logger.warning("clinic %s: unreadable antiviral_times %r, using the defaults", clinic.pk, raw)
            times = shared_reminders.DEFAULT_ANTIVIRAL_TIMES
    return shared_reminders.ReminderPlan(antiviral_times=times, antiviral_drug=clinic.antiviral_drug[:60])


def plan_for(patient: Patient) -> shared_reminders.ReminderPlan:
    """The patient's plan, or the clinic's default if none was stored yet (one or two queries)."""
    stored = ReminderPlan.objects.filter(pk=patient.pk).first()
    if stored is not None:
        try:
            return stored.to_shared()
        except shared_reminders.ReminderPlanError:
            logger.exception("patient %s: stored reminder plan is invalid, using the clinic's default", patient.pk)
    return clinic_default_plan(patient.clinic)


def patient_for_reminders(*, user: User, patient_id: object | None) -> Patient:
    """A patient reads their own; a nurse or clinic admin names one of her clinic's patients.
    Anyone else, or another clinic's patient: 404 (never the content). `?patient=` with nothing
    names no one: a 400, as a missing one is for staff."""
    if patient_id == "":
        raise ApplicationError({"patient": ["Give a patient id, or leave ?patient= out."]})
    if user.role == Role.PATIENT:
        own: Patient | None = getattr(user, "patient", None)
        if own is None or (patient_id is not None and str(patient_id) != str(own.pk)):
            raise NotFound()
        return own
    if user.role in (Role.NURSE, Role.ADMIN):
        if patient_id is None:
            raise ApplicationError({"patient": ["Name the patient: ?patient=<id>."]})
        try:
            wanted = UUID(str(patient_id))
        except ValueError:
            raise NotFound() from None
        found = patients_visible_to(user).filter(pk=wanted).select_related("clinic").first()
        if found is None:
            raise NotFound()
        return found
    raise NotFound()


def held_drugs(patient_ids: Iterable[object]) -> dict[object, set[str]]:
    """Drugs on hold now, per patient (one query): the holds in force of the patient's alerts,
    which a later reading lifts and resolving does not (backend.alerts.episodes), and the care
    team's holds (a dose decision, Patient.held_drugs), which a later decision ends."""
    ids = list(patient_ids)
    label = (
        Alert.objects.filter(patient_id__in=ids).exclude(holds_in_force=[]).values_list("patient_id", "holds_in_force")
    )
    decided = Patient.objects.filter(pk__in=ids).exclude(held_drugs=[]).values_list("pk", "held_drugs")
    held: dict[object, set[str]] = defaultdict(set)
    for patient_id, drugs in label.union(decided, all=True):
        held[patient_id] |= {d for d in drugs or () if d in _DRUGS}
    return dict(held)


@dataclass(frozen=True)
class ReminderMessage:
    title: str
    text: str
    on_hold: bool


def reminder_message(kind: str, title: str, text: str, held: set[str], language: str = "en") -> ReminderMessage:
    """What a reminder says, in `language`; for a drug the label holds now, that it is on hold instead."""
    if kind in held:
        return ReminderMessage(
            title=inbox_text("reminder_held.title", language, drug=shared_value(kind.capitalize(), language)),
            text=inbox_text("reminder_held.body", language, drug=shared_value(kind, language)),
            on_hold=True,
        )
    return ReminderMessage(title=shared_text(title, language), text=shared_text(text, language), on_hold=False)


@dataclass(frozen=True)
class UpcomingReminder:
    occurrence: shared_reminders.Occurrence
    message: ReminderMessage


_TestInputs = tuple[date | None, bool, int | None]  # last test day, responded, the clinic's interval


def _plan_query(patient_id: UUID, clinic_id: int) -> QuerySet[ReminderPlan]:
    holding = Alert.objects.filter(patient_id=OuterRef("pk")).exclude(holds_in_force=[])
    response = PatientResponse.objects.filter(patient_id=OuterRef("pk"))
    every = ClinicResponseSettings.objects.filter(clinic_id=clinic_id).values("test_every_cycles")[:1]
    return (
        ReminderPlan.objects.filter(pk=patient_id)
        .annotate(**{f"held_{drug}": Exists(holding.filter(holds_in_force__icontains=drug)) for drug in _HOLDABLE})
        .annotate(
            test_on=Subquery(response.values("last_test_on")[:1]),
            test_responded=Subquery(response.values("responded")[:1]),
            test_every=Subquery(every),
        )
        .order_by("pk")[:1]
    )


# Compiled once per connection: building and compiling its subqueries cost several times the
# query's own round trip on every sync (bench/README.md, bench 1). Placeholders: no such ids.
_PLAN = PreparedQuery(_plan_query, UUID("00000000-0000-4000-8000-9e3100000002"), -(2**62) + 13)


def _plan_and_holds(patient: Patient) -> tuple[shared_reminders.ReminderPlan, set[str], _TestInputs | None]:
    """The plan, the held drugs and the next response test in one query: this runs on every sync,
    the phone's hot path. (`icontains` on the JSON list works alike on PostgreSQL and SQLite; drug
    names are fixed words.)"""
    found = _PLAN.run(patient.pk, patient.clinic_id)
    stored = found[0] if found else None
    if stored is None:
        held = held_drugs([patient.pk]).get(patient.pk, set())
        return clinic_default_plan(patient.clinic), held, _test_inputs(patient)
    # The label's holds, and the care team's, read with the patient (no query of their own).
    held = {drug for drug in _HOLDABLE if getattr(stored, f"held_{drug}")} | set(patient.held_drugs or ())
    test = (stored.test_on, bool(stored.test_responded), stored.test_every)  # type: ignore[attr-defined]
    try:
        return stored.to_shared(), held, test
    except shared_reminders.ReminderPlanError:
        logger.exception("patient %s: stored reminder plan is invalid, using the clinic's default", patient.pk)
        return clinic_default_plan(patient.clinic), held, test


def patient_stopped_drugs(patient: Patient) -> frozenset[regimen.Drug]:
    """The IRd drugs the care team stopped (0 mg, backend.patients.dose_decisions): no reminder."""
    return regimen.stopped_drugs(
        {
            "ixazomib": patient.ixazomib_mg,
            "lenalidomide": patient.lenalidomide_mg,
            "dexamethasone": patient.dexamethasone_mg,
        }
    )


def patient_rems_profile(patient: Patient) -> rems.RemsProfile:
    """The lenalidomide REMS reminders' profile: pregnancy tests only when the care team recorded that
    the patient can become pregnant; once lenalidomide is stopped, the day it stopped (they go on
    for 4 weeks after it). One query, only for a stopped lenalidomide."""
    last_dose = None
    if patient.lenalidomide_mg == 0:
        stop = (
            DoseDecision.objects.filter(patient=patient, drug="lenalidomide", to_mg=0)
            .order_by("-decided_at")
            .values_list("effective_on", flat=True)
            .first()
        )
        last_dose = stop or patient.start_date
    return rems.RemsProfile(can_become_pregnant=patient.can_become_pregnant is True, last_dose=last_dose)


def _response_test(start: regimen.Start, last_test: date | None, responded: bool, every: int | None) -> NextTest | None:
    if last_test is None:
        return None
    return next_test(
        start=start,
        last_test=last_test,
        responded=responded,
        today=last_test,  # only the due day matters here, not whether it is overdue
        every_cycles=every or DEFAULT_EVERY_CYCLES,
    )


def _test_inputs(patient: Patient) -> _TestInputs | None:
    """What the next response test is computed from, in one query; None when no SPEP/UPEP/FLC is on
    record (response is not tracked for the patient, so they are not reminded of it)."""
    every = ClinicResponseSettings.objects.filter(clinic_id=patient.clinic_id).values("test_every_cycles")[:1]
    found = (
        PatientResponse.objects.filter(patient_id=patient.pk)
        .annotate(every=Subquery(every))
        .values_list("last_test_on", "responded", "every")
        .first()
    )
    return None if found is None else (found[0], bool(found[1]), found[2])


def patient_response_test(patient: Patient, calendar: regimen.Calendar | None = None) -> NextTest | None:
    """The patient's next SPEP/UPEP/FLC draw (shared.response_tests), as the dashboard shows it due,
    on the patient's calendar (cycle delays move it); None when response is not tracked for them."""
    inputs = _test_inputs(patient)
    return None if inputs is None else _response_test(calendar or patient_calendar(patient), *inputs)


def upcoming_reminders(
    *, patient: Patient, now: datetime, days: int = UPCOMING_DAYS, calendar: regimen.Calendar | None = None
) -> list[UpcomingReminder]:
    """Reminders from `now` for `days` days, straight from the plan (nothing stored is needed, so
    the phone can keep this list and show it offline), on the patient's calendar (`calendar`, when the
    caller has it: the care team's cycle delays move the dose, draw and response-test days). None
    for a paused or discharged patient (backend.patients.care_status)."""
    if not patient.in_care:
        return []
    calendar = calendar or patient_calendar(patient)
    plan, held, test_inputs = _plan_and_holds(patient)
    test = _response_test(calendar, *test_inputs) if test_inputs is not None else None
    zone = ZoneInfo(patient.timezone)
    found = shared_reminders.occurrences(
        plan,
        calendar,
        zone,
        now,
        now + timedelta(days=days),
        stopped=patient_stopped_drugs(patient),
        rems_profile=patient_rems_profile(patient),
        response_test=test,
    )
    return [UpcomingReminder(o, reminder_message(o.kind.value, o.title, o.text, held)) for o in found]


def reminder_payload(reminder: UpcomingReminder) -> dict[str, object]:
    """The JSON a phone keeps: times with the patient's own offset."""
    o = reminder.occurrence
    return {
        "key": o.key,
        "kind": o.kind.value,
        "due_at": o.local_due.isoformat(),
        "local_date": o.local_date.isoformat(),
        "local_time": shared_reminders.format_wall_time(o.local_due.time()),
        "title": reminder.message.title,
        "text": reminder.message.text,
        "on_hold": reminder.message.on_hold,
    }


def upcoming_reminders_payload(
    *, patient: Patient, now: datetime, days: int = UPCOMING_DAYS, calendar: regimen.Calendar | None = None
) -> list[dict[str, object]]:
    return [reminder_payload(r) for r in upcoming_reminders(patient=patient, now=now, days=days, calendar=calendar)]


# --- Adherence -------------------------------------------------------------------------------------

ADHERENCE_DRUGS: Final = (
    regimen.Drug.IXAZOMIB,
    regimen.Drug.LENALIDOMIDE,
    regimen.Drug.DEXAMETHASONE,
    regimen.Drug.ANTIVIRAL,
)


@dataclass(frozen=True)
class CycleAdherence:
    """Doses of one drug in one cycle, from day 1 up to today (the patient's local date).

    Every scheduled dose is in exactly one of taken, vomited, skipped, missed or pending, so
    `scheduled == taken + vomited + skipped + missed + pending`; `late` counts the doses among
    `taken` that came late (see `adherence_by_cycle`)."""

    cycle: int
    drug: str
    scheduled: int
    taken: int
    late: int
    missed: int
    vomited: int
    skipped: int
    pending: int


@dataclass
class _Tally:
    scheduled: int = 0
    taken: int = 0
    late: int = 0
    missed: int = 0
    vomited: int = 0
    skipped: int = 0
    pending: int = 0


def adherence_by_cycle(
    patient: Patient,
    today: date,
    *,
    plan: shared_reminders.ReminderPlan | None = None,
    calendar: regimen.Calendar | None = None,
) -> list[CycleAdherence]:
    """Adherence per cycle and drug, cycles 1 up to today's, from the DoseLogs (one query, plus one
    or two for the plan unless it is passed in).

    Only doses due since the patient was enrolled (`Patient.created_at`) count: one planned before
    it is neither due nor missed, and the cycles before the enrollment's are left out.

    A log belongs to the local date (patient's zone) of its `taken_at`. On a scheduled day the logs
    fill that day's doses (one for IRd drugs, one per antiviral time): taken first, each answering
    the nearest planned time still open, then vomited, then skipped. A taken dose is **late** when
    it was logged more than 4 hours after its planned time (the plan's current time), or on a later
    day: for ixazomib any day up to the label's limit (72 hours before the next dose,
    `regimen.ixazomib_missed_dose_advice`), for the other drugs the next day if that day is not
    itself a scheduled day. A scheduled dose without a log is **missed** once its local day is
    over, and **pending** on the day itself. Cycles follow the patient's calendar (the care team's
    cycle delays): a delayed cycle starts later, and its delay days carry no IRd dose.
    """
    calendar = calendar or patient_calendar(patient)  # one query unless passed in
    start = calendar.first_day
    if today < start:
        return []
    plan = plan or plan_for(patient)
    zone = ZoneInfo(patient.timezone)
    last_cycle = regimen.cycle_day(calendar, today)
    assert last_cycle is not None
    logs: dict[tuple[str, date], list[tuple[datetime, str]]] = defaultdict(list)
    rows = DoseLog.objects.filter(
        patient=patient,
        taken_at__gte=shared_reminders.local_instant(start, time(0), zone),
        taken_at__lt=shared_reminders.local_instant(today + timedelta(days=1), time(0), zone),
    ).values_list("drug", "status", "taken_at")
    for drug, status, taken_at in rows:
        local = taken_at.astimezone(zone)
        logs[(drug, local.date())].append((local, status))
    # No antiviral times in the plan: antiviral doses are not tracked.
    drugs = [d for d in ADHERENCE_DRUGS if d is not regimen.Drug.ANTIVIRAL or plan.antiviral_times]
    # Cycles from the one the patient was enrolled in (the enrollment's local date, or day 1 if later).
    enrolled = patient.created_at
    first_cycle = regimen.cycle_day(calendar, max(start, enrolled.astimezone(zone).date()))
    assert first_cycle is not None
    if first_cycle.cycle > last_cycle.cycle:
        return []
    tallies: dict[tuple[int, str], _Tally] = {
        (cycle, drug.value): _Tally() for cycle in range(first_cycle.cycle, last_cycle.cycle + 1) for drug in drugs
    }
    for drug in drugs:
        if drug is regimen.Drug.ANTIVIRAL:
            slots = plan.antiviral_times
            days = [start + timedelta(days=i) for i in range((today - start).days + 1)]
        else:
            slots = (_drug_time(plan, drug),)
            days = regimen.scheduled_dates(calendar, drug, start, today)
        # Only doses due since enrollment: a patient enrolled mid-cycle missed nothing before it.
        due = {day: tuple(t for t in slots if shared_reminders.local_instant(day, t, zone) >= enrolled) for day in days}
        days = [day for day in days if due[day]]
        late_from_later_day = _late_days(drug, calendar, days, logs, plan, zone)
        for day in days:
            position = regimen.cycle_day(calendar, day)
            assert position is not None
            tally = tallies[(position.cycle, drug.value)]
            _count_day(tally, day, due[day], sorted(logs.get((drug.value, day), [])), today, zone)
            if day in late_from_later_day:
                tally.missed -= 1
                tally.taken += 1
                tally.late += 1
    return [CycleAdherence(cycle, drug, **vars(t)) for (cycle, drug), t in tallies.items()]


def _drug_time(plan: shared_reminders.ReminderPlan, drug: regimen.Drug) -> time:
    return {
        regimen.Drug.IXAZOMIB: plan.ixazomib_time,
        regimen.Drug.LENALIDOMIDE: plan.lenalidomide_time,
        regimen.Drug.DEXAMETHASONE: plan.dexamethasone_time,
    }[drug]


def _count_day(
    tally: _Tally,
    day: date,
    slots: tuple[time, ...],
    day_logs: list[tuple[datetime, str]],
    today: date,
    zone: ZoneInfo,
) -> None:
    tally.scheduled += len(slots)
    taken = [at for at, status in day_logs if status == "taken"]
    vomited = sum(1 for _, status in day_logs if status == "vomited")
    skipped = sum(1 for _, status in day_logs if status == "skipped")
    open_slots = len(slots)
    # Each taken log answers the nearest planned time still open (an evening log is the evening dose).
    planned = [shared_reminders.local_instant(day, t, zone) for t in slots]
    pairs = sorted((abs(log - slot), i, j) for i, log in enumerate(taken) for j, slot in enumerate(planned))
    used_logs: set[int] = set()
    used_slots: set[int] = set()
    for _, i, j in pairs:
        if i in used_logs or j in used_slots:
            continue
        used_logs.add(i)
        used_slots.add(j)
        tally.taken += 1
        open_slots -= 1
        if taken[i] - planned[j] > LATE_AFTER:
            tally.late += 1
    for count, field in ((vomited, "vomited"), (skipped, "skipped")):
        used = min(count, open_slots)
        setattr(tally, field, getattr(tally, field) + used)
        open_slots -= used
    if day < today:
        tally.missed += open_slots
    else:
        tally.pending += open_slots


def _late_days(
    drug: regimen.Drug,
    start: regimen.Start,
    days: list[date],
    logs: dict[tuple[str, date], list[tuple[datetime, str]]],
    plan: shared_reminders.ReminderPlan,
    zone: ZoneInfo,
) -> set[date]:
    """Scheduled days with no log of their own whose dose was logged as taken on a later,
    unscheduled day (see adherence_by_cycle for which later days count)."""
    if drug is regimen.Drug.ANTIVIRAL:
        return set()
    scheduled = set(days)
    found: set[date] = set()
    for day in days:
        if logs.get((drug.value, day)):
            continue
        if drug is regimen.Drug.IXAZOMIB:
            advice = regimen.ixazomib_missed_dose_advice(
                start_date=start,
                missed_on=day,
                now=shared_reminders.local_instant(day, plan.ixazomib_time, zone),
                dose_time=plan.ixazomib_time,
                tz=zone,
            )
            assert advice.take_until is not None
            # Up to and including take_until: the label allows a missed dose while the next one is
            # "≥ 72 hours away" (shared.regimen.IXAZOMIB_MISSED_DOSE_MIN_GAP).
            end = advice.take_until + timedelta.resolution
        else:
            end = shared_reminders.local_instant(day + timedelta(days=2), time(0), zone)
        later = day + timedelta(days=1)
        while later not in scheduled and shared_reminders.local_instant(later, time(0), zone) < end:
            if any(status == "taken" and at < end for at, status in logs.get((drug.value, later), [])):
                found.add(day)
                break
            later += timedelta(days=1)
    return found


def adherence_for(*, patient: Patient, now: datetime, calendar: regimen.Calendar | None = None) -> list[CycleAdherence]:
    return adherence_by_cycle(patient, now.astimezone(ZoneInfo(patient.timezone)).date(), calendar=calendar)
