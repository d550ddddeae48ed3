"""The per-patient computation of the clinic's patient, adherence and response-test figures as
backend/metrics/selectors.py did it before patients were grouped (issue 17 target 9): kept as the
reference the grouped computation must equal (test_equivalence.py). Slow by design: every patient's
calendar is walked in Python."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Count, F, Q

from backend.accounts.models import Clinic
from backend.metrics.period import Period
from backend.patients.models import Patient
from backend.records.models import DoseLog
from backend.response.models import MarkerResult, PatientResponse
from backend.response.selectors import TEST_MARKERS, clinic_test_every_cycles
from shared import regimen
from shared import service_metrics as sm
from shared.reminders import DEFAULT_ANTIVIRAL_TIMES, local_instant
from shared.response_tests import OVERDUE_AFTER

ADHERENCE_DRUGS = (regimen.Drug.IXAZOMIB, regimen.Drug.LENALIDOMIDE, regimen.Drug.DEXAMETHASONE, regimen.Drug.ANTIVIRAL)
TEST_LEEWAY = OVERDUE_AFTER


@dataclass(frozen=True)
class Figures:
    patients: int
    patient_days: int
    doses_due: int
    doses_taken: int
    response_tests_due: int
    response_tests_done: int


@dataclass(frozen=True)
class _Patient:
    id: object
    zone: ZoneInfo
    enrolled_at: datetime
    enrolled_on: date
    today: date
    start: date
    stopped: frozenset[regimen.Drug]
    antiviral_per_day: int


def reference_figures(*, clinic_id: int, period: Period, now: datetime) -> Figures:
    patients = _patients(clinic_id, period, now)
    due, taken = _adherence(clinic_id, patients, period)
    tests_due, tests_done = _response_tests(clinic_id, patients, period)
    last_day = min(period.last, now.date())
    days = [sm.enrolled_days(p.enrolled_at.date(), period.first, last_day) for p in patients]
    return Figures(sum(1 for d in days if d), sum(days), due, taken, tests_due, tests_done)


def _patients(clinic_id: int, period: Period, now: datetime) -> list[_Patient]:
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
    found = []
    for pid, zone_name, enrolled_at, start, ixa, len_, dex, plan_times in rows:
        zone = ZoneInfo(zone_name)
        today = now.astimezone(zone).date()
        enrolled_on = enrolled_at.astimezone(zone).date() if enrolled_at >= early else long_before
        stopped = regimen.stopped_drugs({"ixazomib": ixa, "lenalidomide": len_, "dexamethasone": dex})
        per_day = default_per_day if plan_times is None else len(plan_times)
        found.append(_Patient(pid, zone, enrolled_at, enrolled_on, today, start, stopped, per_day))
    return found


def _adherence(clinic_id: int, patients: list[_Patient], period: Period) -> tuple[int, int]:
    due: dict[tuple[object, str], int] = {}
    windows: dict[str, tuple[datetime, datetime]] = {}
    for p in patients:
        first = max(period.first, p.enrolled_on + timedelta(days=1))
        last = min(period.last, p.today - timedelta(days=1))
        if last < first:
            continue
        for drug in ADHERENCE_DRUGS:
            if drug in p.stopped:
                continue
            per_day = p.antiviral_per_day if drug is regimen.Drug.ANTIVIRAL else 1
            count = sm.doses_due(p.start, drug, first, last, per_day)
            if count:
                due[(p.id, drug.value)] = count
        end_day = min(period.last + timedelta(days=1), p.today)
        windows[p.zone.key] = (local_instant(period.first, time(0), p.zone), local_instant(end_day, time(0), p.zone))
    if not due:
        return 0, 0
    in_window = Q()
    for key, (start, end) in windows.items():
        in_window |= Q(patient__timezone=key, taken_at__gte=start, taken_at__lt=end)
    taken = (
        DoseLog.objects.filter(in_window, patient__clinic_id=clinic_id, status="taken")
        .filter(taken_at__gte=F("patient__created_at"))
        .values_list("patient_id", "drug")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return sum(due.values()), sum(min(n, due.get((pid, drug), 0)) for pid, drug, n in taken)


def _response_tests(clinic_id: int, patients: list[_Patient], period: Period) -> tuple[int, int]:
    every = clinic_test_every_cycles(clinic_id)
    responded = set(
        PatientResponse.objects.filter(patient__clinic_id=clinic_id, responded=True).values_list(
            "patient_id", flat=True
        )
    )
    by_patient: dict[object, list[date]] = defaultdict(list)
    for pid, at in MarkerResult.objects.filter(
        patient__clinic_id=clinic_id,
        marker__in=TEST_MARKERS,
        collected_at__gte=period.start - TEST_LEEWAY,
        collected_at__lt=period.end + TEST_LEEWAY,
    ).values_list("patient_id", "collected_at"):
        by_patient[pid].append(at.date())
    due = done = 0
    for p in patients:
        last = min(period.last, p.today - TEST_LEEWAY)
        first = max(period.first, p.enrolled_on)
        for cycle, day1 in sm.cycle_starts(p.start, first, last):
            if not sm.response_test_cycle(cycle, responded=p.id in responded, every_cycles=every):
                continue
            due += 1
            done += any(abs((d - day1).days) <= TEST_LEEWAY.days for d in by_patient.get(p.id, ()))
    return due, done
