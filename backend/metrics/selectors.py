"""The clinic's figures over a period, read with a fixed number of queries (eight on PostgreSQL,
nine on SQLite, whatever the number of patients or alerts: tests/backend/metrics/test_selectors.py
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
from django.db.models import (
    Aggregate,
    BooleanField,
    Case,
    Count,
    DateTimeField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)

from backend.accounts.models import Clinic
from backend.alerts.models import Alert, EscalationStep, Severity
from backend.metrics.period import Period
from backend.patients.models import Patient
from backend.records.models import DoseLog, LabResult
from backend.reminders.models import OccurrenceStatus, ReminderOccurrence
from backend.response.models import ClinicResponseSettings, MarkerResult, PatientResponse
from backend.response.selectors import TEST_MARKERS
from shared import regimen
from shared import service_metrics as sm
from shared.reminders import DEFAULT_ANTIVIRAL_TIMES, ReminderKind, local_instant
from shared.response_tests import DEFAULT_EVERY_CYCLES, OVERDUE_AFTER

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
class _Group:
    """Patients whose figures are computed alike: the same zone, regimen start, stopped drugs,
    antiviral times, response (as of now) and, for those enrolled near the period, enrollment
    instant. The calendar work is done once per group (a few hundred for 10,000 patients), not
    once per patient."""

    key: tuple[object, ...]  # the adherence key (_ADHERENCE_KEY's values), as the dose-log query groups
    count: int
    zone: ZoneInfo
    enrolled_at: datetime | None  # None: long before the period (any earlier instant gives the same figures)
    enrolled_on: date  # the local date of enrollment, or any date before the period if earlier
    today: date  # the zone's local date now
    start: date
    stopped: frozenset[regimen.Drug]
    antiviral_per_day: int
    responded: bool


# What a patient's doses due depend on, as columns of the patient (prefixed from the dose log).
_ADHERENCE_KEY = ("tz", "start", "ixa_off", "len_off", "dex_off", "plan_times", "recent")


def clinic_metrics(*, clinic_id: int, period: Period, now: datetime) -> ServiceMetrics:
    default_per_day, every = _clinic_settings(clinic_id)
    patients = _patients(clinic_id, default_per_day, period, now)
    alerts = _alert_figures(clinic_id, period)
    nurses = _workload(clinic_id, period)
    steps = EscalationStep.objects.filter(
        alert__patient__clinic_id=clinic_id, at__gte=period.start, at__lt=period.end
    ).aggregate(steps=Count("pk"), alerts=Count("alert_id", distinct=True), on_call=Count("pk", filter=Q(level=2)))
    due, taken = _adherence(clinic_id, patients, period, now)
    tests_due, tests_done = _response_tests(clinic_id, every, patients, period)
    draws = _lab_draws(clinic_id, period, now)
    enrolled, patient_days = _patient_days(patients, period, now)
    return ServiceMetrics(
        period=period,
        patients=enrolled,
        patient_days=patient_days,
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


def _key_columns(prefix: str, early: datetime) -> dict[str, Any]:
    """The grouping columns, read from the patient (prefix "") or through a foreign key to it."""
    return {
        "tz": F(f"{prefix}timezone"),
        "start": F(f"{prefix}start_date"),
        "ixa_off": ExpressionWrapper(Q(**{f"{prefix}ixazomib_mg": 0}), output_field=BooleanField()),
        "len_off": ExpressionWrapper(Q(**{f"{prefix}lenalidomide_mg": 0}), output_field=BooleanField()),
        "dex_off": ExpressionWrapper(Q(**{f"{prefix}dexamethasone_mg": 0}), output_field=BooleanField()),
        "plan_times": F(f"{prefix}reminder_plan__antiviral_times"),
        # Enrolled near or in the period: the enrollment instant matters (its local date, and the
        # dose logs before it do not count). Earlier: all such patients are alike.
        "recent": Case(
            When(**{f"{prefix}created_at__gte": early}, then=F(f"{prefix}created_at")),
            default=None,
            output_field=DateTimeField(),
        ),
    }


def _responded(clinic_id: int, patient: str) -> ExpressionWrapper:
    """Whether the patient has responded, as of now: `IN` a list of the clinic's responders, which
    PostgreSQL reads once into a hash (an EXISTS per patient costs a lookup per row, and its cost
    estimate turned JIT compilation on: 18 ms of 33)."""
    responders = PatientResponse.objects.filter(patient__clinic_id=clinic_id, responded=True).values("patient_id")
    return ExpressionWrapper(Q(**{f"{patient}__in": responders}), output_field=BooleanField())


def _clinic_settings(clinic_id: int) -> tuple[int, int]:
    """The clinic's default antiviral doses a day and its responders' response-test spacing in
    cycles (backend.response.selectors.clinic_test_every_cycles), read in one query."""
    every = ClinicResponseSettings.objects.filter(clinic_id=OuterRef("pk")).values("test_every_cycles")[:1]
    found = Clinic.objects.filter(pk=clinic_id).values_list("antiviral_times", Subquery(every)).first()
    times, every_cycles = found or (None, None)
    return len(times or DEFAULT_ANTIVIRAL_TIMES), every_cycles or DEFAULT_EVERY_CYCLES


def _patients(clinic_id: int, default_per_day: int, period: Period, now: datetime) -> list[_Group]:
    """The clinic's patients enrolled before the period ended, grouped by what their figures depend
    on (one grouped count)."""
    early = period.start - timedelta(days=2)
    rows = (
        Patient.objects.filter(clinic_id=clinic_id, created_at__lt=min(period.end, now))
        .annotate(**_key_columns("", early), responded_now=_responded(clinic_id, "pk"))
        .values(*_ADHERENCE_KEY, "responded_now")
        .annotate(n=Count("pk"))
        .order_by()
    )
    long_before = period.first - timedelta(days=2)
    zones: dict[str, tuple[ZoneInfo, date]] = {}
    found = []
    for row in rows:
        zone_name = row["tz"]
        if zone_name not in zones:
            zone = ZoneInfo(zone_name)
            zones[zone_name] = (zone, now.astimezone(zone).date())
        zone, today = zones[zone_name]
        recent = row["recent"]
        enrolled_on = recent.astimezone(zone).date() if recent is not None else long_before
        stopped = frozenset(
            drug for drug, off in zip(IRD_DRUGS, (row["ixa_off"], row["len_off"], row["dex_off"]), strict=True) if off
        )
        plan_times = row["plan_times"]
        per_day = default_per_day if plan_times is None else len(plan_times)
        key = _hashable([row[k] for k in _ADHERENCE_KEY])
        found.append(
            _Group(
                key, row["n"], zone, recent, enrolled_on, today, row["start"], stopped, per_day, row["responded_now"]
            )
        )
    return found


def _patient_days(groups: list[_Group], period: Period, now: datetime) -> tuple[int, int]:
    """Patients enrolled on some day of the period, and their patient-days (UTC dates)."""
    last_day = min(period.last, now.date())
    patients = days = 0
    for g in groups:
        # A patient enrolled long before counts from the period's first day.
        n = sm.enrolled_days(g.enrolled_at.date() if g.enrolled_at else period.first, period.first, last_day)
        patients += g.count if n else 0
        days += g.count * n
    return patients, days


class _Percentiles(Aggregate):  # type: ignore[misc]
    """PostgreSQL's percentile_cont: linear interpolation between the nearest values, the same
    definition as shared.service_metrics.percentile, computed where the rows are. The array form
    sorts the values once for all the fractions (two single-fraction aggregates sorted twice)."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(ARRAY[%(fractions)s]) WITHIN GROUP (ORDER BY %(expressions)s)"

    def __init__(self, expression: Any, fractions: tuple[float, ...]) -> None:
        from django.contrib.postgres.fields import ArrayField  # PostgreSQL only, as is the aggregate

        listed = ", ".join(repr(float(f)) for f in fractions)
        super().__init__(expression, fractions=listed, output_field=ArrayField(DurationField()))


