"""The patient's IRd regimen (backend.patients.models.Patient: start_date and the current dose of
each drug; shared.regimen: the 28-day cycle's days) as an R4 `CarePlan`, with one
`MedicationRequest` (intent plan) per drug at its current dose, each referenced as an activity.

Ids are made from the patient's: `ird-{patient}` and `ird-{patient}-{drug}` (FHIR ids allow 64
characters)."""

from __future__ import annotations

from decimal import Decimal

from backend.fhir.codes import UCUM
from backend.fhir.resources.base import Json, checked, decimal, reference
from backend.fhir.resources.medication_administration import medication
from backend.patients.models import Patient
from shared.regimen import ANTIVIRAL_PROPHYLAXIS, IRD_SCHEDULE, DrugSchedule


def care_plan_id(patient: Patient) -> str:
    return f"ird-{patient.pk}"


def medication_request_id(patient: Patient, drug: str) -> str:
    return f"ird-{patient.pk}-{drug}"


def _dose_mg(patient: Patient, drug: str) -> Decimal | None:
    value = getattr(patient, f"{drug}_mg", None)
    return value if isinstance(value, Decimal) else None


def _days(schedule: DrugSchedule) -> str:
    days = sorted(schedule.days)
    if days == list(range(days[0], days[-1] + 1)) and len(days) > 2:
        return f"days {days[0]}-{days[-1]}"
    return "days " + ", ".join(str(d) for d in days[:-1]) + f" and {days[-1]}"


def medication_request(patient: Patient, schedule: DrugSchedule) -> Json:
    drug = schedule.drug.value
    mg = _dose_mg(patient, drug)
    if schedule is ANTIVIRAL_PROPHYLAXIS:
        text = f"Every day of therapy. {schedule.food_rule}"
    else:
        text = f"{decimal(mg) if mg is not None else ''} mg orally on {_days(schedule)} of each 28-day cycle. "
        text = text.lstrip() + schedule.food_rule
    dosage: Json = {"text": text, "route": {"text": "oral"}}
    if mg is not None:
        dose = {"value": decimal(mg), "unit": "mg", "system": UCUM, "code": "mg"}
        dosage["doseAndRate"] = [{"doseQuantity": dose}]
    return checked(
        {
            "resourceType": "MedicationRequest",
            "id": medication_request_id(patient, drug),
            "status": "active",
            "intent": "plan",
            "medicationCodeableConcept": medication(drug),
            "subject": reference("Patient", patient.pk),
            "basedOn": [reference("CarePlan", care_plan_id(patient))],
            "dosageInstruction": [dosage],
            "note": [{"text": f"Source: {schedule.source}"}],
        }
    )


def regimen_resources(patient: Patient) -> list[Json]:
    """The CarePlan, then its MedicationRequests (ixazomib, lenalidomide, dexamethasone, antiviral)."""
    schedules = (*IRD_SCHEDULE, ANTIVIRAL_PROPHYLAXIS)
    plan = checked(
        {
            "resourceType": "CarePlan",
            "id": care_plan_id(patient),
            "status": "active",
            "intent": "plan",
            "title": "IRd: ixazomib, lenalidomide and dexamethasone in 28-day cycles",
            "subject": reference("Patient", patient.pk),
            "period": {"start": patient.start_date.isoformat()},
            "activity": [
                {"reference": reference("MedicationRequest", medication_request_id(patient, s.drug.value))}
                for s in schedules
            ],
        }
    )
    return [plan, *(medication_request(patient, s) for s in schedules)]
