"""A dose log (backend.records.models.DoseLog) as an R4 `MedicationAdministration`: `completed`
for a dose taken; `not-done` with the reason for one skipped or vomited (NINLARO label: a vomited
dose is not repeated); the drug's RxNorm ingredient code (backend.fhir.codes.DRUGS);
`effectiveDateTime` = taken_at."""

from __future__ import annotations

from backend.fhir.codes import DRUGS, RXNORM
from backend.fhir.resources.base import Json, checked, instant, reference, uuid_identifier
from backend.records.models import DoseLog

_REASON = {"skipped": "Dose skipped", "vomited": "Dose vomited (not repeated)"}


def medication(drug: str) -> Json:
    code, display = DRUGS.get(drug, (None, drug))
    concept: Json = {"text": display}
    if code is not None:
        concept["coding"] = [{"system": RXNORM, "code": code, "display": display}]
    return concept


def medication_administration(dose: DoseLog) -> Json:
    resource: Json = {
        "resourceType": "MedicationAdministration",
        "id": str(dose.id),
        "identifier": [uuid_identifier(dose.id)],
        "status": "completed" if dose.status == "taken" else "not-done",
        "medicationCodeableConcept": medication(dose.drug),
        "subject": reference("Patient", dose.patient_id),
        "effectiveDateTime": instant(dose.taken_at),
    }
    if dose.status in _REASON:
        resource["statusReason"] = [{"text": _REASON[dose.status]}]
    concept = resource["medicationCodeableConcept"]
    return checked(resource, ("dose", "coding" in concept, "statusReason" in resource))
