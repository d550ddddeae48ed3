"""Specification: the grouped computation of the patient, adherence and response-test figures
(backend/metrics/selectors.py, patients grouped by what their figures depend on) gives exactly
what the per-patient computation gave (reference.py), on random clinics: patients in several time
zones (DST ones, half- and quarter-hour offsets, both sides of the date line), regimens started
before, in and after the period, stopped drugs, own or default antiviral times, partial and
duplicate dose logs, patients enrolled long before, just before and in the period, paused and
discharged care, responders and not, response tests drawn near and far from day 1."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from backend.accounts.models import Clinic
from backend.metrics.period import Period
from backend.metrics.selectors import clinic_metrics
from backend.patients.models import Patient
from backend.records.models import DoseLog
from backend.reminders.models import ReminderPlan
from backend.response.models import ClinicResponseSettings, MarkerResult, PatientResponse
from tests.backend.metrics.reference import reference_figures
from tests.backend.metrics.support import NOW
from tests.factories import make_nurse

pytestmark = pytest.mark.django_db

ZONES = (
    "America/New_York",
    "Europe/London",
    "Australia/Lord_Howe",  # a half-hour DST shift
    "Asia/Kolkata",  # +05:30
    "Asia/Kathmandu",  # +05:45
    "Pacific/Chatham",  # +12:45 / +13:45
    "America/St_Johns",  # -03:30 with DST
    "Pacific/Kiritimati",  # +14
    "Pacific/Pago_Pago",  # -11
    "UTC",
)
STARTS = (date(2025, 12, 29), date(2026, 6, 1), date(2026, 10, 12), date(2026, 11, 1), date(2026, 11, 17))
PLANS = (None, ["08:00"], ["08:00", "20:00"], ["07:00", "13:00", "19:00"])
DRUGS = ("ixazomib", "lenalidomide", "dexamethasone", "antiviral")
MARKERS = ("serum_m_protein", "kappa_flc", "urine_m_protein", "ldh")  # ldh: not a response test
PERIODS = (
    Period(date(2026, 11, 1), date(2026, 11, 28)),  # the default's four weeks
    Period(date(2026, 10, 20), date(2026, 11, 16)),  # Europe (25 Oct) and US (1 Nov) DST ends
    Period(date(2026, 11, 5), date(2026, 12, 2)),  # up to today
    Period(date(2026, 3, 1), date(2026, 4, 30)),  # spring DST, Lord Howe's April end
    Period(date(2026, 12, 2), date(2026, 12, 2)),  # today alone
)


def _instant(rng: random.Random, first: datetime, last: datetime) -> datetime:
    return first + timedelta(seconds=rng.randrange(int((last - first).total_seconds())))


def _clinic(seed: int, patients: int = 45) -> int:
    """A random clinic; patients share zones, starts and plans so that groups hold several."""
    rng = random.Random(seed)
    nurse = make_nurse(f"nurse.{seed}")
    clinic_id = nurse.user.clinic_id
    assert clinic_id is not None
    if seed % 2:
        Clinic.objects.filter(pk=clinic_id).update(antiviral_times=["09:00"])
    if seed % 3 == 0:
        ClinicResponseSettings.objects.create(clinic_id=clinic_id, test_every_cycles=rng.choice((2, 3)))
    zones = rng.sample(ZONES, 4)
    rows = []
    for i in range(patients):
        off = rng.random()
        rows.append(
            Patient(
                clinic_id=clinic_id,
                display_name=f"Patient {i}",
                timezone=rng.choice(zones),
                start_date=rng.choice(STARTS)
                if rng.random() < 0.85
                else date(2026, 1, 1) + timedelta(rng.randrange(340)),
                ixazomib_mg=Decimal(0) if off < 0.1 else Decimal(4),
                lenalidomide_mg=Decimal(0) if 0.1 <= off < 0.2 else Decimal(25),
                dexamethasone_mg=Decimal(0) if 0.15 <= off < 0.25 else Decimal(40),
                care_status=rng.choice(("active", "active", "paused", "discharged")),
            )
        )
    Patient.objects.bulk_create(rows)
    enrolled = {
        0: lambda: datetime(2025, 6, 1, tzinfo=UTC) + timedelta(minutes=rng.randrange(200_000)),
        1: lambda: _instant(rng, datetime(2026, 10, 10, tzinfo=UTC), NOW),  # around or in a period
        2: lambda: datetime(2026, 11, 1, tzinfo=UTC) - timedelta(days=2, minutes=rng.choice((-1, 0, 1))),
    }
    plans, responses, doses, markers = [], [], [], []
    for p in rows:
        created = enrolled[rng.choice((0, 0, 1, 1, 2))]()
        Patient.objects.filter(pk=p.pk).update(created_at=created)
        plan = rng.choice(PLANS)
        if plan is not None:
            plans.append(ReminderPlan(patient=p, antiviral_times=plan))
        if rng.random() < 0.5:
            responses.append(PatientResponse(patient=p, responded=rng.random() < 0.6, computed_at=NOW))
        for _ in range(rng.randrange(40)):
            taken = _instant(rng, datetime(2026, 2, 25, tzinfo=UTC), NOW)
            if rng.random() < 0.7:
                taken = _instant(rng, datetime(2026, 10, 15, tzinfo=UTC), NOW)
            for _ in range(2 if rng.random() < 0.1 else 1):  # a dose logged twice
                doses.append(
                    DoseLog(
                        id=uuid.uuid4(),
                        patient=p,
                        received_at=taken,
                        fingerprint="x",
                        drug=rng.choice(DRUGS),
                        status="taken" if rng.random() < 0.8 else "skipped",
                        taken_at=taken,
                    )
                )
        for _ in range(rng.randrange(4)):
            drawn = _instant(rng, datetime(2026, 2, 15, tzinfo=UTC), NOW)
            if rng.random() < 0.7:
                drawn = _instant(rng, datetime(2026, 10, 10, tzinfo=UTC), NOW)
            markers.append(
                MarkerResult(
                    id=uuid.uuid4(),
                    patient=p,
                    fingerprint="x",
                    marker=rng.choice(MARKERS),
                    value=Decimal("1.2"),
                    unit="g/dL",
                    canonical_value=Decimal("1.2"),
                    collected_at=drawn,
                    received_at=drawn,
                    entered_by="care_team",
                )
            )
    ReminderPlan.objects.bulk_create(plans)
    PatientResponse.objects.bulk_create(responses)
    DoseLog.objects.bulk_create(doses)
    MarkerResult.objects.bulk_create(markers)
    return clinic_id


@pytest.mark.parametrize("seed", range(6))
def test_grouped_figures_equal_the_per_patient_computation(seed: int) -> None:
    clinic_id = _clinic(seed)
    _clinic(seed + 100, patients=5)  # another clinic's patients count for nothing
    nonzero = 0
    for period in PERIODS:
        for now in (NOW, NOW - timedelta(hours=11), NOW + timedelta(hours=11)):
            if period.last > now.date():
                continue
            new = clinic_metrics(clinic_id=clinic_id, period=period, now=now)
            old = reference_figures(clinic_id=clinic_id, period=period, now=now)
            got = (
                new.patients,
                new.patient_days,
                new.doses_due,
                new.doses_taken,
                new.response_tests_due,
                new.response_tests_done,
            )
            assert got == (
                old.patients,
                old.patient_days,
                old.doses_due,
                old.doses_taken,
                old.response_tests_due,
                old.response_tests_done,
            ), (period, now)
            nonzero += bool(old.doses_taken) + bool(old.response_tests_done)
    assert nonzero  # the clinic exercised the counts, not only zeros
