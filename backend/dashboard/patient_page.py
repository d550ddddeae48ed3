"""The patient page's reads: three cycles of labs, symptoms, doses and alerts, the regimen today, the
caregivers, the label's holds and adherence, in a fixed number of queries whatever the number of
readings (each list one query; the holds are read off the alerts that list returned)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Prefetch, Q

from backend.accounts.models import DeviceToken
from backend.alerts.models import Alert, AlertNote, Severity
from backend.caregivers.models import Scope
from backend.caregivers.selectors import active_links_by_patient
from backend.dashboard.adherence import Adherence, adherence_recent
from backend.dashboard.counts import UNRESOLVED
from backend.dashboard.holds import Hold, Lift, hold_lifts, holds_in_force
from backend.patients.calendar import patient_calendar
from backend.patients.dose_decisions import dose_history
from backend.patients.models import DoseDecision, Patient
from backend.patients.selectors import patient_devices
from backend.patients.services import regimen_today
from backend.records.baselines import PatientBaseline, baseline_rows
from backend.records.models import DoseLog, LabResult, SymptomReport
from shared import regimen

# The patient page shows three cycles: enough to compare this nadir with the last two.
WINDOW_DAYS = 3 * regimen.CYCLE_LENGTH_DAYS


@dataclass(frozen=True)
class Caregiver:
    name: str
    scopes: tuple[str, ...]
    since: datetime


SCOPE_LABELS = dict(Scope.choices)


@dataclass
class PatientRecord:
    """What the patient page shows, read in a fixed number of queries."""

    patient: Patient
    now: datetime
    tz: ZoneInfo
    today: date
    first: date  # first day of the window, in the patient's zone
    regimen: dict[str, Any]
    labs: dict[str, list[LabResult]]
    symptoms: list[SymptomReport]
    doses: list[DoseLog]
    alerts: list[Alert]
    caregivers: list[Caregiver]
    # Start date and the care team's cycle delays: every cycle/day on the page is read off it.
    calendar: regimen.Calendar
    devices: list[DeviceToken] = field(default_factory=list)  # the phones signed in as the patient
    holds: list[Hold] = field(default_factory=list)
    lifts: list[Lift] = field(default_factory=list)
    adherence: Adherence = field(default_factory=lambda: Adherence((), ()))
    # Each analyte graded against a baseline, with the baseline in force (None: the ULN rule alone).
    baselines: list[tuple[str, PatientBaseline | None]] = field(default_factory=list)
    # The dose history, oldest first: the dose panel, the timeline and the alerts' decisions.
    decisions: list[DoseDecision] = field(default_factory=list)

    @property
    def hold_reasons(self) -> list[tuple[str, list[str]]]:
        """Each reading that holds drugs, with the drugs it holds: one line per reason on the page."""
        grouped: dict[str, list[str]] = {}
        for hold in self.holds:
            for reason in hold.reasons:
                grouped.setdefault(reason, []).append(hold.drug)
        return list(grouped.items())

    @property
    def unresolved_alerts(self) -> list[Alert]:
        """Critical first, then the newest."""
        unresolved = sorted(
            (a for a in self.alerts if a.status in UNRESOLVED), key=lambda a: a.created_at, reverse=True
        )
        return sorted(unresolved, key=lambda a: a.severity != Severity.CRITICAL)


def patient_record(*, patient: Patient, now: datetime, days: int = WINDOW_DAYS) -> PatientRecord:
    tz = ZoneInfo(patient.timezone)
    today = now.astimezone(tz).date()
    calendar = patient_calendar(patient)
    first = max(patient.start_date, today - timedelta(days=days - 1))
    since = datetime.combine(first, datetime.min.time(), tzinfo=tz)
    labs: dict[str, list[LabResult]] = defaultdict(list)
    for lab in LabResult.objects.filter(patient=patient, collected_at__gte=since).order_by("collected_at"):
        labs[lab.analyte].append(lab)
    symptoms = list(SymptomReport.objects.filter(patient=patient, reported_at__gte=since).order_by("reported_at"))
    doses = list(DoseLog.objects.filter(patient=patient, taken_at__gte=since).order_by("taken_at"))
    # Unresolved alerts whatever their age (they still wait for a nurse), those whose label holds are
    # still in force (the holds derive from them), plus the window's others.
    alerts = list(
        Alert.objects.filter(patient=patient)
        .filter(Q(status__in=UNRESOLVED) | Q(created_at__gte=since) | ~Q(holds_in_force=[]))
        .select_related("acknowledged_by", "resolved_by")
        .prefetch_related(Prefetch("notes", queryset=AlertNote.objects.select_related("author")))
        .order_by("-created_at")
    )
    record = PatientRecord(
        patient=patient,
        now=now,
        tz=tz,
        today=today,
        first=first,
        regimen=regimen_today(patient, now, calendar),
        labs=dict(labs),
        symptoms=symptoms,
        doses=doses,
        alerts=alerts,
        caregivers=patient_caregivers(patient=patient),
        calendar=calendar,
        devices=patient_devices(patient),
    )
    record.holds = holds_in_force(alerts=alerts, tz=tz)
    record.lifts = hold_lifts(alerts=alerts, tz=tz)
    record.adherence = adherence_recent(patient=patient, now=now, calendar=calendar)
    record.baselines = baseline_rows(patient)
    record.decisions = dose_history(patient)
    return record


def patient_caregivers(*, patient: Patient) -> list[Caregiver]:
    """The patient's caregivers over active links, with what each may see (one query)."""
    links = active_links_by_patient(patient_ids=[patient.pk]).get(patient.pk, [])
    return [
        Caregiver(
            name=link.caregiver.get_full_name() or link.caregiver.username,
            scopes=tuple(SCOPE_LABELS.get(s, s) for s in link.scopes),
            since=link.created_at,
        )
        for link in links
    ]
