"""The demo clinic `make run` starts with: a nurse, an admin, three patients in three time zones
with a few cycles of realistic readings (one with a grade 4 platelet drop), and one patient
waiting for a phone to enroll.

The three demo patients have enrolled phones with push turned on, and the clinic's default
reminder plan: their reminders go out at their own local times while `make run` is up, and the
development transport records each push (worker log, and the dashboard's Deliveries page).

The demo clinic escalates fast (critical alerts after 2 minutes, urgent after 5, instead of 15
and 120) and has an on-call contact; the nurse takes email and SMS, the admin email, and Maria
Lopez has a caregiver (critical alerts, daily summary) on push. So an unacknowledged demo alert
escalates within minutes of `make run`, and the development transport records every email, SMS
and push it would have sent (worker log, and the dashboard's Deliveries page).

Three more patients show issue 13's rules (backend.demo.showcase): a creatinine rise graded against
the patient's own baseline, a patient waiting for cycle-start labs, and a falling-platelet early
warning. The demo clinic makes a fever on days 14-21 with no recent ANC critical (a stricter policy
than a new clinic's).

Each enrolled patient also has a few cycles of myeloma response markers entered by the care team
(contract §5): Maria Lopez responds to a very good partial response (serum and urine M-protein),
James Carter progresses after a partial response (one disease_progression alert), and Kenji Sato
has free-light-chain-only disease (lambda, printed in mg/dL by his lab) in partial response.

The clinic has a past (backend/demo/history.py): patients enrolled two days before their cycle 1, a
few alerts of earlier weeks acknowledged and resolved at realistic times with their outcomes, and
the blood-draw reminders already sent, so that the dashboard's Service figures read like a clinic's.

Everything goes through the same services as real traffic (sync ingest, grading, marker entry and
the response recompute), with ids made by uuid5 so that seeding twice changes nothing.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from backend.accounts.models import Clinic, Role, User
from backend.accounts.services import staff_create
from backend.alerts.grading import readings_grade
from backend.caregivers.models import CaregiverLink
from backend.caregivers.services import invite_accept, invite_create
from backend.demo.history import enrollment_backdate, past_alerts, past_draw_reminders
from backend.demo.showcase import SHOWCASES, Showcase, showcase_checks, showcase_patient
from backend.notifications.models import Preference
from backend.notifications.preferences import preference_update
from backend.patients.models import Patient
from backend.patients.services import enrollment_code_issue, patient_enroll
from backend.records.services import sync_ingest
from backend.reminders.materialise import reminders_replan
from backend.reminders.plans import reminder_plan_ensure
from backend.reminders.selectors import upcoming_reminders
from backend.response.recompute import responses_recompute
from backend.response.services import markers_record
from shared import regimen

NURSE = ("nurse", "careloop-nurse")
ADMIN = ("admin", "careloop-admin")
# The Django admin is for engineers (superusers), not for the clinic admin, who uses the dashboard.
ENGINEER = ("engineer", "careloop-engineer")
CAREGIVER = ("caregiver", "careloop-caregiver")
CAREGIVER_SCOPES = ["critical_alerts", "daily_summary"]
ESCALATION_MINUTES = (2, 5)  # critical, urgent: short, so the demo shows a ladder within minutes
CLINIC = "CareLoop Demo Clinic"
CLINIC_PHONE = "+1 555 0100"
_NS = uuid.UUID("6f1d3a52-8f4e-4a57-a1a5-0c0ffee0d3m0".replace("m", "0"))


@dataclass(frozen=True)
class DemoPatient:
    name: str
    tz: str
    days_on_treatment: int
    platelet_nadirs: tuple[int, ...]  # per cycle, ×10^9/L
    anc_nadirs: tuple[float, ...]
    symptoms: tuple[tuple[int, str, dict[str, Any]], ...]  # (days ago, symptom, answers)


PATIENTS = (
    # Her third cycle's nadir falls to 22 ×10^9/L: grade 4, the label's hold for both drugs.
    DemoPatient(
        "Maria Lopez",
        "America/New_York",
        78,
        (96, 61, 22),
        (1.6, 1.3, 1.1),
        ((3, "diarrhea", {"stools_above_usual": 2}), (1, "peripheral_neuropathy", {"severity": "mild"})),
    ),
    DemoPatient(
        "James Carter",
        "Europe/London",
        64,
        (120, 88, 70),
        (1.4, 0.9, 1.2),
        ((5, "diarrhea", {"stools_above_usual": 5}), (2, "fever", {"temperature_c": 37.6})),
    ),
    DemoPatient(
        "Kenji Sato",
        "Asia/Tokyo",
        45,
        (150, 131),
        (2.1, 1.9),
        ((4, "peripheral_neuropathy", {"severity": "mild", "pain": True}), (2, "rash", {"body_area": "under_10"})),
    ),
)
# Response markers per patient: (day of treatment, 1 = cycle 1 day 1; the baseline before it,
# {marker: (value, unit) or word}). Realistic IgG-kappa, IgA-kappa and lambda light-chain courses.
RESPONSE_MARKERS: dict[str, tuple[tuple[int, dict[str, Any]], ...]] = {
    "Maria Lopez": (
        (
            -3,
            {
                "serum_m_protein": (3.2, "g/dL"),
                "urine_m_protein": (420, "mg/24h"),
                "kappa_flc": (480, "mg/L"),
                "lambda_flc": (9.1, "mg/L"),
                "serum_ife": "positive",
                "urine_ife": "positive",
                "marrow_plasma_cells": (45, "%"),
            },
        ),
        (29, {"serum_m_protein": (1.5, "g/dL"), "urine_m_protein": (160, "mg/24h")}),
        (57, {"serum_m_protein": (0.28, "g/dL"), "urine_m_protein": (60, "mg/24h"), "serum_ife": "positive"}),
        (76, {"serum_m_protein": (0.25, "g/dL"), "urine_m_protein": (40, "mg/24h"), "serum_ife": "positive"}),
    ),
    "James Carter": (
        (-2, {"serum_m_protein": (26, "g/L"), "urine_m_protein": (0.15, "g/24h")}),
        (15, {"serum_m_protein": (12, "g/L")}),
        (36, {"serum_m_protein": (9, "g/L")}),
        (57, {"serum_m_protein": (15, "g/L")}),  # +0.6 g/dL and +67% from the nadir 0.9 g/dL: progression
    ),
    "Kenji Sato": (
        (
            -4,
            {
                "kappa_flc": (0.61, "mg/dL"),
                "lambda_flc": (41.0, "mg/dL"),
                "serum_m_protein": (0, "g/dL"),
                "urine_m_protein": (80, "mg/24h"),
            },
        ),
        (22, {"kappa_flc": (0.65, "mg/dL"), "lambda_flc": (18.0, "mg/dL")}),
        (43, {"kappa_flc": (0.70, "mg/dL"), "lambda_flc": (15.0, "mg/dL")}),
    ),
}

WAITING = DemoPatient("Dana Whitfield (your phone)", "America/Chicago", 10, (), (), ())


@dataclass(frozen=True)
class SeedResult:
    clinic: Clinic
    nurse: User
    admin: User
    enrollment_code: str
    alerts_raised: int
    next_reminders: tuple[str, ...] = ()


def _id(*parts: object) -> str:
    return str(uuid.uuid5(_NS, "/".join(str(p) for p in parts)))


def _local(tz: ZoneInfo, day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=tz)


def _curve(rng: random.Random, baseline: float, nadir: float, day: int) -> float:
    """Counts sag from day 8, bottom out around day 14–21 (the nadir) and recover by day 28."""
    depth = {1: 0.0, 8: 0.45, 14: 0.9, 15: 0.9, 21: 1.0, 22: 0.8}.get(day, 0.3)
    return max(nadir, baseline - (baseline - nadir) * depth) * rng.uniform(0.97, 1.03)


def _readings(p: DemoPatient, start: date, today: date) -> Iterator[tuple[str, dict[str, Any]]]:
    tz = ZoneInfo(p.tz)
    rng = random.Random(p.name)
    for cycle, (plt_nadir, anc_nadir) in enumerate(zip(p.platelet_nadirs, p.anc_nadirs, strict=True), start=1):
        for day in (1, 8, 15, 21):
            on = regimen.cycle_start_date(start, cycle) + timedelta(days=day - 1)
            if on >= today:
                continue
            at = _local(tz, on, 8).isoformat()
            last = cycle == len(p.platelet_nadirs) and day == 21
            platelets = plt_nadir if last else round(_curve(rng, 190, plt_nadir, day))
            values = {
                "platelets": (platelets, "K/uL"),
                "anc": (round(_curve(rng, 3.2, anc_nadir, day), 2), "K/uL"),
                "wbc": (round(_curve(rng, 5.5, anc_nadir * 2, day), 1), "K/uL"),
                "hemoglobin": (round(rng.uniform(10.4, 12.2), 1), "g/dL"),
            }
            for analyte, (value, unit) in values.items():
                yield (
                    "lab_results",
                    {
                        "id": _id(p.name, cycle, day, analyte),
                        "analyte": analyte,
                        "value": value,
                        "unit": unit,
                        "collected_at": at,
                    },
                )
    for day_offset in range(p.days_on_treatment, 0, -1):
        on = today - timedelta(days=day_offset)
        for drug in regimen.drugs_due(start, on):
            status = "taken" if rng.random() > 0.04 else "skipped"
            yield (
                "dose_logs",
                {
                    "id": _id(p.name, on, drug.value),
                    "drug": drug.value,
                    "status": status,
                    "taken_at": _local(tz, on, 9).isoformat(),
                },
            )
        # Both antiviral doses of the clinic's default plan (08:00 and 20:00); about one morning dose
        # in eight is forgotten (never logged), so adherence is not a flat 100%.
        doses = [(_id(p.name, on, "antiviral"), 20)]
        if random.Random(f"{p.name}/{on}").random() > 0.125:
            doses.insert(0, (_id(p.name, on, "antiviral", "morning"), 8))
        for antiviral_id, hour in doses:
            yield (
                "dose_logs",
                {
                    "id": antiviral_id,
                    "drug": "antiviral",
                    "status": "taken",
                    "taken_at": _local(tz, on, hour).isoformat(),
                },
            )
    for days_ago, symptom, answers in p.symptoms:
        yield (
            "symptom_reports",
            {
                "id": _id(p.name, "symptom", days_ago, symptom),
                "symptom": symptom,
                "answers": answers,
                "reported_at": _local(tz, today - timedelta(days=days_ago), 19).isoformat(),
            },
        )


def _markers(patient: Patient, nurse: User, p: DemoPatient, now: datetime) -> int:
    """The care team's response markers for this patient, then the recompute; the alerts raised."""
    tz = ZoneInfo(p.tz)
    items = []
    for treatment_day, markers in RESPONSE_MARKERS.get(p.name, ()):
        on = patient.start_date + timedelta(days=treatment_day - 1 if treatment_day > 0 else treatment_day)
        for marker, spec in markers.items():
            value, unit = spec if isinstance(spec, tuple) else (spec, None)
            item = {
                "id": _id(p.name, "marker", treatment_day, marker),
                "marker": marker,
                "value": value,
                "collected_at": _local(tz, on, 7).isoformat(),
            }
            items.append(item | ({"unit": unit} if unit else {}))
    if not items:
        return 0
    markers_record(patient=patient, body=items, user=nurse, now=now)
    return len(responses_recompute(patient_ids=[patient.pk], now=now).alerts_raised)


