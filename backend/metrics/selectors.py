"""The clinic's figures over a period, read with a fixed number of queries (eleven on PostgreSQL,
twelve on SQLite, whatever the number of patients or alerts: tests/backend/metrics/test_selectors.py
counts them), each an
aggregate or a narrow list the arithmetic of shared.service_metrics turns into figures.

Counts only: the result names staff (the workload table) but never a patient.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import Aggregate, Count, DurationField, Exists, ExpressionWrapper, F, OuterRef, Q

from backend.accounts.models import Clinic
from backend.alerts.models import Alert, EscalationStep, Severity
from backend.metrics.period import Period
from backend.patients.models import Patient
from backend.records.models import DoseLog, LabResult
from backend.reminders.models import OccurrenceStatus, ReminderOccurrence
from backend.response.models import MarkerResult, PatientResponse
from backend.response.selectors import TEST_MARKERS, clinic_test_every_cycles
from shared import regimen
from shared import service_metrics as sm
from shared.reminders import DEFAULT_ANTIVIRAL_TIMES, ReminderKind, local_instant
from shared.response_tests import OVERDUE_AFTER

IRD_DRUGS = (regimen.Drug.IXAZOMIB, regimen.Drug.LENALIDOMIDE, regimen.Drug.DEXAMETHASONE)
ADHERENCE_DRUGS = (*IRD_DRUGS, regimen.Drug.ANTIVIRAL)
# A response test counts for a cycle when drawn within a week either side of its day 1
# (shared.response_tests: "a week's leeway either side").
TEST_LEEWAY = OVERDUE_AFTER


@dataclass(frozen=True)
class SeverityTimes:
    severity: str
    raised: int
    to_acknowledge: sm.Spread  # seconds from raised to acknowledged (resolving acknowledges too)
    to_resolve: sm.Spread
    unacknowledged: int  # raised in the period and still open now


@dataclass(frozen=True)
class NurseLoad:
    name: str
    acknowledged: int
    resolved: int


@dataclass(frozen=True)
class ServiceMetrics:
    period: Period
    patients: int  # enrolled on some day of the period
    patient_days: int
    alerts: int  # raised in the period, superseded backlog history left out
    backlog_alerts: int  # superseded: history from a backlog sync, never announced
    resolved: int  # of `alerts`, resolved by now
    resolved_with_outcome: int
    led_to_action: int  # resolved with an outcome in shared.service_metrics.ACTION_OUTCOMES
    by_severity: tuple[SeverityTimes, ...]  # critical, urgent
    escalation_steps: int  # taken in the period: each re-announcement to the clinic or on-call
    escalated_alerts: int
    on_call_steps: int  # the ladder's second rung: the clinic's on-call contact
    nurses: tuple[NurseLoad, ...]  # acknowledged or resolved something in the period, busiest first
    doses_due: int
    doses_taken: int
    response_tests_due: int
    response_tests_done: int
    lab_draws_reminded: int
    lab_draws_done: int

    @property
    def alerts_per_patient_week(self) -> float | None:
        return sm.per_patient_week(self.alerts, self.patient_days)

    @property
    def action_share(self) -> float | None:
        return sm.rate(self.led_to_action, self.resolved_with_outcome)

    @property
    def adherence(self) -> float | None:
        return sm.rate(self.doses_taken, self.doses_due)

    @property
    def response_test_completion(self) -> float | None:
        return sm.rate(self.response_tests_done, self.response_tests_due)

    @property
    def lab_draw_completion(self) -> float | None:
        return sm.rate(self.lab_draws_done, self.lab_draws_reminded)


@dataclass(frozen=True)
class _Patient:
    id: object
    clinic_id: int
    zone: ZoneInfo
    enrolled_at: datetime
    enrolled_on: date  # the local date of enrollment, or any date before the period if earlier
    today: date  # the patient's local date now
    start: date
    stopped: frozenset[regimen.Drug]
    antiviral_per_day: int


def clinic_metrics(*, clinic_id: int, period: Period, now: datetime) -> ServiceMetrics:
    patients = _patients(clinic_id, period, now)
    alerts = _alert_figures(clinic_id, period)
    nurses = _workload(clinic_id, period)
    steps = EscalationStep.objects.filter(
        alert__patient__clinic_id=clinic_id, at__gte=period.start, at__lt=period.end
    ).aggregate(steps=Count("pk"), alerts=Count("alert_id", distinct=True), on_call=Count("pk", filter=Q(level=2)))
    due, taken = _adherence(patients, period, now)
    tests_due, tests_done = _response_tests(clinic_id, patients, period)
    draws = _lab_draws(clinic_id, period, now)
    last_day = min(period.last, now.date())
    days = [sm.enrolled_days(p.enrolled_at.date(), period.first, last_day) for p in patients]
    return ServiceMetrics(
        period=period,
        patients=sum(1 for d in days if d),
        patient_days=sum(days),
        nurses=nurses,
        escalation_steps=steps["steps"],
        escalated_alerts=steps["alerts"],
        on_call_steps=steps["on_call"],
        doses_due=due,
        doses_taken=taken,
        response_tests_due=tests_due,
        response_tests_done=tests_done,
        lab_draws_reminded=draws["reminded"],
        lab_draws_done=draws["done"],
        **alerts,
    )


def _patients(clinic_id: int, period: Period, now: datetime) -> list[_Patient]:
    """The clinic's patients enrolled before the period ended, with their reminder plan's antiviral
    times or the clinic's default (two queries). Local dates are worked out once per zone, and a
    patient's enrollment date only when it falls near the period (10,000 patients, bench 9)."""
    default_times = Clinic.objects.filter(pk=clinic_id).values_list("antiviral_times", flat=True).first()
    default_per_day = len(default_times or DEFAULT_ANTIVIRAL_TIMES)
    rows = Patient.objects.filter(clinic_id=clinic_id, created_at__lt=min(period.end, now)).values_list(
        "id",
        "timezone",
        "created_at",
        "start_date",
        "ixazomib_mg",
        "lenalidomide_mg",
        "dexamethasone_mg",
        "reminder_plan__antiviral_times",
    )
    long_before = period.first - timedelta(days=2)
    early = period.start - timedelta(days=2)
    zones: dict[str, tuple[ZoneInfo, date]] = {}
    found = []
    for pid, zone_name, enrolled_at, start, ixa, len_, dex, plan_times in rows:
        if zone_name not in zones:
            zone = ZoneInfo(zone_name)
            zones[zone_name] = (zone, now.astimezone(zone).date())
        zone, today = zones[zone_name]
        enrolled_on = enrolled_at.astimezone(zone).date() if enrolled_at >= early else long_before
        doses = {"ixazomib": ixa, "lenalidomide": len_, "dexamethasone": dex}
        stopped = regimen.stopped_drugs(doses) if not all(doses.values()) else frozenset()
        per_day = default_per_day if plan_times is None else len(plan_times)
        found.append(_Patient(pid, clinic_id, zone, enrolled_at, enrolled_on, today, start, stopped, per_day))
    return found


