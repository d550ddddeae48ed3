"""Lab results and symptom reports as R4 `Observation`s.

Lab (backend.records.models.LabResult): `code` the analyte's LOINC code (shared.analytes), value
and reference range in the unit the lab reported, as UCUM (backend.fhir.codes.UCUM_BY_UNIT),
`effectiveDateTime` = collected_at, `issued` = received_at, `identifier` = CareLoop's id, the
interpretation L/N/H from the range and the CTCAE v5.0 grade as a component.
Symptom (SymptomReport): `code` the CTCAE v5.0 term (MedDRA code), `valueInteger` its grade,
derived from the report's QuestionnaireResponse.
"""

from __future__ import annotations

from decimal import Decimal

from backend.fhir.codes import (
    INTERPRETATION,
    LOINC,
    MEDDRA,
    MEDDRA_BY_CTCAE_TERM,
    OBSERVATION_CATEGORY,
    UCUM,
    UCUM_BY_UNIT,
)
from backend.fhir.resources.base import Json, checked, decimal, instant, reference, uuid_identifier
from backend.records.models import LabResult, SymptomReport
from shared.analytes import ANALYTES, Sex
from shared.symptoms import SYMPTOMS

CTCAE_GRADE = "CTCAE v5.0 grade"
_DATA_ABSENT = "http://terminology.hl7.org/CodeSystem/data-absent-reason"


def _category(code: str, display: str) -> list[Json]:
    return [{"coding": [{"system": OBSERVATION_CATEGORY, "code": code, "display": display}]}]


def _quantity(value: Decimal, unit_key: str, display: str) -> Json:
    return {"value": decimal(value), "unit": display, "system": UCUM, "code": UCUM_BY_UNIT[unit_key]}


def lab_observation(lab: LabResult, sex: str = "") -> Json:
    analyte = ANALYTES[lab.analyte]
    unit = next(u for u in analyte.units if u.key == lab.unit)
    low, high = lab.reference_low, lab.reference_high
    if low is None and high is None:  # the reading gave none: CareLoop's limits, in the reported unit
        limits = analyte.limits(Sex(sex) if sex in ("female", "male") else None)
        low, high = (analyte.from_canonical(x, unit) if x is not None else None for x in limits)
    resource: Json = {
        "resourceType": "Observation",
        "id": str(lab.id),
        "identifier": [uuid_identifier(lab.id)],
        "status": "final",
        "category": _category("laboratory", "Laboratory"),
        "code": {"coding": [{"system": LOINC, "code": analyte.loinc, "display": analyte.name}], "text": analyte.name},
        "subject": reference("Patient", lab.patient_id),
        "effectiveDateTime": instant(lab.collected_at),
        "issued": instant(lab.received_at),
        "valueQuantity": _quantity(lab.value, lab.unit, unit.display),
    }
    if low is not None or high is not None:
        rng: Json = {}
        if low is not None:
            rng["low"] = _quantity(low, lab.unit, unit.display)
        if high is not None:
            rng["high"] = _quantity(high, lab.unit, unit.display)
        resource["referenceRange"] = [rng]
        flag = "L" if low is not None and lab.value < low else "H" if high is not None and lab.value > high else "N"
        resource["interpretation"] = [{"coding": [{"system": INTERPRETATION, "code": flag}]}]
    if lab.grade is not None:
        resource["component"] = [{"code": {"text": CTCAE_GRADE}, "valueInteger": lab.grade}]
    return checked(resource)


def symptom_observation(report: SymptomReport) -> Json:
    symptom = SYMPTOMS.get(report.symptom)
    term = symptom.ctcae_term if symptom else report.symptom
    code: Json = {"text": f"CTCAE v5.0 {term}"}
    if term in MEDDRA_BY_CTCAE_TERM:
        code["coding"] = [{"system": MEDDRA, "code": MEDDRA_BY_CTCAE_TERM[term], "display": term}]
    resource: Json = {
        "resourceType": "Observation",
        "id": str(report.id),
        "identifier": [uuid_identifier(report.id)],
        "status": "final",
        "category": _category("survey", "Survey"),
        "code": code,
        "subject": reference("Patient", report.patient_id),
        "effectiveDateTime": instant(report.reported_at),
        "issued": instant(report.received_at),
        "method": {"text": CTCAE_GRADE + ", from the patient's answers (CareLoop contract §3)"},
        "derivedFrom": [reference("QuestionnaireResponse", report.id)],
    }
    if report.grade is not None:
        resource["valueInteger"] = report.grade
    else:  # not graded yet, or a symptom CTCAE grades on no patient answer (fever)
        resource["dataAbsentReason"] = {"coding": [{"system": _DATA_ABSENT, "code": "unknown"}]}
    return checked(resource)