def _patient(clinic: Clinic, nurse: User, p: DemoPatient, today: date) -> Patient:
    start = today - timedelta(days=p.days_on_treatment)
    found = Patient.objects.filter(clinic=clinic, display_name=p.name).first()
    if found:
        return found
    # Registered now: the demo's patients with a history are then enrolled before their cycle 1
    # (history.enrollment_backdate), while the one waiting for your phone was registered today.
    return Patient.objects.create(
        clinic=clinic,
        display_name=p.name,
        timezone=p.tz,
        start_date=start,
        ixazomib_mg=Decimal(4),
        lenalidomide_mg=Decimal(25),
        dexamethasone_mg=Decimal(40),
    )


def _demo_phone(patient: Patient, nurse: User, p: DemoPatient | Showcase, now: datetime) -> Patient:
    """An enrolled phone (through the real enrollment path) with push on, and a reminder plan."""
    reminder_plan_ensure(patient=patient, now=now)
    if patient.user_id is None:
        code = enrollment_code_issue(patient=patient, issued_by=nurse, now=now)
        _, patient = patient_enroll(code=code, device_name="demo phone")
    assert patient.user is not None
    if not Preference.objects.filter(user=patient.user).exists():
        token = "demo-push-" + p.name.split()[0].lower()
        preference_update(user=patient.user, data={"channels": ["push"], "push_token": token, "timezone": p.tz})
    reminders_replan(patient=patient, now=now)
    return patient


