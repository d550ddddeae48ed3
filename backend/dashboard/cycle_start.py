"""The nurse's "Cycle start" list: every patient whose next day 1 is at most 3 days away, with the
label's criteria for starting it (NINLARO USPI §2.2, shared.cycle_readiness), each met or not, with
the value and date behind it. Five queries, however many patients."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

from backend.accounts.models import User
from backend.dashboard.wording import analyte_name, symptom_name
from backend.patients.calendar import calendars_for
from backend.patients.models import Patient
from backend.patients.selectors import patients_visible_to
from backend.records.models import LabResult, SymptomReport
from backend.reminders.cycle_labs import readiness_counts, upcoming_day1
from shared.cycle_readiness import Readiness, Toxicity, count_for_cycle_start, cycle_readiness
from shared.regimen import CYCLE_LENGTH_DAYS

#: Values graded for a non-hematologic toxicity of the label's "other grade 3-4" row
#: (shared.alert_policy: hepatotoxicity, creatinine increased).
NON_HEMATOLOGIC_LABS = ("alt", "ast", "bilirubin", "alkaline_phosphatase", "creatinine")


@dataclass(frozen=True)
class CycleStartRow:
    patient: Patient
    readiness: Readiness
    days_until: int  # 0: day 1 is today


def cycle_start_rows(*, user: User, now: datetime) -> list[CycleStartRow]:
    """Soonest day 1 first; on one day, those not ready first, then by name."""
    upcoming: dict[UUID, tuple[Patient, int, date, date]] = {}
    visible = list(patients_visible_to(user).order_by("display_name"))
    calendars = calendars_for(visible)  # day 1 after the care team's cycle delays
    for patient in visible:
        found = upcoming_day1(patient, now, calendars[patient.pk])
        if found is not None:
            today = now.astimezone(ZoneInfo(patient.timezone)).date()
            upcoming[patient.pk] = (patient, found[0], found[1], today)
    if not upcoming:
        return []
    patients = [p for p, _, _, _ in upcoming.values()]
    day1s = {pk: day1 for pk, (_, _, day1, _) in upcoming.items()}
    counts = readiness_counts(patients, day1s)
    toxicities = _toxicities(upcoming)
    rows = []
    for pk, (patient, cycle, day1, today) in upcoming.items():
        readiness = cycle_readiness(
            cycle=cycle,
            day1=day1,
            anc=count_for_cycle_start(counts.get((pk, "anc"), []), day1),
            platelets=count_for_cycle_start(counts.get((pk, "platelets"), []), day1),
            toxicities=toxicities.get(pk, []),
        )
        rows.append(CycleStartRow(patient, readiness, (day1 - today).days))
    return sorted(rows, key=lambda r: (r.days_until, r.readiness.ready, r.patient.display_name))


def _toxicities(upcoming: dict[UUID, tuple[Patient, int, date, date]]) -> dict[UUID, list[Toxicity]]:
    """The latest grade of each symptom and non-hematologic lab value since the cycle before began."""
    since = min(day1 for _, _, day1, _ in upcoming.values()) - timedelta(days=CYCLE_LENGTH_DAYS + 1)
    start = datetime.combine(since, datetime.min.time(), tzinfo=ZoneInfo("UTC"))
    latest: dict[tuple[UUID, str], tuple[datetime, int, str]] = {}
    symptoms = SymptomReport.objects.filter(
        patient_id__in=list(upcoming), reported_at__gte=start, grade__isnull=False
    ).values_list("patient_id", "symptom", "reported_at", "grade")
    labs = LabResult.objects.filter(
        patient_id__in=list(upcoming), analyte__in=NON_HEMATOLOGIC_LABS, collected_at__gte=start, grade__isnull=False
    ).values_list("patient_id", "analyte", "collected_at", "grade")
    for rows, name in ((symptoms, symptom_name), (labs, analyte_name)):
        for patient_id, key, at, grade in rows:
            patient, _, day1, _ = upcoming[patient_id]
            if at.astimezone(ZoneInfo(patient.timezone)).date() < day1 - timedelta(days=CYCLE_LENGTH_DAYS):
                continue  # before the cycle that is ending began
            seen = latest.get((patient_id, key))
            if seen is None or at > seen[0]:
                latest[(patient_id, key)] = (at, grade, name(key))
    found: dict[UUID, list[Toxicity]] = defaultdict(list)
    for (patient_id, _), (at, grade, label) in latest.items():
        zone = ZoneInfo(upcoming[patient_id][0].timezone)
        found[patient_id].append(Toxicity(label, grade, at.astimezone(zone).date()))
    return found
