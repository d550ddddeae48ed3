"""Lab results and symptom reports as R4 `Observation`s.

Lab (backend.records.models.LabResult): `code` the analyte's LOINC code (shared.analytes), value
and reference range in the unit the lab reported, as UCUM (backend.fhir.codes.UCUM_BY_UNIT),
`effectiveDateTime` = collected_at, `issued` = received_at, `identifier` = CareLoop's id, the
interpretation L/N/H from the range and the CTCAE v5.0 grade as a component; `meta.source` where
it came from (LabResult.source: the patient's phone, the care team or the lab feed, as a URN).
Symptom (SymptomReport): `code` the CTCAE v5.0 term (MedDRA code), `valueInteger` its grade,
derived from the report's QuestionnaireResponse.
"""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache

from backend.fhir.codes import (
    INTERPRETATION,
    LOINC,
    MEDDRA,
    MEDDRA_BY_CTCAE_TERM,
    OBSERVATION_CATEGORY,
    SOURCE_URI,
    UCUM,
    UCUM_BY_UNIT,
)
from backend.fhir.resources.base import Json, checked, decimal, instant, reference, uuid_identifier
from backend.records.models import LabResult, SymptomReport
from backend.response.models import MarkerResult
from shared.analytes import ANALYTES, Sex
from shared.markers import MARKERS
from shared.symptoms import SYMPTOMS

CTCAE_GRADE = "CTCAE v5.0 grade"
_DATA_ABSENT = "http://terminology.hl7.org/CodeSystem/data-absent-reason"


def _category(code: str, display: str) -> list[Json]:
    return [{"coding": [{"system": OBSERVATION_CATEGORY, "code": code, "display": display}]}]


def _quantity(value: Decimal, unit_key: str, display: str) -> Json:
    return {"value": decimal(value), "unit": display, "system": UCUM, "code": UCUM_BY_UNIT[unit_key]}


@lru_cache(maxsize=512)
def _lab_parts(analyte_key: str, unit_key: str, sex: str) -> tuple[str, str, str, Decimal | None, Decimal | None]:
    """What every reading of one analyte in one unit shares: its LOINC code and name, the unit's
    display, and CareLoop's limits in that unit for a patient of that sex (for readings that bring
    none). Worked out once, not for each of a long history's readings (bench 8)."""
    analyte = ANALYTES[analyte_key]
    unit = next(u for u in analyte.units if u.key == unit_key)
    limits = analyte.limits(Sex(sex) if sex in ("female", "male") else None)
    low, high = (analyte.from_canonical(x, unit) if x is not None else None for x in limits)
    return analyte.loinc, analyte.name, unit.display, low, high


def lab_observation(lab: LabResult, sex: str = "") -> Json:
    loinc, name, display, low, high = _lab_parts(lab.analyte, lab.unit, sex)
    if lab.reference_low is not None or lab.reference_high is not None:  # the reading's own range wins
        low, high = lab.reference_low, lab.reference_high
    resource: Json = {
        "resourceType": "Observation",
        "id": str(lab.id),
        "meta": {"source": SOURCE_URI[lab.source]},
        "identifier": [uuid_identifier(lab.id)],
        "status": "final",
        "category": _category("laboratory", "Laboratory"),
        "code": {"coding": [{"system": LOINC, "code": loinc, "display": name}], "text": name},
        "subject": reference("Patient", lab.patient_id),
        "effectiveDateTime": instant(lab.collected_at),
        "issued": instant(lab.received_at),
        "valueQuantity": _quantity(lab.value, lab.unit, display),
    }
    if low is not None or high is not None:
        rng: Json = {}
        if low is not None:
            rng["low"] = _quantity(low, lab.unit, display)
        if high is not None:
            rng["high"] = _quantity(high, lab.unit, display)
        resource["referenceRange"] = [rng]
        flag = "L" if low is not None and lab.value < low else "H" if high is not None and lab.value > high else "N"
        resource["interpretation"] = [{"coding": [{"system": INTERPRETATION, "code": flag}]}]
    if lab.grade is not None:
        resource["component"] = [{"code": {"text": CTCAE_GRADE}, "valueInteger": lab.grade}]
    return checked(resource, ("lab", low is not None, high is not None, lab.grade is not None))


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
    return checked(resource, ("symptom", "coding" in code, report.grade is not None))


# Response markers' units (shared.markers) as UCUM: the 24-hour urine amounts are a mass per 24 h.
_MARKER_UCUM = {
    "g/dL": "g/dL",
    "g/L": "g/L",
    "mg/L": "mg/L",
    "mg/dL": "mg/dL",
    "mg/24h": "mg/(24.h)",
    "g/24h": "g/(24.h)",
    "%": "%",
}


def marker_observation(row: MarkerResult) -> Json:
    """A response marker (backend.response.models.MarkerResult, contract §5): `code` its LOINC code
    where one exists (imwg-and-codes.md §2; the others by name), a number as a UCUM quantity in the
    unit it was reported in, a qualitative result (immunofixation, MRD...) as its word."""
    marker = MARKERS[row.marker]
    code: Json = {"text": marker.name}
    if marker.loinc:
        code["coding"] = [{"system": LOINC, "code": marker.loinc, "display": marker.name}]
    resource: Json = {
        "resourceType": "Observation",
        "id": str(row.id),
        "identifier": [uuid_identifier(row.id)],
        "status": "final",
        "category": _category("laboratory", "Laboratory"),
        "code": code,
        "subject": reference("Patient", row.patient_id),
        "effectiveDateTime": instant(row.collected_at),
        "issued": instant(row.received_at),
    }
    if row.value is not None and row.unit:
        unit = marker.unit(row.unit)
        display = unit.display if unit else row.unit
        resource["valueQuantity"] = {
            "value": decimal(row.value),
            "unit": display,
            "system": UCUM,
            "code": _MARKER_UCUM[row.unit],
        }
    else:
        resource["valueString"] = " ".join(filter(None, [row.text, row.method, row.sensitivity]))
    return checked(resource, ("marker", "coding" in code, "valueQuantity" in resource))
