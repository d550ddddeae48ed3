"""People, alerts and payloads for the benchmarks. People are made through the production services
(enrollment, tokens) so every request authenticates exactly as a real phone or nurse would; alerts to
read are written directly."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

# Analyte, unit, and a value range that is valid for that unit (mostly normal, some low).
LAB_CHOICES: list[tuple[str, str, float, float]] = [
    ("platelets", "10^9/L", 60, 400),
    ("platelets", "K/uL", 60, 400),
    ("anc", "10^9/L", 1.2, 7),
    ("wbc", "x10^3/uL", 3, 11),
    ("hemoglobin", "g/dL", 9, 16),
    ("hemoglobin", "g/L", 90, 160),
    ("creatinine", "mg/dL", 0.6, 1.3),
    ("creatinine", "umol/L", 50, 110),
    ("alt", "U/L", 10, 50),
    ("ast", "U/L", 10, 45),
    ("bilirubin", "mg/dL", 0.2, 1.1),
]
SYMPTOM_CHOICES: list[tuple[str, Any]] = [
    ("diarrhea", lambda r: {"stools_above_usual": r.randint(0, 3)}),
    ("nausea", lambda r: {"severity": r.choice(["none", "mild", "moderate"])}),
    ("constipation", lambda r: {"severity": r.choice(["none", "mild"])}),
    ("peripheral_neuropathy", lambda r: {"severity": r.choice(["none", "mild"]), "pain": False}),
    ("rash", lambda r: {"body_area": r.choice(["none", "under_10"]), "symptoms": "mild"}),
    ("fever", lambda r: {"temperature_c": round(r.uniform(36.0, 37.8), 1)}),
    ("edema", lambda r: {"severity": "mild"}),
]
DRUGS = ["ixazomib", "lenalidomide", "dexamethasone", "antiviral"]


@dataclass
class Enrolled:
    patient_id: uuid.UUID
    user_id: int
    token: str


@dataclass
class Clinic:
    clinic_id: int
    nurse_id: int
    nurse_token: str
    patients: list[Enrolled]


def clinic_make(name: str, patients: int) -> Clinic:
    """A clinic, its nurse (with a Bearer token) and `patients` enrolled phones."""
    from backend.accounts.services import staff_create, token_issue
    from backend.patients.services import RegimenInput, patient_create, patient_enroll

    slug = name.lower().replace(" ", "-")
    nurse, _ = staff_create(username=f"nurse-{slug}", password="bench-password-123", role="nurse", clinic_name=name)
    nurse_token = token_issue(user=nurse, device_name="bench")
    enrolled = []
    for i in range(patients):
        patient, code = patient_create(
            nurse=nurse,
            display_name=f"{name} patient {i}",
            timezone_name="America/New_York",
            regimen_input=RegimenInput(date(2026, 1, 5), Decimal(4), Decimal(25), Decimal(40)),
        )
        token, patient = patient_enroll(code=code, device_name="bench phone")
        assert patient.user_id is not None
        enrolled.append(Enrolled(patient.id, patient.user_id, token))
    assert nurse.clinic_id is not None
    return Clinic(nurse.clinic_id, nurse.pk, nurse_token, enrolled)


def alerts_for(patient_id: Any, count: int) -> None:
    """`count` urgent alerts for the patient, one an hour back from now, written in one bulk insert
    (the reads benchmarked need alerts to list, not the grading that raises them): the newest open,
    the others resolved, as a patient has one open alert of a kind at a time (contract §4)."""
    from backend.alerts.models import Alert

    now = datetime.now(UTC)
    Alert.objects.bulk_create(
        Alert(
            patient_id=patient_id,
            kind="thrombocytopenia",
            grade=3,
            severity="urgent",
            hold_drugs=["ixazomib", "lenalidomide"],
            status="open" if i == 0 else "resolved",
            resolved_at=None if i == 0 else now,
            title="Platelets 28 ×10^9/L (grade 3)",
            message="Platelets 28 ×10^9/L: grade 3 thrombocytopenia.",
            patient_advice="Call your care team today.",
            rule_source="CTCAE v5.0",
            source_type="lab_result",
            source_id=uuid.uuid4(),
            observed_at=now - timedelta(hours=i),
            created_at=now - timedelta(hours=i),
            updated_at=now,
        )
        for i in range(count)
    )


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def lab_item(rng: random.Random, now: datetime) -> dict[str, Any]:
    analyte, unit, low, high = rng.choice(LAB_CHOICES)
    value = round(rng.uniform(low, high), 2)
    return {
        "id": str(uuid.uuid4()),
        "analyte": analyte,
        "value": value,
        "unit": unit,
        "collected_at": _iso(now - timedelta(seconds=rng.randint(600, 30 * 86400))),
    }


def symptom_item(rng: random.Random, now: datetime) -> dict[str, Any]:
    symptom, answers = rng.choice(SYMPTOM_CHOICES)
    return {
        "id": str(uuid.uuid4()),
        "symptom": symptom,
        "answers": answers(rng),
        "reported_at": _iso(now - timedelta(seconds=rng.randint(600, 30 * 86400))),
    }


def dose_item(rng: random.Random, now: datetime) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "drug": rng.choice(DRUGS),
        "status": rng.choice(["taken", "taken", "taken", "skipped"]),
        "taken_at": _iso(now - timedelta(seconds=rng.randint(600, 30 * 86400))),
    }


def mixed_batch(rng: random.Random, now: datetime, size: int = 500) -> dict[str, Any]:
    """A sync body of `size` items: 40% labs, 40% symptoms, 20% doses."""
    labs = size * 2 // 5
    symptoms = size * 2 // 5
    doses = size - labs - symptoms
    return {
        "cursor": None,
        "lab_results": [lab_item(rng, now) for _ in range(labs)],
        "symptom_reports": [symptom_item(rng, now) for _ in range(symptoms)],
        "dose_logs": [dose_item(rng, now) for _ in range(doses)],
    }
