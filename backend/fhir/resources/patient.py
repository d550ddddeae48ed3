"""A patient (backend.patients.models.Patient) as an R4 `Patient`: `name.text` = display_name,
`gender` = sex (when recorded), `telecom` = phone, `managingOrganization` = the clinic's name."""

from __future__ import annotations

from backend.fhir.codes import GENDER
from backend.fhir.resources.base import Json, checked, uuid_identifier
from backend.patients.models import Patient


def patient_resource(patient: Patient, clinic_name: str) -> Json:
    resource: Json = {
        "resourceType": "Patient",
        "id": str(patient.pk),
        "identifier": [uuid_identifier(patient.pk)],
        "active": True,
        "name": [{"text": patient.display_name}],
        "managingOrganization": {"display": clinic_name},
    }
    if patient.sex in GENDER:
        resource["gender"] = GENDER[patient.sex]
    if patient.phone:
        resource["telecom"] = [{"system": "phone", "value": patient.phone}]
    return checked(resource)