def _seconds(value: timedelta | None) -> float | None:
    return None if value is None else value.total_seconds()


def _median_p90(found: list[timedelta | None] | None) -> tuple[float | None, float | None]:
    """The array percentile_cont gives: NULL when no alert of the group had the duration."""
    median, p90 = found or (None, None)
    return _seconds(median), _seconds(p90)


def _alert_figures(clinic_id: int, period: Period) -> dict[str, object]:
    """Alerts raised in the period: how many, what came of them, and how long acknowledging and
    resolving took, by severity. One grouped query on PostgreSQL, which computes the percentiles
    itself (at 500,000 alerts, bench 11); elsewhere (SQLite) a second query reads the durations and
    shared.service_metrics computes them. Counted on created_at (never null), not the id: every column it reads
    is in the covering index alert_period_figures (alerts 0013), so PostgreSQL answers it from the
    index alone without visiting the period's alerts in the table."""
    alerts = Alert.objects.filter(
        patient__clinic_id=clinic_id, created_at__gte=period.start, created_at__lt=period.end
    ).annotate(
        to_ack=ExpressionWrapper(F("acknowledged_at") - F("created_at"), output_field=DurationField()),
        to_resolve=ExpressionWrapper(F("resolved_at") - F("created_at"), output_field=DurationField()),
    )
    resolved = Q(resolved_at__isnull=False)
    counts: dict[str, Any] = {
        "n": Count("created_at"),
        "acknowledged": Count("created_at", filter=Q(acknowledged_at__isnull=False)),
        "resolved": Count("created_at", filter=resolved),
        "with_outcome": Count("created_at", filter=resolved & ~Q(outcome="")),
        "action": Count("created_at", filter=resolved & Q(outcome__in=sm.ACTION_OUTCOMES)),
    }
    in_database = connection.vendor == "postgresql"
    if in_database:
        counts |= {f"{name}_p": _Percentiles(F(name), (0.5, 0.9)) for name in ("to_ack", "to_resolve")}
    groups = {(g["severity"], g["superseded"]): g for g in alerts.values("severity", "superseded").annotate(**counts)}
    live = {s: groups.get((s.value, False)) for s in (Severity.CRITICAL, Severity.URGENT)}
    if in_database:
        spreads = {
            s: tuple(
                sm.Spread(g[count], *_median_p90(g[f"{name}_p"])) if g else sm.spread([])
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
    """Alerts each member of staff acknowledged, and resolved, in the period: two grouped counts
    in one statement (UNION ALL), each row tagged with its column."""
    clinic = Alert.objects.filter(patient__clinic_id=clinic_id)
    parts = [
        clinic.filter(**{f"{column}_at__gte": period.start, f"{column}_at__lt": period.end})
        .exclude(**{f"{column}_by": None})
        .annotate(slot=Value(slot))
        .values_list(
            "slot", f"{column}_by", f"{column}_by__first_name", f"{column}_by__last_name", f"{column}_by__username"
        )
        .annotate(n=Count("*"))
        .order_by()
        for column, slot in (("acknowledged", 0), ("resolved", 1))
    ]
    counts: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    names: dict[int, str] = {}
    for slot, user_id, first, last, username, n in parts[0].union(parts[1], all=True):
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


def _adherence(clinic_id: int, groups: list[_Group], period: Period, now: datetime) -> tuple[int, int]:
    """Doses due on each patient's own calendar days of the period, from the first whole day after
    enrollment up to yesterday (today's may still be taken), and the doses logged as taken on those
    days, at most as many as were due per patient and drug: a dose logged twice or on a day off does
    not lift adherence above what was asked. Due: once per group. Taken: one query counting, per
    group and drug, the patients who logged n doses (the cap is per patient, the rows per group)."""
    due: dict[tuple[tuple[object, ...], str], int] = {}  # per patient of the group
    total = 0
    windows: dict[str, tuple[datetime, datetime]] = {}
    for g in groups:
        first = max(period.first, g.enrolled_on + timedelta(days=1))
        last = min(period.last, g.today - timedelta(days=1))
        if last < first:
            continue
        for drug, count in _doses_due(g.start, first, last, g.stopped, g.antiviral_per_day):
            due[(g.key, drug)] = count
            total += count * g.count
        key = g.zone.key
        if key not in windows:
            end_day = min(period.last + timedelta(days=1), g.today)
            windows[key] = (local_instant(period.first, time(0), g.zone), local_instant(end_day, time(0), g.zone))
    if not due:
        return 0, 0
    # One window per time zone of the clinic's patients (a handful), so the count stays one query.
    in_window = Q()
    for key, (start, end) in windows.items():
        in_window |= Q(patient__timezone=key, taken_at__gte=start, taken_at__lt=end)
    per_patient = (
        DoseLog.objects.filter(in_window, patient__clinic_id=clinic_id, status="taken")
        .filter(taken_at__gte=F("patient__created_at"))
        .annotate(**_key_columns("patient__", period.start - timedelta(days=2)))
        .values("patient_id", "drug", *_ADHERENCE_KEY)
        .annotate(n=Count("pk"))
        .order_by()
    )
    sql, params = per_patient.query.sql_with_params()
    columns = ", ".join(connection.ops.quote_name(c) for c in (*_ADHERENCE_KEY, "drug", "n"))
    with connection.cursor() as cursor:
        # The ORM cannot group an aggregate again: the per-patient count, wrapped (its own SQL).
        cursor.execute(f"SELECT {columns}, COUNT(*) FROM ({sql}) per_patient GROUP BY {columns}", params)  # noqa: S608
        rows = cursor.fetchall()
    logged = 0
    convert = _converters(per_patient)
    for row in rows:
        values = [f(v) for f, v in zip(convert, row[: len(_ADHERENCE_KEY)], strict=True)]
        drug, n, patients = row[len(_ADHERENCE_KEY) :]
        logged += patients * min(n, due.get((_hashable(values), drug), 0))
    return total, logged


def _hashable(values: list[object]) -> tuple[object, ...]:
    """A group's key as a dict key: the antiviral times (JSON) are a list."""
    return tuple(tuple(v) if isinstance(v, list) else v for v in values)


def _converters(queryset: Any) -> list[Any]:
    """Turn the raw grouped rows' key columns into what the ORM gives for them (booleans, dates,
    JSON, aware datetimes on SQLite), so they match the patient query's keys."""
    query = queryset.query
    compiler = query.get_compiler(using=queryset.db)
    found = []
    for name in _ADHERENCE_KEY:
        expression = query.annotations[name]
        backend = compiler.connection.ops.get_db_converters(expression)
        field = expression.output_field.get_db_converters(compiler.connection)

        def convert(value: object, fs: list[Any] = backend + field, e: Any = expression) -> object:
            for f in fs:
                value = f(value, e, compiler.connection)
            return value

        found.append(convert)
    return found


def _response_tests(clinic_id: int, every: int, groups: list[_Group], period: Period) -> tuple[int, int]:
    """Cycles whose day 1 fell in the period, after enrollment and at least a week ago, at which
    CareLoop's schedule asks for SPEP/UPEP/FLC, and those with one drawn within a week of day 1
    (one query: the test draws with their patient's group; `every`: the clinic's setting). Whether a
    patient responded is read as of now. Due: once per group; done: per test drawn."""
    days: dict[tuple[tuple[object, ...], bool], tuple[date, ...]] = {}
    due = 0
    for g in groups:
        last = min(period.last, g.today - TEST_LEEWAY)
        first = max(period.first, g.enrolled_on)
        found = _test_days(g.start, first, last, g.responded, every)
        days[(g.key, g.responded)] = found
        due += len(found) * g.count
    early = period.start - timedelta(days=2)
    drawn = (
        MarkerResult.objects.filter(
            patient__clinic_id=clinic_id,
            marker__in=TEST_MARKERS,
            collected_at__gte=period.start - TEST_LEEWAY,
            collected_at__lt=period.end + TEST_LEEWAY,
        )
        .annotate(**_key_columns("patient__", early), responded_now=_responded(clinic_id, "patient_id"))
        .values_list("patient_id", "collected_at", *_ADHERENCE_KEY, "responded_now")
    )
    by_patient: dict[object, tuple[tuple[date, ...], set[date]]] = {}
    for pid, at, *key, responded_now in drawn:
        test_days = days.get((_hashable(key), responded_now))
        if test_days:
            by_patient.setdefault(pid, (test_days, set()))[1].add(at.date())
    done = 0
    for test_days, drawn_on in by_patient.values():
        done += sum(any(abs((d - day1).days) <= TEST_LEEWAY.days for d in drawn_on) for day1 in test_days)
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