def _next_reminder(patient: Patient, now: datetime) -> str:
    upcoming = upcoming_reminders(patient=patient, now=now, days=2)
    if not upcoming:
        return f"{patient.display_name}: no reminder in the next 2 days"
    first = upcoming[0].occurrence
    minutes = int((first.due_at - now).total_seconds() // 60)
    return (
        f"{patient.display_name} ({patient.timezone}): {first.kind.value} at "
        f"{first.local_due:%H:%M} local, in {minutes // 60} h {minutes % 60:02d} min"
    )


def _demo_escalation(clinic: Clinic, nurse: User, admin: User) -> None:
    """Fast escalation targets and an on-call contact, once (an admin may change them later)."""
    if not clinic.on_call_email:
        clinic.escalation_critical_minutes, clinic.escalation_urgent_minutes = ESCALATION_MINUTES
        # Stricter than a new clinic (contract §4 allows it): a fever on days 14-21 with no recent
        # ANC is critical, treated as febrile neutropenia until an ANC is done.
        clinic.alert_policy = {**clinic.alert_policy, "fever": {"nadir_no_anc_critical": True}}
        clinic.on_call_name = "Dr. Sam Oncall"
        clinic.on_call_email = "oncall@careloop-demo.invalid"
        clinic.on_call_phone = "+15550100199"
        clinic.save()
    for person, data in (
        (nurse, {"channels": ["email", "sms"], "email": "nurse@careloop-demo.invalid", "phone": "+15550100101"}),
        (admin, {"channels": ["email"], "email": "admin@careloop-demo.invalid"}),
    ):
        if not Preference.objects.filter(user=person).exists():
            preference_update(user=person, data=data | {"timezone": "America/New_York"})


def _demo_caregiver(patient: Patient, tz: str) -> None:
    """A caregiver for `patient`, through the real invite and acceptance path."""
    if CaregiverLink.objects.filter(patient=patient, caregiver__username=CAREGIVER[0]).exists():
        return
    _, code = invite_create(patient=patient, scopes=CAREGIVER_SCOPES)
    existing = User.objects.filter(username=CAREGIVER[0], role=Role.CAREGIVER).first()
    accepted = invite_accept(
        code=code,
        username=CAREGIVER[0],
        password=CAREGIVER[1],
        display_name="Lucia (daughter)",
        device_name="demo",
        caregiver=existing,  # seeded before: she adds the patient as herself, signed in
    )
    if not Preference.objects.filter(user=accepted.link.caregiver).exists():
        preference_update(
            user=accepted.link.caregiver, data={"channels": ["push"], "push_token": "demo-push-lucia", "timezone": tz}
        )


def seed_demo(now: datetime | None = None) -> SeedResult:
    now = now or timezone.now()
    nurse, _ = staff_create(username=NURSE[0], password=NURSE[1], role=Role.NURSE, clinic_name=CLINIC)
    admin, _ = staff_create(username=ADMIN[0], password=ADMIN[1], role=Role.ADMIN, clinic_name=CLINIC)
    if admin.is_superuser or admin.is_staff:  # seeded by an older version, when the admin was one
        admin.is_superuser = admin.is_staff = False
        admin.save(update_fields=["is_superuser", "is_staff"])
    if not User.objects.filter(username=ENGINEER[0]).exists():
        User.objects.create_superuser(username=ENGINEER[0], password=ENGINEER[1])
    clinic = Clinic.objects.get(name=CLINIC)
    if not clinic.phone:
        clinic.phone = CLINIC_PHONE
        clinic.save(update_fields=["phone"])
    _demo_escalation(clinic, nurse, admin)
    raised = 0
    enrolled: list[Patient] = []
    for p in PATIENTS:
        with transaction.atomic():
            patient = _patient(clinic, nurse, p, now.astimezone(ZoneInfo(p.tz)).date())
            today = now.astimezone(ZoneInfo(p.tz)).date()
            # The clinic's past first (each a closed episode), before the current readings that follow it.
            enrollment_backdate(patient, ZoneInfo(p.tz))
            raised += past_alerts(patient, (nurse, admin), now)
            sections: dict[str, list[Any]] = {"lab_results": [], "symptom_reports": [], "dose_logs": []}
            for section, item in _readings(p, patient.start_date, today):
                sections[section].append(item)
            result = sync_ingest(patient=patient, sections=sections, now=now)
            if result.rejected:
                raise RuntimeError(f"demo data rejected: {result.rejected[:3]}")
        raised += len(readings_grade(lab_ids=result.new_lab_ids, symptom_ids=result.new_symptom_ids).alerts_raised)
        raised += _markers(patient, nurse, p, now)
        with transaction.atomic():
            enrolled.append(_demo_phone(patient, nurse, p, now))
            past_draw_reminders(patient, now)
    _demo_caregiver(enrolled[0], PATIENTS[0].tz)
    for showcase in SHOWCASES:
        patient, graded = showcase_patient(clinic, showcase, now)
        raised += graded
        with transaction.atomic():
            _demo_phone(patient, nurse, showcase, now)
    raised += showcase_checks(now)
    waiting = _patient(clinic, nurse, WAITING, now.astimezone(UTC).date())
    reminder_plan_ensure(patient=waiting, now=now)  # reminders start once a phone enrolls with the code
    code = enrollment_code_issue(patient=waiting, issued_by=nurse, now=now)
    next_reminders = tuple(_next_reminder(patient, now) for patient in enrolled)
    return SeedResult(clinic, nurse, admin, code, raised, next_reminders)
