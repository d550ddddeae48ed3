"""Bundles as a clinic's lab system would send them (contract §6)."""

from __future__ import annotations

import uuid
from typing import Any


def lab_observation(
    patient_id: object,
    *,
    loinc: str = "777-3",
    value: float = 20,
    ucum: str = "10*3/uL",
    when: str = "2026-11-20T08:30:00-05:00",
    identifier: str | None = None,
) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "identifier": [{"system": "urn:oid:1.2.3.4.5", "value": identifier or f"ACC-{uuid.uuid4().hex[:12]}"}],
        "status": "final",
        "category": [
            {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "laboratory"}]}
        ],
        "code": {"coding": [{"system": "http://loinc.org", "code": loinc}]},
        "subject": {"reference": f"Patient/{patient_id}"},
        "effectiveDateTime": when,
        "valueQuantity": {"value": value, "unit": ucum, "system": "http://unitsofmeasure.org", "code": ucum},
    }


def bundle(*observations: dict[str, Any], kind: str = "transaction") -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": kind,
        "entry": [
            {"fullUrl": f"urn:uuid:{uuid.uuid4()}", "resource": o, "request": {"method": "POST", "url": "Observation"}}
            for o in observations
        ],
    }