class _Percentile(Aggregate):  # type: ignore[misc]
    """PostgreSQL's percentile_cont: linear interpolation between the nearest values, the same
    definition as shared.service_metrics.percentile, computed where the rows are."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"

    def __init__(self, expression: Any, fraction: float) -> None:
        super().__init__(expression, fraction=repr(float(fraction)), output_field=DurationField())


def _seconds(value: timedelta | None) -> float | None:
    return None if value is None else value.total_seconds()


def _alert_figures(clinic_id: int, period: Period) -> dict[str, object]:
    """Alerts raised in the period: how many, what came of them, and how long acknowledging and
    resolving took, by severity. One grouped query on PostgreSQL, which computes the percentiles
    itself (at 500,000 alerts, bench 9); elsewhere (SQLite) a second query reads the durations and
    shared.service_metrics computes them."""
    alerts = Alert.objects.filter(
        patient__clinic_id=clinic_id, created_at__gte=period.start, created_at__lt=period.end
    ).annotate(
        to_ack=ExpressionWrapper(F("acknowledged_at") - F("created_at"), output_field=DurationField()),
        to_resolve=ExpressionWrapper(F("resolved_at") - F("created_at"), output_field=DurationField()),
    )
    resolved = Q(resolved_at__isnull=False)
    counts: dict[str, Any] = {
        "n": Count("pk"),
        "acknowledged": Count("pk", filter=Q(acknowledged_at__isnull=False)),
        "resolved": Count("pk", filter=resolved),
        "with_outcome": Count("pk", filter=resolved & ~Q(outcome="")),
        "action": Count("pk", filter=resolved & Q(outcome__in=sm.ACTION_OUTCOMES)),
    }
    in_database = connection.vendor == "postgresql"
    if in_database:
        counts |= {
            f"{name}_p{round(q * 100)}": _Percentile(F(name), q)
            for name in ("to_ack", "to_resolve")
            for q in (0.5, 0.9)
        }
    groups = {(g["severity"], g["superseded"]): g for g in alerts.values("severity", "superseded").annotate(**counts)}
    live = {s: groups.get((s.value, False)) for s in (Severity.CRITICAL, Severity.URGENT)}
    if in_database:
        spreads = {
            s: tuple(
                sm.Spread(g[count], _seconds(g[f"{name}_p50"]), _seconds(g[f"{name}_p90"])) if g else sm.spread([])
                for name, count in (("to_ack", "acknowledged"), ("to_resolve", "resolved"))
            )
            for s, g in live.items()
        }
    else:
        durations: dict[str, tuple[list[float], list[float]]] = defaultdict(lambda: ([], []))
        for severity, to_ack, to_resolve in alerts.filter(superseded=False).values_list(
            "severity", "to_ack", "to_resolve"
        ):
            for found, into in ((to_ack, durations[severity][0]), (to_resolve, durations[severity][1])):
                if found is not None:
                    into.append(found.total_seconds())
        spreads = {s: (sm.spread(durations[s][0]), sm.spread(durations[s][1])) for s in live}
    by_severity = tuple(
        SeverityTimes(s.value, g["n"] if g else 0, *spreads[s], (g["n"] - g["acknowledged"]) if g else 0)
        for s, g in live.items()
    )
    total = [g for (_, superseded), g in groups.items() if not superseded]
    return {
        "alerts": sum(g["n"] for g in total),
        "backlog_alerts": sum(g["n"] for (_, superseded), g in groups.items() if superseded),
        "resolved": sum(g["resolved"] for g in total),
        "resolved_with_outcome": sum(g["with_outcome"] for g in total),
        "led_to_action": sum(g["action"] for g in total),
        "by_severity": by_severity,
    }


def _workload(clinic_id: int, period: Period) -> tuple[NurseLoad, ...]:
    """Alerts each member of staff acknowledged, and resolved, in the period (two grouped counts)."""
    clinic = Alert.objects.filter(patient__clinic_id=clinic_id)
    counts: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    names: dict[int, str] = {}
    for column, slot in (("acknowledged", 0), ("resolved", 1)):
        rows = (
            clinic.filter(**{f"{column}_at__gte": period.start, f"{column}_at__lt": period.end})
            .exclude(**{f"{column}_by": None})
            .values_list(
                f"{column}_by", f"{column}_by__first_name", f"{column}_by__last_name", f"{column}_by__username"
            )
            .annotate(n=Count("pk"))
            .order_by()
        )
        for user_id, first, last, username, n in rows:
            counts[user_id][slot] = n
            names[user_id] = f"{first} {last}".strip() or username
    loads = [NurseLoad(names[u], a, r) for u, (a, r) in counts.items()]
    return tuple(sorted(loads, key=lambda n: (-(n.acknowledged + n.resolved), n.name)))


@lru_cache(maxsize=65536)
def _doses_due(
    start: date, first: date, last: date, stopped: frozenset[regimen.Drug], antiviral_per_day: int
) -> tuple[tuple[str, int], ...]:
    """(drug, doses due) of one regimen over first..last: patients who started on the same day share it."""
    found = []
    for drug in ADHERENCE_DRUGS:
        if drug not in stopped:
            per_day = antiviral_per_day if drug is regimen.Drug.ANTIVIRAL else 1
            count = sm.doses_due(start, drug, first, last, per_day)
            if count:
                found.append((drug.value, count))
    return tuple(found)


@lru_cache(maxsize=65536)
def _test_days(start: date, first: date, last: date, responded: bool, every: int) -> tuple[date, ...]:
    """The day 1 of each cycle in first..last at which the schedule asks for a response test."""
    return tuple(
        day1
        for cycle, day1 in sm.cycle_starts(start, first, last)
        if sm.response_test_cycle(cycle, responded=responded, every_cycles=every)
    )


def _adherence(patients: list[_Patient], period: Period, now: datetime) -> tuple[int, int]:
    """Doses due on each patient's own calendar days of the period, from the first whole day after
    enrollment up to yesterday (today's may still be taken), and the doses logged as taken on those
    days (one grouped count), at most as many as were due per patient and drug: a dose logged twice
    or on a day off does not lift adherence above what was asked."""
    due: dict[tuple[object, str], int] = {}
    windows: dict[str, tuple[datetime, datetime]] = {}
    for p in patients:
        first = max(period.first, p.enrolled_on + timedelta(days=1))
        last = min(period.last, p.today - timedelta(days=1))
        if last < first:
            continue
        for drug, count in _doses_due(p.start, first, last, p.stopped, p.antiviral_per_day):
            due[(p.id, drug)] = count
        key = p.zone.key
        if key not in windows:
            end_day = min(period.last + timedelta(days=1), p.today)
            windows[key] = (local_instant(period.first, time(0), p.zone), local_instant(end_day, time(0), p.zone))
    if not due:
        return 0, 0
    # One window per time zone of the clinic's patients (a handful), so the count stays one query.
    in_window = Q()
    for key, (start, end) in windows.items():
        in_window |= Q(patient__timezone=key, taken_at__gte=start, taken_at__lt=end)
    taken = (
        DoseLog.objects.filter(in_window, patient__clinic_id=patients[0].clinic_id, status="taken")
        .filter(taken_at__gte=F("patient__created_at"))
        .values_list("patient_id", "drug")
        .annotate(n=Count("pk"))
        .order_by()
    )
    logged = sum(min(n, due.get((pid, drug), 0)) for pid, drug, n in taken)
    return sum(due.values()), logged


def _response_tests(clinic_id: int, patients: list[_Patient], period: Period) -> tuple[int, int]:
    """Cycles whose day 1 fell in the period, after enrollment and at least a week ago, at which
    CareLoop's schedule asks for SPEP/UPEP/FLC, and those with one drawn within a week of day 1
    (three queries: the clinic's setting, who responded, the test days). Whether a patient
    responded is read as of now."""
    every = clinic_test_every_cycles(clinic_id)
    responded = set(
        PatientResponse.objects.filter(patient__clinic_id=clinic_id, responded=True).values_list(
            "patient_id", flat=True
        )
    )
    drawn = {
        (pid, at.date())
        for pid, at in MarkerResult.objects.filter(
            patient__clinic_id=clinic_id,
            marker__in=TEST_MARKERS,
            collected_at__gte=period.start - TEST_LEEWAY,
            collected_at__lt=period.end + TEST_LEEWAY,
        ).values_list("patient_id", "collected_at")
    }
    by_patient: dict[object, list[date]] = defaultdict(list)
    for pid, day in drawn:
        by_patient[pid].append(day)
    due = done = 0
    for p in patients:
        last = min(period.last, p.today - TEST_LEEWAY)
        first = max(period.first, p.enrolled_on)
        for day1 in _test_days(p.start, first, last, p.id in responded, every):
            due += 1
            done += any(abs((d - day1).days) <= TEST_LEEWAY.days for d in by_patient.get(p.id, ()))
    return due, done


def _lab_draws(clinic_id: int, period: Period, now: datetime) -> dict[str, int]:
    """Blood-draw reminders sent in the period whose window has closed, and those followed by any
    lab result from a day before to three days after the reminder (one query)."""
    result = LabResult.objects.filter(
        patient_id=OuterRef("patient_id"),
        collected_at__gte=OuterRef("due_at") - sm.LAB_DRAW_BEFORE,
        collected_at__lte=OuterRef("due_at") + sm.LAB_DRAW_AFTER,
    )
    return ReminderOccurrence.objects.filter(
        patient__clinic_id=clinic_id,
        kind=ReminderKind.LAB_DRAW.value,
        status=OccurrenceStatus.SENT,
        due_at__gte=period.start,
        due_at__lt=min(period.end, now - sm.LAB_DRAW_AFTER),
    ).aggregate(reminded=Count("pk"), done=Count("pk", filter=Q(Exists(result))))
